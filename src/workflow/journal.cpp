#include "seedreel/journal.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"

namespace seedreel {

namespace {

struct DbDeleter {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbDeleter>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;
// A cached statement in use: reset and unbound when done with, so it holds
// no read snapshot or lock between calls.
struct StmtReset {
  void operator()(sqlite3_stmt* s) const noexcept {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};
using Reused = std::unique_ptr<sqlite3_stmt, StmtReset>;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  provider TEXT NOT NULL,
  base_url TEXT NOT NULL,
  model TEXT NOT NULL,
  task_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  output TEXT NOT NULL DEFAULT '',
  request TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
CREATE INDEX IF NOT EXISTS tasks_task_id ON tasks(task_id);
)sql";

// Columns added after the first release; a journal made before gains them on open.
constexpr const char* kAddedColumns[][2] = {
    {"work_key", "TEXT NOT NULL DEFAULT ''"},
    {"workflow", "TEXT NOT NULL DEFAULT ''"},
    {"usage", "TEXT NOT NULL DEFAULT ''"},
    {"estimate", "INTEGER NOT NULL DEFAULT -1"},
};

constexpr const char* kColumns =
    "id, provider, base_url, model, task_id, state, output, request, message, created_at, updated_at, work_key, "
    "workflow, usage, estimate";

constexpr const char* kFinal = "('done','failed','cancelled','expired')";

constexpr const char* kStateNames[] = {"submitting", "unknown",    "created", "queued", "running", "succeeded",
                                       "downloaded", "done",       "failed",  "cancelled", "expired"};

void elide(nlohmann::json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.rfind("data:", 0) == 0) {
      auto comma = s.find(',');
      std::size_t n = comma == std::string::npos ? s.size() : s.size() - comma - 1;
      j = fmt::format("{},…({} bytes)", s.substr(0, comma == std::string::npos ? 16 : comma), n);
    } else if (s.find("X-Amz-Signature=") != std::string::npos) {
      // A presigned upload: its signature is a secret and changes every run,
      // while the object's path (named by its content) is the work's identity.
      j = s.substr(0, s.find('?')) + "?(presigned)";
    }
  } else if (j.is_structured()) {
    for (auto& v : j) elide(v);
  }
}

// SEEDREEL_JOURNAL_STATS=1 (tools/bench/batch): the journal counts the rows
// it writes (each INSERT or UPDATE is one committed transaction) and the
// connections it opens, and prints them on stderr when the process exits.
struct WriteStats {
  std::atomic<unsigned long long> writes{0}, synced{0}, opens{0};
  ~WriteStats() {
    if (const char* v = std::getenv("SEEDREEL_JOURNAL_STATS"); v && *v && *v != '0')
      std::fprintf(stderr, "seedreel: journal: %llu writes, %llu synced, %llu opens\n", writes.load(), synced.load(),
                   opens.load());
  }
};
WriteStats stats;

}  // namespace

struct Journal::Impl {
  Db db;
  std::string path;
  // One operation at a time on this connection, each run to its end: a
  // write commits before the call returns even when other threads (a
  // batch's workers) share the Journal, and they wait here instead of in
  // SQLite's sleeping busy handler.
  std::mutex mutex;
  std::map<std::string, Stmt> statements;  // prepared once per connection, used under `mutex`

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorKind::io, path, fmt::format("journal: {}: {}", what, db ? sqlite3_errmsg(db.get()) : "cannot open"));
  }
  Stmt prepare(const std::string& sql) const {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail("prepare");
    return Stmt(s);
  }
  Reused cached(const std::string& sql) {
    Stmt& slot = statements[sql];
    if (!slot) slot = prepare(sql);
    return Reused(slot.get());
  }
  void bind(sqlite3_stmt* s, int i, const std::string& v) const {
    sqlite3_bind_text(s, i, v.c_str(), int(v.size()), SQLITE_TRANSIENT);
  }
  // Commits one write; `durable`: synced to disk before returning
  // (synchronous=FULL), else left to the OS (NORMAL, the connection's
  // default), which in WAL mode survives the process being killed.
  void write(sqlite3_stmt* s, bool durable, const std::function<void(sqlite3_stmt*)>& on_row = {}) {
    if (durable && sqlite3_exec(db.get(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK)
      fail("set synchronous");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)  // RETURNING rows; the commit comes with SQLITE_DONE
      if (on_row) on_row(s);
    if (durable) sqlite3_exec(db.get(), "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    if (rc != SQLITE_DONE) fail("write");
    ++stats.writes;
    if (durable) ++stats.synced;
  }
  static JournalEntry row(sqlite3_stmt* s) {
    auto text = [&](int i) {
      auto* p = sqlite3_column_text(s, i);
      return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    };
    JournalEntry e;
    e.id = sqlite3_column_int64(s, 0);
    e.provider = text(1);
    e.base_url = text(2);
    e.model = text(3);
    e.task_id = text(4);
    // "submitting" before the lifecycle was typed; anything unreadable is as uncertain as a lost answer.
    e.state = parse_task_state(text(5)).value_or(TaskState::unknown);
    e.output = text(6);
    e.request = text(7);
    e.message = text(8);
    e.created_at = text(9);
    e.updated_at = text(10);
    e.key = text(11);
    e.workflow = text(12);
    e.usage = text(13);
    e.estimate = sqlite3_column_int64(s, 14);
    return e;
  }
  std::vector<JournalEntry> query(const std::string& where, const std::string& arg = "", std::int64_t num = -1) {
    std::lock_guard lock(mutex);
    auto s = cached(fmt::format("SELECT {} FROM tasks {}", kColumns, where));
    if (!arg.empty()) bind(s.get(), 1, arg);
    if (num >= 0) sqlite3_bind_int64(s.get(), 1, num);
    std::vector<JournalEntry> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(row(s.get()));
    if (rc != SQLITE_DONE) fail("read");
    return out;
  }
};

std::string Journal::default_path() {
  if (const char* p = std::getenv("SEEDREEL_JOURNAL"); p && *p) return p;
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x)
    base = x;
  else if (const char* h = std::getenv("HOME"); h && *h)
    base = std::filesystem::path(h) / ".local" / "state";
  else
    base = ".";
  return (base / "seedreel" / "journal.db").string();
}

Journal::Journal(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    // Task ids and prompts are private: the folder we make is the user's alone.
    std::filesystem::create_directories(parent, ec);
    ::chmod(parent.c_str(), 0700);
  }
  // SQLite creates with 0644 minus umask; make the file first, 0600.
  if (int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  impl_->db.reset(db);
  if (rc != SQLITE_OK) impl_->fail("open");
  sqlite3_busy_timeout(db, 5000);  // several seedreel processes may share one journal
  // Switching to WAL takes a lock that SQLite does not wait for through the
  // busy handler: when another connection (a concurrent batch job, another
  // process) is opening the same file, retry for as long as the busy timeout.
  for (int waited_ms = 0;; waited_ms += 20) {
    rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) break;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited_ms >= 5000) impl_->fail("set WAL");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Commits reach the WAL file without an fsync each; a checkpoint syncs.
  // Writes that guard money ask for FULL one by one (Impl::write).
  if (sqlite3_exec(db, "PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr) != SQLITE_OK)
    impl_->fail("set synchronous");
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) impl_->fail("create schema");
  std::set<std::string> have;
  {
    auto s = impl_->prepare("PRAGMA table_info(tasks)");
    while (sqlite3_step(s.get()) == SQLITE_ROW) have.insert(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1)));
  }
  for (const auto& [name, type] : kAddedColumns)
    if (!have.count(name) &&
        sqlite3_exec(db, fmt::format("ALTER TABLE tasks ADD COLUMN {} {}", name, type).c_str(), nullptr, nullptr,
                     nullptr) != SQLITE_OK &&
        std::string(sqlite3_errmsg(db)).find("duplicate column") == std::string::npos)  // another process added it
      impl_->fail("upgrade schema");
  sqlite3_exec(db, "CREATE INDEX IF NOT EXISTS tasks_work_key ON tasks(work_key)", nullptr, nullptr, nullptr);
  ++stats.opens;
}

Journal::~Journal() = default;

void Journal::begin(JournalEntry& e, const std::string& body) {
  e.request = elide_inline_media(body);
  e.state = TaskState::submitting;
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->cached(
      "INSERT INTO tasks(provider, base_url, model, state, output, request, work_key, workflow, estimate) "
      "VALUES(?,?,?,'submitting',?,?,?,?,?) RETURNING id, created_at, updated_at");
  impl_->bind(s.get(), 1, e.provider);
  impl_->bind(s.get(), 2, e.base_url);
  impl_->bind(s.get(), 3, e.model);
  impl_->bind(s.get(), 4, e.output);
  impl_->bind(s.get(), 5, e.request);
  impl_->bind(s.get(), 6, e.key);
  impl_->bind(s.get(), 7, e.workflow);
  sqlite3_bind_int64(s.get(), 8, e.estimate);
  // Before the create is sent: on disk, so not even a power cut loses it.
  impl_->write(s.get(), true, [&](sqlite3_stmt* row) {
    // NULL in a journal whose table lost its defaults (a foreign or damaged file).
    auto text = [&](int i) {
      auto* p = sqlite3_column_text(row, i);
      return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    };
    e.id = sqlite3_column_int64(row, 0);
    e.created_at = text(1);
    e.updated_at = text(2);
  });
}

void Journal::store(const JournalEntry& e) {
  std::lock_guard lock(impl_->mutex);
  auto s = impl_->cached(
      "UPDATE tasks SET state=?, message=?, task_id=?, usage=CASE WHEN ?='' THEN usage ELSE ? END, output=?, "
      "updated_at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?");
  impl_->bind(s.get(), 1, to_string(e.state));
  impl_->bind(s.get(), 2, e.message);
  impl_->bind(s.get(), 3, e.task_id);
  impl_->bind(s.get(), 4, e.usage);
  impl_->bind(s.get(), 5, e.usage);
  impl_->bind(s.get(), 6, e.output);
  sqlite3_bind_int64(s.get(), 7, e.id);
  // What a create made (its task id, or that its outcome is unknown) is
  // synced like the row before it. Later moves (queued ... done, and ends
  // learnt by polling) only need to survive the process: losing one to a
  // power cut makes resume poll or download again, never pay again.
  impl_->write(s.get(), e.task_id.empty() || e.state == TaskState::created);
}

std::optional<JournalEntry> Journal::find_task(const std::string& task_id) const {
  auto rows = impl_->query("WHERE task_id=? ORDER BY id DESC LIMIT 1", task_id);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<JournalEntry> Journal::get(std::int64_t entry) const {
  auto rows = impl_->query("WHERE id=?", "", entry);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::vector<JournalEntry> Journal::unfinished() const {
  return impl_->query(fmt::format("WHERE state NOT IN {} ORDER BY id", kFinal));
}

std::vector<JournalEntry> Journal::all() const { return impl_->query("ORDER BY id"); }

std::optional<JournalEntry> Journal::newest_for_key(const std::string& key) const {
  auto rows = impl_->query("WHERE work_key=? ORDER BY id DESC LIMIT 1", key);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

bool Journal::knows_task(const std::string& task_id) const { return find_task(task_id).has_value(); }

std::string Journal::path() const { return impl_->path; }

const char* to_string(TaskState state) noexcept {
  auto i = static_cast<std::size_t>(state);
  return i < std::size(kStateNames) ? kStateNames[i] : "unknown";
}

std::optional<TaskState> parse_task_state(std::string_view text) noexcept {
  for (std::size_t i = 0; i < std::size(kStateNames); ++i)
    if (text == kStateNames[i]) return static_cast<TaskState>(i);
  return std::nullopt;
}

bool is_final(TaskState s) noexcept {
  return s == TaskState::done || s == TaskState::failed || s == TaskState::cancelled || s == TaskState::expired;
}

std::string elide_inline_media(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return body;
  elide(j);
  return j.dump();
}

}  // namespace seedreel
