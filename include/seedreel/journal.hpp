#pragma once
// The task journal (SQLite): every task is recorded before it is created and
// again as soon as the provider names it, so a crash, Ctrl-C or timeout never
// loses a paid generation. A create whose answer was lost stays "unknown"
// and is never resubmitted blindly. The API key is never stored. The file is
// made 0600 in a 0700 folder. Only TaskLifecycle (lifecycle.hpp) moves states.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seedreel {

enum class TaskState {
  submitting,  // journaled, the create not yet answered
  unknown,     // the create may have reached the provider but no id came back
  created,
  queued,
  running,
  succeeded,
  downloaded,  // the video is at its output
  done,        // the workflow that owns the task used it
  failed,
  cancelled,
  expired,
};
const char* to_string(TaskState state) noexcept;
std::optional<TaskState> parse_task_state(std::string_view text) noexcept;
// done, failed, cancelled, expired: nothing more will happen to the task.
bool is_final(TaskState state) noexcept;

struct JournalEntry {
  std::int64_t id = 0;
  std::string provider;
  std::string base_url;
  std::string model;
  std::string task_id;  // "" until the provider answered
  TaskState state = TaskState::submitting;
  std::string output;    // where the video goes
  std::string request;   // the body with inlined media elided
  std::string message;
  std::string created_at;  // UTC, ISO 8601
  std::string updated_at;
  std::string key;       // the work's identity (lifecycle.hpp TaskWork)
  std::string workflow;  // how to continue the owning workflow (JSON), "" for none
  std::string usage;     // the provider's usage of the finished task (JSON), "" until known
  std::int64_t estimate = -1;  // tokens estimated before the create, -1 when unknown
};

class Journal {
 public:
  // SEEDREEL_JOURNAL, else $XDG_STATE_HOME/seedreel/journal.db (~/.local/state/...).
  static std::string default_path();
  // Opens (creating the folder and schema when new; older journals gain the
  // new columns). Error(io) on failure.
  explicit Journal(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // A new entry in state `submitting`; fills entry.id, created_at, updated_at.
  void begin(JournalEntry& entry, const std::string& body);
  // Writes state, message, task id, output and usage (when not empty) of an entry.
  void store(const JournalEntry& entry);
  std::optional<JournalEntry> find_task(const std::string& task_id) const;
  std::optional<JournalEntry> get(std::int64_t entry) const;
  // Entries not yet final, oldest first.
  std::vector<JournalEntry> unfinished() const;
  // Every entry, oldest first.
  std::vector<JournalEntry> all() const;
  // The newest entry for this work key (any state).
  std::optional<JournalEntry> newest_for_key(const std::string& key) const;
  // Whether any entry holds this task id.
  bool knows_task(const std::string& task_id) const;
  std::string path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The body as journaled: data: URIs replaced by "data:<mime>;base64,…(N bytes)".
std::string elide_inline_media(const std::string& body);

}  // namespace seedreel
