// xingchaoyiqing's flat fields (seed 003): prompt, first_image/last_image or
// reference lists, aspect_ratio, generateAudio. The output is 720p: the dialect
// has no resolution field.
#include <string>

#include "seedreel/limits.hpp"
#include "validate.hpp"
#include "validate_rules.hpp"

namespace seedance_emu {

namespace {

// A list field (referenceImages...): absent or empty is none; otherwise an array of URL strings.
int check_list(const nlohmann::json& body, const char* key, MediaType type, const AssetStore& assets) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return 0;
  if (!it->is_array()) invalid(key, "must be an array of URLs or asset://ID");
  for (std::size_t i = 0; i < it->size(); ++i) {
    std::string at = std::string(key) + "[" + std::to_string(i) + "]";
    if (!(*it)[i].is_string()) invalid(at, "must be a string");
    rules::check_media(type, (*it)[i].get<std::string>(), at, assets);
  }
  return int(it->size());
}

std::optional<Picture> check_frame(const nlohmann::json& body, const char* key, bool& present,
                                   const AssetStore& assets) {
  auto it = body.find(key);
  present = it != body.end() && !it->is_null();
  if (!present) return std::nullopt;
  if (!it->is_string()) invalid(key, "must be a URL or asset://ID string");
  return rules::check_media(MediaType::image, it->get<std::string>(), key, assets);
}

}  // namespace

Generation validate_flat_request(const nlohmann::json& body, const AssetStore& assets) {
  if (!body.is_object()) invalid("body", "the request body must be a JSON object");
  Generation g;
  g.model =
      rules::required_model(body, {"seedance_2_0", "seedance_2_0_fast", "seedance_2_0_pro", "seedance_2_0_fast_pro"});

  std::string prompt;
  if (auto it = body.find("prompt"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) invalid("prompt", "must be a string");
    prompt = it->get<std::string>();
  }
  bool has_first = false, has_last = false;
  g.first_frame = check_frame(body, "first_image", has_first, assets);
  g.last_frame = check_frame(body, "last_image", has_last, assets);
  int images = check_list(body, "referenceImages", MediaType::image, assets);
  int videos = check_list(body, "referenceVideos", MediaType::video, assets);
  int audios = check_list(body, "referenceAudios", MediaType::audio, assets);

  if (has_last && !has_first) invalid("last_image", "last_image can only be used together with first_image");
  if ((has_first || has_last) && images + videos + audios > 0)
    invalid(has_first ? "first_image" : "last_image",
            "first/last frame mode cannot be combined with referenceImages, referenceVideos or referenceAudios");
  const auto* limits = seedreel::find_model(g.model);
  if (limits && limits->requires_reference_video && videos == 0)
    invalid("referenceVideos", "model " + g.model + " requires at least one reference video");
  int frame_images = int(has_first) + int(has_last);
  rules::check_counts(images + frame_images, videos, audios, {"referenceImages", "referenceVideos", "referenceAudios"});
  if (prompt.empty() && frame_images + images + videos + audios == 0) missing("prompt");
  rules::check_prompt(prompt, "prompt", images + frame_images, videos, audios);

  g.mode = frame_images + images + videos + audios == 0 ? "text_to_video"
           : has_last                                   ? "first_last_frame"
           : has_first                                  ? "first_frame"
                                                        : "reference";
  g.duration = rules::optional_duration(body, "duration", 5);
  g.ratio =
      rules::optional_enum(body, "aspect_ratio", "16:9", rules::is_ratio, "16:9, 4:3, 1:1, 3:4, 9:16, 21:9, adaptive");
  g.generate_audio = rules::optional_bool(body, "generateAudio", true);
  g.resolution = "720p";
  resolve_output_size(g);
  return g;
}

}  // namespace seedance_emu
