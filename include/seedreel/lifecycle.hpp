#pragma once
// One owner for every paid task. A task moves through typed states by one
// transition function, and each state is journaled before the action it
// guards:
//   submitting --create--> created --poll--> queued/running --> succeeded
//   --download--> downloaded --the owning workflow used it--> done
// with the ends failed, cancelled and expired, and `unknown` for a create
// whose answer never came (it may or may not have made a task).
// generate, status, download, cancel, resume, batch, chain and extend all go
// through TaskLifecycle; the Client only speaks HTTP.
//
//   Journal journal(Journal::default_path());
//   TaskLifecycle life(client, &journal);
//   GenerateResult r = life.generate(request, prepare(request, client.provider()).body, {.output = "out.mp4"});
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seedreel/client.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/request.hpp"

namespace seedreel {

// What a task is for, journaled with it.
struct TaskWork {
  std::string output;    // where the video goes ("" = nowhere yet: generate --no-wait without -o)
  std::string key;       // the work's identity: a rerun with the same key takes the task over ("" = derived)
  std::string workflow;  // how to continue the workflow that owns the task (JSON, "" = none); see resume
};

struct GenerateOptions {
  std::string output;                // video path (journaled as an absolute path)
  std::string key;                   // "" = derived from provider, model, request and output
  std::string workflow;              // as TaskWork::workflow
  bool retry_without_audio = false;  // resubmit once without audio on OutputAudioSensitiveContentDetected
  // A rerun of the same work takes over the task an earlier run journaled and
  // did not finish instead of paying for another. An earlier create whose
  // answer was lost is reconciled by listing the provider's tasks where the
  // dialect can; where it cannot, the run stops (Error(validation)).
  // False: always a new task.
  bool adopt_journaled = true;
  bool finish = true;  // false: downloaded is not yet done (a workflow marks it done when it used the clip)
};
struct GenerateResult {
  Task task;
  std::string output;
  std::uint64_t bytes = 0;
  bool audio_dropped = false;
  std::int64_t entry = 0;          // the journal entry
  std::int64_t adopted_entry = 0;  // the journal entry taken over (0: a new task was created)
  std::string reconciled;          // how an earlier lost create was settled ("" when none was)
  std::string last_frame;          // where the provider's last frame was saved ("" when none was asked for or saved)
};

// Where a task's own last frame (return_last_frame) is saved: beside the
// video, OUT.mp4 -> OUT.last-frame.png.
std::string last_frame_path_for(const std::string& video_output);

// Error(io) unless `output` can take the video once it is paid for: not a
// folder, in a folder that exists and where a new file can be made (tried
// for real, then removed). Nothing is sent before this passes.
void check_output_before_paying(const std::string& output);

// The token estimate where the provider gives a formula:
// (input video seconds + output seconds) x width x height x fps / 1024.
// nullopt when the output size is not known before the task runs.
std::optional<std::int64_t> estimate_tokens(const Request& request, double input_video_seconds = 0);

// The tokens a finished task's usage reports (total_tokens, totalTokens or
// completion_tokens, as each dialect names it); nullopt when none.
std::optional<std::int64_t> usage_tokens(const std::string& usage_json);

// How an `unknown` entry was settled against the provider's task list.
struct Reconciliation {
  enum class Outcome { adopted, none_made, ambiguous, cannot_list } outcome = Outcome::cannot_list;
  std::string task_id;                  // adopted
  std::vector<std::string> candidates;  // ambiguous
  std::string explanation;              // one sentence for the user
};
// The rule (docs/client.md "Reconciliation"): list the provider's tasks for the
// entry's model; a candidate was created within [journaled − 5 min, last
// journal update + 15 min], matches every output parameter the request fixed
// (duration, resolution, ratio unless adaptive, audio, seed, service tier) and
// is in no journal entry. One candidate is adopted, none means no task was
// made, several are ambiguous.
Reconciliation reconcile(Client& client, const Journal& journal, const JournalEntry& entry);

class TaskLifecycle {
 public:
  // `journal` may be null only for status/download/cancel of a task no journal knows.
  TaskLifecycle(Client& client, Journal* journal);

  // The one transition function: checks the move is allowed, then journals it.
  // `usage` (compact JSON) is recorded when given.
  void transition(JournalEntry& entry, TaskState to, const std::string& message = "", const std::string& usage = "");

  // Checks the output, then creates (or takes over the journaled task for the
  // same work), waits, downloads; resubmits once without audio when asked.
  GenerateResult generate(const Request& request, const std::string& body, const GenerateOptions& options);
  // Creates (or takes over) and returns at once: generate --no-wait.
  GenerateResult submit(const Request& request, const std::string& body, const GenerateOptions& options);
  // Waits for a journaled task and downloads it to its output; marks it done
  // unless `finish` is false. An `unknown` entry is reconciled first.
  GenerateResult finish(JournalEntry entry, bool finish = true);
  // Downloads task `id` to `output` (journaled when the journal knows the task).
  GenerateResult download(const std::string& id, const std::string& output);
  // One poll, journaled when the state moved.
  Task status(const std::string& id);
  void cancel(const std::string& id);
  // Settles an entry whose create answer was lost (reconcile()): the entry
  // now `created` with the adopted task, or nullopt when no task was made
  // (the entry is marked failed). Error(validation) when it cannot be told.
  std::optional<JournalEntry> settle(JournalEntry entry, const std::string& subject = "");
  // Marks a downloaded entry done (its workflow used it).
  void done(std::int64_t entry);
  // The last task waited for (after a failure: how it ended).
  const Task& last_task() const noexcept { return last_task_; }

  std::function<void(const std::string&)> on_notice;

 private:
  Client& client_;
  Journal* journal_;
  std::optional<JournalEntry> takeover(const GenerateOptions& o, const std::string& key);
  GenerateResult run(JournalEntry entry, bool finish);
  Task last_task_;  // the last task waited for (its failure code decides a retry without audio)
};

// The work key generate() derives: provider, base URL, model, the body with
// inline media elided, and the absolute output.
std::string work_key(const Provider& provider, const std::string& model, const std::string& body,
                     const std::string& output);

}  // namespace seedreel
