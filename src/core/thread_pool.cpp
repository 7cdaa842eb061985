#include "core/thread_pool.h"

#include <algorithm>
#include <memory>

namespace attn {

namespace {
int g_threads = 1;
std::unique_ptr<ThreadPool> g_pool;
}  // namespace

int maxThreads() {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  return 1;
#else
  return 64;  // more threads than cores is allowed (oversubscribed, still correct)
#endif
}

int setThreads(int threads) {
  g_threads = std::clamp(threads, 1, maxThreads());
  return g_threads;
}

int threads() { return g_threads; }

ThreadPool& threadPool() {
  // Grown, never shrunk: a pthread of a browser page's module can only start on a worker that was
  // started before (or once the page's event loop runs), so lowering the count and raising it
  // back must not start threads; a run of fewer tasks than threads leaves the others idle.
  if (!g_pool || g_pool->size() < g_threads) {
    g_pool.reset();  // joins the old workers before new ones start
    g_pool = std::make_unique<ThreadPool>(g_threads);
  }
  return *g_pool;
}

ThreadPool::ThreadPool(int threads) {
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { workerLoop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::runShare(int thread) {
  if (thread >= active_) return;  // a thread setThreads left out of this run
  for (int i = thread; i < count_; i += active_) {
    try {
      fn_(context_, i);
    } catch (...) {
      errors_[i] = std::current_exception();
    }
  }
}

namespace {
// A training step runs the pool twice (forward, then backward) with a short serial part between,
// and steps follow each other closely; waking a sleeping thread costs a futex round trip (more in
// wasm, where a worker sleeps in Atomics.wait). So a thread waiting for the next run, or for the
// others to finish, first polls for about this many loads (tens of microseconds), then sleeps.
constexpr int kSpinLoads = 1 << 16;

template <class Done>
void spinUntil(Done done) {
  for (int i = 0; i < kSpinLoads && !done(); ++i) {
  }
}
}  // namespace

void ThreadPool::workerLoop(int thread) {
  uint64_t seen = 0;
  for (;;) {
    spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_.load(std::memory_order_relaxed) != seen; });
      if (stopping_) return;
      seen = generation_.load(std::memory_order_relaxed);
    }
    runShare(thread);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_.fetch_sub(1, std::memory_order_release);
    }
    done_.notify_one();
  }
}

void ThreadPool::runTasks(int count, TaskFn fn, void* context) {
  // One task would run on the caller (thread 0) anyway: no wake-up, no hand-off (~0.03 ms in wasm).
  if (count <= 1) {
    if (count == 1) fn(context, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    context_ = context;
    count_ = count;
    active_ = std::min(size(), g_threads);
    if (static_cast<int>(errors_.size()) < count) errors_.resize(count);
    std::fill(errors_.begin(), errors_.begin() + count, nullptr);
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runShare(0);
  spinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; });
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_.load(std::memory_order_relaxed) == 0; });
  }
  for (int i = 0; i < count; ++i)
    if (errors_[i]) std::rethrow_exception(errors_[i]);
}

}  // namespace attn
