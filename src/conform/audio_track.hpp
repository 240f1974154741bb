#pragma once
// One audio track being re-encoded onto a timeline that starts at `origin`:
// decoded frames are placed by their timestamps (a gap becomes silence,
// samples before the origin are dropped), so audio stays in sync with the
// video it goes with, and the track can end at an exact sample.
#include <cstdint>
#include <functional>

#include "av/encode.hpp"

namespace seedreel::conform_detail {

class AudioTrack {
 public:
  using Sink = std::function<void(AVPacket&)>;  // packets in the encoder's time base
  AudioTrack(av::Encoder& encoder, double origin_seconds);

  // A decoded frame whose pts is in `time_base`.
  void push(const AVFrame& frame, AVRational time_base);
  // Encodes whole encoder frames while they end at or before `limit` samples.
  void encode_until(std::int64_t limit, const Sink& sink);
  // Ends the track at exactly `total` samples (padding with silence) and drains the encoder.
  void finish(std::int64_t total, const Sink& sink);
  // Samples placed on the timeline so far (output rate).
  std::int64_t placed() const noexcept { return converter_.samples_in(); }
  int rate() const noexcept { return encoder_->sample_rate; }

 private:
  av::Encoder& encoder_;
  av::AudioConverter converter_;
  double origin_;
  std::int64_t encoded_ = 0;
  av::FramePtr out_;
};

}  // namespace seedreel::conform_detail
