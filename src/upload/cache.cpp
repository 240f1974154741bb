#include "upload/cache.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "seedreel/error.hpp"

namespace seedreel::upload {

namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS published (
  store TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
  PRIMARY KEY (store, sha256)
);
)sql";

}  // namespace

void Cache::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

Cache::Cache(const std::string& path) : path_(path) {
  if (path.empty()) return;
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    ::chmod(parent.c_str(), 0700);
  }
  // Made 0600 before SQLite opens it (it would create it 0644 less the umask).
  if (int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK || sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK)
    throw Error(ErrorKind::io, path, fmt::format("cannot open the upload cache: {}", db ? sqlite3_errmsg(db) : "out of memory"));
}

Cache::~Cache() = default;

std::optional<std::string> Cache::get(const std::string& store, const std::string& sha256) {
  if (!db_) return std::nullopt;
  std::lock_guard lock(mutex_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "SELECT value FROM published WHERE store=? AND sha256=?", -1, &raw, nullptr) != SQLITE_OK)
    throw Error(ErrorKind::io, path_, fmt::format("cannot read the upload cache: {}", sqlite3_errmsg(db_.get())));
  Stmt s(raw);
  sqlite3_bind_text(raw, 1, store.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, sha256.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_ROW) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
}

void Cache::put(const std::string& store, const std::string& sha256, const std::string& value) {
  if (!db_) return;
  std::lock_guard lock(mutex_);
  sqlite3_stmt* raw = nullptr;
  const char* sql = "INSERT OR REPLACE INTO published(store, sha256, value) VALUES(?, ?, ?)";
  if (sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr) != SQLITE_OK)
    throw Error(ErrorKind::io, path_, fmt::format("cannot write the upload cache: {}", sqlite3_errmsg(db_.get())));
  Stmt s(raw);
  sqlite3_bind_text(raw, 1, store.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 3, value.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE)
    throw Error(ErrorKind::io, path_, fmt::format("cannot write the upload cache: {}", sqlite3_errmsg(db_.get())));
}

void Cache::forget(const std::string& store, const std::string& sha256) {
  if (!db_) return;
  std::lock_guard lock(mutex_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "DELETE FROM published WHERE store=? AND sha256=?", -1, &raw, nullptr) != SQLITE_OK)
    return;
  Stmt s(raw);
  sqlite3_bind_text(raw, 1, store.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_step(raw);
}

}  // namespace seedreel::upload
