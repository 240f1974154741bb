// Video tracks of a stitch: packets copied with their timestamps shifted
// clip after clip (a clip that does not match re-encoded alone into the same
// track), or every clip decoded, normalised to one size, rate and pixel
// format, and encoded as one H.264 stream.
#include <algorithm>

#include <fmt/format.h>

#include "post/clip_frames.hpp"
#include "post/grab.hpp"
#include "post/inband_h264.hpp"
#include "post/stitch_tracks.hpp"
#include "util/interrupt.hpp"

namespace seedreel::post {

namespace {

// Packets copied with their timestamps shifted clip after clip; a clip
// marked for re-encoding is encoded alone into the same track (InbandClip)
// and its packets placed the same way.
class CopyVideo final : public VideoTrack {
 public:
  CopyVideo(av::Muxer& mux, const AVStream* first, const InbandTarget* inband, std::vector<bool> reencode)
      : mux_(mux), out_(mux.add_copy(first)), tb_(first->time_base), reencode_(std::move(reencode)) {
    if (inband) inband_ = *inband;
    if (std::find(reencode_.begin(), reencode_.end(), true) != reencode_.end()) {
      if (!inband) throw Error(ErrorKind::invalid_argument, "", "clips to re-encode in a copied track without a target");
      // Samples whose parameter sets are in-band as well as in the sample entry.
      mux.stream(out_)->codecpar->codec_tag = MKTAG('a', 'v', 'c', '3');
    }
  }

  void begin_clip(const Clip& clip, int drop) override {
    path_ = clip.path;
    end_ = offset_;
    const bool encode = clip_ < reencode_.size() && reencode_[clip_];
    ++clip_;
    if (encode) {
      shift_ = offset_;  // encoded packets start at 0
      encoder_ = std::make_unique<InbandClip>(clip, inband_, drop, [this](AVPacket& p) { place(p); });
    } else {
      if (drop > 0) throw Error(ErrorKind::invalid_argument, clip.path, "frames cannot be dropped from a copied clip");
      shift_ = offset_ - stream_start(clip.video);
    }
  }

  void packet(AVPacket& p) override {
    if (encoder_) encoder_->packet(p);
    else place(p);
  }

  double end_clip() override {
    if (encoder_) {
      encoder_->finish();
      encoder_.reset();
    }
    offset_ = end_;
    return double(offset_) * av_q2d(tb_);
  }

  void finish() override {}

 private:
  void place(AVPacket& p) {
    if (p.pts == AV_NOPTS_VALUE) throw Error(ErrorKind::input, path_, "video packet without a timestamp: cannot copy");
    p.pts += shift_;
    if (p.dts != AV_NOPTS_VALUE) {
      p.dts += shift_;
      // Decode order across a seam: the next clip's first packets (B-frame
      // delay) must still come after the previous clip's last.
      if (p.dts <= last_dts_) throw Error(ErrorKind::input, path_, "decode timestamps overlap the previous clip");
      last_dts_ = p.dts;
    }
    end_ = std::max(end_, p.pts + std::max<std::int64_t>(p.duration, 1));
    mux_.write(p, out_, tb_);
  }

  av::Muxer& mux_;
  int out_;
  AVRational tb_;
  std::vector<bool> reencode_;
  InbandTarget inband_;
  std::unique_ptr<InbandClip> encoder_;
  std::size_t clip_ = 0;
  std::string path_;
  std::int64_t offset_ = 0, shift_ = 0, end_ = 0, last_dts_ = INT64_MIN;
};

class EncodeVideo final : public VideoTrack {
 public:
  EncodeVideo(av::Muxer& mux, const av::VideoSettings& s)
      : mux_(mux), settings_(s), enc_(av::Encoder::video(s, mux.needs_global_header())),
        out_(mux.add_stream(enc_.get())) {
    target_.width = s.width;
    target_.height = s.height;
    target_.frame_rate = s.frame_rate;
    target_.pix_fmt = s.pix_fmt;
  }

  void begin_clip(const Clip& clip, int drop) override {
    // Every clip upright, fitted into the first clip's upright size.
    frames_ = std::make_unique<ClipFrames>(clip, target_, clip.rotation, drop, [this](AVFrame& f) {
      f.pts = count_++;
      enc_.encode(&f, [&](AVPacket& p) { mux_.write(p, out_, enc_->time_base); });
    });
  }

  void packet(AVPacket& p) override { frames_->packet(p); }

  double end_clip() override {
    frames_->finish();
    frames_.reset();
    return double(count_) * av_q2d(av_inv_q(settings_.frame_rate));
  }

  void finish() override { enc_.encode(nullptr, [&](AVPacket& p) { mux_.write(p, out_, enc_->time_base); }); }

 private:
  av::Muxer& mux_;
  av::VideoSettings settings_;
  av::Encoder enc_;
  int out_;
  FrameTarget target_;  // BT.709, limited range, square pixels
  std::unique_ptr<ClipFrames> frames_;
  std::int64_t count_ = 0;
};

}  // namespace

std::unique_ptr<VideoTrack> copy_video(av::Muxer& mux, const AVStream* first, const InbandTarget* inband,
                                       std::vector<bool> reencode) {
  return std::make_unique<CopyVideo>(mux, first, inband, std::move(reencode));
}

std::unique_ptr<VideoTrack> encode_video(av::Muxer& mux, const av::VideoSettings& settings) {
  return std::make_unique<EncodeVideo>(mux, settings);
}

}  // namespace seedreel::post
