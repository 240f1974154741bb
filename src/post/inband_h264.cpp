#include "post/inband_h264.hpp"

#include <array>
#include <cmath>
#include <vector>

extern "C" {
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include "post/grab.hpp"

namespace seedreel::post {

namespace {

// Exp-Golomb reading of the first fields of an SPS/PPS payload (after its
// NAL header byte), skipping emulation-prevention bytes.
class Bits {
 public:
  Bits(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i >= 2 && p[i] == 3 && p[i - 1] == 0 && p[i - 2] == 0) continue;
      bytes_.push_back(p[i]);
    }
  }
  bool bit() {
    if (at_ >= bytes_.size() * 8) throw Error(ErrorKind::input, "", "parameter set cut short");
    const bool b = (bytes_[at_ / 8] >> (7 - at_ % 8)) & 1;
    ++at_;
    return b;
  }
  void skip(int n) {
    for (int i = 0; i < n; ++i) bit();
  }
  unsigned ue() {
    int zeros = 0;
    while (!bit())
      if (++zeros > 31) throw Error(ErrorKind::input, "", "bad Exp-Golomb code");
    unsigned v = 1;
    for (int i = 0; i < zeros; ++i) v = (v << 1) | unsigned(bit());
    return v - 1;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

struct AvcC {
  int nal_length_size = 4;
  std::array<bool, 256> used{};  // SPS or PPS ids the sample entry defines
};

// The avcC record: [1 version, profile, compatibility, level, 0xfc | length
// size - 1, 0xe0 | SPS count, (u16 size, SPS)..., PPS count, (u16 size, PPS)...].
std::optional<AvcC> read_avcc(const AVCodecParameters* p) {
  const std::uint8_t* d = p->extradata;
  const std::size_t n = std::size_t(std::max(p->extradata_size, 0));
  if (n < 7 || d[0] != 1) return std::nullopt;
  AvcC c;
  c.nal_length_size = (d[4] & 3) + 1;
  std::size_t at = 5;
  for (int kind = 0; kind < 2; ++kind) {  // SPS, then PPS
    if (at >= n) return std::nullopt;
    const int count = kind == 0 ? d[at] & 0x1f : d[at];
    ++at;
    for (int i = 0; i < count; ++i) {
      if (at + 2 > n) return std::nullopt;
      const std::size_t size = std::size_t(d[at] << 8 | d[at + 1]);
      at += 2;
      if (size < 2 || at + size > n) return std::nullopt;
      unsigned id = 256;
      try {
        Bits b(d + at + 1, size - 1);
        if (kind == 0) b.skip(24);  // profile, constraint flags, level
        id = b.ue();
      } catch (const Error&) {
        return std::nullopt;  // a malformed record: no mixed track, the whole one is re-encoded
      }
      if (id > 255) return std::nullopt;
      c.used[id] = true;
      at += size;
    }
  }
  return c;
}

std::optional<std::string> x264_profile(int profile) {
  switch (profile) {
    case FF_PROFILE_H264_BASELINE:
    case FF_PROFILE_H264_CONSTRAINED_BASELINE: return "baseline";
    case FF_PROFILE_H264_MAIN: return "main";
    case FF_PROFILE_H264_HIGH: return "high";
    case FF_PROFILE_H264_HIGH_10: return "high10";
    case FF_PROFILE_H264_HIGH_422: return "high422";
    case FF_PROFILE_H264_HIGH_444_PREDICTIVE: return "high444";
    default: return std::nullopt;  // extended, the intra-only profiles, unknown
  }
}

av::CodecContextPtr open_x264(const InbandTarget& t) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) throw Error(ErrorKind::input, "libx264", "encoder not available in this FFmpeg build");
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  ctx->width = t.frames.width;
  ctx->height = t.frames.height;
  ctx->pix_fmt = t.frames.pix_fmt;
  ctx->framerate = t.frames.frame_rate;
  ctx->time_base = av_inv_q(t.frames.frame_rate);
  ctx->sample_aspect_ratio = t.frames.sar;
  ctx->color_primaries = t.primaries;
  ctx->color_trc = t.transfer;
  ctx->colorspace = t.space;
  ctx->color_range = t.range;
  // No AV_CODEC_FLAG_GLOBAL_HEADER: x264 then repeats SPS/PPS before every IDR.
  av_opt_set(ctx->priv_data, "preset", "medium", 0);
  av_opt_set_double(ctx->priv_data, "crf", 18, 0);
  av_opt_set(ctx->priv_data, "profile", t.profile.c_str(), 0);
  if (!t.level.empty()) av_opt_set(ctx->priv_data, "level", t.level.c_str(), 0);
  // x264's decode delay: none without B-frames, one frame with them, two with a B-pyramid.
  const char* bframes = t.delay == 0 ? "bframes=0" : t.delay == 1 ? "bframes=3:b-pyramid=none" : "bframes=3:b-pyramid=normal";
  av_opt_set(ctx->priv_data, "x264-params", fmt::format("sps-id={}:{}", t.parameter_set_id, bframes).c_str(), 0);
  av::check(avcodec_open2(ctx.get(), codec, nullptr), ErrorKind::input, "libx264", "cannot open video encoder");
  return ctx;
}

// Annex B (start codes) to NAL units each prefixed by its length in `size` bytes.
void to_length_prefixed(AVPacket& p, int size, const std::string& path) {
  std::vector<std::uint8_t> out;
  out.reserve(std::size_t(p.size) + 64);
  const std::uint8_t* d = p.data;
  const std::size_t n = std::size_t(p.size);
  auto start_code = [&](std::size_t i) { return i + 3 <= n && d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1; };
  std::size_t i = 0;
  while (i < n && !start_code(i)) ++i;
  while (i < n) {
    const std::size_t begin = i + 3;
    std::size_t end = begin;
    while (end < n && !start_code(end)) ++end;
    std::size_t last = end;  // the zero before a 4-byte start code belongs to no NAL unit
    while (last > begin && end < n && d[last - 1] == 0) --last;
    const std::size_t len = last - begin;
    if (size < 4 && len >= (std::size_t(1) << (8 * size)))
      throw Error(ErrorKind::input, path, "a re-encoded NAL unit is too long for the track's length prefix");
    for (int b = size - 1; b >= 0; --b) out.push_back(std::uint8_t(len >> (8 * b)));
    out.insert(out.end(), d + begin, d + last);
    i = end;
  }
  av::PacketPtr tmp = av::make_packet();
  av::check(av_new_packet(tmp.get(), int(out.size())), ErrorKind::io, path, "packet");
  std::copy(out.begin(), out.end(), tmp->data);
  av::check(av_packet_copy_props(tmp.get(), &p), ErrorKind::io, path, "packet");
  av_packet_unref(&p);
  av_packet_move_ref(&p, tmp.get());
}

}  // namespace

std::optional<InbandTarget> plan_inband(const Clip& first, AVRational rate, std::string& why) {
  const AVCodecParameters* p = first.video->codecpar;
  if (p->codec_id != AV_CODEC_ID_H264) {
    why = fmt::format(
        "copied and re-encoded clips share an mp4 track only for H.264 here, not {} (with HEVC, x265 gives its "
        "parameter sets the copied clips' ids, so theirs would have to be sent again inside their packets)",
        avcodec_get_name(p->codec_id));
    return std::nullopt;
  }
  const auto avcc = read_avcc(p);
  if (!avcc) {
    why = "the first clip's H.264 has no avcC configuration to keep";
    return std::nullopt;
  }
  InbandTarget t;
  t.nal_length_size = avcc->nal_length_size;
  t.parameter_set_id = -1;
  for (int id = 0; id < 32 && t.parameter_set_id < 0; ++id)
    if (!avcc->used[std::size_t(id)]) t.parameter_set_id = id;
  const auto profile = x264_profile(p->profile);
  const auto matrix = yuv_matrix(p->color_space, p->height);
  const AVPixelFormat format = AVPixelFormat(p->format);
  if (t.parameter_set_id < 0 || !profile || !matrix || format == AV_PIX_FMT_NONE) {
    why = !profile ? fmt::format("x264 does not write the first clip's H.264 profile ({})", p->profile)
        : !matrix  ? "the first clip's colour matrix is not one to convert into"
        : format == AV_PIX_FMT_NONE ? "the first clip's pixel format is unknown"
                                    : "the first clip uses every parameter set id x264 can take";
    return std::nullopt;
  }
  // Decode delay: the first frame's presentation minus its decode timestamp, in frames.
  const AVIndexEntry* e = avformat_index_get_entry(const_cast<AVStream*>(first.video), 0);
  const double frame = 1 / (av_q2d(rate) * av_q2d(first.video->time_base));
  const double delay = e ? double(stream_start(first.video) - e->timestamp) / frame : -1;
  t.delay = int(std::lround(delay));
  if (delay < -0.01 || std::abs(delay - t.delay) > 0.01 || t.delay > 2) {
    why = fmt::format("the first clip's decode delay ({:.2f} frames) is not one x264 can match", delay);
    return std::nullopt;
  }
  t.frames.width = p->width;
  t.frames.height = p->height;
  t.frames.frame_rate = rate;
  t.frames.pix_fmt = format;
  t.frames.matrix = *matrix;
  t.frames.full_range = p->color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P ||
                        format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P;
  if (p->sample_aspect_ratio.num > 0 && p->sample_aspect_ratio.den > 0) t.frames.sar = p->sample_aspect_ratio;
  t.rotation = first.rotation;
  t.profile = *profile;
  if (p->level > 0) t.level = p->level == 9 ? "1b" : fmt::format("{}.{}", p->level / 10, p->level % 10);
  t.primaries = p->color_primaries;
  t.transfer = p->color_trc;
  t.space = p->color_space;
  t.range = p->color_range;
  t.time_base = first.video->time_base;
  try {
    open_x264(t);  // proves x264 takes this format, profile and level together
  } catch (const Error& err) {
    why = fmt::format("x264 cannot encode the first clip's format ({}, {}): {}", av_get_pix_fmt_name(format),
                      t.profile, err.reason());
    return std::nullopt;
  }
  return t;
}

struct InbandClip::Encoder {
  av::CodecContextPtr ctx;
  av::PacketPtr packet = av::make_packet();
};

InbandClip::InbandClip(const Clip& clip, const InbandTarget& target, int drop, Sink sink)
    : path_(clip.path), target_(target), sink_(std::move(sink)),
      enc_(std::make_unique<Encoder>(Encoder{open_x264(target)})),
      // Stored like the first clip: upright, then turned back by the track's rotation.
      frames_(clip, target.frames, (clip.rotation - target.rotation + 360) % 360, drop, [this](AVFrame& f) {
        f.pts = count_++;
        encode(&f);
      }) {}

InbandClip::~InbandClip() = default;

void InbandClip::packet(AVPacket& p) { frames_.packet(p); }

void InbandClip::finish() {
  frames_.finish();
  encode(nullptr);
}

void InbandClip::encode(const AVFrame* frame) {
  AVCodecContext* ctx = enc_->ctx.get();
  int ret = avcodec_send_frame(ctx, frame);
  if (ret == AVERROR_EOF) return;
  av::check(ret, ErrorKind::io, path_, "encoding failed");
  AVPacket& p = *enc_->packet;
  for (;;) {
    ret = avcodec_receive_packet(ctx, &p);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    av::check(ret, ErrorKind::io, path_, "encoding failed");
    // More delay than planned would put this clip's decode timestamps before the previous clip's.
    if (p.dts != AV_NOPTS_VALUE && p.dts < -target_.delay)
      throw Error(ErrorKind::io, path_, fmt::format("x264 delayed decoding by {} frames, not {}", -p.dts, target_.delay));
    p.duration = 1;
    to_length_prefixed(p, target_.nal_length_size, path_);
    av_packet_rescale_ts(&p, ctx->time_base, target_.time_base);
    sink_(p);
    av_packet_unref(&p);
  }
}

}  // namespace seedreel::post
