#pragma once
// What was already published, by content: (store, sha256) -> where it went
// (a URL without its query, or an asset id). A small SQLite file beside the
// journal, 0600; it holds no credential or signature.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace seedreel::upload {

class Cache {
 public:
  // "" keeps nothing (every lookup misses). Error(io) when the file cannot be opened.
  explicit Cache(const std::string& path);
  ~Cache();
  std::optional<std::string> get(const std::string& store, const std::string& sha256);
  void put(const std::string& store, const std::string& sha256, const std::string& value);
  void forget(const std::string& store, const std::string& sha256);

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  std::mutex mutex_;
};

}  // namespace seedreel::upload
