#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>

#include "seedreel/error.hpp"
#include "util/interrupt.hpp"

namespace seedreel {

namespace fs = std::filesystem;

namespace {

std::string temp_name(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  // Hidden, unique per process and call, same extension as the target.
  return (target.parent_path() / ("." + target.stem().string() + ".tmp-" + std::to_string(getpid()) + "-" +
                                  std::to_string(counter++) + target.extension().string()))
      .string();
}

// The process that made a temporary of temp_name()'s form
// (".NAME.tmp-PID-N.EXT"), or 0 for any other name.
pid_t temp_owner(std::string_view name) {
  auto at = name.rfind(".tmp-");
  if (name.size() < 2 || name[0] != '.' || at == std::string_view::npos || at == 0) return 0;
  const char* p = name.data() + at + 5;
  const char* end = name.data() + name.size();
  long pid = 0, n = 0;
  auto r1 = std::from_chars(p, end, pid);
  if (r1.ec != std::errc{} || r1.ptr == p || r1.ptr == end || *r1.ptr != '-') return 0;
  auto r2 = std::from_chars(r1.ptr + 1, end, n);
  if (r2.ec != std::errc{} || r2.ptr == r1.ptr + 1) return 0;
  std::string_view ext(r2.ptr, std::size_t(end - r2.ptr));
  if (!ext.empty() && (ext[0] != '.' || ext.find('.', 1) != std::string_view::npos)) return 0;
  return pid > 0 && pid == pid_t(pid) ? pid_t(pid) : 0;
}

// Removes the temporaries a killed run left in `folder` (SIGKILL, power
// loss: no cleanup ran): ours by name, their process gone, and untouched
// for a minute, so a live writer elsewhere (another PID namespace on a
// shared folder) is not raced. Once per folder per process; best effort.
void sweep_stale_temps(const fs::path& folder) {
  static std::mutex mutex;
  static std::set<std::string> swept;
  std::error_code ec;
  std::string key = fs::absolute(folder, ec).lexically_normal().string();
  {
    std::lock_guard lock(mutex);
    if (!swept.insert(key).second) return;
  }
  constexpr auto kStaleAfter = std::chrono::minutes(1);
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    pid_t pid = temp_owner(name);
    if (pid == 0 || pid == getpid()) continue;
    std::error_code fe;
    if (!it->is_regular_file(fe) || it->is_symlink(fe)) continue;
    auto modified = it->last_write_time(fe);
    if (fe || now - modified < kStaleAfter) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to signal: keep
    ::unlink(it->path().c_str());
  }
}

[[noreturn]] void fail(const fs::path& target, const std::string& what, int err) {
  throw Error(ErrorKind::io, target.string(), what + ": " + std::strerror(err));
}

}  // namespace

AtomicFile::AtomicFile(fs::path target, Existing existing) : target_(std::move(target)), existing_(existing) {
  if (target_.filename().empty()) throw Error(ErrorKind::invalid_argument, target_.string(), "output path names a folder, not a file");
  if (target_.parent_path().empty()) target_ = fs::path(".") / target_;
  std::error_code ec;
  if (existing_ == Existing::refuse && fs::exists(target_, ec))
    throw Error(ErrorKind::io, target_.string(), std::string(output_exists_reason));
  if (fs::is_directory(target_, ec)) throw Error(ErrorKind::io, target_.string(), "is a folder");
  sweep_stale_temps(target_.parent_path());
  temp_ = temp_name(target_);
  // Create it now: proves the folder is writable before any work is done.
  int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(target_, "cannot write in " + target_.parent_path().string(), errno);
  ::close(fd);
  slot_ = register_temp_file(temp_);
}

AtomicFile::~AtomicFile() {
  unregister_temp_file(slot_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::commit() {
  int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(target_, "output vanished before it was complete", errno);
  int synced = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (synced != 0) fail(target_, "cannot flush to disk", err);
  if (existing_ == Existing::refuse) {
    // link() fails if the target appeared meanwhile: never clobber.
    if (::link(temp_.c_str(), target_.c_str()) != 0) {
      if (errno == EEXIST) throw Error(ErrorKind::io, target_.string(), std::string(output_exists_reason));
      fail(target_, "cannot create", errno);
    }
    ::unlink(temp_.c_str());
  } else if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    fail(target_, "cannot rename into place", errno);
  }
  committed_ = true;
  unregister_temp_file(slot_);
  slot_ = -1;
}

}  // namespace seedreel
