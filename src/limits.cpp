#include "seedreel/limits.hpp"

#include <algorithm>
#include <array>

namespace seedreel {

namespace {

constexpr std::array<std::string_view, 6> kImageFormats{"jpeg", "png", "webp", "bmp", "tiff", "gif"};
constexpr std::array<std::string_view, 2> kVideoFormats{"mp4", "mov"};
constexpr std::array<std::string_view, 2> kAudioFormats{"wav", "mp3"};

constexpr std::array<std::string_view, 3> kResolutions{"480p", "720p", "1080p"};
constexpr std::array<std::string_view, 7> kRatios{"16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"};

struct OutputEntry {
  std::string_view resolution;
  std::string_view ratio;
  PixelSize size;
};
// seeds/000 "Resolution pixel values".
constexpr std::array<OutputEntry, 18> kOutputSizes{{
    {"480p", "16:9", {864, 496}},   {"480p", "4:3", {752, 560}},   {"480p", "1:1", {640, 640}},
    {"480p", "3:4", {560, 752}},    {"480p", "9:16", {496, 864}},  {"480p", "21:9", {992, 432}},
    {"720p", "16:9", {1280, 720}},  {"720p", "4:3", {1112, 834}},  {"720p", "1:1", {960, 960}},
    {"720p", "3:4", {834, 1112}},   {"720p", "9:16", {720, 1280}}, {"720p", "21:9", {1470, 630}},
    {"1080p", "16:9", {1920, 1080}}, {"1080p", "4:3", {1664, 1248}}, {"1080p", "1:1", {1440, 1440}},
    {"1080p", "3:4", {1248, 1664}}, {"1080p", "9:16", {1080, 1920}}, {"1080p", "21:9", {2208, 944}},
}};

// Gateway model names (seeds 000-004), xingchaoyiqing's (seed 003) and the
// upstream Ark model ids (Volcengine ark-cn: doubao-*, BytePlus ark-intl: dreamina-*).
// "Mini and fast models stop at 720p".
constexpr std::array<ModelLimits, 11> kModels{{
    {"seedance", "1080p", false},
    {"seedance-2.0", "1080p", false},
    {"seedance-2.0-mini", "720p", false},
    {"seedance_2_0", "1080p", true},
    {"seedance_2_0_fast", "720p", true},
    {"seedance_2_0_pro", "1080p", false},
    {"seedance_2_0_fast_pro", "720p", false},
    {"doubao-seedance-2-0-260128", "1080p", false},
    {"doubao-seedance-2-0-fast-260128", "720p", false},
    {"dreamina-seedance-2-0-260128", "1080p", false},
    {"dreamina-seedance-2-0-fast-260128", "720p", false},
}};

const MediaLimits kMediaLimits = [] {
  MediaLimits l;
  l.image_formats = kImageFormats;
  l.video_formats = kVideoFormats;
  l.audio_formats = kAudioFormats;
  return l;
}();

}  // namespace

const MediaLimits& media_limits() { return kMediaLimits; }

const ReadCaps& read_caps() {
  static const ReadCaps caps;
  return caps;
}

std::span<const ModelLimits> models() { return kModels; }

const ModelLimits* find_model(std::string_view name) {
  auto it = std::find_if(kModels.begin(), kModels.end(), [&](const ModelLimits& m) { return m.name == name; });
  return it == kModels.end() ? nullptr : &*it;
}

std::span<const std::string_view> resolutions() { return kResolutions; }
std::span<const std::string_view> ratios() { return kRatios; }

int resolution_rank(std::string_view resolution) {
  auto it = std::find(kResolutions.begin(), kResolutions.end(), resolution);
  return it == kResolutions.end() ? -1 : static_cast<int>(it - kResolutions.begin());
}

std::optional<PixelSize> output_size(std::string_view resolution, std::string_view ratio) {
  for (const auto& e : kOutputSizes)
    if (e.resolution == resolution && e.ratio == ratio) return e.size;
  return std::nullopt;
}

}  // namespace seedreel
