#include "av/payload_ref.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace seedreel::av {

namespace {

void keep(void*, uint8_t*) {}  // the range is unmapped by its owner

std::int64_t nanoseconds(const timespec& t) { return std::int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }

}  // namespace

PayloadSources::PayloadSources(const std::vector<File>& files) {
  std::int64_t total = 0;
  for (const auto& f : files) {
    UniqueFd fd(::fcntl(f.fd, F_DUPFD_CLOEXEC, 0));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) throw Error(ErrorKind::input, f.path, std::string("cannot read: ") + std::strerror(errno));
    files_.push_back(std::move(fd));
    paths_.push_back(f.path);
    stamps_.push_back({std::int64_t(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)});
    starts_.push_back(total);
    total += st.st_size;
  }
  starts_.push_back(total);
  // Address space only (PROT_READ, MAP_NORESERVE): no page is ever written,
  // and a read (the muxer peeks at an AAC packet's first bytes) maps the shared zero page.
  const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
  length_ = (std::size_t(total) + AV_INPUT_BUFFER_PADDING_SIZE + page - 1) / page * page;
  void* at = ::mmap(nullptr, length_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (at == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::uint8_t*>(at);
  buffer_.reset(av_buffer_create(base_, length_, keep, nullptr, AV_BUFFER_FLAG_READONLY));
  if (!buffer_) {
    ::munmap(base_, length_);
    throw std::bad_alloc();
  }
}

PayloadSources::~PayloadSources() {
  // Packets still holding a reference only keep the AVBuffer (heap) alive; nothing reads through them.
  buffer_.reset();
  ::munmap(base_, length_);
}

void PayloadSources::check_unchanged() const {
  for (std::size_t k = 0; k < files_.size(); ++k) {
    struct stat st {};
    if (::fstat(files_[k].get(), &st) != 0)
      throw Error(ErrorKind::input, paths_[k], std::string("cannot read: ") + std::strerror(errno));
    if (Stamp{std::int64_t(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)} != stamps_[k])
      throw Error(ErrorKind::input, paths_[k], "changed while its bytes were being copied; try again once it is complete");
  }
}

void PayloadSources::refer(AVPacket& packet, int source) const {
  const std::size_t k = std::size_t(source);
  if (packet.size <= 0) return;  // nothing to copy; the muxer skips empty packets
  if (packet.pos < 0 || packet.pos + packet.size > starts_[k + 1] - starts_[k])
    throw Error(ErrorKind::input, paths_[k], "a packet without a place in the file cannot be copied by reference");
  AVBufferRef* ref = av_buffer_ref(buffer_.get());
  if (!ref) throw std::bad_alloc();
  av_buffer_unref(&packet.buf);
  packet.buf = ref;
  packet.data = base_ + starts_[k] + packet.pos;
}

PayloadSources::Origin PayloadSources::origin(const std::uint8_t* data, std::int64_t size) const noexcept {
  if (data < base_ || data >= base_ + length_) return {};
  const std::int64_t at = data - base_;
  auto next = std::upper_bound(starts_.begin(), starts_.end(), at);
  if (next == starts_.begin() || next == starts_.end() || at + size > *next) return {Lookup::invalid};
  const int source = int(next - starts_.begin()) - 1;
  return {Lookup::reference, source, at - starts_[std::size_t(source)]};
}

}  // namespace seedreel::av
