#pragma once
// Runs fn(0) .. fn(n-1) on up to `threads` threads (the caller's among them),
// each index once, in rising order of start. After Ctrl-C no new index
// starts. fn must not throw: callers keep each item's outcome themselves, so
// one bad file never stops the rest.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "util/interrupt.hpp"

namespace seedreel {

// 0 = one per core.
inline int worker_count(int threads, std::size_t items) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  return int(std::clamp<std::size_t>(std::size_t(threads), 1, std::max<std::size_t>(items, 1)));
}

template <typename Fn>
void parallel_for(std::size_t n, int threads, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (;;) {
      if (interrupted()) return;
      std::size_t i = next++;
      if (i >= n) return;
      fn(i);
    }
  };
  const int count = worker_count(threads, n);
  std::vector<std::jthread> pool;
  for (int t = 1; t < count; ++t) pool.emplace_back(work);
  work();
}

}  // namespace seedreel
