#pragma once
// The transport to one provider: create, poll, list, download and cancel,
// with retries (backoff, jitter, Retry-After), one task model for every poll
// shape, readable errors with advice, and the asset API. It knows nothing of
// the journal: TaskLifecycle (lifecycle.hpp) owns every paid task.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seedreel/error.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/rate_gate.hpp"
#include "seedreel/request.hpp"

namespace seedreel {

enum class TaskStatus { queued, running, succeeded, failed, expired, cancelled };
const char* to_string(TaskStatus status) noexcept;
inline bool is_terminal(TaskStatus s) noexcept { return s != TaskStatus::queued && s != TaskStatus::running; }

// Every provider's poll answer, normalised.
struct Task {
  std::string id;
  TaskStatus status = TaskStatus::queued;
  std::string raw_status;  // the provider's own word
  int progress = -1;       // percent, -1 when the provider does not say
  std::string video_url;
  std::string last_frame_url;
  std::string error_code;
  std::string error_message;
  std::string usage;  // compact JSON ("" when none)
  double duration = 0;  // seconds of video the provider says it made (0 when it does not say)
};

// A query of the provider's task list (Ark dialect: GET .../tasks, paged).
struct ListFilter {
  std::string status;  // queued running succeeded failed cancelled expired ("" = any)
  std::vector<std::string> task_ids;
  std::string model;
  std::string service_tier;
  int page_size = 100;
  int max_pages = 50;
};
// One task of the list, with the parameters the listing echoes.
struct ListedTask {
  Task task;
  std::string model;
  std::int64_t created_at = 0, updated_at = 0;  // unix seconds
  int duration = 0;
  std::string resolution, ratio, service_tier;
  bool generate_audio = false;
  std::int64_t seed = -1;
};

struct ClientOptions {
  double connect_timeout = 10;  // seconds
  double request_timeout = 60;  // seconds per API call
  double overall_timeout = 0;   // seconds for wait(); 0 = none
  double poll_interval = 0;     // seconds; 0 = the provider's pace
  int max_attempts = 6;         // per call, including the first
  double retry_base = 1;        // seconds, first backoff
  double retry_max = 60;        // seconds, longest backoff / Retry-After honoured
  // Called after every poll (progress display) and for notices (retries, refreshes).
  std::function<void(const Task&, double elapsed)> on_poll;
  std::function<void(const std::string&)> on_notice;
  // Shared with the other clients of this account, when set: a 429 pauses them all.
  std::shared_ptr<RateGate> gate;
};

struct ClientStats {
  int requests = 0;  // HTTP requests sent, retries included
  int retries = 0;
  int resumes = 0;   // download resumptions after a dropped connection
  int refreshes = 0; // re-polls for a fresh URL after an expired one
};

class Client {
 public:
  Client(Provider provider, std::string api_key, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Provider& provider() const noexcept;
  const ClientStats& stats() const noexcept;

  // POSTs a body; returns the task id. Retries only what certainly did not
  // create a task (no connection, 408/429/500/503 answers). When the request
  // may have reached the server and no id came back, throws Error(api) whose
  // reason says so; `maybe_created` is then set (journal it, do not resubmit).
  std::string create(const std::string& body, bool* maybe_created = nullptr);
  Task poll(const std::string& id);
  // Polls until a terminal status (or the overall timeout: Error(timeout)).
  // `on_poll` sees every answer (the lifecycle journals state changes).
  Task wait(const std::string& id, const std::function<void(const Task&)>& on_poll = {});
  // Downloads a succeeded task's video to `out` atomically, resuming after
  // dropped connections and re-polling once for a fresh URL when it expired.
  // Returns the byte count.
  std::uint64_t download(Task& task, const std::string& out);
  // Downloads the last frame a task was asked for (return_last_frame) to
  // `out` atomically, and keeps it only if it reads as a PNG picture.
  std::uint64_t download_last_frame(const Task& task, const std::string& out);
  void cancel(const std::string& id);
  // Whether the dialect can list tasks (Ark only).
  bool can_list() const noexcept;
  // Every page of the provider's task list for `filter`; Error(usage) naming
  // the provider when its dialect cannot list.
  std::vector<ListedTask> list(const ListFilter& filter);

  std::string create_asset_group(const std::string& name);
  std::string create_asset(const std::string& group, const std::string& name, const std::string& type,
                           const std::string& url);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Normalises one poll answer. Throws Error(api) naming the offending field
// for an unknown shape or status word.
Task parse_task(Dialect dialect, const std::string& body, const std::string& subject);

// The failure of a finished task as an Error with advice: moderation codes
// (and a failure at 100%) are ErrorKind::moderation, others ErrorKind::failed.
Error task_error(const Task& task);
// Readable advice for a provider error code ("" when none).
std::string advice_for(const std::string& code);

}  // namespace seedreel
