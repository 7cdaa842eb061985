// The library's threads: one pool, started once, sized by setThreads(). Training, predict,
// evaluate, getActivations and getAttention split a batch into shards (one per thread, or
// setFixedShards' count; Model's data-parallel step), and a sharded training step of a large
// model runs its optimizer update in as many parts of the weights; nothing else runs on the pool.
//
// run(count, task) calls task(0) .. task(count - 1), task i on thread i % n where n is threads()
// or the pool's size if smaller (the caller is thread 0), and returns when every call has; an
// exception from a task is rethrown in the caller, the lowest task index first. The task is a
// template parameter, not a std::function, so a call allocates nothing.
#pragma once
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace attn {

// Threads this build can run: 1 in a single-threaded build (wasm without pthreads), else 64.
int maxThreads();
// The threads training uses (default 1). Clamped to [1, maxThreads()]; returns what was set.
int setThreads(int threads);
int threads();

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // run() calls of two tasks or more so far (one task runs on the caller, unseen by the other
  // threads): the tests' evidence that a call went through the pool.
  uint64_t runs() const { return generation_.load(std::memory_order_relaxed); }

  template <class Task>
  void run(int count, Task& task) {
    runTasks(count, [](void* context, int i) { (*static_cast<Task*>(context))(i); }, &task);
  }

 private:
  using TaskFn = void (*)(void*, int);
  void runTasks(int count, TaskFn fn, void* context);
  void runShare(int thread);  // the tasks of one thread, exceptions kept by task index
  void workerLoop(int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // Changed under mutex_, read without it too (a waiting thread polls them before it sleeps).
  std::atomic<uint64_t> generation_{0};  // bumped per run: a worker runs each generation once
  std::atomic<int> pending_{0};          // workers still running the current generation
  bool stopping_ = false;
  TaskFn fn_ = nullptr;
  void* context_ = nullptr;
  int count_ = 0;
  int active_ = 1;  // the threads this run's tasks go to
  std::vector<std::exception_ptr> errors_;  // by task index; grown, never shrunk
};

// A pool of at least threads() threads: rebuilt when setThreads raises the count past its size,
// kept when it lowers it (the tasks then run on the first threads() threads).
ThreadPool& threadPool();

}  // namespace attn
