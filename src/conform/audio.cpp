// Audio: wav and mp3 that pass stay as they are. Anything else is decoded and
// written as 16-bit PCM wav (an mp3 stays mp3), resampled to at most 48 kHz
// and downmixed to at most stereo, trimmed to its share of the total, padded
// with silence to the minimum length. 15 s of 48 kHz stereo wav is 2.9 MB, so
// the size cap is met by construction.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "av/decode.hpp"
#include "av/demux.hpp"
#include "av/encode.hpp"
#include "av/mux.hpp"
#include "conform/audio_track.hpp"
#include "conform/job.hpp"

namespace seedreel::conform_detail {

namespace {

constexpr int kMaxRate = 48000;

// An mp3 is read as whole frames, encoder delay included, so its samples are
// chosen to land on a frame edge: at most `length` when trimming, at least it
// when extending (overshooting by under a frame plus the delay; see mp3_overshoot).
std::int64_t mp3_samples(const AVCodecContext* enc, double length, bool at_most) {
  std::int64_t fs = enc->frame_size > 0 ? enc->frame_size : 1152, pad = enc->initial_padding;
  std::int64_t want = std::llround(length * enc->sample_rate);
  if (!at_most) return want;
  // LAME writes floor((samples + delay) / frame) + 1 frames: aim for want / frame of them.
  return std::max<std::int64_t>(fs, (want / fs - 1) * fs - pad);
}

}  // namespace

double mp3_overshoot(const MediaInfo& m) {
  if (m.format != "mp3" || !m.audio || m.media_duration() >= media_limits().audio_duration.min) return 0;
  // Encoder delay (LAME: 1105 samples) plus up to one frame (1152), at the output rate.
  int rate = std::min(m.audio->sample_rate > 0 ? m.audio->sample_rate : kMaxRate, kMaxRate);
  return 2300.0 / rate;
}

Conformed conform_audio(const Job& job) {
  const MediaInfo& m = job.info;
  const AudioStream& a = *m.audio;
  const auto& L = media_limits();
  const double source = m.media_duration();

  bool trim = source > job.duration + 1e-3;
  bool extend = source < L.audio_duration.min;
  bool format = has_rule(job.findings, "audio.format");
  bool too_big = has_rule(job.findings, "audio.file_size");
  if (!trim && !extend && !format && !too_big) return copy_unchanged(job);

  const bool mp3 = m.format == "mp3";
  double length = std::clamp(source, L.audio_duration.min, job.duration);

  av::Input in(m.path);
  int ai = in.best_stream(AVMEDIA_TYPE_AUDIO);
  av::Decoder dec(in, ai);
  const AVStream* s = in->streams[ai];

  auto target = job.target(mp3 ? "mp3" : "wav");
  AtomicFile out(target, job.existing());
  av::Muxer mux(out.temp_path(), mp3 ? "mp3" : "wav");
  av::AudioSettings set;
  set.codec = mp3 ? "libmp3lame" : "pcm_s16le";
  set.sample_rate = std::min(dec->sample_rate > 0 ? dec->sample_rate : kMaxRate, kMaxRate);
  set.channels = std::clamp(dec->ch_layout.nb_channels, 1, 2);
  set.bitrate = mp3 ? std::clamp<std::int64_t>(a.bitrate, 128000, 320000) : 0;
  av::Encoder enc = av::Encoder::audio(set, mux.needs_global_header());
  int so = mux.add_stream(enc.get());
  mux.begin(false);

  double origin = s->start_time != AV_NOPTS_VALUE ? double(s->start_time) * av_q2d(s->time_base) : 0;
  AudioTrack track(enc, origin);
  const std::int64_t total = mp3 ? mp3_samples(enc.get(), length, !extend) : std::llround(length * set.sample_rate);
  auto sink = [&](AVPacket& p) { mux.write(p, so, enc->time_base); };
  av::decode_frames(in, dec, [&](AVFrame& f) {
    track.push(f, s->time_base);
    track.encode_until(total, sink);
    return track.placed() < total;
  });
  track.finish(total, sink);
  mux.end();
  out.commit();

  Conformed c;
  c.action = Action::reencoded;
  c.output = target.string();
  if (format) c.changes.push_back({"converted", fmt::format("{} {}", m.format, a.codec), fmt::format("{} {}", mp3 ? "mp3" : "wav", set.codec)});
  if (set.sample_rate != a.sample_rate)
    c.changes.push_back({"resampled", fmt::format("{} Hz", a.sample_rate), fmt::format("{} Hz", set.sample_rate)});
  if (set.channels != a.channels)
    c.changes.push_back({"downmixed", fmt::format("{} ch", a.channels), fmt::format("{} ch", set.channels)});
  if (too_big)
    c.changes.push_back({"recompressed", fmt::format("{:.2f} MB", m.file_size / 1e6), set.codec});
  double written = double(total) / set.sample_rate;
  if (written + 1e-3 < source) c.changes.push_back({"trimmed", seconds(source), seconds(written)});
  if (written > source + 1e-3) c.changes.push_back({"extended", seconds(source), seconds(written) + " (silence)"});
  return c;
}

}  // namespace seedreel::conform_detail
