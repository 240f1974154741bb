#include "post/clip_frames.hpp"

#include <fmt/format.h>

#include "util/interrupt.hpp"

namespace seedreel::post {

std::optional<std::string> yuv_matrix(AVColorSpace space, int height) {
  switch (space) {
    case AVCOL_SPC_UNSPECIFIED: return height >= 720 ? "bt709" : "bt601";
    case AVCOL_SPC_BT709: return "bt709";
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return "bt601";
    case AVCOL_SPC_FCC: return "fcc";
    case AVCOL_SPC_SMPTE240M: return "smpte240m";
    case AVCOL_SPC_BT2020_NCL: return "bt2020";
    default: return std::nullopt;
  }
}

ClipFrames::ClipFrames(const Clip& clip, const FrameTarget& t, int turn, int drop, Sink sink)
    : dec_(std::make_unique<av::Decoder>(*clip.in, clip.video->index)), time_base_(clip.video->time_base),
      drop_(drop), sink_(std::move(sink)) {
  const std::string rotate = turn == 90 ? "transpose=clock," : turn == 180 ? "hflip,vflip," : turn == 270 ? "transpose=cclock," : "";
  const char* format = av_get_pix_fmt_name(t.pix_fmt);
  if (!format) throw Error(ErrorKind::input, clip.path, "no pixel format to convert to");
  // An untagged clip is read as players read it, not as swscale's BT.601 default.
  const AVCodecParameters* p = clip.video->codecpar;
  const std::string in = yuv_matrix(p->color_space, p->height).value_or("auto");
  chain_ = fmt::format(
      "{}scale={}:{}:force_original_aspect_ratio=decrease:force_divisible_by=2:in_color_matrix={}:out_color_matrix={}:"
      "out_range={},pad={}:{}:(ow-iw)/2:(oh-ih)/2,setsar={}/{},fps={}/{},format={}",
      rotate, t.width, t.height, in, t.matrix, t.full_range ? "pc" : "tv", t.width, t.height, t.sar.num, t.sar.den,
      t.frame_rate.num, t.frame_rate.den, format);
}

void ClipFrames::packet(AVPacket& p) {
  dec_->send(&p);
  pump();
}

void ClipFrames::finish() {
  dec_->send(nullptr);
  pump();
  if (filter_) {
    filter_->push(nullptr);
    pull();
  }
}

void ClipFrames::pump() {
  while (dec_->receive(frame_.get())) {
    if (drop_ > 0) {
      --drop_;
    } else {
      if (!filter_) filter_ = std::make_unique<av::VideoFilter>(dec_->get(), time_base_, chain_);
      filter_->push(frame_.get());
      pull();
    }
    av_frame_unref(frame_.get());
  }
}

void ClipFrames::pull() {
  while (filter_->pull(*filtered_)) {
    throw_if_interrupted();
    filtered_->pict_type = AV_PICTURE_TYPE_NONE;
    sink_(*filtered_);
    av_frame_unref(filtered_.get());
  }
}

}  // namespace seedreel::post
