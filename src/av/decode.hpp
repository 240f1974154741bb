#pragma once
// Decoding one stream of an Input: send packets, receive frames, drain at the
// end, flush after a seek. Frames carry best_effort_timestamp in the stream's
// time base, or (when the decoder has none, as for packed B-frames in AVI or
// the last frames of a program stream) the previous frame's end, as the
// ffmpeg CLI does. Every sign of a picture the decoder could not reconstruct
// cleanly is counted (damage()).
#include <functional>
#include <memory>

#include "av/demux.hpp"

namespace seedreel::av {

class Decoder {
 public:
  // threads = 0 lets FFmpeg choose. Error(input) when no decoder exists.
  Decoder(const Input& in, int stream_index, int threads = 0);

  AVCodecContext* get() const noexcept { return ctx_.get(); }
  AVCodecContext* operator->() const noexcept { return ctx_.get(); }
  const AVStream* stream() const noexcept { return stream_; }
  int index() const noexcept { return stream_->index; }

  // Sends one packet; nullptr starts draining. A corrupt packet is skipped, as
  // ffmpeg does, unless it is the only thing we ever get (see frames()).
  void send(const AVPacket* packet);
  // The next frame into `frame` (pts set from best_effort_timestamp); false
  // when the decoder needs more input or is fully drained.
  bool receive(AVFrame* frame);
  // After a seek: drop buffered frames; the decoder can be fed again.
  void flush();

  // Signs of damage so far: packets or frames the decoder rejected, frames
  // flagged corrupt or with decode errors, and error lines it logged
  // (concealment, missing references). Only ever grows.
  std::int64_t damage() const noexcept { return damage_->load(std::memory_order_relaxed); }
  // A frame the decoder itself marks as damaged or not fully recovered.
  static bool flagged(const AVFrame& frame) noexcept;

 private:
  std::string path_;
  const AVStream* stream_;
  std::unique_ptr<DamageCounter> damage_ = std::make_unique<DamageCounter>(0);
  CodecContextPtr ctx_;
  std::int64_t next_pts_ = AV_NOPTS_VALUE;  // where the previous frame ends, for frames without a timestamp
  std::int64_t tick_ = 1;                   // one frame at the stream's rate, in its time base
  std::int64_t start_ = 0;                  // the stream's first timestamp (0 when none is stated)
  bool sought_ = false;                     // flushed (after a seek) since it was opened
};

// Reads `in` from its current position, decodes `dec`'s stream and calls
// on_frame for every frame in output order, draining at end of file.
// on_frame returns false to stop early. Returns the number of frames seen.
// Error(input) when the file ends in a read error, Error(cancelled) on Ctrl-C.
std::int64_t decode_frames(Input& in, Decoder& dec, const std::function<bool(AVFrame&)>& on_frame);

}  // namespace seedreel::av
