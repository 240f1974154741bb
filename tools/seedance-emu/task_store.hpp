#pragma once
// Generation tasks and their download URLs. A task's phase follows the clock:
// queued for the first fifth of --task-seconds, running (with progress) until
// the end, then succeeded once its video is rendered - or failed at 100% when
// a moderation fault was attached to it, or expired (queued all along, like a
// flex task nobody ran) when a task_expired fault was.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "generation.hpp"
#include "render_queue.hpp"

namespace seedance_emu {

enum class Phase { queued, running, succeeded, failed, cancelled, expired };

struct Failure {
  std::string code;
  std::string message;
};

// One consistent look at a task, for a poll.
struct TaskView {
  std::string id;
  Dialect dialect = Dialect::gateway;
  Generation gen;  // without pictures
  Phase phase = Phase::queued;
  bool not_started = false;                                     // the early part of "queued" (the gateway's NOT_START)
  int progress = 0;                                             // percent
  std::int64_t created_at = 0, started_at = 0, updated_at = 0;  // unix seconds
  std::string video_url, last_frame_url;                        // succeeded only
  std::optional<Failure> failure;
};

class TaskStore {
 public:
  TaskStore(RenderQueue& renderer, double task_seconds, double url_ttl);

  // Creates a task with a new ID ("asyn...", "video_...", "cgt-...") and
  // queues its rendering; `expires`: it stays queued, then ends expired.
  std::string create(Dialect d, Generation gen, std::optional<Failure> moderation, bool expires = false);
  // nullopt when there is no such task. Succeeded tasks get a download URL
  // below base_url, minted afresh when the last one expired.
  std::optional<TaskView> view(const std::string& id, const std::string& base_url);
  // Every task of a dialect created at or after `since` (unix seconds),
  // newest first.
  std::vector<TaskView> list(Dialect d, std::int64_t since, const std::string& base_url);
  // Every queued or running task ends expired now.
  void expire_unfinished();
  // Moves a task's creation `seconds` into the past (for tests of the list's
  // time window); false when there is no such task.
  bool backdate(const std::string& id, double seconds);

  enum class Removal { cancelled, deleted, running, not_found };
  // Ark DELETE: cancels a queued task, deletes a finished one, refuses a running one.
  Removal cancel_or_delete(const std::string& id);

  struct Download {
    std::filesystem::path path;
    std::string content_type;
    bool expired = false;
  };
  std::optional<Download> download(const std::string& token);
  // Every URL handed out so far stops working now.
  void expire_urls();

 private:
  using Clock = std::chrono::steady_clock;
  struct Task {
    std::string id;
    Dialect dialect;
    Generation gen;
    std::shared_ptr<RenderJob> job;
    Clock::time_point created;
    std::int64_t created_unix = 0;
    std::uint64_t seq = 0;  // creation order, finer than created_unix
    std::optional<Failure> moderation;
    bool expires = false;           // ends expired when its time is up
    std::int64_t expired_unix = 0;  // expired early by expire_unfinished()
    bool cancelled = false;
    std::int64_t cancelled_unix = 0;
    std::string video_token, frame_token;
  };
  struct Grant {
    std::filesystem::path path;
    std::string content_type;
    Clock::time_point expires;
  };
  std::string grant(std::string& token, const std::filesystem::path& path, const char* type);
  TaskView view_locked(Task& t, const std::string& base_url);

  RenderQueue& renderer_;
  Clock::duration task_time_;
  Clock::duration url_ttl_;
  std::mutex mutex_;
  std::map<std::string, Task> tasks_;
  std::uint64_t next_seq_ = 0;
  std::map<std::string, Grant> grants_;
};

}  // namespace seedance_emu
