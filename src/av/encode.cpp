#include "av/encode.hpp"

#include <algorithm>

extern "C" {
#include <libavutil/opt.h>
}

namespace seedreel::av {

namespace {

CodecContextPtr alloc_context(const std::string& name) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
  if (!codec) throw Error(ErrorKind::input, name, "encoder not available in this FFmpeg build");
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

}  // namespace

Encoder::Encoder(CodecContextPtr ctx) : ctx_(std::move(ctx)), packet_(make_packet()) {}

Encoder Encoder::video(const VideoSettings& s, bool global_header) {
  CodecContextPtr ctx = alloc_context(s.codec);
  ctx->width = s.width;
  ctx->height = s.height;
  ctx->pix_fmt = s.pix_fmt;
  ctx->framerate = s.frame_rate;
  ctx->time_base = av_inv_q(s.frame_rate);
  ctx->sample_aspect_ratio = {1, 1};
  ctx->thread_count = s.threads;
  if (s.gop > 0) ctx->gop_size = s.gop;
  if (s.bt709) {
    ctx->color_primaries = AVCOL_PRI_BT709;
    ctx->color_trc = AVCOL_TRC_BT709;
    ctx->colorspace = AVCOL_SPC_BT709;
    ctx->color_range = AVCOL_RANGE_MPEG;
  }
  if (global_header) ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (s.codec == "libx264" || s.codec == "libx265") {
    av_opt_set(ctx->priv_data, "preset", s.preset.c_str(), 0);
    if (s.bitrate == 0) av_opt_set_double(ctx->priv_data, "crf", s.crf, 0);
  }
  if (s.bitrate > 0) ctx->bit_rate = s.bitrate;
  if (s.max_bitrate > 0) {
    ctx->rc_max_rate = s.max_bitrate;
    ctx->rc_buffer_size = int(std::min<std::int64_t>(s.max_bitrate * 2, INT32_MAX));
  }
  check(avcodec_open2(ctx.get(), ctx->codec, nullptr), ErrorKind::input, s.codec, "cannot open video encoder");
  return Encoder(std::move(ctx));
}

Encoder Encoder::audio(const AudioSettings& s, bool global_header) {
  CodecContextPtr ctx = alloc_context(s.codec);
  const AVCodec* codec = ctx->codec;
  ctx->sample_rate = s.sample_rate;
  av_channel_layout_default(&ctx->ch_layout, s.channels);
  // The encoder's first (preferred) sample format: fltp for FFmpeg's AAC.
  ctx->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
  ctx->bit_rate = s.bitrate;
  ctx->time_base = {1, s.sample_rate};
  if (global_header) ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(avcodec_open2(ctx.get(), codec, nullptr), ErrorKind::input, s.codec, "cannot open audio encoder");
  return Encoder(std::move(ctx));
}

void Encoder::encode(const AVFrame* frame, const std::function<void(AVPacket&)>& sink) {
  int ret = avcodec_send_frame(ctx_.get(), frame);
  if (ret == AVERROR_EOF) return;  // already drained
  check(ret, ErrorKind::io, ctx_->codec->name, "encoding failed");
  for (;;) {
    ret = avcodec_receive_packet(ctx_.get(), packet_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    check(ret, ErrorKind::io, ctx_->codec->name, "encoding failed");
    sink(*packet_);
    av_packet_unref(packet_.get());
  }
}

// --- AudioConverter -------------------------------------------------------

AudioConverter::AudioConverter(const AVCodecContext* encoder) : enc_(encoder) {
  fifo_ = av_audio_fifo_alloc(enc_->sample_fmt, enc_->ch_layout.nb_channels, 4096);
  if (!fifo_) throw std::bad_alloc();
}

AudioConverter::~AudioConverter() {
  av_audio_fifo_free(fifo_);
  av_channel_layout_uninit(&in_layout_);
}

void AudioConverter::rebuild(const AVFrame& in) {
  flush();  // keep what the old resampler still holds
  SwrContext* raw = nullptr;
  // FFmpeg 5.1 declares these layouts non-const though it only reads them.
  check(swr_alloc_set_opts2(&raw, const_cast<AVChannelLayout*>(&enc_->ch_layout), enc_->sample_fmt, enc_->sample_rate,
                            const_cast<AVChannelLayout*>(&in.ch_layout),
                            AVSampleFormat(in.format), in.sample_rate, 0, nullptr),
        ErrorKind::input, "", "cannot set up resampler");
  swr_.reset(raw);
  check(swr_init(raw), ErrorKind::input, "", "cannot set up resampler");
  av_channel_layout_uninit(&in_layout_);
  check(av_channel_layout_copy(&in_layout_, &in.ch_layout), ErrorKind::input, "", "channel layout");
  in_rate_ = in.sample_rate;
  in_format_ = in.format;
}

void AudioConverter::write(uint8_t** data, int samples) {
  if (samples <= 0) return;
  if (av_audio_fifo_write(fifo_, reinterpret_cast<void**>(data), samples) < samples) throw std::bad_alloc();
  samples_in_ += samples;
}

void AudioConverter::push(const AVFrame& in) {
  if (!swr_ || in.sample_rate != in_rate_ || in.format != in_format_ ||
      av_channel_layout_compare(&in.ch_layout, &in_layout_) != 0)
    rebuild(in);
  int room = swr_get_out_samples(swr_.get(), in.nb_samples);
  FramePtr tmp = make_frame();
  tmp->format = enc_->sample_fmt;
  tmp->nb_samples = room;
  check(av_channel_layout_copy(&tmp->ch_layout, &enc_->ch_layout), ErrorKind::input, "", "channel layout");
  check(av_frame_get_buffer(tmp.get(), 0), ErrorKind::input, "", "audio buffer");
  int got = check(swr_convert(swr_.get(), tmp->data, room, const_cast<const uint8_t**>(in.extended_data), in.nb_samples),
                  ErrorKind::input, "", "resampling failed");
  write(tmp->extended_data, got);
}

void AudioConverter::push_silence(std::int64_t samples) {
  FramePtr tmp = make_frame();
  tmp->format = enc_->sample_fmt;
  tmp->nb_samples = 4096;
  check(av_channel_layout_copy(&tmp->ch_layout, &enc_->ch_layout), ErrorKind::input, "", "channel layout");
  check(av_frame_get_buffer(tmp.get(), 0), ErrorKind::input, "", "audio buffer");
  av_samples_set_silence(tmp->extended_data, 0, tmp->nb_samples, enc_->ch_layout.nb_channels, enc_->sample_fmt);
  while (samples > 0) {
    int n = int(std::min<std::int64_t>(samples, tmp->nb_samples));
    write(tmp->extended_data, n);
    samples -= n;
  }
}

void AudioConverter::flush() {
  if (!swr_) return;
  int room = swr_get_out_samples(swr_.get(), 0);
  if (room > 0) {
    FramePtr tmp = make_frame();
    tmp->format = enc_->sample_fmt;
    tmp->nb_samples = room;
    check(av_channel_layout_copy(&tmp->ch_layout, &enc_->ch_layout), ErrorKind::input, "", "channel layout");
    check(av_frame_get_buffer(tmp.get(), 0), ErrorKind::input, "", "audio buffer");
    int got = check(swr_convert(swr_.get(), tmp->data, room, nullptr, 0), ErrorKind::input, "", "resampling failed");
    write(tmp->extended_data, got);
  }
  swr_.reset();
  in_rate_ = 0;
}

std::int64_t AudioConverter::buffered() const { return av_audio_fifo_size(fifo_); }

bool AudioConverter::pop(AVFrame& out, bool partial) {
  int size = enc_->frame_size > 0 ? enc_->frame_size : 1024;
  int have = av_audio_fifo_size(fifo_);
  if (have == 0 || (have < size && !partial)) return false;
  int n = std::min(have, size);
  av_frame_unref(&out);
  out.format = enc_->sample_fmt;
  out.nb_samples = n;
  out.sample_rate = enc_->sample_rate;
  check(av_channel_layout_copy(&out.ch_layout, &enc_->ch_layout), ErrorKind::input, "", "channel layout");
  check(av_frame_get_buffer(&out, 0), ErrorKind::input, "", "audio buffer");
  if (av_audio_fifo_read(fifo_, reinterpret_cast<void**>(out.extended_data), n) < n) throw std::bad_alloc();
  out.pts = next_pts_;
  next_pts_ += n;
  return true;
}

}  // namespace seedreel::av
