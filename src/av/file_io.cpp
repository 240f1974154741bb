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
}

int FileWriter::write(void* self, uint8_t* data, int size) noexcept {
  auto* w = static_cast<FileWriter*>(self);
  const PayloadSources::Origin o = w->sources_.origin(data, size);
  if (o.lookup == PayloadSources::Lookup::invalid) return AVERROR_BUG;
  if (o.lookup == PayloadSources::Lookup::reference) {
    Hole* last = w->holes_.empty() ? nullptr : &w->holes_.back();
    if (last && last->source == o.source && last->at + last->length == w->pos_ && last->from + last->length == o.pos) {
      last->length += size;
    } else {
      try {
        w->holes_.push_back({w->pos_, size, o.source, o.pos});
      } catch (...) {
        return AVERROR(ENOMEM);
      }
    }
    w->left_out_ += size;
  } else {
    for (int done = 0; done < size;) {
      ssize_t n = ::pwrite(w->fd_.get(), data + done, std::size_t(size - done), w->pos_ + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return AVERROR(errno);
      done += int(n);
    }
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

void FileWriter::fill() {
  // Holes come in file order already (the muxer writes payloads once, front
  // to back); sorted anyway so each source is read forwards.
  std::sort(holes_.begin(), holes_.end(), [](const Hole& a, const Hole& b) { return a.at < b.at; });
  RangeCopier copier;
  for (const Hole& h : holes_) {
    throw_if_interrupted(path_);
    copier.copy(sources_.fd(h.source), h.from, fd_.get(), h.at, h.length, sources_.path(h.source), path_);
  }
  holes_.clear();
}

}  // namespace seedreel::av
