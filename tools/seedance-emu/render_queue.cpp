#include "render_queue.hpp"

#include <functional>

#include "video_render.hpp"

namespace seedance_emu {

namespace {

// What makes two results identical: size, length, audio, and the frames' bytes.
std::string cache_key(const Generation& g) {
  std::string text = std::to_string(g.width) + "x" + std::to_string(g.height) + "-" + std::to_string(g.duration) +
                     "s-" + (g.generate_audio ? "a" : "n");
  std::size_t h = std::hash<std::string>{}(text);
  if (g.first_frame) h = h * 31 + std::hash<std::string>{}(g.first_frame->bytes);
  if (g.last_frame) h = h * 131 + std::hash<std::string>{}(g.last_frame->bytes);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", h);
  return text + "-" + hex;
}

}  // namespace

RenderQueue::RenderQueue(std::filesystem::path dir, int threads) : dir_(std::move(dir)) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

RenderQueue::~RenderQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void RenderQueue::submit(std::shared_ptr<RenderJob> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void RenderQueue::work() {
  for (;;) {
    std::shared_ptr<RenderJob> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job->skip) continue;
    render(*job);
  }
}

void RenderQueue::render(RenderJob& job) {
  const std::string key = cache_key(job.gen);
  std::shared_ptr<std::mutex> key_lock;
  {
    std::lock_guard lock(mutex_);
    auto& slot = key_locks_[key];
    if (!slot) slot = std::make_shared<std::mutex>();
    key_lock = slot;
  }
  std::lock_guard render_lock(*key_lock);
  auto video = dir_ / (key + ".mp4");
  auto last = dir_ / (key + "-last.png");
  try {
    if (!std::filesystem::exists(video) || !std::filesystem::exists(last)) render_video(job.gen, video, last);
    job.video = video;
    job.last_frame = last;
    job.gen.first_frame.reset();
    job.gen.last_frame.reset();
    job.state = RenderJob::State::done;
  } catch (const std::exception& e) {
    job.error = e.what();
    job.state = RenderJob::State::failed;
  }
}

}  // namespace seedance_emu
