#pragma once
// FFmpeg I/O over file descriptors we own, for what libavformat's own file
// protocol cannot do: a reader that can stop reading payloads while the
// demuxer goes on, and a writer that leaves payloads by reference out and
// copies them in the kernel (see payload_ref.hpp).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

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
  // left out, as holes, and copied in by a second thread as soon as each
  // contiguous run of them is complete (the muxer writes front to back), so
  // the copy overlaps the rest of the muxing. Error(io) on failure.
  FileWriter(const std::string& path, const PayloadSources& sources);
  AVIOContext* get() const noexcept { return avio_.get(); }
  // Bytes left out so far.
  std::int64_t left_out() const noexcept { return left_out_; }
  // Once the muxer is done: waits until every hole is filled. Rethrows the
  // copy's error (Error io/input, or cancelled on Ctrl-C).
  void fill();

 private:
  struct Run {
    std::int64_t at = 0, length = 0;  // in the output
    int source = -1;
    std::int64_t from = 0;            // in the source
  };
  static int write(void* self, uint8_t* data, int size) noexcept;
  static std::int64_t seek(void* self, std::int64_t offset, int whence) noexcept;
  void close_run() noexcept;
  void copy_runs(std::stop_token stop);
  std::string path_;
  const PayloadSources& sources_;
  UniqueFd fd_;
  Run open_;  // the run the next payload may extend
  std::int64_t pos_ = 0, end_ = 0, left_out_ = 0;
  AvioPtr avio_;
  // Complete runs for the copying thread, and how it ended.
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Run> ready_;
  bool closed_ = false;
  std::exception_ptr failed_;
  std::jthread copier_;  // last: stopped and joined before the rest goes
};

}  // namespace seedreel::av
