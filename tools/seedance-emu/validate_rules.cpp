#include "validate_rules.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

#include "seedreel/limits.hpp"
#include "fetch.hpp"
#include "validate.hpp"

namespace seedance_emu {

void invalid(const std::string& param, const std::string& message) {
  throw ApiError{400, "InvalidParameter",
                 "The parameter `" + param + "` specified in the request is not valid: " + message, param};
}

void missing(const std::string& param) {
  throw ApiError{400, "MissingParameter",
                 "The request failed because it is missing the required parameter `" + param + "`", param};
}

void resolve_output_size(Generation& g) {
  std::string ratio = g.ratio;
  if (ratio == "adaptive") {
    ratio = "16:9";
    if (g.first_frame) {
      // The fixed ratio closest to the first frame's aspect, compared on a log scale.
      double aspect = std::log(double(g.first_frame->width) / g.first_frame->height);
      double best = 1e9;
      for (auto r : seedreel::ratios()) {
        auto size = seedreel::output_size(g.resolution, r);
        if (!size) continue;
        double d = std::abs(std::log(double(size->width) / size->height) - aspect);
        if (d < best) best = d, ratio = std::string(r);
      }
    }
  }
  auto size = seedreel::output_size(g.resolution, ratio);
  if (!size) invalid("ratio", "no output size for " + g.resolution + " " + ratio);
  g.output_ratio = ratio;
  g.width = size->width;
  g.height = size->height;
}

namespace rules {

namespace {

bool mime_allowed(MediaType type, const std::string& mime) {
  static const char* kImage[] = {"image/jpeg", "image/jpg",  "image/png", "image/webp",
                                 "image/bmp",  "image/tiff", "image/gif"};
  static const char* kAudio[] = {"audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3"};
  if (type == MediaType::image) return std::find(std::begin(kImage), std::end(kImage), mime) != std::end(kImage);
  if (type == MediaType::audio) return std::find(std::begin(kAudio), std::end(kAudio), mime) != std::end(kAudio);
  return false;
}

void check_picture(const Picture& p, const std::string& param) {
  const auto& lim = seedreel::media_limits();
  if (!lim.image_side.contains(p.width) || !lim.image_side.contains(p.height))
    invalid(param,
            "image is " + std::to_string(p.width) + "x" + std::to_string(p.height) + ", each side must be 300-6000 px");
  double aspect = double(p.width) / p.height;
  if (!lim.aspect.contains(aspect))
    invalid(param, "image aspect ratio (width/height) must be 0.4-2.5, got " + std::to_string(aspect));
}

}  // namespace

std::optional<Picture> check_media(MediaType type, const std::string& url, const std::string& param,
                                   const AssetStore& assets) {
  const auto& lim = seedreel::media_limits();
  if (url.empty()) invalid(param, "URL is empty");
  if (url.starts_with("asset://")) {
    auto asset = assets.find(url.substr(8));
    if (!asset) invalid(param, "asset " + url.substr(8) + " does not exist");
    if (asset->type != type)
      invalid(param, "asset " + asset->id + " is of type " + std::string(to_string(asset->type)) + ", expected " +
                         std::string(to_string(type)));
    return asset->picture;
  }
  if (url.starts_with("data:")) {
    if (type == MediaType::video) invalid(param, "video cannot be sent as base64; use a URL or asset://ID");
    std::string why;
    auto data = parse_data_uri(url, &why);
    if (!data) invalid(param, why);
    if (!mime_allowed(type, data->mime))
      invalid(param, "MIME type " + data->mime + " is not a supported " + std::string(to_string(type)) + " format");
    if (type == MediaType::audio) {
      if (data->bytes.size() > lim.audio_max_bytes) invalid(param, "audio exceeds 15 MB");
      return std::nullopt;
    }
    if (data->bytes.size() >= lim.image_max_bytes) invalid(param, "image exceeds 30 MB");
    auto picture = read_picture(std::move(data->bytes), &why);
    if (!picture) invalid(param, why);
    check_picture(*picture, param);
    return picture;
  }
  if (!is_http_url(url)) invalid(param, "must be an http(s) URL, a base64 data URI or asset://ID");
  // A URL on this machine is read as the provider reads it: an upload that
  // did not land, or a presigned URL that does not verify, fails here.
  auto bytes = fetch_media(url, param);
  if (!bytes || type != MediaType::image) return std::nullopt;
  std::string why;
  auto picture = read_picture(std::move(*bytes), &why);
  if (!picture) invalid(param, why);
  check_picture(*picture, param);
  return picture;
}

void check_prompt(const std::string& text, const std::string& param, int images, int videos, int audios) {
  const auto& lim = seedreel::media_limits();
  // Count CJK ideographs (decoded from UTF-8) and whitespace-separated words.
  int cjk = 0, words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    char32_t cp = c;
    int len = 1;
    if (c >= 0xF0 && i + 3 < text.size())
      cp = ((c & 7u) << 18) | ((text[i + 1] & 63u) << 12) | ((text[i + 2] & 63u) << 6) | (text[i + 3] & 63u), len = 4;
    else if (c >= 0xE0 && i + 2 < text.size())
      cp = ((c & 15u) << 12) | ((text[i + 1] & 63u) << 6) | (text[i + 2] & 63u), len = 3;
    else if (c >= 0xC0 && i + 1 < text.size())
      cp = ((c & 31u) << 6) | (text[i + 1] & 63u), len = 2;
    bool ideograph =
        (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
    bool space = cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r';
    if (ideograph) ++cjk;
    if (!space && !ideograph && !in_word) ++words;
    in_word = !space && !ideograph;
    i += std::size_t(len);
  }
  if (cjk > lim.max_prompt_cjk_chars)
    invalid(param, "prompt has " + std::to_string(cjk) + " Chinese characters, at most 500 are allowed");
  if (words > lim.max_prompt_words)
    invalid(param, "prompt has " + std::to_string(words) + " words, at most 1000 are allowed");

  static const std::regex ref(R"(@(image|video|audio)(\d+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ref); it != std::sregex_iterator(); ++it) {
    std::string kind = (*it)[1];
    long n = std::stol((*it)[2].str().substr(0, 6));
    int have = kind == "image" ? images : kind == "video" ? videos : audios;
    if (n < 1 || n > have)
      invalid(param, "prompt refers to @" + kind + std::to_string(n) + " but the request has " + std::to_string(have) +
                         " " + kind + (have == 1 ? "" : "s"));
  }
}

void check_counts(int images, int videos, int audios, const CountParams& params) {
  const auto& lim = seedreel::media_limits();
  if (images > lim.max_images) invalid(params.images, "at most 9 images are allowed, got " + std::to_string(images));
  if (videos > lim.max_videos)
    invalid(params.videos, "at most 3 reference videos are allowed, got " + std::to_string(videos));
  if (audios > lim.max_audios)
    invalid(params.audios, "at most 3 reference audios are allowed, got " + std::to_string(audios));
  if (images + videos + audios > lim.max_files)
    invalid(params.images, "at most 12 media files are allowed per request");
  if (audios > 0 && images + videos == 0)
    invalid(params.audios, "reference audio needs at least one image or video in the same request");
}

bool optional_bool(const nlohmann::json& body, const char* key, bool fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) invalid(key, "must be a boolean");
  return it->get<bool>();
}

int optional_duration(const nlohmann::json& body, const char* key, int fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  const auto& range = seedreel::media_limits().output_duration;
  if (!it->is_number_integer()) invalid(key, "must be an integer number of seconds (4-15)");
  auto v = it->get<std::int64_t>();
  if (!range.contains(double(v))) invalid(key, "must be 4-15 seconds, got " + std::to_string(v));
  return int(v);
}

std::string optional_enum(const nlohmann::json& body, const char* key, const std::string& fallback,
                          bool (*allowed)(const std::string&), const std::string& allowed_text) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string() || !allowed(it->get<std::string>()))
    invalid(key, "must be one of " + allowed_text + ", got " + it->dump());
  return it->get<std::string>();
}

std::int64_t optional_seed(const nlohmann::json& body) {
  auto it = body.find("seed");
  if (it == body.end() || it->is_null()) return -1;
  if (!it->is_number_integer()) invalid("seed", "must be an integer");
  auto v = it->get<std::int64_t>();
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > 4294967295ull) invalid("seed", "must be -1 to 4294967295");
  if (v < -1 || v > 4294967295ll) invalid("seed", "must be -1 to 4294967295");
  return v;
}

bool is_ratio(const std::string& s) {
  auto r = seedreel::ratios();
  return std::find(r.begin(), r.end(), s) != r.end();
}

bool is_resolution(const std::string& s) { return seedreel::resolution_rank(s) >= 0; }

namespace {
// "…-260128" -> "…": the part before a trailing six-digit date.
std::string_view undated(std::string_view id) {
  if (id.size() < 8 || id[id.size() - 7] != '-') return {};
  for (char ch : id.substr(id.size() - 6))
    if (ch < '0' || ch > '9') return {};
  return id.substr(0, id.size() - 7);
}
}  // namespace

std::string required_model(const nlohmann::json& body, std::initializer_list<const char*> names, bool other_dates) {
  auto it = body.find("model");
  if (it == body.end() || it->is_null()) missing("model");
  std::string list;
  for (const char* n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  if (!it->is_string()) invalid("model", "must be a string, one of " + list);
  const auto& model = it->get_ref<const std::string&>();
  for (const char* n : names)
    if (model == n) return model;
  // Ark publishes new dated ids of a model without notice.
  if (other_dates && !undated(model).empty())
    for (const char* n : names)
      if (undated(n) == undated(model)) return model;
  throw ApiError{404, "InvalidEndpointOrModel.NotFound",
                 "The parameter `model` specified in the request is not valid: model " + model +
                     " does not exist or you do not have access to it; supported: " + list,
                 "model"};
}

void check_model_resolution(const std::string& model, const std::string& resolution) {
  const auto limits = seedreel::judge_model(model).limits;
  if (seedreel::resolution_rank(resolution) > seedreel::resolution_rank(limits.max_resolution))
    invalid("resolution", "model " + model + " supports up to " + std::string(limits.max_resolution) + ", got " + resolution);
}

}  // namespace rules
}  // namespace seedance_emu
