// Video tracks of a stitch: packets copied with their timestamps shifted
// clip after clip, or every clip decoded, normalised to one size, rate and
// pixel format, and encoded as one H.264 stream.
#include <fmt/format.h>

#include "av/decode.hpp"
#include "av/filter.hpp"
#include "post/grab.hpp"
#include "post/stitch_tracks.hpp"
#include "util/interrupt.hpp"

namespace seedreel::post {

namespace {

class CopyVideo final : public VideoTrack {
 public:
  CopyVideo(av::Muxer& mux, const AVStream* first)
      : mux_(mux), out_(mux.add_copy(first)), tb_(first->time_base) {}

  void begin_clip(const Clip& clip, int) override {  // stitch re-encodes whenever frames are dropped
    path_ = clip.path;
    shift_ = offset_ - stream_start(clip.video);
    end_ = offset_;
  }

  void packet(AVPacket& p) override {
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

  double end_clip() override {
    offset_ = end_;
    return double(offset_) * av_q2d(tb_);
  }

  void finish() override {}

 private:
  av::Muxer& mux_;
  int out_;
  AVRational tb_;
  std::string path_;
  std::int64_t offset_ = 0, shift_ = 0, end_ = 0, last_dts_ = INT64_MIN;
};

class EncodeVideo final : public VideoTrack {
 public:
  EncodeVideo(av::Muxer& mux, const av::VideoSettings& s)
      : mux_(mux), settings_(s), enc_(av::Encoder::video(s, mux.needs_global_header())),
        out_(mux.add_stream(enc_.get())), frame_(av::make_frame()), filtered_(av::make_frame()) {}

  void begin_clip(const Clip& clip, int drop) override {
    filter_.reset();
    dec_ = std::make_unique<av::Decoder>(*clip.in, clip.video->index);
    std::string turn = clip.rotation == 90 ? "transpose=clock," : clip.rotation == 180 ? "hflip,vflip,"
                     : clip.rotation == 270 ? "transpose=cclock," : "";
    const auto& s = settings_;
    // Fit inside the first clip's size without stretching, pad the rest,
    // then one frame rate and pixel format for the whole track.
    chain_ = fmt::format(
        "{}scale={}:{}:force_original_aspect_ratio=decrease:force_divisible_by=2:out_color_matrix=bt709:out_range=tv,"
        "pad={}:{}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={}/{},format=yuv420p",
        turn, s.width, s.height, s.width, s.height, s.frame_rate.num, s.frame_rate.den);
    time_base_ = clip.video->time_base;
    drop_ = drop;
  }

  void packet(AVPacket& p) override {
    dec_->send(&p);
    pump();
  }

  double end_clip() override {
    dec_->send(nullptr);
    pump();
    if (filter_) {
      filter_->push(nullptr);
      pull();
    }
    dec_.reset();
    return double(frames_) * av_q2d(av_inv_q(settings_.frame_rate));
  }

  void finish() override { enc_.encode(nullptr, [&](AVPacket& p) { mux_.write(p, out_, enc_->time_base); }); }

 private:
  void pump() {
    while (dec_->receive(frame_.get())) {
      if (drop_ > 0) {
        --drop_;
      } else {
        // Built on the first frame: the decoder knows its real format only then.
        if (!filter_) filter_ = std::make_unique<av::VideoFilter>(dec_->get(), time_base_, chain_);
        filter_->push(frame_.get());
        pull();
      }
      av_frame_unref(frame_.get());
    }
  }

  void pull() {
    while (filter_->pull(*filtered_)) {
      throw_if_interrupted();
      filtered_->pts = frames_++;
      filtered_->pict_type = AV_PICTURE_TYPE_NONE;
      enc_.encode(filtered_.get(), [&](AVPacket& p) { mux_.write(p, out_, enc_->time_base); });
    }
  }

  av::Muxer& mux_;
  av::VideoSettings settings_;
  av::Encoder enc_;
  int out_;
  std::unique_ptr<av::Decoder> dec_;
  std::unique_ptr<av::VideoFilter> filter_;
  std::string chain_;
  AVRational time_base_{1, 1};
  av::FramePtr frame_, filtered_;
  std::int64_t frames_ = 0;
  int drop_ = 0;
};

}  // namespace

std::unique_ptr<VideoTrack> copy_video(av::Muxer& mux, const AVStream* first) {
  return std::make_unique<CopyVideo>(mux, first);
}

std::unique_ptr<VideoTrack> encode_video(av::Muxer& mux, const av::VideoSettings& settings) {
  return std::make_unique<EncodeVideo>(mux, settings);
}

}  // namespace seedreel::post
