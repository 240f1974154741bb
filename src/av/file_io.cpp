#include "av/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/copy_range.hpp"
#include "util/interrupt.hpp"

namespace seedreel::av {

namespace {

constexpr int buffer_size = 32768;  // libavformat's own for files

AvioPtr make_avio(void* self, bool writing, int (*read)(void*, uint8_t*, int), int (*write)(void*, uint8_t*, int),
                  std::int64_t (*seek)(void*, std::int64_t, int)) {
  auto* buffer = static_cast<unsigned char*>(av_malloc(buffer_size));
  if (!buffer) throw std::bad_alloc();
  AvioPtr avio(avio_alloc_context(buffer, buffer_size, writing ? 1 : 0, self, read, write, seek));
  if (!avio) {
    av_free(buffer);
    throw std::bad_alloc();
  }
  return avio;
}

// The new position for an AVIOContext seek callback, or < 0 (AVSEEK_SIZE: the size).
std::int64_t seek_to(std::int64_t pos, std::int64_t size, std::int64_t offset, int whence) {
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return size;
    case SEEK_SET: return offset;
    case SEEK_CUR: return pos + offset;
    case SEEK_END: return size + offset;
    default: return AVERROR(EINVAL);
  }
}

}  // namespace

FileReader::FileReader(int fd, std::int64_t size) : fd_(fd), size_(size) {
  avio_ = make_avio(this, false, &FileReader::read, nullptr, &FileReader::seek);
}

void FileReader::skip_payloads() noexcept {
  skip_ = true;
  // Straight to read() (no copy through the context's buffer) for every read.
  avio_->direct = 1;
}

int FileReader::read(void* self, uint8_t* data, int size) noexcept {
  auto* r = static_cast<FileReader*>(self);
  const int n = int(std::min<std::int64_t>(size, r->size_ - r->pos_));
  if (n <= 0) return AVERROR_EOF;
  if (r->skip_) {
    r->pos_ += n;
    return n;
  }
  for (;;) {
    ssize_t got = ::pread(r->fd_, data, std::size_t(n), r->pos_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return AVERROR(errno);
    if (got == 0) return AVERROR_EOF;
    r->pos_ += got;
    return int(got);
  }
}

std::int64_t FileReader::seek(void* self, std::int64_t offset, int whence) noexcept {
  auto* r = static_cast<FileReader*>(self);
  std::int64_t to = seek_to(r->pos_, r->size_, offset, whence);
  if (to < 0 || (whence & ~AVSEEK_FORCE) == AVSEEK_SIZE) return to < 0 ? AVERROR(EINVAL) : to;
  return r->pos_ = to;
}

FileWriter::FileWriter(const std::string& path, const PayloadSources& sources)
    : path_(path), sources_(sources), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) {
  if (!fd_) throw Error(ErrorKind::io, path, std::string("cannot write: ") + std::strerror(errno));
  avio_ = make_avio(this, true, nullptr, &FileWriter::write, &FileWriter::seek);
  // Every avio_write reaches write() with the caller's own pointer, so a
  // payload by reference is seen whole, at its stand-in address.
  avio_->direct = 1;
  copier_ = std::jthread([this](std::stop_token stop) { copy_runs(stop); });
}

int FileWriter::write(void* self, uint8_t* data, int size) noexcept {
  auto* w = static_cast<FileWriter*>(self);
  const PayloadSources::Origin o = w->sources_.origin(data, size);
  if (o.lookup == PayloadSources::Lookup::invalid) return AVERROR_BUG;
  Run& run = w->open_;
  if (o.lookup == PayloadSources::Lookup::reference) {
    if (run.length > 0 && run.source == o.source && run.at + run.length == w->pos_ && run.from + run.length == o.pos) {
      run.length += size;
    } else {
      w->close_run();
      run = {w->pos_, size, o.source, o.pos};
    }
    w->left_out_ += size;
  } else {
    if (int err = pwrite_all(w->fd_.get(), data, std::size_t(size), w->pos_)) return AVERROR(err);
  }
  w->pos_ += size;
  w->end_ = std::max(w->end_, w->pos_);
  return size;
}

std::int64_t FileWriter::seek(void* self, std::int64_t offset, int whence) noexcept {
  auto* w = static_cast<FileWriter*>(self);
  std::int64_t to = seek_to(w->pos_, w->end_, offset, whence);
  if (to < 0 || (whence & ~AVSEEK_FORCE) == AVSEEK_SIZE) return to < 0 ? AVERROR(EINVAL) : to;
  return w->pos_ = to;
}

// Hands the open run to the copying thread.
void FileWriter::close_run() noexcept {
  if (open_.length == 0) return;
  {
    std::lock_guard lock(mutex_);
    try {
      ready_.push_back(open_);
    } catch (...) {
      if (!failed_) failed_ = std::current_exception();
    }
  }
  open_ = {};
  wake_.notify_one();
}

void FileWriter::copy_runs(std::stop_token stop) {
  RangeCopier copier;
  for (;;) {
    Run run;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, stop, [&] { return !ready_.empty() || closed_; });
      if (stop.stop_requested() || failed_ || ready_.empty()) return;
      run = ready_.front();
      ready_.pop_front();
    }
    try {
      throw_if_interrupted(path_);
      copier.copy(sources_.fd(run.source), run.from, fd_.get(), run.at, run.length, sources_.path(run.source), path_);
      // Start writing it to disk now, so the fsync before the rename has
      // little left to wait for (a hint: a write error shows at the fsync).
      ::sync_file_range(fd_.get(), run.at, run.length, SYNC_FILE_RANGE_WRITE);
    } catch (...) {
      std::lock_guard lock(mutex_);
      failed_ = std::current_exception();
      return;
    }
  }
}

void FileWriter::fill() {
  close_run();
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  wake_.notify_one();
  copier_.join();
  if (failed_) std::rethrow_exception(failed_);
  if (!ready_.empty()) throw Error(ErrorKind::io, path_, "not every copied payload was written");
}

}  // namespace seedreel::av
