#pragma once
// The task journal (SQLite): every task is recorded before it is created and
// again as soon as the provider names it, so a crash, Ctrl-C or timeout never
// loses a paid generation. A create whose answer was lost stays "unknown"
// and is never resubmitted blindly. The API key is never stored.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace seedreel {

struct JournalEntry {
  std::int64_t id = 0;
  std::string provider;
  std::string base_url;
  std::string model;
  std::string task_id;  // "" until the provider answered
  // submitting → created → succeeded → downloaded | failed | cancelled | expired;
  // unknown: the create may have reached the server but no id came back.
  std::string state;
  std::string output;   // where the video goes
  std::string request;  // the body with inlined media elided
  std::string message;
  std::string created_at;
  std::string updated_at;
};

class Journal {
 public:
  // SEEDREEL_JOURNAL, else $XDG_STATE_HOME/seedreel/journal.db (~/.local/state/...).
  static std::string default_path();
  // Opens (creating the folder and schema when new). Error(io) on failure.
  explicit Journal(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  std::int64_t begin(const std::string& provider, const std::string& base_url, const std::string& model,
                     const std::string& body, const std::string& output);
  void created(std::int64_t entry, const std::string& task_id);
  void update(std::int64_t entry, const std::string& state, const std::string& message = "");
  std::optional<JournalEntry> find_task(const std::string& task_id) const;
  std::optional<JournalEntry> get(std::int64_t entry) const;
  // Entries not yet downloaded, failed or cancelled, oldest first.
  std::vector<JournalEntry> unfinished() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The body as journaled: data: URIs replaced by "data:<mime>;base64,…(N bytes)".
std::string elide_inline_media(const std::string& body);

}  // namespace seedreel
