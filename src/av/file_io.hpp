#pragma once
// FFmpeg I/O over file descriptors we own, for what libavformat's own file
// protocol cannot do: a reader that can stop reading payloads while the
// demuxer goes on, and a writer that leaves payloads by reference out and
// copies them in the kernel (see payload_ref.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "av/ffmpeg.hpp"
#include "av/payload_ref.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::av {

class FileReader {
 public:
  // Reads the regular file of `size` bytes open on `fd` (borrowed: must
  // outlive the reader) from its start.
  FileReader(int fd, std::int64_t size);
  AVIOContext* get() const noexcept { return avio_.get(); }
  // From now on a read advances by the requested count (up to the end of
  // the file) without reading: a demuxer still yields every packet with its
  // timestamps, flags, position and size, but its bytes are garbage.
  void skip_payloads() noexcept;

 private:
  static int read(void* self, uint8_t* data, int size) noexcept;
  static std::int64_t seek(void* self, std::int64_t offset, int whence) noexcept;
  int fd_;
  std::int64_t size_ = 0, pos_ = 0;
  bool skip_ = false;
  AvioPtr avio_;
};

class FileWriter {
 public:
  // Creates (or empties) `path`. Payloads by reference into `sources` are
  // left out, as holes; fill() copies them in. Error(io) on failure.
  FileWriter(const std::string& path, const PayloadSources& sources);
  AVIOContext* get() const noexcept { return avio_.get(); }
  // Bytes left out so far.
  std::int64_t left_out() const noexcept { return left_out_; }
  // Copies every left-out payload into its hole, contiguous runs at once,
  // checking for Ctrl-C between runs. Call once the muxer is done.
  void fill();

 private:
  struct Hole {
    std::int64_t at, length;  // in the output
    int source;
    std::int64_t from;        // in the source
  };
  static int write(void* self, uint8_t* data, int size) noexcept;
  static std::int64_t seek(void* self, std::int64_t offset, int whence) noexcept;
  std::string path_;
  const PayloadSources& sources_;
  UniqueFd fd_;
  std::vector<Hole> holes_;
  std::int64_t pos_ = 0, end_ = 0, left_out_ = 0;
  AvioPtr avio_;
};

}  // namespace seedreel::av
