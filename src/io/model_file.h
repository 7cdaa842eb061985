// One self-describing model file, little-endian throughout:
//   "ATWM"  u32 version (1)  u32 flags (bit 0: optimizer state present)
//   u32 length, JSON text {"model": <config>, "compile": <compile config or null>}
//   u32 weight count; per weight: u32 name length, name, u32 rank, rank x u32 dims, float32 data
//   [optimizer: u64 iterations, u32 slot count; per slot: u32 length, float32 data]
//   u32 FNV-1a checksum of every byte before it
// loadModel treats the bytes as hostile: every length is bounds-checked before it is read and
// every failure throws attn::Error ("loadModel: ...").
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "model/model.h"

namespace attn {

constexpr uint32_t kModelFileVersion = 1;

// includeOptimizer: also store the optimizer's state (compiled models only), so training resumes.
std::vector<uint8_t> saveModel(Model& model, bool includeOptimizer = true);
std::unique_ptr<Model> loadModel(const uint8_t* bytes, size_t size);
inline std::unique_ptr<Model> loadModel(const std::vector<uint8_t>& bytes) {
  return loadModel(bytes.data(), bytes.size());
}

uint32_t fnv1a(const uint8_t* bytes, size_t size);

}  // namespace attn
