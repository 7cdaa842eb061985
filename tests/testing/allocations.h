// Counts heap allocations made while a piece of code runs: every global operator new in the test
// executable (replaced in allocations.cpp) and every Tensor buffer (aligned_alloc, counted by
// Tensor itself). The no-allocation checks of the layer, attention and model suites all use it.
#pragma once
#include <cstdint>
#include <functional>

namespace attn::testing {

struct Allocations {
  int64_t news = 0;     // global operator new / new[] calls
  int64_t tensors = 0;  // Tensor buffer allocations
  int64_t total() const { return news + tensors; }
};

// Counts of the process so far.
Allocations allocationsSoFar();
// What `body` allocated. With TRAP_NEW=1 in the environment an operator new inside `body`
// traps, so a debugger stops at the offending allocation.
Allocations allocationsDuring(const std::function<void()>& body);

}  // namespace attn::testing
