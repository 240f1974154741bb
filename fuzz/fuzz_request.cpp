// Request validation from arbitrary JSON: the fields of a request (as the
// jobs file and the flags give them) and, for local files, what their probe
// said, validated for every built-in provider; a request that passes is
// serialised into the provider's body exactly as it would be sent.
#include <algorithm>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "seedreel/error.hpp"
#include "seedreel/preflight.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"
#include "util/json_guard.hpp"

using namespace seedreel;
using nlohmann::json;

namespace {

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Integers only, clamped into T: the fuzz input, not the library, decides the type.
template <typename T>
std::optional<T> whole(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) return T(std::min<std::uint64_t>(it->get<std::uint64_t>(), std::numeric_limits<T>::max()));
  return T(std::clamp<std::int64_t>(it->get<std::int64_t>(), std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

double real(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

bool flag(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// What probe could have said about a local file.
MediaInfo info_of(const json& j, const std::string& path) {
  MediaInfo m;
  m.path = path;
  const std::string kind = text(j, "kind");
  m.kind = kind == "video" ? MediaKind::video : kind == "audio" ? MediaKind::audio : MediaKind::image;
  m.format = text(j, "format");
  m.file_size = whole<std::uint64_t>(j, "file_size").value_or(0);
  m.width = whole<int>(j, "width").value_or(0);
  m.height = whole<int>(j, "height").value_or(0);
  m.duration = real(j, "duration");
  if (m.kind == MediaKind::image) {
    ImageProps p;
    p.bands = whole<int>(j, "bands").value_or(3);
    p.pages = whole<int>(j, "pages").value_or(1);
    p.colour_space = text(j, "colour_space");
    m.image = p;
  }
  if (m.kind == MediaKind::video || j.contains("fps")) {
    VideoStream v;
    v.codec = text(j, "codec");
    v.fps = real(j, "fps");
    v.duration = real(j, "video_duration");
    v.coded_width = m.width;
    v.coded_height = m.height;
    m.video = v;
  }
  if (m.kind == MediaKind::audio || j.contains("sample_rate")) {
    AudioStream a;
    a.codec = text(j, "codec");
    a.sample_rate = whole<int>(j, "sample_rate").value_or(0);
    a.channels = whole<int>(j, "channels").value_or(0);
    a.duration = real(j, "audio_duration");
    m.audio = a;
  }
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  if (!json_within(body, 64, 1 << 20)) return 0;  // the depth cap every JSON reader applies first
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return 0;

  Request r;
  r.model = text(j, "model");
  r.prompt = text(j, "prompt");
  r.resolution = text(j, "resolution");
  r.ratio = text(j, "ratio");
  r.duration = whole<int>(j, "duration");
  r.generate_audio = flag(j, "audio", true);
  if (j.contains("watermark")) r.watermark = flag(j, "watermark", false);
  r.web_search = flag(j, "web_search", false);
  r.seed = whole<std::int64_t>(j, "seed");
  r.return_last_frame = flag(j, "return_last_frame", false);
  r.service_tier = text(j, "service_tier");
  r.execution_expires_after = whole<int>(j, "execution_expires_after");
  std::vector<std::optional<MediaInfo>> local;
  std::vector<CheckItem> items;
  if (auto m = j.find("media"); m != j.end() && m->is_array()) {
    for (const auto& item : *m) {
      if (!item.is_object()) continue;
      MediaItem mi;
      mi.source = text(item, "source");
      mi.role = parse_role(text(item, "role")).value_or(Role::reference_image);
      std::optional<MediaInfo> info;
      if (auto p = item.find("probe"); p != item.end() && p->is_object()) {
        info = info_of(*p, mi.source);
        items.push_back({*info, mi.role});
      }
      r.media.push_back(std::move(mi));
      local.push_back(std::move(info));
    }
  }
  (void)infer_mode(r);
  for (const auto& m : r.media) (void)source_kind(m.source);
  bool any_local = false;
  for (const auto& m : r.media) any_local |= source_kind(m.source) == SourceKind::local;

  for (const Provider& p : builtin_providers()) {
    (void)effective_model(r, p);
    const auto findings = validate(r, p, local);
    // Without local files nothing is read from disk: the whole path to the body.
    if (!any_local) {
      try {
        PreparedRequest prepared = prepare(r, p);
        if (prepared.findings.empty() != !prepared.body.empty()) fuzz::fail("a body and findings together, or neither");
        if (!prepared.body.empty() && json::parse(prepared.body, nullptr, false).is_discarded())
          fuzz::fail("the body sent is not JSON");
      } catch (const Error&) {
      }
    }
  }
  CheckOptions opts;
  if (!r.model.empty()) opts.model = r.model;
  opts.resolution = r.resolution;
  (void)check_set(items, opts);
  return 0;
}
