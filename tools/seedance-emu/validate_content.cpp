// The content-array body shared by the New-API gateways (seeds 000-004) and
// upstream Ark: text, then images, then videos, then audio, with roles that
// select one of the mutually exclusive modes.
#include <string>

#include "validate.hpp"
#include "validate_rules.hpp"

namespace seedance_emu {

namespace {

struct MediaSlot {
  MediaType type;
  const char* field;     // "image_url"
  const char* roles[3];  // accepted role values
};

constexpr MediaSlot kSlots[] = {
    {MediaType::image, "image_url", {"first_frame", "last_frame", "reference_image"}},
    {MediaType::video, "video_url", {"reference_video", nullptr, nullptr}},
    {MediaType::audio, "audio_url", {"reference_audio", nullptr, nullptr}},
};

bool role_allowed(const MediaSlot& slot, const std::string& role) {
  for (const char* r : slot.roles)
    if (r && role == r) return true;
  return false;
}

// How long a task may wait in the queue before Ark gives up on it (flex
// tiers wait longest); Ark's documented bounds.
constexpr std::int64_t kMinExpiry = 3600, kMaxExpiry = 259200;

int optional_expiry(const nlohmann::json& body, int fallback) {
  auto it = body.find("execution_expires_after");
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer())
    invalid("execution_expires_after", "must be an integer number of seconds (3600-259200)");
  bool too_big = it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(kMaxExpiry);
  auto v = it->get<std::int64_t>();
  if (too_big || v < kMinExpiry || v > kMaxExpiry)
    invalid("execution_expires_after", "must be 3600-259200 seconds, got " + it->dump());
  return int(v);
}

// Ark's camera_fixed, frames (which sets the length instead of duration) and safety_identifier.
void check_ark_fields(const nlohmann::json& body, Generation& g) {
  g.camera_fixed = rules::optional_bool(body, "camera_fixed", false);
  if (auto it = body.find("frames"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) invalid("frames", "must be an integer");
    bool huge = it->is_number_unsigned() && it->get<std::uint64_t>() > 289;
    auto f = huge ? 0 : it->get<std::int64_t>();
    if (huge || f < 29 || f > 289 || (f - 25) % 4 != 0)
      invalid("frames", "must be 25 + 4n, from 29 to 289, got " + it->dump());
    g.frames = int(f);
    g.duration = (g.frames + 23) / 24;
  }
  if (auto it = body.find("safety_identifier"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty() || it->get_ref<const std::string&>().size() > 64)
      invalid("safety_identifier", "must be a string of 1-64 characters");
    g.safety_identifier = it->get<std::string>();
  }
}

void check_tools(const nlohmann::json& body, Generation& g) {
  auto it = body.find("tools");
  if (it == body.end() || it->is_null()) return;
  if (!it->is_array()) invalid("tools", "must be an array such as [{\"type\":\"web_search\"}]");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& t = (*it)[i];
    if (!t.is_object() || !t.contains("type") || t["type"] != "web_search")
      invalid("tools[" + std::to_string(i) + "]", "the only supported tool is {\"type\":\"web_search\"}");
    g.web_search = true;
  }
}

}  // namespace

Generation validate_content_request(const nlohmann::json& body, Dialect d, const AssetStore& assets) {
  if (!body.is_object()) invalid("body", "the request body must be a JSON object");
  Generation g;
  g.model = d == Dialect::ark
                ? rules::required_model(body, {"doubao-seedance-2-0-260128", "doubao-seedance-2-0-fast-260128",
                                               "dreamina-seedance-2-0-260128", "dreamina-seedance-2-0-fast-260128"},
                                         true)
                : rules::required_model(body, {"seedance", "seedance-2.0", "seedance-2.0-mini"});

  auto content_it = body.find("content");
  if (content_it == body.end() || content_it->is_null()) missing("content");
  if (!content_it->is_array() || content_it->empty()) invalid("content", "must be a non-empty array");
  const auto& content = *content_it;

  int texts = 0, counts[3] = {0, 0, 0};
  int first = 0, last = 0, refs = 0, unroled_images = 0;
  int last_rank = 0;
  std::string prompt;
  std::size_t first_index = 0, last_index = 0;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const std::string at = "content[" + std::to_string(i) + "]";
    const auto& item = content[i];
    if (!item.is_object()) invalid(at, "must be an object");
    if (!item.contains("type")) missing(at + ".type");
    const auto& type = item["type"];
    int rank = type == "text" ? 0 : type == "image_url" ? 1 : type == "video_url" ? 2 : type == "audio_url" ? 3 : -1;
    if (rank < 0) invalid(at + ".type", "must be text, image_url, video_url or audio_url, got " + type.dump());
    if (rank < last_rank)
      invalid("content", "items must be in the order text, image_url, video_url, audio_url; " + at + " (" +
                             type.get<std::string>() + ") comes too late");
    last_rank = rank;

    if (rank == 0) {
      if (++texts > 1) invalid(at, "only one text item is allowed");
      if (!item.contains("text") || !item["text"].is_string()) missing(at + ".text");
      prompt = item["text"].get<std::string>();
      if (prompt.empty()) invalid(at + ".text", "the prompt is empty");
      continue;
    }
    const MediaSlot& slot = kSlots[rank - 1];
    auto media = item.find(slot.field);
    if (media == item.end() || !media->is_object() || !media->contains("url") || !(*media)["url"].is_string())
      missing(at + "." + slot.field + ".url");
    std::string role;
    if (item.contains("role") && !item["role"].is_null()) {
      if (!item["role"].is_string() || !role_allowed(slot, item["role"].get<std::string>()))
        invalid(at + ".role", "role " + item["role"].dump() + " is not valid for " + slot.field);
      role = item["role"].get<std::string>();
    }
    auto picture =
        rules::check_media(slot.type, (*media)["url"].get<std::string>(), at + "." + slot.field + ".url", assets);
    ++counts[rank - 1];
    if (role == "first_frame") {
      ++first, first_index = i;
      g.first_frame = std::move(picture);
    } else if (role == "last_frame") {
      ++last, last_index = i;
      g.last_frame = std::move(picture);
    } else if (role.empty() && slot.type == MediaType::image) {
      ++unroled_images, first_index = i;
      g.first_frame = std::move(picture);  // only kept when it turns out to be the lone first frame
    } else {
      ++refs;
    }
  }
  const int images = counts[0], videos = counts[1], audios = counts[2];

  // An image without a role is a first frame only when it is the only media item.
  if (unroled_images > 0) {
    if (images != 1 || videos + audios > 0)
      invalid("content",
              "every image needs a role (first_frame, last_frame or reference_image) unless it is the "
              "only media item");
    ++first;
  }
  if (first + last > 0 && refs > 0)
    invalid("content", "first frame, first+last frame and multimodal reference modes are mutually exclusive");
  if (first > 1) invalid("content", "at most one first_frame image is allowed");
  if (last > 1) invalid("content", "at most one last_frame image is allowed");
  if (last == 1 && first == 0) invalid("content", "a last_frame image needs a first_frame image");
  if (last == 1 && last_index < first_index)
    invalid("content", "the first_frame image must come before the last_frame");
  if (first + last == 0) g.first_frame.reset(), g.last_frame.reset();
  rules::check_counts(images, videos, audios, {"content", "content", "content"});
  if (texts == 0 && images + videos + audios == 0) missing("content[0].text");
  rules::check_prompt(prompt, "content[0].text", images, videos, audios);

  g.mode = images + videos + audios == 0 ? "text_to_video"
           : last                        ? "first_last_frame"
           : first                       ? "first_frame"
                                         : "reference";
  check_tools(body, g);
  if (g.web_search && g.mode != "text_to_video") invalid("tools", "web_search is only supported for text-to-video");

  g.resolution = rules::optional_enum(body, "resolution", "720p", rules::is_resolution, "480p, 720p, 1080p");
  rules::check_model_resolution(g.model, g.resolution);
  g.ratio =
      rules::optional_enum(body, "ratio", "adaptive", rules::is_ratio, "16:9, 4:3, 1:1, 3:4, 9:16, 21:9, adaptive");
  g.duration = rules::optional_duration(body, "duration", 5);
  g.generate_audio = rules::optional_bool(body, "generate_audio", true);
  g.watermark = rules::optional_bool(body, "watermark", false);
  g.return_last_frame = rules::optional_bool(body, "return_last_frame", false);
  g.seed = rules::optional_seed(body);
  g.service_tier = rules::optional_enum(
      body, "service_tier", "default", [](const std::string& s) { return s == "default" || s == "flex"; },
      "default, flex");
  g.execution_expires_after = optional_expiry(body, g.execution_expires_after);
  if (auto cb = body.find("callback_url"); cb != body.end() && !cb->is_null())
    if (!cb->is_string() || !is_http_url(cb->get<std::string>())) invalid("callback_url", "must be an http(s) URL");
  if (d == Dialect::ark) check_ark_fields(body, g);
  resolve_output_size(g);
  return g;
}

}  // namespace seedance_emu
