#include "seedreel/limits.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

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
    {"seedance", "1080p", false, "seedance-2.0"},
    {"seedance-2.0", "1080p", false, "seedance-2.0"},
    {"seedance-2.0-mini", "720p", false, "seedance-2.0-mini"},
    {"seedance_2_0", "1080p", true, "seedance-2.0"},
    {"seedance_2_0_fast", "720p", true, "seedance-2.0-fast"},
    {"seedance_2_0_pro", "1080p", false, "seedance-2.0-pro"},
    {"seedance_2_0_fast_pro", "720p", false, "seedance-2.0-fast-pro"},
    {"doubao-seedance-2-0-260128", "1080p", false, "seedance-2.0"},
    {"doubao-seedance-2-0-fast-260128", "720p", false, "seedance-2.0-fast"},
    {"dreamina-seedance-2-0-260128", "1080p", false, "seedance-2.0"},
    {"dreamina-seedance-2-0-fast-260128", "720p", false, "seedance-2.0-fast"},
}};

constexpr std::array<std::string_view, 5> kFamilies{"seedance-2.0", "seedance-2.0-fast", "seedance-2.0-mini",
                                                     "seedance-2.0-pro", "seedance-2.0-fast-pro"};

bool has_word(std::string_view name, std::string_view word) {
  // A word between separators (or the ends), so "pro" is not found in "prompt".
  for (std::size_t at = name.find(word); at != std::string_view::npos; at = name.find(word, at + 1)) {
    bool left = at == 0 || name[at - 1] == '-' || name[at - 1] == '_' || name[at - 1] == '.';
    std::size_t end = at + word.size();
    bool right = end == name.size() || name[end] == '-' || name[end] == '_' || name[end] == '.';
    if (left && right) return true;
  }
  return false;
}

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

std::span<const std::string_view> model_families() { return kFamilies; }

bool is_model_family(std::string_view name) {
  return std::find(kFamilies.begin(), kFamilies.end(), name) != kFamilies.end();
}

JudgedModel judge_model(std::string_view name) {
  if (const ModelLimits* m = find_model(name)) return {*m, true};
  std::string lower(name);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  bool fast = has_word(lower, "fast"), mini = has_word(lower, "mini"), pro = has_word(lower, "pro");
  bool v2 = lower.find("seedance") != std::string::npos &&
            (lower.find("2-0") != std::string::npos || lower.find("2.0") != std::string::npos ||
             lower.find("2_0") != std::string::npos);
  bool flat_style = lower.find("seedance_2_0") != std::string::npos;
  std::string_view family;
  if (v2) {
    std::string f = "seedance-2.0";
    if (fast) f += "-fast";
    if (mini) f += "-mini";
    if (pro) f += "-pro";
    auto it = std::find(kFamilies.begin(), kFamilies.end(), f);
    if (it != kFamilies.end()) family = *it;
  }
  ModelLimits judged{name, fast || mini ? "720p" : "1080p", flat_style && !pro, family};
  return {judged, false};
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
