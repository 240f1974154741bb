#include "seedreel/preflight.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace seedreel {

namespace {

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles{{
    {Role::first_frame, "first_frame"},
    {Role::last_frame, "last_frame"},
    {Role::reference_image, "reference_image"},
    {Role::reference_video, "reference_video"},
    {Role::reference_audio, "reference_audio"},
}};

std::string mb(std::uint64_t bytes) { return fmt::format("{:.2f} MB", double(bytes) / 1e6); }
std::string secs(double s) { return fmt::format("{:.3f} s", s); }
std::string range(const Range& r, std::string_view unit, int precision = 0) {
  return fmt::format("{:.{}f}–{:.{}f}{}", r.min, precision, r.max, precision, unit);
}
std::string list(std::span<const std::string_view> items) { return fmt::format("{}", fmt::join(items, ", ")); }
bool listed(std::span<const std::string_view> items, std::string_view v) {
  return std::find(items.begin(), items.end(), v) != items.end();
}

// Collects findings for one file, adding its path to each.
struct Report {
  const std::string& path;
  std::vector<Finding>& out;
  void add(std::string rule, std::string actual, std::string allowed, std::string message) {
    out.push_back({std::move(rule), path, std::move(actual), std::move(allowed), std::move(message)});
  }
};

// Sides and aspect, shared by images and videos (prefix "image" or "video").
void check_geometry(Report& r, const MediaInfo& m, std::string_view prefix) {
  const auto& L = media_limits();
  if (!L.image_side.contains(m.width))
    r.add(fmt::format("{}.width", prefix), fmt::format("{} px", m.width), range(L.image_side, " px"),
          fmt::format("width {} px is outside {}", m.width, range(L.image_side, " px")));
  if (!L.image_side.contains(m.height))
    r.add(fmt::format("{}.height", prefix), fmt::format("{} px", m.height), range(L.image_side, " px"),
          fmt::format("height {} px is outside {}", m.height, range(L.image_side, " px")));
  if (!L.aspect.contains(m.aspect()))
    r.add(fmt::format("{}.aspect", prefix), fmt::format("{:.4f} ({}x{})", m.aspect(), m.width, m.height),
          range(L.aspect, "", 1), fmt::format("aspect ratio w/h {:.4f} is outside {}", m.aspect(), range(L.aspect, "", 1)));
}

void check_image(Report& r, const MediaInfo& m) {
  const auto& L = media_limits();
  if (!listed(L.image_formats, m.format))
    r.add("image.format", m.format, list(L.image_formats), fmt::format("image format {} is not accepted", m.format));
  if (m.file_size >= L.image_max_bytes)
    r.add("image.file_size", mb(m.file_size), "< " + mb(L.image_max_bytes), "image file is too large");
  check_geometry(r, m, "image");
}

void check_video(Report& r, const MediaInfo& m) {
  const auto& L = media_limits();
  if (!listed(L.video_formats, m.format))
    r.add("video.format", m.format, list(L.video_formats), fmt::format("container {} is not accepted", m.format));
  if (m.file_size > L.video_max_bytes)
    r.add("video.file_size", mb(m.file_size), "≤ " + mb(L.video_max_bytes), "video file is too large");
  double d = m.media_duration();
  if (!L.video_duration.contains(d))
    r.add("video.duration", secs(d), range(L.video_duration, " s"),
          fmt::format("video lasts {} (allowed {})", secs(d), range(L.video_duration, " s")));
  double fps = m.video ? m.video->fps : 0;
  if (!L.video_fps.contains(fps))
    r.add("video.fps", fmt::format("{:.3f} fps", fps), range(L.video_fps, " fps"),
          fmt::format("frame rate {:.3f} fps is outside {}", fps, range(L.video_fps, " fps")));
  double pixels = double(m.width) * m.height;
  if (!L.video_pixels.contains(pixels))
    r.add("video.pixels", fmt::format("{} ({}x{})", std::int64_t(pixels), m.width, m.height),
          range(L.video_pixels, ""), fmt::format("{}x{} is outside the 480p/720p pixel budget", m.width, m.height));
  check_geometry(r, m, "video");
}

void check_audio(Report& r, const MediaInfo& m) {
  const auto& L = media_limits();
  if (!listed(L.audio_formats, m.format))
    r.add("audio.format", m.format, list(L.audio_formats), fmt::format("audio format {} is not accepted", m.format));
  if (m.file_size > L.audio_max_bytes)
    r.add("audio.file_size", mb(m.file_size), "≤ " + mb(L.audio_max_bytes), "audio file is too large");
  double d = m.media_duration();
  if (!L.audio_duration.contains(d))
    r.add("audio.duration", secs(d), range(L.audio_duration, " s"),
          fmt::format("audio lasts {} (allowed {})", secs(d), range(L.audio_duration, " s")));
}

void set_finding(std::vector<Finding>& out, std::string rule, std::string actual, std::string allowed,
                 std::string message) {
  out.push_back({std::move(rule), "", std::move(actual), std::move(allowed), std::move(message)});
}

}  // namespace

const char* to_string(Role role) noexcept {
  for (const auto& [r, name] : kRoles)
    if (r == role) return name.data();
  return "unknown";
}

std::optional<Role> parse_role(std::string_view text) {
  for (const auto& [r, name] : kRoles)
    if (name == text) return r;
  return std::nullopt;
}

Role default_role(MediaKind kind) noexcept {
  switch (kind) {
    case MediaKind::image: return Role::reference_image;
    case MediaKind::video: return Role::reference_video;
    case MediaKind::audio: return Role::reference_audio;
  }
  return Role::reference_image;
}

MediaKind kind_of(Role role) noexcept {
  switch (role) {
    case Role::reference_video: return MediaKind::video;
    case Role::reference_audio: return MediaKind::audio;
    default: return MediaKind::image;
  }
}

void to_json(nlohmann::json& j, const Finding& f) {
  j = {{"rule", f.rule}, {"actual", f.actual}, {"allowed", f.allowed}, {"message", f.message}};
  if (!f.path.empty()) j["path"] = f.path;
}

std::vector<Finding> check_file(const MediaInfo& info, Role role) {
  std::vector<Finding> out;
  Report r{info.path, out};
  if (kind_of(role) != info.kind) {
    r.add("role.kind", to_string(info.kind), fmt::format("{} for {}", to_string(kind_of(role)), to_string(role)),
          fmt::format("a {} cannot be used as {}", to_string(info.kind), to_string(role)));
    return out;
  }
  switch (info.kind) {
    case MediaKind::image: check_image(r, info); break;
    case MediaKind::video: check_video(r, info); break;
    case MediaKind::audio: check_audio(r, info); break;
  }
  return out;
}

std::vector<Finding> check_set(const std::vector<CheckItem>& items, const CheckOptions& options) {
  const auto& L = media_limits();
  std::vector<Finding> out;
  int images = 0, videos = 0, audios = 0, firsts = 0, lasts = 0, refs = 0;
  double video_total = 0, audio_total = 0;
  for (const auto& it : items) {
    switch (it.info.kind) {
      case MediaKind::image: ++images; break;
      case MediaKind::video: ++videos; video_total += it.info.media_duration(); break;
      case MediaKind::audio: ++audios; audio_total += it.info.media_duration(); break;
    }
    firsts += it.role == Role::first_frame;
    lasts += it.role == Role::last_frame;
    refs += it.role != Role::first_frame && it.role != Role::last_frame;
  }
  auto count = [&](const char* rule, int n, int max, const char* what) {
    if (n > max)
      set_finding(out, rule, std::to_string(n), fmt::format("≤ {}", max), fmt::format("{} {} in one request", n, what));
  };
  count("set.images", images, L.max_images, "images");
  count("set.videos", videos, L.max_videos, "videos");
  count("set.audios", audios, L.max_audios, "audio files");
  count("set.files", int(items.size()), L.max_files, "media files");
  if (video_total > L.video_total_max)
    set_finding(out, "set.video_total", secs(video_total), fmt::format("≤ {:.0f} s", L.video_total_max),
                "reference videos together are too long");
  if (audio_total > L.audio_total_max)
    set_finding(out, "set.audio_total", secs(audio_total), fmt::format("≤ {:.0f} s", L.audio_total_max),
                "reference audio together is too long");
  if (audios > 0 && images + videos == 0)
    set_finding(out, "set.audio_needs_visual", fmt::format("{} audio, 0 images, 0 videos", audios),
                "≥ 1 image or video", "reference audio needs at least one image or video in the same request");
  if (firsts > 1) set_finding(out, "set.first_frame", std::to_string(firsts), "≤ 1", "more than one first_frame");
  if (lasts > 1) set_finding(out, "set.last_frame", std::to_string(lasts), "≤ 1", "more than one last_frame");
  if (lasts > 0 && firsts == 0)
    set_finding(out, "set.last_frame", "last_frame without first_frame", "first_frame + last_frame",
                "a last_frame needs a first_frame");
  if (firsts + lasts > 0 && refs > 0)
    set_finding(out, "set.mode_mix", fmt::format("{} frame image(s) + {} reference(s)", firsts + lasts, refs),
                "first/last frame or reference_*, not both",
                "first/last-frame mode and multimodal reference cannot be mixed in one request");

  // A model no table knows is judged by its name's family (limits.hpp), not refused.
  const JudgedModel judged = judge_model(options.model);
  const ModelLimits* model = &judged.limits;
  if (!options.resolution.empty()) {
    int rank = resolution_rank(options.resolution);
    if (rank < 0)
      set_finding(out, "model.resolution", options.resolution, list(resolutions()), "unknown resolution");
    else if (rank > resolution_rank(model->max_resolution))
      set_finding(out, "model.resolution", options.resolution, fmt::format("≤ {}", model->max_resolution),
                  fmt::format("{} stops at {}", model->name, model->max_resolution));
  }
  if (model->requires_reference_video && videos == 0)
    set_finding(out, "model.reference_video", "0 reference videos", "≥ 1",
                fmt::format("{} needs at least one reference video", model->name));
  return out;
}

std::vector<Finding> preflight(const std::vector<CheckItem>& items, const CheckOptions& options) {
  std::vector<Finding> out;
  for (const auto& it : items) {
    auto f = check_file(it.info, it.role);
    out.insert(out.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
  }
  auto s = check_set(items, options);
  out.insert(out.end(), std::make_move_iterator(s.begin()), std::make_move_iterator(s.end()));
  return out;
}

}  // namespace seedreel
