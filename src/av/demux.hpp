#pragma once
// Opening media for reading, with the probe size and analyse time capped and
// a deadline on blocking I/O, so a hostile file cannot hang or exhaust us.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "av/ffmpeg.hpp"
#include "av/file_io.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::av {

struct OpenOptions {
  std::int64_t probesize = 5'000'000;        // bytes read to detect streams
  std::int64_t analyzeduration_us = 5'000'000;
  std::chrono::seconds deadline{30};         // for any single open / read
  bool find_stream_info = true;
  // Read a regular file through our own I/O on a descriptor we keep (see
  // skip_payloads, fd); other inputs (a pipe, a URL) are read as usual.
  bool own_file = false;
};

// A demuxer whose interrupt deadline can be re-armed between reads.
class Input {
 public:
  explicit Input(const std::string& path, const OpenOptions& options = {});
  AVFormatContext* get() const noexcept { return ctx_.get(); }
  AVFormatContext* operator->() const noexcept { return ctx_.get(); }
  const std::string& path() const noexcept { return path_; }
  // Extends the deadline from now (call before a long read loop step).
  void rearm();
  // Index of the best stream of a type, or -1. Skips attached pictures (cover art).
  int best_stream(AVMediaType type) const;
  // avformat_find_stream_info (it decodes a few frames). Error(input) on failure.
  void find_stream_info();

  // The file's descriptor when read through our own I/O (OpenOptions::own_file), else -1.
  int fd() const noexcept { return file_.get(); }
  // From here on packets carry timestamps, flags, size and file position but
  // not their bytes (nothing is read), for copying payloads by reference.
  // Also turns the demuxer's parsers off: they would read the bytes (and
  // mov's H.264 parser sets the keyframe flags from them; without it they
  // come from the file's sync-sample table). false, changing nothing, when
  // the input is not read through our own I/O, or when find_stream_info has
  // already read ahead with parsers: then read the packets from reopen().
  bool skip_payloads();
  // The same file opened again on the same descriptor, header only (own I/O inputs only).
  std::unique_ptr<Input> reopen() const;

 private:
  Input(const std::string& path, UniqueFd file, std::int64_t size, const OpenOptions& options);
  void open(const OpenOptions& options);
  static int interrupted(void* self);
  std::string path_;
  std::chrono::seconds budget_;
  std::chrono::steady_clock::time_point deadline_;
  UniqueFd file_;
  std::int64_t size_ = 0;
  std::unique_ptr<FileReader> reader_;
  bool read_ahead_ = false;
  InputPtr ctx_;  // last: closed before the reader and the file it reads
};

// Clockwise rotation in degrees (0/90/180/270) that displays the stream upright,
// from its display matrix; 0 when it has none.
int rotation_of(const AVStream* stream);

// Seconds of a stream's own duration; < 0 when the stream does not state it.
double stream_seconds(const AVStream* stream);

// One frame's duration in the stream's time base, from its frame rate (1/25 s
// when unknown).
std::int64_t frame_ticks(const Input& in, const AVStream* stream);

// Whether the container's duration is only a guess from the bitrate or absent
// (raw elementary streams, program streams without usable timestamps), and
// not worth showing or computing with.
bool duration_untrusted(const AVFormatContext* ctx);

// Where each stream of `path` ends, measured from its packets' timestamps
// (largest pts, else dts, plus the packet's duration), in the stream's own
// time base, minus where it starts; AV_NOPTS_VALUE for a stream without
// timestamps. Reads every packet but decodes nothing. For files whose
// headers give no duration.
std::vector<std::int64_t> measure_stream_spans(const std::string& path);

}  // namespace seedreel::av
