// Audio tracks of a stitch. Both fill each clip's video span exactly, so
// errors cannot accumulate over seams:
// - copy: AAC packets are whole 1024-sample frames. Each clip's packets are
//   laid end to end from where the previous clip's audio ended; the clip's
//   encoder priming (packets before its time 0, hidden by its edit list) is
//   left out except for the first clip, whose priming the output's own edit
//   list hides; a clip stops when another frame would overshoot its video by
//   more than half a frame, and a short or missing one is padded with silent
//   frames. So every seam is within half a frame (10.7 ms at 48 kHz) and the
//   error never adds up. A clip whose audio differs (rate, channels, codec)
//   is encoded alone, to the copied stream's format, and its frames laid in
//   the same way.
// - encode: decoded samples cut to the clip's span by timestamp, resampled to
//   one rate and layout, padded with silence to the exact sample where the
//   clip's video ends, and encoded once as one AAC stream.
#include <cmath>

#include "av/decode.hpp"
#include "post/grab.hpp"
#include "post/stitch_tracks.hpp"

namespace seedreel::post {

namespace {

// Seconds on the clip's video timeline (0 = its first video frame) of an audio timestamp.
double on_video_timeline(const Clip& clip, std::int64_t pts) {
  return double(pts) * av_q2d(clip.audio->time_base) -
         double(stream_start(clip.video)) * av_q2d(clip.video->time_base);
}

// Pushes the part of `f` (starting at clip time t0) inside [from, to),
// after silence for any gap before where it belongs in the output.
void push_part(av::AudioConverter& conv, int rate, const AVFrame& f, double t0, double from, double to, double v_start) {
  const std::int64_t a = std::max<std::int64_t>(0, std::llround((from - t0) * f.sample_rate));
  const std::int64_t b = std::min<std::int64_t>(f.nb_samples, std::llround((to - t0) * f.sample_rate));
  if (b <= a) return;
  const std::int64_t want = std::llround((v_start + t0 + double(a) / f.sample_rate - from) * rate);
  if (want > conv.samples_in() + 1) conv.push_silence(want - conv.samples_in());
  if (a == 0 && b == f.nb_samples) {
    conv.push(f);
    return;
  }
  // A view of samples [a, b) sharing the decoded buffers.
  av::FramePtr part = av::make_frame();
  av::check(av_frame_ref(part.get(), &f), ErrorKind::input, "", "audio frame");
  const int bytes = av_get_bytes_per_sample(AVSampleFormat(f.format));
  const int channels = f.ch_layout.nb_channels;
  if (av_sample_fmt_is_planar(AVSampleFormat(f.format))) {
    for (int c = 0; c < channels; ++c) part->extended_data[c] += a * bytes;
  } else {
    part->extended_data[0] += a * bytes * channels;
  }
  part->nb_samples = int(b - a);
  conv.push(*part);
}

// Decodes a clip's audio and pushes the part for its video span into
// `conv`, which then ends at the span's end: samples [skip, skip + v_end -
// v_start) of the clip's video timeline placed from output second v_start
// (the converter's sample count is the output position), gaps and a missing
// track filled with silence.
void fill_span(av::AudioConverter& conv, int rate, const Clip& clip, std::vector<av::PacketPtr>& packets, double skip,
               double v_start, double v_end) {
  if (clip.audio && !packets.empty()) {
    av::Decoder dec(*clip.in, clip.audio->index);
    auto decoded = av::make_frame();
    const double until = skip + (v_end - v_start);
    auto drain = [&] {
      while (dec.receive(decoded.get())) {
        if (decoded->pts != AV_NOPTS_VALUE)
          push_part(conv, rate, *decoded, on_video_timeline(clip, decoded->pts), skip, until, v_start);
        av_frame_unref(decoded.get());
      }
    };
    for (auto& p : packets) {
      dec.send(p.get());
      drain();
    }
    dec.send(nullptr);
    drain();
    conv.flush();
  }
  const std::int64_t target = std::llround(v_end * rate);
  if (conv.samples_in() < target) conv.push_silence(target - conv.samples_in());
}

class EncodeAudio final : public AudioTrack {
 public:
  EncodeAudio(av::Muxer& mux, const av::AudioSettings& s)
      : mux_(mux), enc_(av::Encoder::audio(s, mux.needs_global_header())), out_(mux.add_stream(enc_.get())),
        conv_(enc_.get()), rate_(s.sample_rate), frame_(av::make_frame()) {}

  double add_clip(const Clip& clip, std::vector<av::PacketPtr>& packets, double skip, double v_start,
                  double v_end) override {
    const std::int64_t begin = conv_.samples_in();
    fill_span(conv_, rate_, clip, packets, skip, v_start, v_end);
    encode_ready(false);
    return double(begin) / rate_ - v_start;
  }

  double finish(double v_end) override {
    conv_.flush();
    const std::int64_t target = std::llround(v_end * rate_);
    if (conv_.samples_in() < target) conv_.push_silence(target - conv_.samples_in());
    encode_ready(true);
    enc_.encode(nullptr, [&](AVPacket& p) { mux_.write(p, out_, enc_->time_base); });
    return double(conv_.samples_in()) / rate_;
  }

 private:
  void encode_ready(bool partial) {
    while (conv_.pop(*frame_, partial)) enc_.encode(frame_.get(), [&](AVPacket& p) { mux_.write(p, out_, enc_->time_base); });
  }

  av::Muxer& mux_;
  av::Encoder enc_;
  int out_;
  av::AudioConverter conv_;
  int rate_;
  av::FramePtr frame_;
};

class CopyAudio final : public AudioTrack {
 public:
  CopyAudio(av::Muxer& mux, const AVStream* first, av::PacketPtr silence, const av::AudioSettings& format,
            std::vector<bool> reencode)
      : mux_(mux), out_(mux.add_copy(first)), rate_(first->codecpar->sample_rate),
        frame_(first->codecpar->frame_size > 0 ? first->codecpar->frame_size : 1024), silence_(std::move(silence)),
        format_(format), reencode_(std::move(reencode)) {}

  double add_clip(const Clip& clip, std::vector<av::PacketPtr>& packets, double skip, double v_start,
                  double v_end) override {
    const std::int64_t end = std::llround(v_end * rate_);
    const std::int64_t begin = pos_;
    const bool encode = clip_ < reencode_.size() && reencode_[clip_];
    ++clip_;
    std::vector<av::PacketPtr> encoded;
    if (encode) encoded = encode_alone(clip, packets, skip, v_end - v_start);
    for (auto& p : encode ? encoded : packets) {
      if (encode) {
        if (pos_ + frame_ / 2 >= end) break;
        place(*p);
        continue;
      }
      if (p->pts == AV_NOPTS_VALUE) continue;
      const double t = on_video_timeline(clip, p->pts);
      if (first_ && t < 0 && (p->flags & AV_PKT_FLAG_DISCARD)) {
        // The first clip's priming keeps its place before 0 (and its skip side data).
        p->pts = p->dts = std::llround(t * rate_);
        mux_.write(*p, out_, {1, rate_});
        continue;
      }
      if (t + 0.5 * frame_ / rate_ <= skip) continue;  // before the clip's span: priming, a dropped frame
      if (pos_ + frame_ / 2 >= end) break;            // the clip's video has ended
      place(*p);
    }
    while (pos_ + frame_ / 2 < end) {
      av::PacketPtr quiet = av::make_packet();
      av::check(av_packet_ref(quiet.get(), silence_.get()), ErrorKind::io, "", "silence");
      place(*quiet);
    }
    first_ = false;
    return double(begin) / rate_ - v_start;
  }

  double finish(double v_end) override {
    const std::int64_t end = std::llround(v_end * rate_);
    if (pending_) {
      // The last frame ends where the video does; the output's edit list trims the rest.
      if (end > pending_->pts && end < pending_->pts + frame_) pending_->duration = end - pending_->pts;
      const double ends = double(pending_->pts + pending_->duration) / rate_;
      mux_.write(*pending_, out_, {1, rate_});  // the muxer takes the packet's contents
      return ends;
    }
    return 0;
  }

 private:
  // The clip's audio for its span, encoded alone by the encoder whose
  // silence is valid in this stream (so are its other frames), without its
  // priming: the frames follow the previous clip's, which the decoder
  // overlaps them with, as at any copied seam.
  std::vector<av::PacketPtr> encode_alone(const Clip& clip, std::vector<av::PacketPtr>& packets, double skip,
                                          double span) {
    av::Encoder enc = av::Encoder::audio(format_, true);
    av::AudioConverter conv(enc.get());
    fill_span(conv, rate_, clip, packets, skip, 0, span);
    std::vector<av::PacketPtr> out;
    auto keep = [&](AVPacket& p) {
      if (p.pts != AV_NOPTS_VALUE && p.pts < 0) return;
      out.push_back(av::make_packet());
      av_packet_move_ref(out.back().get(), &p);
    };
    av::FramePtr frame = av::make_frame();
    while (conv.pop(*frame, true)) enc.encode(frame.get(), keep);
    enc.encode(nullptr, keep);
    return out;
  }

  void place(AVPacket& p) {
    if (pending_) mux_.write(*pending_, out_, {1, rate_});
    else pending_ = av::make_packet();
    av_packet_unref(pending_.get());
    av_packet_move_ref(pending_.get(), &p);
    av_packet_free_side_data(pending_.get());
    pending_->flags &= ~AV_PKT_FLAG_DISCARD;
    pending_->pts = pending_->dts = pos_;
    pending_->duration = frame_;
    pos_ += frame_;
  }

  av::Muxer& mux_;
  int out_;
  int rate_;
  int frame_;
  av::PacketPtr silence_, pending_;
  av::AudioSettings format_;
  std::vector<bool> reencode_;
  std::size_t clip_ = 0;
  std::int64_t pos_ = 0;
  bool first_ = true;
};

// One AAC frame of silence from our encoder, if its stream header (the
// AudioSpecificConfig) is byte-identical to the copied stream's, so the
// frame is valid inside that stream.
av::PacketPtr silent_frame(const AVStream* like) {
  const AVCodecParameters* cp = like->codecpar;
  av::AudioSettings s;
  s.sample_rate = cp->sample_rate;
  s.channels = cp->ch_layout.nb_channels;
  av::Encoder enc = av::Encoder::audio(s, true);
  if (enc->extradata_size != cp->extradata_size ||
      (cp->extradata_size > 0 && std::memcmp(enc->extradata, cp->extradata, std::size_t(cp->extradata_size)) != 0))
    return nullptr;
  av::PacketPtr silence;
  av::FramePtr zeros = av::make_frame();
  zeros->format = enc->sample_fmt;
  zeros->nb_samples = enc.frame_size();
  zeros->sample_rate = s.sample_rate;
  av::check(av_channel_layout_copy(&zeros->ch_layout, &enc->ch_layout), ErrorKind::io, "", "channel layout");
  av::check(av_frame_get_buffer(zeros.get(), 0), ErrorKind::io, "", "audio buffer");
  av_samples_set_silence(zeros->extended_data, 0, zeros->nb_samples, s.channels, enc->sample_fmt);
  int produced = 0;
  auto keep = [&](AVPacket& p) {
    // The second packet onwards is steady-state silence (the first carries the priming).
    if (++produced == 2) {
      silence = av::make_packet();
      av_packet_ref(silence.get(), &p);
    }
  };
  for (int i = 0; i < 4 && !silence; ++i) {
    zeros->pts = std::int64_t(i) * zeros->nb_samples;
    enc.encode(zeros.get(), keep);
  }
  if (silence) av_packet_free_side_data(silence.get());
  return silence;
}

}  // namespace

std::unique_ptr<AudioTrack> copy_audio(av::Muxer& mux, const AVStream* first, std::vector<bool> reencode) {
  av::PacketPtr silence = silent_frame(first);
  if (!silence) return nullptr;
  av::AudioSettings format;
  format.sample_rate = first->codecpar->sample_rate;
  format.channels = first->codecpar->ch_layout.nb_channels;
  if (first->codecpar->bit_rate >= 32000 && first->codecpar->bit_rate <= 512000) format.bitrate = first->codecpar->bit_rate;
  return std::make_unique<CopyAudio>(mux, first, std::move(silence), format, std::move(reencode));
}

std::unique_ptr<AudioTrack> encode_audio(av::Muxer& mux, const av::AudioSettings& settings) {
  return std::make_unique<EncodeAudio>(mux, settings);
}

}  // namespace seedreel::post
