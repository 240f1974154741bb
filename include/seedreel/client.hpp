#pragma once
// The task lifecycle against one provider: create → poll → download, with
// retries (backoff, jitter, Retry-After), one task model for every poll
// shape, readable errors with advice, the asset API, and generate(): the
// whole journaled run the CLI and the workflows build on.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "seedreel/error.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"

namespace seedreel {

class Journal;

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
  Task wait(const std::string& id);
  // Downloads a succeeded task's video to `out` atomically, resuming after
  // dropped connections and re-polling once for a fresh URL when it expired.
  // Returns the byte count.
  std::uint64_t download(Task& task, const std::string& out);
  void cancel(const std::string& id);

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

struct GenerateOptions {
  std::string output;                // video path (journaled as an absolute path)
  bool retry_without_audio = false;  // resubmit once without audio on OutputAudioSensitiveContentDetected
  Journal* journal = nullptr;        // every created task recorded before it is polled
  // A rerun of the same request to the same output takes over the task an
  // earlier run journaled and did not finish instead of paying for another;
  // an earlier create whose answer was lost stops the run (Error(validation)).
  // False: always a new task.
  bool adopt_journaled = false;
};
struct GenerateResult {
  Task task;
  std::string output;
  std::uint64_t bytes = 0;
  bool audio_dropped = false;
  std::int64_t adopted_entry = 0;  // the journal entry taken over (0: a new task was created)
};
// Validates nothing: `body` comes from prepare(). Checks that the output can
// be written, then creates (or adopts), journals, waits, downloads;
// resubmits once without audio when asked.
GenerateResult generate(Client& client, const Request& request, const std::string& body, const GenerateOptions& options);

// Error(io) unless `output` can take the video once it is paid for: not a
// folder, in a folder that exists and where a new file can be made (tried
// for real, then removed). Nothing is sent before this passes.
void check_output_before_paying(const std::string& output);

}  // namespace seedreel
