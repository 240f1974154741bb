#include "seedreel/request.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"
#include "seedreel/probe.hpp"
#include "seedreel/provider.hpp"
#include "util/base64.hpp"

namespace seedreel {

namespace {

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// Content order rank: images (frames first), then videos, then audio.
int order_rank(Role role) {
  switch (role) {
    case Role::first_frame: return 0;
    case Role::last_frame: return 1;
    case Role::reference_image: return 2;
    case Role::reference_video: return 3;
    case Role::reference_audio: return 4;
  }
  return 5;
}

const char* kind_word(MediaKind k) {
  switch (k) {
    case MediaKind::image: return "image";
    case MediaKind::video: return "video";
    case MediaKind::audio: return "audio";
  }
  return "media";
}

struct Counts {
  int images = 0, videos = 0, audios = 0, firsts = 0, lasts = 0, refs = 0;
};
Counts count(const Request& r) {
  Counts c;
  for (const auto& m : r.media) {
    switch (kind_of(m.role)) {
      case MediaKind::image: ++c.images; break;
      case MediaKind::video: ++c.videos; break;
      case MediaKind::audio: ++c.audios; break;
    }
    c.firsts += m.role == Role::first_frame;
    c.lasts += m.role == Role::last_frame;
    c.refs += m.role != Role::first_frame && m.role != Role::last_frame;
  }
  return c;
}

// Decodes one UTF-8 code point at s[i], advancing i; invalid bytes count as one.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i++]);
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  char32_t cp = extra == 3 ? b & 0x07 : extra == 2 ? b & 0x0F : extra == 1 ? b & 0x1F : b;
  for (int k = 0; k < extra && i < s.size(); ++k, ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  return cp;
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF),
// as the JSON body must be.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int extra = b < 0x80 ? 0 : b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : -1;
    if (extra < 0 || s.size() - i <= std::size_t(extra)) return false;
    char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += extra + 1;
  }
  return true;
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x20000 && cp <= 0x2FFFF);
}

// Chinese characters and the words of everything else, as the seeds count a prompt.
std::pair<int, int> prompt_size(std::string_view prompt) {
  int cjk = 0, words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < prompt.size();) {
    char32_t cp = next_code_point(prompt, i);
    if (is_cjk(cp)) {
      ++cjk;
      in_word = false;
    } else if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return {cjk, words};
}

struct PromptRef {
  std::string text;  // as written, e.g. "@image2"
  MediaKind kind;
  int index;
};
// Every @imageN / @videoN / @audioN in the prompt (case-insensitive).
std::vector<PromptRef> prompt_refs(std::string_view prompt) {
  static constexpr std::array<std::pair<std::string_view, MediaKind>, 3> kinds{
      {{"image", MediaKind::image}, {"video", MediaKind::video}, {"audio", MediaKind::audio}}};
  std::vector<PromptRef> refs;
  for (std::size_t at = prompt.find('@'); at != std::string_view::npos; at = prompt.find('@', at + 1)) {
    auto rest = prompt.substr(at + 1);
    for (const auto& [word, kind] : kinds) {
      if (!starts_with_icase(rest, word)) continue;
      std::size_t n = word.size();
      while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
      if (n == word.size() || n - word.size() > 6) break;
      refs.push_back({std::string(prompt.substr(at, n + 1)), kind, std::stoi(std::string(rest.substr(word.size(), n - word.size())))});
      break;
    }
  }
  return refs;
}

std::string mime_of(const MediaInfo& m) {
  if (m.kind == MediaKind::audio) return m.format == "mp3" ? "audio/mpeg" : "audio/" + m.format;
  return "image/" + m.format;
}

// base64 length of n bytes, with padding.
std::uint64_t base64_size(std::uint64_t n) { return (n + 2) / 3 * 4; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path, "cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorKind::input, path, "read failed");
  return bytes;
}

// The URL the provider receives for one item.
std::string wire_source(const MediaItem& item, const std::optional<MediaInfo>& info) {
  if (source_kind(item.source) != SourceKind::local) return item.source;
  return "data:" + mime_of(*info) + ";base64," + base64_encode(read_file(item.source));
}

std::string offered_models(const Provider& p) {
  std::vector<std::string> names;
  for (const auto& m : p.models) names.push_back(m.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

struct Collector {
  std::vector<Finding>& out;
  void add(std::string rule, std::string path, std::string actual, std::string allowed, std::string message) {
    out.push_back({std::move(rule), std::move(path), std::move(actual), std::move(allowed), std::move(message)});
  }
};

// Fields the body builder writes itself, in any dialect: --extra may add
// fields, never replace one of these (that would bypass validation).
constexpr std::array<std::string_view, 25> kBuiltFields{
    "model", "content", "prompt", "resolution", "ratio", "aspect_ratio", "duration", "generate_audio", "generateAudio",
    "watermark", "tools", "seed", "return_last_frame", "service_tier", "execution_expires_after", "callback_url",
    "camera_fixed", "frames", "safety_identifier", "first_image", "last_image", "referenceImages", "referenceVideos",
    "referenceAudios", "web_search"};

std::optional<nlohmann::json> parse_extra(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

void check_extra(Collector& c, const Request& r, const Provider&) {
  if (r.extra.empty()) return;
  auto j = parse_extra(r.extra);
  if (!j) {
    c.add("request.extra", "", r.extra.substr(0, 64), "a JSON object", "the extra fields must be one JSON object");
    return;
  }
  for (const auto& [key, value] : j->items())
    if (std::find(kBuiltFields.begin(), kBuiltFields.end(), key) != kBuiltFields.end())
      c.add("request.extra", "", key, "a field seedreel does not write",
            fmt::format("'{}' is set from its own option, where it is checked; it cannot come in the extra fields", key));
}

void check_params(Collector& c, const Request& r, const Provider& p, const ModelProfile& model, const Counts& n) {
  const auto& L = media_limits();
  auto not_carried = [&](const char* param, bool set) {
    if (set && !p.takes(param))
      c.add("provider.param", "", param, fmt::format("{}", fmt::join(p.params, ", ")),
            fmt::format("{} ({} dialect) does not take {}; leave it out", p.name, to_string(p.dialect), param));
  };
  not_carried("resolution", !r.resolution.empty());
  not_carried("ratio", !r.ratio.empty());
  not_carried("duration", r.duration.has_value());
  not_carried("generate_audio", !r.generate_audio);
  not_carried("watermark", r.watermark.has_value());
  not_carried("web_search", r.web_search);
  not_carried("seed", r.seed.has_value());
  not_carried("return_last_frame", r.return_last_frame);
  not_carried("service_tier", !r.service_tier.empty());
  not_carried("execution_expires_after", r.execution_expires_after.has_value());
  not_carried("callback_url", !r.callback_url.empty());
  not_carried("camera_fixed", r.camera_fixed.has_value());
  not_carried("frames", r.frames.has_value());
  not_carried("safety_identifier", !r.safety_identifier.empty());
  if (!r.callback_url.empty() && !starts_with_icase(r.callback_url, "http://") && !starts_with_icase(r.callback_url, "https://"))
    c.add("request.callback_url", "", r.callback_url.substr(0, 64), "an http(s) URL", "the callback must be an http(s) URL");
  if (!r.callback_url.empty() && !valid_utf8(r.callback_url))
    c.add("request.callback_url", "", "invalid UTF-8", "UTF-8 text", "the callback URL is not valid UTF-8");
  const Range& frames = L.output_frames;
  if (r.frames && (!frames.contains(*r.frames) || (*r.frames - 25) % 4 != 0))
    c.add("request.frames", "", std::to_string(*r.frames), fmt::format("{:.0f}-{:.0f}, 25 + 4n", frames.min, frames.max),
          "a frame count must be 25 + 4n, from 29 to 289");
  if (r.frames && r.duration)
    c.add("request.frames", "", fmt::format("{} frames and {} s", *r.frames, *r.duration), "one of them",
          "frames and duration both set the length; give one");
  if (!r.safety_identifier.empty() &&
      (r.safety_identifier.size() > L.max_safety_identifier ||
       !std::all_of(r.safety_identifier.begin(), r.safety_identifier.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; })))
    c.add("request.safety_identifier", "", fmt::format("{} bytes", r.safety_identifier.size()),
          fmt::format("1-{} printable ASCII characters", L.max_safety_identifier),
          "a safety identifier is a short opaque id (hash it if it holds personal data)");
  check_extra(c, r, p);
  if (!r.service_tier.empty() && r.service_tier != "default" && r.service_tier != "flex")
    c.add("request.service_tier", "", r.service_tier, "default, flex", "unknown service tier");
  const Range& wait = L.execution_expires_after;
  if (r.execution_expires_after && !wait.contains(*r.execution_expires_after))
    c.add("request.execution_expires_after", "", fmt::format("{} s", *r.execution_expires_after),
          fmt::format("{:.0f}–{:.0f} s", wait.min, wait.max), "a task's deadline must be 1 hour to 3 days");

  if (!r.resolution.empty()) {
    int rank = resolution_rank(r.resolution);
    if (rank < 0)
      c.add("request.resolution", "", r.resolution, fmt::format("{}", fmt::join(resolutions(), ", ")), "unknown resolution");
    else if (rank > resolution_rank(model.max_resolution))
      c.add("model.resolution", "", r.resolution, fmt::format("≤ {}", model.max_resolution),
            fmt::format("{} stops at {}", model.name, model.max_resolution));
  }
  if (!r.ratio.empty() && std::find(ratios().begin(), ratios().end(), r.ratio) == ratios().end())
    c.add("request.ratio", "", r.ratio, fmt::format("{}", fmt::join(ratios(), ", ")), "unknown ratio");
  if (r.duration && !L.output_duration.contains(*r.duration))
    c.add("request.duration", "", fmt::format("{} s", *r.duration),
          fmt::format("{:.0f}–{:.0f} s", L.output_duration.min, L.output_duration.max), "output duration out of range");
  if (r.web_search && (n.images + n.videos + n.audios) > 0)
    c.add("request.web_search", "", fmt::format("{} media item(s)", n.images + n.videos + n.audios), "text-to-video only",
          "web search works only for text-to-video (no media)");
  if (model.requires_reference_video && n.videos == 0)
    c.add("model.reference_video", "", "0 reference videos", "≥ 1",
          fmt::format("{} needs at least one reference video (or pick seedance-2.0-pro or seedance-2.0-fast-pro)", model.name));
}

void check_prompt(Collector& c, const Request& r, const Provider& p, Mode mode, const Counts& n) {
  const auto& L = media_limits();
  bool empty = r.prompt.find_first_not_of(" \t\r\n") == std::string::npos;
  if (empty && (mode == Mode::text_to_video || mode == Mode::video_extension || p.dialect == Dialect::flat))
    c.add("request.prompt", "", "no prompt",
          mode == Mode::text_to_video ? "a prompt, or media" : "a prompt",
          mode == Mode::text_to_video ? "text-to-video needs a prompt"
          : mode == Mode::video_extension ? "video extension needs a prompt"
                                          : fmt::format("{} requires a prompt", p.name));
  if (!valid_utf8(r.prompt))
    c.add("request.prompt_encoding", "", "invalid UTF-8", "UTF-8 text",
          "the prompt is not valid UTF-8 (another encoding, or cut mid-character); save it as UTF-8");
  auto [cjk, words] = prompt_size(r.prompt);
  auto too_long = [&](int have, int max, const char* unit) {
    if (have > max)
      c.add("request.prompt_length", "", fmt::format("{} {}", have, unit), fmt::format("≤ {}", max), "prompt is too long");
  };
  too_long(cjk, L.max_prompt_cjk_chars, "Chinese characters");
  too_long(words, L.max_prompt_words, "words");
  for (const auto& ref : prompt_refs(r.prompt)) {
    int have = ref.kind == MediaKind::image ? n.images : ref.kind == MediaKind::video ? n.videos : n.audios;
    if (ref.index < 1 || ref.index > have)
      c.add("request.prompt_ref", "", ref.text, have ? fmt::format("@{}1…@{}{}", kind_word(ref.kind), kind_word(ref.kind), have)
                                                    : fmt::format("no {} in the request", kind_word(ref.kind)),
            fmt::format("the prompt refers to {} but the request has {} {}{}", ref.text, have, kind_word(ref.kind),
                        have == 1 || ref.kind == MediaKind::audio ? "" : "s"));
  }
}

void check_media(Collector& c, const Request& r, const Provider& p, std::span<const std::optional<MediaInfo>> local,
                 const Counts& n) {
  const auto& L = media_limits();
  std::uint64_t inline_bytes = 0;
  double video_total = 0, audio_total = 0;
  int prev_rank = -1;
  for (std::size_t i = 0; i < r.media.size(); ++i) {
    const auto& item = r.media[i];
    MediaKind kind = kind_of(item.role);
    int rank = order_rank(item.role);
    if (source_kind(item.source) != SourceKind::local && !valid_utf8(item.source))
      c.add("request.media_encoding", item.source, "invalid UTF-8", "UTF-8 text",
            "a URL or asset ID goes into the body as it is written, and this one is not valid UTF-8");
    if (rank < prev_rank)
      c.add("request.order", item.source, to_string(item.role), "first_frame, last_frame, images, videos, audio",
            fmt::format("{} comes after a later kind; content order is text, images, videos, audio", to_string(item.role)));
    prev_rank = std::max(prev_rank, rank);

    switch (source_kind(item.source)) {
      case SourceKind::url:
        if (!starts_with_icase(item.source, "http://") && !starts_with_icase(item.source, "https://"))
          c.add("media.source", item.source, item.source.substr(0, item.source.find("://")), "http, https, data:, asset://",
                "only http(s) URLs, data URIs, asset:// IDs or local files can be sent");
        break;
      case SourceKind::asset:
        if (item.source.size() <= 8)
          c.add("media.source", item.source, "asset://", "asset://ID", "the asset ID is missing");
        break;
      case SourceKind::data_uri: {
        if (kind == MediaKind::video)
          c.add("media.inline_video", item.source.substr(0, 32), "data URI", "URL or asset://ID",
                "videos cannot be sent as base64; give an http(s) URL or an asset:// ID");
        else if (!starts_with_icase(item.source, std::string("data:") + kind_word(kind) + "/"))
          c.add("media.data_uri", item.source.substr(0, 32), item.source.substr(0, item.source.find(';')),
                fmt::format("data:{}/…", kind_word(kind)), fmt::format("the data URI is not an {} for {}", kind_word(kind), to_string(item.role)));
        if (!p.data_uris)
          c.add("provider.data_uri", item.source.substr(0, 32), "data URI", "URL or asset://ID",
                fmt::format("{} takes only URLs and asset:// IDs, not base64 data", p.name));
        inline_bytes += item.source.size();
        break;
      }
      case SourceKind::local: {
        const auto& info = i < local.size() ? local[i] : std::nullopt;
        if (!info) break;  // not probed: nothing to judge locally
        auto own = check_file(*info, item.role);
        for (auto& f : own) c.out.push_back(std::move(f));
        if (info->kind == MediaKind::video) video_total += info->media_duration();
        if (info->kind == MediaKind::audio) audio_total += info->media_duration();
        if (info->kind == MediaKind::video && kind == MediaKind::video)
          c.add("media.local_video", item.source, "local video", "http(s) URL or asset://ID",
                "a local video cannot be inlined: upload it (an upload target), put it at an http(s) URL, or "
                "register it as a provider asset and pass asset://ID");
        else if (info->kind == kind && !p.data_uris)
          c.add("provider.data_uri", item.source, "local file", "http(s) URL or asset://ID",
                fmt::format("{} takes only URLs and asset:// IDs; put the file at an http(s) URL or use an asset", p.name));
        else if (info->kind == kind)
          inline_bytes += base64_size(info->file_size) + 32;
        break;
      }
    }
  }

  auto over = [&](const char* rule, int have, int max, const char* what) {
    if (have > max) c.add(rule, "", std::to_string(have), fmt::format("≤ {}", max), fmt::format("{} {} in one request", have, what));
  };
  over("set.images", n.images, L.max_images, "images");
  over("set.videos", n.videos, L.max_videos, "videos");
  over("set.audios", n.audios, L.max_audios, "audio files");
  over("set.files", int(r.media.size()), L.max_files, "media files");
  if (video_total > L.video_total_max)
    c.add("set.video_total", "", fmt::format("{:.3f} s", video_total), fmt::format("≤ {:.0f} s", L.video_total_max),
          "reference videos together are too long");
  if (audio_total > L.audio_total_max)
    c.add("set.audio_total", "", fmt::format("{:.3f} s", audio_total), fmt::format("≤ {:.0f} s", L.audio_total_max),
          "reference audio together is too long");
  if (n.audios > 0 && n.images + n.videos == 0)
    c.add("set.audio_needs_visual", "", fmt::format("{} audio, 0 images, 0 videos", n.audios), "≥ 1 image or video",
          "reference audio needs at least one image or video in the same request");
  if (n.firsts > 1) c.add("set.first_frame", "", std::to_string(n.firsts), "≤ 1", "more than one first frame");
  if (n.lasts > 1) c.add("set.last_frame", "", std::to_string(n.lasts), "≤ 1", "more than one last frame");
  if (n.lasts > 0 && n.firsts == 0)
    c.add("set.last_frame", "", "last frame without first frame", "first frame + last frame", "a last frame needs a first frame");
  if (n.firsts + n.lasts > 0 && n.refs > 0)
    c.add("set.mode_mix", "", fmt::format("{} frame image(s) + {} reference(s)", n.firsts + n.lasts, n.refs),
          "first/last frame or reference_*, not both",
          "first/last-frame mode and multimodal reference cannot be mixed in one request");
  if (inline_bytes + r.prompt.size() + 4096 > L.max_body_bytes)
    c.add("request.body_size", "", fmt::format("~{:.1f} MB", double(inline_bytes) / 1e6),
          fmt::format("≤ {:.0f} MB", double(L.max_body_bytes) / (1024 * 1024)),
          "inlined media would push the request body past 64 MB; use URLs or asset:// IDs for the largest files");
}

nlohmann::json content_array(const Request& r, std::span<const std::optional<MediaInfo>> local) {
  auto content = nlohmann::json::array();
  if (!r.prompt.empty()) content.push_back({{"type", "text"}, {"text", r.prompt}});
  for (std::size_t i = 0; i < r.media.size(); ++i) {
    const auto& item = r.media[i];
    std::string type = std::string(kind_word(kind_of(item.role))) + "_url";
    content.push_back({{"type", type}, {type, {{"url", wire_source(item, i < local.size() ? local[i] : std::nullopt)}}},
                       {"role", to_string(item.role)}});
  }
  return content;
}

nlohmann::json flat_body(const Request& r, const std::string& model, std::span<const std::optional<MediaInfo>> local) {
  nlohmann::json body = {{"model", model}, {"prompt", r.prompt}};
  if (r.duration) body["duration"] = *r.duration;
  if (!r.ratio.empty()) body["aspect_ratio"] = r.ratio;
  body["generateAudio"] = r.generate_audio;
  for (std::size_t i = 0; i < r.media.size(); ++i) {
    const auto& item = r.media[i];
    auto src = wire_source(item, i < local.size() ? local[i] : std::nullopt);
    switch (item.role) {
      case Role::first_frame: body["first_image"] = src; break;
      case Role::last_frame: body["last_image"] = src; break;
      case Role::reference_image: body["referenceImages"].push_back(src); break;
      case Role::reference_video: body["referenceVideos"].push_back(src); break;
      case Role::reference_audio: body["referenceAudios"].push_back(src); break;
    }
  }
  return body;
}

}  // namespace

const char* to_string(Mode mode) noexcept {
  switch (mode) {
    case Mode::text_to_video: return "text-to-video";
    case Mode::image_to_video: return "image-to-video";
    case Mode::first_last_frame: return "first-last-frame";
    case Mode::reference: return "multimodal-reference";
    case Mode::video_edit: return "video-edit";
    case Mode::video_extension: return "video-extension";
  }
  return "unknown";
}

SourceKind source_kind(std::string_view source) noexcept {
  if (starts_with_icase(source, "asset://")) return SourceKind::asset;
  if (starts_with_icase(source, "data:")) return SourceKind::data_uri;
  auto scheme = source.find("://");
  if (scheme != std::string_view::npos && scheme > 0 &&
      std::all_of(source.begin(), source.begin() + std::ptrdiff_t(scheme),
                  [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.'; }))
    return SourceKind::url;
  return SourceKind::local;
}

const char* to_string(SourceKind kind) noexcept {
  switch (kind) {
    case SourceKind::local: return "local";
    case SourceKind::url: return "url";
    case SourceKind::data_uri: return "data_uri";
    case SourceKind::asset: return "asset";
  }
  return "unknown";
}

Mode infer_mode(const Request& request) {
  Counts n = count(request);
  if (request.media.empty()) return Mode::text_to_video;
  if (n.refs == 0) return n.lasts > 0 ? Mode::first_last_frame : Mode::image_to_video;
  if (n.videos > 0 && n.images == 0 && n.audios == 0) return Mode::video_extension;
  bool has_text = request.prompt.find_first_not_of(" \t\r\n") != std::string::npos;
  if (n.videos > 0 && n.images > 0 && n.audios == 0 && has_text) return Mode::video_edit;
  return Mode::reference;
}

std::string effective_model(const Request& request, const Provider& provider) {
  return choose_model(provider, request.model).id;
}

std::vector<std::optional<MediaInfo>> probe_local_media(const Request& request) {
  std::vector<std::optional<MediaInfo>> out;
  out.reserve(request.media.size());
  for (const auto& item : request.media)
    out.push_back(source_kind(item.source) == SourceKind::local ? std::optional<MediaInfo>(probe(item.source)) : std::nullopt);
  return out;
}

std::vector<Finding> validate(const Request& request, const Provider& provider,
                              std::span<const std::optional<MediaInfo>> local) {
  std::vector<Finding> out;
  Collector c{out};
  Counts n = count(request);
  Mode mode = infer_mode(request);

  ModelChoice model = choose_model(provider, request.model);
  if (!model.refusal.empty())
    c.add("model.unknown", "", model.requested.empty() ? provider.default_model : model.requested, offered_models(provider),
          model.refusal);

  check_prompt(c, request, provider, mode, n);
  check_media(c, request, provider, local, n);
  check_params(c, request, provider, model.profile, n);
  return out;
}

nlohmann::json build_body(const Request& request, const Provider& provider,
                          std::span<const std::optional<MediaInfo>> local) {
  auto findings = validate(request, provider, local);
  if (!findings.empty())
    throw Error(ErrorKind::validation, "", fmt::format("request fails validation: {}", findings.front().message));
  std::string model = effective_model(request, provider);
  nlohmann::json body;
  if (provider.dialect == Dialect::flat) {
    body = flat_body(request, model, local);
  } else {
    body = {{"model", model}, {"content", content_array(request, local)}};
    if (!request.resolution.empty()) body["resolution"] = request.resolution;
    if (!request.ratio.empty()) body["ratio"] = request.ratio;
    if (request.duration) body["duration"] = *request.duration;
    body["generate_audio"] = request.generate_audio;
    if (request.watermark) body["watermark"] = *request.watermark;
    if (request.web_search) body["tools"] = nlohmann::json::array({{{"type", "web_search"}}});
    if (request.seed) body["seed"] = *request.seed;
    if (request.return_last_frame) body["return_last_frame"] = true;
    if (!request.service_tier.empty()) body["service_tier"] = request.service_tier;
    if (request.execution_expires_after) body["execution_expires_after"] = *request.execution_expires_after;
    if (!request.callback_url.empty()) body["callback_url"] = request.callback_url;
    if (request.camera_fixed) body["camera_fixed"] = *request.camera_fixed;
    if (request.frames) body["frames"] = *request.frames;
    if (!request.safety_identifier.empty()) body["safety_identifier"] = request.safety_identifier;
  }
  if (!request.extra.empty()) {
    const nlohmann::json extra = nlohmann::json::parse(request.extra);  // validate() proved it one object
    for (const auto& [key, value] : extra.items()) body[key] = value;
  }
  return body;
}

PreparedRequest prepare(const Request& request, const Provider& provider) {
  PreparedRequest p;
  p.local = probe_local_media(request);
  p.findings = validate(request, provider, p.local);
  if (auto note = choose_model(provider, request.model).note; !note.empty()) p.notes.push_back(std::move(note));
  if (!p.findings.empty()) return p;
  p.body = build_body(request, provider, p.local).dump();
  const auto& L = media_limits();
  if (p.body.size() > L.max_body_bytes) {
    p.findings.push_back({"request.body_size", "", fmt::format("{:.1f} MB", double(p.body.size()) / 1e6),
                          fmt::format("≤ {:.0f} MB", double(L.max_body_bytes) / (1024 * 1024)),
                          "the request body passes 64 MB; use URLs or asset:// IDs for the largest files"});
    p.body.clear();
  }
  return p;
}

}  // namespace seedreel
