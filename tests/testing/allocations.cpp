#include "testing/allocations.h"

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/tensor.h"

// GCC sees the replaced operator new inlined into callers and free() in the replaced delete,
// and warns of a mismatch that the replacement makes correct.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<int64_t> g_news{0};
std::atomic<bool> g_trapNew{false};
}  // namespace

// ThreadSanitizer defines the global operator new and delete itself: its build (which runs only
// the threading tests) counts tensors, not news.
#ifndef ATTN_TSAN

void* operator new(size_t size) {
  ++g_news;
  if (g_trapNew.load(std::memory_order_relaxed)) __builtin_trap();
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  ++g_news;
  return std::malloc(size ? size : 1);
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
#endif

namespace attn::testing {

Allocations allocationsSoFar() { return {g_news.load(), Tensor::allocationCount()}; }

Allocations allocationsDuring(const std::function<void()>& body) {
  const Allocations before = allocationsSoFar();
  g_trapNew = std::getenv("TRAP_NEW") != nullptr;
  body();
  g_trapNew = false;
  const Allocations after = allocationsSoFar();
  return {after.news - before.news, after.tensors - before.tensors};
}

}  // namespace attn::testing
