// Videos: the smallest change that passes. Nothing when preflight passes (and
// the codec is one the service decodes); a remux into mp4 when only the
// container is wrong (audio re-encoded when mp4 cannot carry it); otherwise one pass of decode -> filter (rotate, scale
// into the pixel budget, pad/crop, frame rate) -> H.264 + AAC in a faststart
// mp4, trimmed to the file's share of the total and extended (last frame held,
// silence) when too short.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "av/decode.hpp"
#include "av/demux.hpp"
#include "av/encode.hpp"
#include "av/filter.hpp"
#include "av/mux.hpp"
#include "conform/audio_track.hpp"
#include "conform/job.hpp"
#include "util/interrupt.hpp"
#include "util/kill_point.hpp"

namespace seedreel::conform_detail {

namespace {

constexpr double kEps = 1e-6;

bool one_of(const std::string& v, std::initializer_list<const char*> list) {
  return std::any_of(list.begin(), list.end(), [&](const char* x) { return v == x; });
}

// Codecs we leave as they are: what the service's decoder is known to take.
bool video_codec_ok(const std::string& c) { return one_of(c, {"h264", "hevc"}); }
// Audio that can be copied into mp4 unchanged.
bool audio_codec_copyable(const std::string& c) { return one_of(c, {"aac", "mp3"}); }

// The frame rate we encode at: the source's when inside the band; above it,
// the source's divided by the smallest whole number that fits (120 -> 60,
// 100 -> 50), which drops frames evenly; below it, the minimum (frames repeat).
AVRational target_rate(const AVStream* s, double fps) {
  const Range& band = media_limits().video_fps;
  AVRational r = s->avg_frame_rate.num > 0 && s->avg_frame_rate.den > 0 ? s->avg_frame_rate : s->r_frame_rate;
  if (r.num <= 0 || r.den <= 0) r = av_d2q(fps > 0 ? fps : band.min, 1001000);
  double f = av_q2d(r);
  if (f > band.max + kEps) {
    int k = int(std::ceil(f / band.max - kEps));
    r = av_mul_q(r, {1, k});
  } else if (f < band.min - kEps) {
    r = {int(band.min), 1};
  }
  av_reduce(&r.num, &r.den, r.num, r.den, 1 << 30);
  return r;
}

std::string rotate_filter(int rotation) {
  switch (rotation) {
    case 90: return "transpose=clock,";
    case 180: return "hflip,vflip,";
    case 270: return "transpose=cclock,";
    default: return "";
  }
}

// HDR video (PQ or HLG, BT.2020: phones record HLG by default) brought to
// BT.709 SDR. Only re-tagging the matrix leaves it grey and dark; a mobius
// curve keeps what fits SDR almost as it is and rolls off the highlights.
bool is_hdr(const AVStream* s) {
  auto trc = s->codecpar->color_trc;
  return trc == AVCOL_TRC_SMPTE2084 || trc == AVCOL_TRC_ARIB_STD_B67;
}
constexpr const char* kToneMap =
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=mobius:desat=0,"
    "zscale=t=bt709:m=bt709:r=tv,format=yuv420p,";

// The libavfilter graph: upright, SDR, uniform scale, pad/crop, square pixels,
// constant frame rate, yuv420p with BT.709 matrix and limited range.
std::string filter_graph(int rotation, bool hdr, const Placement& pl, const PadFill& fill, AVRational rate) {
  const Size& c = pl.content;
  const Size& k = pl.canvas;
  // The rate first: frames dropped early cost nothing later, and filters that
  // join two branches (overlay) cannot lose the last frame's duration to it.
  std::string head = fmt::format("{}fps={}/{},{}", rotate_filter(rotation), rate.num, rate.den, hdr ? kToneMap : "");
  std::string scale = fmt::format("scale={}:{}:flags=bicubic:out_color_matrix=bt709:out_range=tv", c.width, c.height);
  std::string tail = "setsar=1,format=yuv420p";
  if (pl.pads && fill.blur) {
    return fmt::format(
        "[in]{}split=2[a][b];"
        "[a]scale={}:{}:force_original_aspect_ratio=increase:out_color_matrix=bt709:out_range=tv,crop={}:{},"
        "boxblur=luma_radius=min(h\\,w)/20:chroma_radius=min(cw\\,ch)/20[bg];"
        "[b]{}[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2:eof_action=pass,{}[out]",
        head, k.width, k.height, k.width, k.height, scale, tail);
  }
  std::string fit;
  if (pl.pads)
    fit = fmt::format("pad={}:{}:(ow-iw)/2:(oh-ih)/2:color=0x{:02x}{:02x}{:02x},", k.width, k.height, fill.rgb[0],
                      fill.rgb[1], fill.rgb[2]);
  else if (pl.crops)
    fit = fmt::format("crop={}:{},", k.width, k.height);
  return head + scale + "," + fit + tail;
}

// The audio decoder for re-encoding stream `ai`; none (and a change saying
// the audio is dropped) when FFmpeg has no decoder for it.
std::optional<av::Decoder> audio_decoder(av::Input& in, int ai, const MediaInfo& m, std::vector<Change>& changes) {
  std::optional<av::Decoder> dec;
  if (ai < 0) return dec;
  try {
    dec.emplace(in, ai);
  } catch (const Error&) {
    changes.push_back({"audio", m.audio ? m.audio->codec : "?", "dropped (no decoder)"});
  }
  return dec;
}

// AAC for what `dec` decodes (mono stays mono, more than two channels are
// downmixed to stereo), added to the muxer as stream `*index`.
av::Encoder aac_for(const av::Decoder& dec, av::Muxer& mux, int* index) {
  av::AudioSettings aset;
  aset.channels = std::clamp(dec->ch_layout.nb_channels, 1, 2);
  av::Encoder enc = av::Encoder::audio(aset, mux.needs_global_header());
  *index = mux.add_stream(enc.get());
  return enc;
}

// Copies the video stream into mp4. Audio mp4 cannot carry as it is (Opus,
// Vorbis, FLAC, PCM from mkv/webm/avi) is re-encoded to AAC on the video's
// timeline; the picture, the costly part, is never touched.
Conformed remux(const Job& job, bool audio_copy) {
  const MediaInfo& m = job.info;
  av::Input in(m.path);
  int vi = in.best_stream(AVMEDIA_TYPE_VIDEO), ai = in.best_stream(AVMEDIA_TYPE_AUDIO);
  std::vector<Change> changes{{"converted", m.format, "mp4 (video copied)"}};
  std::optional<av::Decoder> adec;
  if (!audio_copy) {
    adec = audio_decoder(in, ai, m, changes);
    if (!adec) ai = -1;
  }
  auto target = job.target("mp4");
  AtomicFile out(target, job.existing());
  av::Muxer mux(out.temp_path(), "mp4");
  int vo = mux.add_copy(in->streams[vi]);
  std::optional<av::Encoder> aenc;
  int ao = -1;
  if (adec) {
    aenc.emplace(aac_for(*adec, mux, &ao));
    changes.push_back({"audio", m.audio->codec,
                       fmt::format("aac {} Hz {} ch", (*aenc)->sample_rate, (*aenc)->ch_layout.nb_channels)});
  } else if (ai >= 0) {
    ao = mux.add_copy(in->streams[ai]);
  }
  mux.begin();

  const AVStream* vs = in->streams[vi];
  std::optional<AudioTrack> track;
  if (aenc) track.emplace(*aenc, vs->start_time != AV_NOPTS_VALUE ? double(vs->start_time) * av_q2d(vs->time_base) : 0);
  auto asink = [&](AVPacket& p) { mux.write(p, ao, aenc->get()->time_base); };
  av::FramePtr frame = av::make_frame();
  auto on_audio = [&] {
    while (adec->receive(frame.get())) {
      track->push(*frame, in->streams[ai]->time_base);
      av_frame_unref(frame.get());
    }
    track->encode_until(track->placed(), asink);
  };
  av::PacketPtr pkt = av::make_packet();
  for (;;) {
    throw_if_interrupted(m.path);
    in.rearm();
    int ret = av_read_frame(in.get(), pkt.get());
    if (ret == AVERROR_EOF) break;
    av::check(ret, ErrorKind::input, m.path, "read failed");
    if (pkt->stream_index == vi) {
      mux.write(*pkt, vo, vs->time_base);
    } else if (pkt->stream_index == ai) {
      if (adec) {
        adec->send(pkt.get());
        on_audio();
      } else {
        mux.write(*pkt, ao, in->streams[ai]->time_base);
      }
    }
    av_packet_unref(pkt.get());
  }
  if (adec) {
    adec->send(nullptr);
    on_audio();
    track->finish(track->placed(), asink);
  }
  mux.end();
  kill_point("conform");
  out.commit();
  Conformed c;
  c.action = Action::remuxed;
  c.output = target.string();
  c.changes = std::move(changes);
  return c;
}

struct Plan {
  Placement placement;
  AVRational rate{};
  double keep = 0;        // seconds of the source kept (trim point)
  double skip = 0;        // seconds of the source's start left out (keep_end)
  double min_length = 0;  // seconds the output must last at least (extension)
  std::int64_t max_video_bitrate = 0;
  bool tone_map = false;  // HDR in, SDR out
};

Conformed reencode(const Job& job, const Plan& plan, std::vector<Change> changes) {
  const MediaInfo& m = job.info;
  av::Input in(m.path);
  int vi = in.best_stream(AVMEDIA_TYPE_VIDEO), ai = in.best_stream(AVMEDIA_TYPE_AUDIO);
  const AVStream* vs = in->streams[vi];
  av::Decoder vdec(in, vi);
  std::optional<av::Decoder> adec = audio_decoder(in, ai, m, changes);
  if (!adec) ai = -1;

  auto target = job.target("mp4");
  AtomicFile out(target, job.existing());
  av::Muxer mux(out.temp_path(), "mp4");
  av::VideoSettings vset;
  vset.width = plan.placement.canvas.width;
  vset.height = plan.placement.canvas.height;
  vset.frame_rate = plan.rate;
  vset.max_bitrate = plan.max_video_bitrate;
  av::Encoder venc = av::Encoder::video(vset, mux.needs_global_header());
  int vo = mux.add_stream(venc.get());
  std::optional<av::Encoder> aenc;
  int ao = -1;
  if (adec) aenc.emplace(aac_for(*adec, mux, &ao));
  mux.begin();

  // One timeline for both streams, starting at the video's first timestamp.
  std::int64_t v_origin = vs->start_time != AV_NOPTS_VALUE ? vs->start_time : 0;
  // Keeping the end: the timeline starts `skip` seconds in; earlier frames and samples fall before it.
  v_origin += av_rescale_q(std::llround(plan.skip * AV_TIME_BASE), AV_TIME_BASE_Q, vs->time_base);
  double origin_s = double(v_origin) * av_q2d(vs->time_base);
  std::optional<AudioTrack> track;
  if (aenc) track.emplace(*aenc, origin_s);

  std::string graph = filter_graph(m.video->rotation, plan.tone_map, plan.placement, job.options.pad, plan.rate);
  std::unique_ptr<av::VideoFilter> filter;
  AVRational enc_tb = venc->time_base;
  std::int64_t frames = 0;
  const double frame_s = av_q2d(av_inv_q(plan.rate));
  bool video_done = false;
  av::FramePtr last;  // held for extension
  auto vsink = [&](AVPacket& p) { mux.write(p, vo, enc_tb); };
  auto asink = [&](AVPacket& p) { mux.write(p, ao, aenc->get()->time_base); };

  av::FramePtr filtered = av::make_frame();
  auto emit = [&](AVFrame* f) {
    f->pts = frames++;
    f->pict_type = AV_PICTURE_TYPE_NONE;
    venc.encode(f, vsink);
  };
  auto pull = [&] {
    while (!video_done && filter->pull(*filtered)) {
      // Keep a frame only if it ends within what we keep: the total stays within budget.
      if ((frames + 1) * frame_s > plan.keep + kEps) {
        video_done = true;
        break;
      }
      last.reset(av_frame_clone(filtered.get()));
      emit(filtered.get());
    }
  };
  av::FramePtr frame = av::make_frame();
  auto on_video = [&] {
    while (vdec.receive(frame.get())) {
      if (frame->pts != AV_NOPTS_VALUE) frame->pts -= v_origin;
      if (!video_done && (frame->pts == AV_NOPTS_VALUE || frame->pts >= 0)) {
        if (!filter) filter = std::make_unique<av::VideoFilter>(vdec.get(), vs->time_base, graph);
        filter->push(frame.get());
        pull();
      }
      av_frame_unref(frame.get());
    }
  };
  bool audio_done = ai < 0;
  auto on_audio = [&] {
    while (adec->receive(frame.get())) {
      if (!audio_done) track->push(*frame, in->streams[ai]->time_base);
      av_frame_unref(frame.get());
    }
    // Audio never runs ahead of the video already written: good interleaving, exact end.
    std::int64_t limit = std::llround(std::min(plan.keep, frames * frame_s) * track->rate());
    track->encode_until(limit, asink);
    if (track->placed() >= std::llround(plan.keep * track->rate())) audio_done = true;
  };

  av::PacketPtr pkt = av::make_packet();
  while (!(video_done && audio_done)) {
    throw_if_interrupted(m.path);
    in.rearm();
    int ret = av_read_frame(in.get(), pkt.get());
    if (ret == AVERROR_EOF) break;
    av::check(ret, ErrorKind::input, m.path, "read failed");
    if (pkt->stream_index == vi && !video_done) {
      vdec.send(pkt.get());
      on_video();
    } else if (pkt->stream_index == ai && !audio_done) {
      adec->send(pkt.get());
      on_audio();
    }
    av_packet_unref(pkt.get());
  }
  if (!video_done) {
    vdec.send(nullptr);
    on_video();
    if (filter) {
      filter->push(nullptr);
      pull();
    }
  }
  if (frames == 0) throw Error(ErrorKind::input, m.path, "no video frame could be decoded");
  // Too short: hold the last frame until the minimum length.
  std::int64_t need = std::int64_t(std::ceil(plan.min_length / frame_s - kEps));
  while (frames < need) {
    av::FramePtr copy(av_frame_clone(last.get()));
    emit(copy.get());
  }
  venc.encode(nullptr, vsink);
  if (track) {
    if (!audio_done) {
      adec->send(nullptr);
      on_audio();
    }
    track->finish(std::llround(double(frames) * frame_s * track->rate()), asink);
  }
  mux.end();
  kill_point("conform");
  out.commit();

  double length = double(frames) * frame_s;
  double source = m.media_duration();
  if (length + 1e-3 < source) changes.push_back({"trimmed", seconds(source), seconds(length)});
  if (length > source + 1e-3) changes.push_back({"extended", seconds(source), seconds(length) + " (last frame held)"});
  Conformed c;
  c.action = Action::reencoded;
  c.output = target.string();
  c.changes = std::move(changes);
  return c;
}

}  // namespace

Conformed conform_video(const Job& job) {
  const MediaInfo& m = job.info;
  const auto& L = media_limits();
  const VideoStream& v = *m.video;
  const double source = m.media_duration();

  bool trim = source > job.duration + 1e-3;
  bool extend = source < L.video_duration.min;
  bool fps = !L.video_fps.contains(v.fps);
  bool geometry = has_rule(job.findings, "video.pixels") || has_rule(job.findings, "video.aspect") ||
                  has_rule(job.findings, "video.width") || has_rule(job.findings, "video.height");
  bool too_big = has_rule(job.findings, "video.file_size");
  bool container = has_rule(job.findings, "video.format");
  bool codec = !video_codec_ok(v.codec);
  bool audio_copy = !m.audio || audio_codec_copyable(m.audio->codec);

  if (!trim && !extend && !fps && !geometry && !too_big && !codec) {
    if (!container) return copy_unchanged(job);
    return remux(job, audio_copy);
  }

  Plan plan;
  av::Input probe_in(m.path);
  const AVStream* vs = probe_in->streams[probe_in.best_stream(AVMEDIA_TYPE_VIDEO)];
  plan.rate = target_rate(vs, v.fps);
  plan.tone_map = is_hdr(vs);
  plan.keep = std::min(job.duration, std::max(source, L.video_duration.min));
  if (job.options.keep_end && trim) plan.skip = source - plan.keep;
  plan.min_length = std::min(L.video_duration.min, job.duration);
  plan.placement = place_video({m.width, m.height}, job.options.fit);
  // Leave room under the size cap for audio (128 kb/s) and the container (~2 %).
  double length = std::max(plan.keep, plan.min_length);
  double video_bytes = double(L.video_max_bytes) * 0.97 - (m.audio ? 128000.0 / 8 * length : 0);
  plan.max_video_bitrate = std::int64_t(video_bytes * 8 / std::max(length, 1.0));

  std::vector<Change> changes;
  if (codec || container)
    changes.push_back({"converted", fmt::format("{} {}", m.format, v.codec), "mp4 h264"});
  if (v.rotation)
    changes.push_back({"rotated", fmt::format("display matrix {}°", v.rotation), "pixels upright, matrix cleared"});
  if (plan.tone_map)
    changes.push_back({"tone_mapped", fmt::format("HDR ({})", av_color_transfer_name(vs->codecpar->color_trc)),
                       "SDR BT.709"});
  const Placement& pl = plan.placement;
  if (pl.content.width != m.width || pl.content.height != m.height)
    changes.push_back({"resized", dims(m.width, m.height), dims(pl.content.width, pl.content.height)});
  if (pl.pads) changes.push_back({"padded", dims(pl.content.width, pl.content.height), dims(pl.canvas.width, pl.canvas.height)});
  if (pl.crops) changes.push_back({"cropped", dims(pl.content.width, pl.content.height), dims(pl.canvas.width, pl.canvas.height)});
  if (std::abs(av_q2d(plan.rate) - v.fps) > 0.01)
    changes.push_back({"frame_rate", fmt::format("{:.3f} fps", v.fps), fmt::format("{:.3f} fps", av_q2d(plan.rate))});
  if (too_big)
    changes.push_back({"bitrate", fmt::format("{:.2f} MB", m.file_size / 1e6),
                       fmt::format("≤ {:.1f} Mb/s video", plan.max_video_bitrate / 1e6)});
  return reencode(job, plan, std::move(changes));
}

}  // namespace seedreel::conform_detail
