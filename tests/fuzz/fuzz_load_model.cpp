// libFuzzer target: loadModel on hostile bytes must throw attn::Error or succeed; never crash,
// read out of bounds, hit undefined behaviour or exhaust memory. Built by -DATTN_FUZZ=ON with
// clang (scripts/fuzz.sh); seeds in tests/fuzz/corpus/ (tests/fuzz/make_corpus.cpp).
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attn::fuzz::fuzzOne(data, size);
  return 0;
}
