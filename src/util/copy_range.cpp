#include "util/copy_range.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "seedreel/error.hpp"

namespace seedreel {

namespace {

[[noreturn]] void fail(ErrorKind kind, const std::string& subject, const std::string& what, int err) {
  throw Error(kind, subject, what + ": " + std::strerror(err));
}

[[noreturn]] void ended(const std::string& in_name) {
  throw Error(ErrorKind::input, in_name, "ends before the bytes to copy (changed while being read?)");
}

// The kernel cannot copy this pair of files itself; the same copy through memory will work.
bool refused(int err) { return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == ENOTSUP; }

}  // namespace

int pwrite_all(int fd, const void* data, std::size_t length, std::int64_t at) noexcept {
  const auto* p = static_cast<const char*>(data);
  for (std::size_t done = 0; done < length;) {
    const ssize_t n = ::pwrite(fd, p + done, length - done, off_t(at + std::int64_t(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += std::size_t(n);
  }
  return 0;
}

void RangeCopier::copy(int in, std::int64_t from, int out, std::int64_t to, std::int64_t length,
                       const std::string& in_name, const std::string& out_name) {
  while (kernel_ && length > 0) {
    loff_t a = from, b = to;
    ssize_t n = ::copy_file_range(in, &a, out, &b, std::size_t(length), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && refused(errno)) {
      kernel_ = false;
      break;
    }
    if (n < 0) fail(ErrorKind::io, out_name, "cannot copy " + in_name + " into it", errno);
    if (n == 0) ended(in_name);
    from += n;
    to += n;
    length -= n;
  }
  if (length > 0) copy_through_memory(in, from, out, to, length, in_name, out_name);
}

void RangeCopier::copy_through_memory(int in, std::int64_t from, int out, std::int64_t to, std::int64_t length,
                                      const std::string& in_name, const std::string& out_name) {
  buffer_.resize(1 << 20);
  while (length > 0) {
    ssize_t n = ::pread(in, buffer_.data(), std::size_t(std::min<std::int64_t>(length, std::int64_t(buffer_.size()))), from);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(ErrorKind::input, in_name, "cannot read", errno);
    if (n == 0) ended(in_name);
    if (int err = pwrite_all(out, buffer_.data(), std::size_t(n), to)) fail(ErrorKind::io, out_name, "cannot write", err);
    from += n;
    to += n;
    length -= n;
  }
}

}  // namespace seedreel
