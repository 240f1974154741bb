#include "post/stitch_match.hpp"

#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace seedreel::post {

std::string name_of(const Clip& c, std::size_t i) {
  return fmt::format("clip {} ({})", i + 1, std::filesystem::path(c.path).filename().string());
}

bool same_bytes(const AVCodecParameters* a, const AVCodecParameters* b) {
  return a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 || std::memcmp(a->extradata, b->extradata, std::size_t(a->extradata_size)) == 0);
}

namespace {

bool has_discarded_frames(const AVStream* st) {
  const int n = avformat_index_get_entries_count(st);
  for (int i = 0; i < n; ++i)
    if (avformat_index_get_entry(const_cast<AVStream*>(st), i)->flags & AVINDEX_DISCARD_FRAME) return true;
  return false;
}

std::string profile_text(const AVCodecParameters* p) {
  const char* name = avcodec_profile_name(p->codec_id, p->profile);
  return name ? name : std::to_string(p->profile);
}

std::string rate_text(AVRational r) { return r.den == 1 ? fmt::format("{} fps", r.num) : fmt::format("{:.3f} fps", av_q2d(r)); }

}  // namespace

std::vector<std::vector<std::string>> video_differences(const std::vector<Clip>& clips) {
  std::vector<std::vector<std::string>> why(clips.size());
  const AVStream* ref = clips[0].video;
  const AVCodecParameters* r = ref->codecpar;
  AVRational ref_rate = av_guess_frame_rate(clips[0].in->get(), const_cast<AVStream*>(ref), nullptr);
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const AVStream* st = clips[i].video;
    const AVCodecParameters* p = st->codecpar;
    std::vector<std::string> d;
    if (i > 0) {
      if (p->codec_id != r->codec_id)
        d.push_back(fmt::format("codec {}, first clip {}", avcodec_get_name(p->codec_id), avcodec_get_name(r->codec_id)));
      else if (p->profile != r->profile)
        d.push_back(fmt::format("profile {}, first clip {}", profile_text(p), profile_text(r)));
      if (p->width != r->width || p->height != r->height)
        d.push_back(fmt::format("size {}x{}, first clip {}x{}", p->width, p->height, r->width, r->height));
      if (p->format != r->format) {
        const char* a = av_get_pix_fmt_name(AVPixelFormat(p->format));
        const char* b = av_get_pix_fmt_name(AVPixelFormat(r->format));
        d.push_back(fmt::format("pixel format {}, first clip {}", a ? a : "?", b ? b : "?"));
      }
      AVRational rate = av_guess_frame_rate(clips[i].in->get(), const_cast<AVStream*>(st), nullptr);
      if (av_cmp_q(rate, ref_rate) != 0)
        d.push_back(fmt::format("frame rate {}, first clip {}", rate_text(rate), rate_text(ref_rate)));
      if (av_cmp_q(st->time_base, ref->time_base) != 0)
        d.push_back(fmt::format("time base {}/{}, first clip {}/{}", st->time_base.num, st->time_base.den,
                                ref->time_base.num, ref->time_base.den));
      if (clips[i].rotation != clips[0].rotation)
        d.push_back(fmt::format("rotated {}°, first clip {}°", clips[i].rotation, clips[0].rotation));
      if (d.empty() && !same_bytes(p, r)) d.push_back("different decoder configuration (extradata: SPS/PPS)");
    }
    if (has_discarded_frames(st)) d.push_back("its edit list hides frames, which a copied track cannot");
    for (auto& x : d) why[i].push_back(name_of(clips[i], i) + ": " + x);
  }
  return why;
}

std::vector<std::vector<std::string>> audio_differences(const std::vector<Clip>& clips) {
  std::vector<std::vector<std::string>> why(clips.size());
  const Clip* ref = nullptr;
  for (const auto& c : clips)
    if (c.audio) {
      ref = &c;
      break;
    }
  if (!ref) return why;
  const AVCodecParameters* r = ref->audio->codecpar;
  if (r->codec_id != AV_CODEC_ID_AAC)
    why[std::size_t(ref - clips.data())].push_back(
        fmt::format("{}: audio codec {} (copied audio must be AAC)", ref->path, avcodec_get_name(r->codec_id)));
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const auto& c = clips[i];
    if (!c.audio || &c == ref) continue;
    const AVCodecParameters* p = c.audio->codecpar;
    std::vector<std::string> d;
    if (p->codec_id != r->codec_id) d.push_back(fmt::format("audio codec {}", avcodec_get_name(p->codec_id)));
    if (p->sample_rate != r->sample_rate)
      d.push_back(fmt::format("{} Hz audio, {} Hz before", p->sample_rate, r->sample_rate));
    if (p->ch_layout.nb_channels != r->ch_layout.nb_channels)
      d.push_back(fmt::format("{} audio channels, {} before", p->ch_layout.nb_channels, r->ch_layout.nb_channels));
    if (d.empty() && (p->profile != r->profile || !same_bytes(p, r))) d.push_back("different AAC configuration");
    for (auto& x : d) why[i].push_back(name_of(c, i) + ": " + x);
  }
  return why;
}

}  // namespace seedreel::post
