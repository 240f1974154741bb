#include "conform/audio_track.hpp"

#include <cmath>

namespace seedreel::conform_detail {

AudioTrack::AudioTrack(av::Encoder& encoder, double origin_seconds)
    : encoder_(encoder), converter_(encoder.get()), origin_(origin_seconds), out_(av::make_frame()) {}

void AudioTrack::push(const AVFrame& frame, AVRational time_base) {
  if (frame.nb_samples <= 0 || frame.sample_rate <= 0) return;
  if (frame.pts == AV_NOPTS_VALUE) {
    converter_.push(frame);
    return;
  }
  double start = double(frame.pts) * av_q2d(time_base) - origin_;
  double placed_at = double(converter_.samples_in()) / rate();
  // More than a millisecond of nothing before this frame: fill it with silence.
  if (start > placed_at + 0.001) converter_.push_silence(std::llround((start - placed_at) * rate()));
  if (start >= 0) {
    converter_.push(frame);
    return;
  }
  // Starts before the origin: keep only its tail.
  int drop = int(std::llround(-start * frame.sample_rate));
  if (drop >= frame.nb_samples) return;
  av::FramePtr view = av::make_frame();
  av::check(av_frame_ref(view.get(), &frame), ErrorKind::input, "", "audio frame");
  int bps = av_get_bytes_per_sample(AVSampleFormat(frame.format));
  int channels = frame.ch_layout.nb_channels;
  if (av_sample_fmt_is_planar(AVSampleFormat(frame.format))) {
    for (int c = 0; c < channels; ++c) view->extended_data[c] += std::ptrdiff_t(drop) * bps;
  } else {
    view->extended_data[0] += std::ptrdiff_t(drop) * bps * channels;
  }
  view->nb_samples -= drop;
  converter_.push(*view);
}

void AudioTrack::encode_until(std::int64_t limit, const Sink& sink) {
  int size = encoder_.frame_size() > 0 ? encoder_.frame_size() : 1024;
  while (encoded_ + size <= limit && converter_.buffered() >= size && converter_.pop(*out_)) {
    encoded_ += out_->nb_samples;
    encoder_.encode(out_.get(), sink);
  }
}

void AudioTrack::finish(std::int64_t total, const Sink& sink) {
  converter_.flush();
  if (converter_.samples_in() < total) converter_.push_silence(total - converter_.samples_in());
  encode_until(total, sink);
  if (encoded_ < total && converter_.pop(*out_, /*partial=*/true)) {
    out_->nb_samples = int(std::min<std::int64_t>(out_->nb_samples, total - encoded_));
    encoded_ += out_->nb_samples;
    encoder_.encode(out_.get(), sink);
  }
  encoder_.encode(nullptr, sink);
}

}  // namespace seedreel::conform_detail
