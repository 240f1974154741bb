#include "seedreel/journal.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
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

constexpr const char* kColumns = "id, provider, base_url, model, task_id, state, output, request, message, created_at, updated_at";

void elide(nlohmann::json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.rfind("data:", 0) == 0) {
      auto comma = s.find(',');
      std::size_t n = comma == std::string::npos ? s.size() : s.size() - comma - 1;
      j = fmt::format("{},…({} bytes)", s.substr(0, comma == std::string::npos ? 16 : comma), n);
    }
  } else if (j.is_structured()) {
    for (auto& v : j) elide(v);
  }
}

}  // namespace

struct Journal::Impl {
  Db db;
  std::string path;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorKind::io, path, fmt::format("journal: {}: {}", what, db ? sqlite3_errmsg(db.get()) : "cannot open"));
  }
  Stmt prepare(const std::string& sql) const {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail("prepare");
    return Stmt(s);
  }
  void bind(sqlite3_stmt* s, int i, const std::string& v) const {
    sqlite3_bind_text(s, i, v.c_str(), int(v.size()), SQLITE_TRANSIENT);
  }
  void step_done(sqlite3_stmt* s) const {
    if (sqlite3_step(s) != SQLITE_DONE) fail("write");
  }
  static JournalEntry row(sqlite3_stmt* s) {
    auto text = [&](int i) {
      auto* p = sqlite3_column_text(s, i);
      return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    };
    return {sqlite3_column_int64(s, 0), text(1), text(2), text(3), text(4), text(5), text(6), text(7), text(8), text(9), text(10)};
  }
  std::vector<JournalEntry> query(const std::string& where, const std::string& arg = "", std::int64_t num = -1) const {
    auto s = prepare(fmt::format("SELECT {} FROM tasks {}", kColumns, where));
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
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
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
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) impl_->fail("create schema");
}

Journal::~Journal() = default;

std::int64_t Journal::begin(const std::string& provider, const std::string& base_url, const std::string& model,
                            const std::string& body, const std::string& output) {
  auto s = impl_->prepare("INSERT INTO tasks(provider, base_url, model, state, output, request) VALUES(?,?,?,'submitting',?,?)");
  impl_->bind(s.get(), 1, provider);
  impl_->bind(s.get(), 2, base_url);
  impl_->bind(s.get(), 3, model);
  impl_->bind(s.get(), 4, output);
  impl_->bind(s.get(), 5, elide_inline_media(body));
  impl_->step_done(s.get());
  return sqlite3_last_insert_rowid(impl_->db.get());
}

void Journal::created(std::int64_t entry, const std::string& task_id) {
  auto s = impl_->prepare(
      "UPDATE tasks SET task_id=?, state='created', updated_at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?");
  impl_->bind(s.get(), 1, task_id);
  sqlite3_bind_int64(s.get(), 2, entry);
  impl_->step_done(s.get());
}

void Journal::update(std::int64_t entry, const std::string& state, const std::string& message) {
  auto s = impl_->prepare(
      "UPDATE tasks SET state=?, message=?, updated_at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?");
  impl_->bind(s.get(), 1, state);
  impl_->bind(s.get(), 2, message);
  sqlite3_bind_int64(s.get(), 3, entry);
  impl_->step_done(s.get());
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
  return impl_->query("WHERE state NOT IN ('downloaded','failed','cancelled','expired') ORDER BY id");
}

std::string elide_inline_media(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return body;
  elide(j);
  return j.dump();
}

}  // namespace seedreel
