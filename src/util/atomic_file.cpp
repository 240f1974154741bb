#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

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

[[noreturn]] void fail(const fs::path& target, const std::string& what, int err) {
  throw Error(ErrorKind::io, target.string(), what + ": " + std::strerror(err));
}

}  // namespace

AtomicFile::AtomicFile(fs::path target, Existing existing) : target_(std::move(target)), existing_(existing) {
  if (target_.filename().empty()) throw Error(ErrorKind::usage, target_.string(), "output path names a folder, not a file");
  if (target_.parent_path().empty()) target_ = fs::path(".") / target_;
  std::error_code ec;
  if (existing_ == Existing::refuse && fs::exists(target_, ec))
    throw Error(ErrorKind::io, target_.string(), "already exists (use --force to overwrite)");
  if (fs::is_directory(target_, ec)) throw Error(ErrorKind::io, target_.string(), "is a folder");
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
    if (::link(temp_.c_str(), target_.c_str()) != 0) fail(target_, "cannot create", errno);
    ::unlink(temp_.c_str());
  } else if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    fail(target_, "cannot rename into place", errno);
  }
  committed_ = true;
  unregister_temp_file(slot_);
  slot_ = -1;
}

}  // namespace seedreel
