#pragma once
// One clip's video decoded and brought to a track's frame format: turned,
// fitted without stretching (padded), converted to one frame rate, pixel
// format and colour matrix. Shared by the stitch's re-encoded whole track and
// by a single clip re-encoded into a copied track.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "av/decode.hpp"
#include "av/filter.hpp"
#include "post/stitch_tracks.hpp"

namespace seedreel::post {

struct FrameTarget {
  int width = 0, height = 0;   // of the frames delivered
  AVRational frame_rate{24, 1};
  AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  std::string matrix = "bt709";  // swscale's name of the YUV matrix written
  bool full_range = false;
  AVRational sar{1, 1};
};

// swscale's name of the YUV matrix a stream's pixels use: its tag, or for
// untagged video what players assume (BT.709 from 720 lines up, BT.601
// below); nullopt for matrices there is no converting into.
std::optional<std::string> yuv_matrix(AVColorSpace space, int height);

class ClipFrames {
 public:
  // Frames in display order, pts left to the sink (the filter's own count is
  // meaningless across clips). turn: clockwise degrees applied to each
  // picture; drop: how many of the clip's first displayed frames to leave out.
  using Sink = std::function<void(AVFrame&)>;
  ClipFrames(const Clip& clip, const FrameTarget& target, int turn, int drop, Sink sink);
  void packet(AVPacket& p);
  // Drains the decoder and the filter.
  void finish();

 private:
  void pump();
  void pull();
  std::unique_ptr<av::Decoder> dec_;
  std::unique_ptr<av::VideoFilter> filter_;  // built on the first frame: the decoder knows its format only then
  std::string chain_;
  AVRational time_base_;
  int drop_;
  Sink sink_;
  av::FramePtr frame_ = av::make_frame(), filtered_ = av::make_frame();
};

}  // namespace seedreel::post
