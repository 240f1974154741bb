#pragma once
// One clip re-encoded to sit inside a track that copies the other clips'
// H.264 packets. An mp4 'avc1' sample entry holds the one decoder
// configuration (SPS/PPS) all its samples use; an 'avc3' entry lets samples
// carry parameter sets in-band as well. So the clip is encoded with the
// first clip's size, frame rate, pixel format, colour, profile and level,
// its SPS/PPS in-band before every IDR under an id the copied clips do not
// use (the sample entry's sets stay valid after it, so the copied packets
// stay byte for byte), and with the copied clips' B-frame delay (decode
// timestamps then keep rising across both of its seams).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "post/clip_frames.hpp"

namespace seedreel::post {

struct InbandTarget {
  FrameTarget frames;           // the first clip's stored size, rate, pixel format, colour
  int rotation = 0;             // the track's display rotation (the first clip's)
  std::string profile, level;   // x264's names; level "" when unstated
  int delay = 0;                // decode delay of the copied clips, in frames (0-2: what x264 can match)
  int nal_length_size = 4;      // bytes of each NAL unit's length prefix (avcC)
  int parameter_set_id = 1;     // SPS and PPS id no copied clip uses
  AVColorPrimaries primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic transfer = AVCOL_TRC_UNSPECIFIED;
  AVColorSpace space = AVCOL_SPC_UNSPECIFIED;
  AVColorRange range = AVCOL_RANGE_UNSPECIFIED;
  AVRational time_base{1, 1};   // the copied track's
};

// How clips are re-encoded into `first`'s copied track; nullopt, with the
// reason in `why`, when that cannot be done validly (not H.264 with an avcC,
// a format or profile x264 cannot write, a B-frame delay it cannot match).
std::optional<InbandTarget> plan_inband(const Clip& first, AVRational frame_rate, std::string& why);

class InbandClip {
 public:
  // Packets in the target time base, the clip's first frame at pts 0, in
  // decode order, length-prefixed like the copied ones.
  using Sink = std::function<void(AVPacket&)>;
  // drop: how many of the clip's first displayed frames to leave out.
  InbandClip(const Clip& clip, const InbandTarget& target, int drop, Sink sink);
  ~InbandClip();
  void packet(AVPacket& p);
  // Drains the decoder, the filter and the encoder.
  void finish();

 private:
  struct Encoder;
  void encode(const AVFrame* frame);
  std::string path_;
  const InbandTarget& target_;
  Sink sink_;
  std::unique_ptr<Encoder> enc_;
  ClipFrames frames_;
  std::int64_t count_ = 0;
};

}  // namespace seedreel::post
