#pragma once
// Background workers that turn generations into mp4 files (and a PNG of the
// last frame). Identical requests share one result, so a client benchmark of
// a hundred text-to-video tasks renders once.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "generation.hpp"

namespace seedance_emu {

struct RenderJob {
  explicit RenderJob(Generation g) : gen(std::move(g)) {}
  enum class State { pending, done, failed };
  Generation gen;  // its pictures are dropped once rendered
  std::atomic<State> state{State::pending};
  std::atomic<bool> skip{false};  // cancelled or bound to fail: do not render
  std::filesystem::path video;    // set before state becomes done
  std::filesystem::path last_frame;
  std::string error;  // set before state becomes failed
};

class RenderQueue {
 public:
  RenderQueue(std::filesystem::path dir, int threads);
  ~RenderQueue();
  RenderQueue(const RenderQueue&) = delete;
  RenderQueue& operator=(const RenderQueue&) = delete;

  void submit(std::shared_ptr<RenderJob> job);

 private:
  void work();
  void render(RenderJob& job);

  std::filesystem::path dir_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<RenderJob>> jobs_;
  std::map<std::string, std::shared_ptr<std::mutex>> key_locks_;  // one render per cache key
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace seedance_emu
