#include "seedreel/media.hpp"

#include <nlohmann/json.hpp>

namespace seedreel {

const char* to_string(MediaKind kind) noexcept {
  switch (kind) {
    case MediaKind::image: return "image";
    case MediaKind::video: return "video";
    case MediaKind::audio: return "audio";
  }
  return "unknown";
}

double MediaInfo::media_duration() const noexcept {
  if (kind == MediaKind::video && video && video->duration > 0) return video->duration;
  if (kind == MediaKind::audio && audio && audio->duration > 0) return audio->duration;
  return duration;
}

void to_json(nlohmann::json& j, const MediaInfo& m) {
  j = {{"path", m.path},           {"kind", to_string(m.kind)}, {"format", m.format},
       {"file_size", m.file_size}, {"width", m.width},          {"height", m.height}};
  if (m.kind != MediaKind::image) {
    j["duration"] = m.duration;
    j["duration_estimated"] = m.duration_estimated;
    j["bitrate"] = m.bitrate;
  }
  if (m.faststart) j["faststart"] = *m.faststart;
  if (m.image) {
    const auto& i = *m.image;
    j["image"] = {{"loader", i.loader},           {"bands", i.bands},
                  {"alpha", i.alpha},             {"bit_depth", i.bit_depth},
                  {"colour_space", i.colour_space}, {"orientation", i.orientation},
                  {"pages", i.pages}};
  }
  if (m.video) {
    const auto& v = *m.video;
    j["video"] = {{"codec", v.codec},       {"profile", v.profile},         {"pix_fmt", v.pix_fmt},
                  {"coded_width", v.coded_width}, {"coded_height", v.coded_height},
                  {"rotation", v.rotation}, {"fps", v.fps},                 {"duration", v.duration},
                  {"frames", v.frames},     {"bitrate", v.bitrate}};
  }
  if (m.audio) {
    const auto& a = *m.audio;
    j["audio"] = {{"codec", a.codec},       {"sample_rate", a.sample_rate}, {"channels", a.channels},
                  {"duration", a.duration}, {"bitrate", a.bitrate}};
  }
}

}  // namespace seedreel
