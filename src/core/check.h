// Errors: every misuse throws attn::Error with a message that names the layer (or the entry
// point) and says what was expected and what was given. Never abort on user input.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace attn {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw Error(message.str());
}

}  // namespace attn

// ATTN_CHECK(cond, "dense_1: expected input with last dimension ", d, ", got ", got);
#define ATTN_CHECK(cond, ...)              \
  do {                                     \
    if (!(cond)) ::attn::fail(__VA_ARGS__); \
  } while (0)
