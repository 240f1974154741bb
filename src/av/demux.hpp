#pragma once
// Opening media for reading, with the probe size and analyse time capped and
// a deadline on blocking I/O, so a hostile file cannot hang or exhaust us.
#include <chrono>
#include <string>

#include "av/ffmpeg.hpp"

namespace seedreel::av {

struct OpenOptions {
  std::int64_t probesize = 5'000'000;        // bytes read to detect streams
  std::int64_t analyzeduration_us = 5'000'000;
  std::chrono::seconds deadline{30};         // for any single open / read
  bool find_stream_info = true;
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

 private:
  static int interrupted(void* self);
  std::string path_;
  std::chrono::seconds budget_;
  std::chrono::steady_clock::time_point deadline_;
  InputPtr ctx_;
};

// Clockwise rotation in degrees (0/90/180/270) that displays the stream upright,
// from its display matrix; 0 when it has none.
int rotation_of(const AVStream* stream);

// Seconds of a stream's own duration; < 0 when the stream does not state it.
double stream_seconds(const AVStream* stream);

}  // namespace seedreel::av
