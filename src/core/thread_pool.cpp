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
  if (!g_pool || g_pool->size() != g_threads) {
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
  for (int i = thread; i < count_; i += size()) {
    try {
      fn_(context_, i);
    } catch (...) {
      errors_[i] = std::current_exception();
    }
  }
}

void ThreadPool::workerLoop(int thread) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    runShare(thread);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --pending_;
    }
    done_.notify_one();
  }
}

void ThreadPool::runTasks(int count, TaskFn fn, void* context) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    context_ = context;
    count_ = count;
    if (static_cast<int>(errors_.size()) < count) errors_.resize(count);
    std::fill(errors_.begin(), errors_.begin() + count, nullptr);
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  runShare(0);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
  }
  for (int i = 0; i < count; ++i)
    if (errors_[i]) std::rethrow_exception(errors_[i]);
}

}  // namespace attn
