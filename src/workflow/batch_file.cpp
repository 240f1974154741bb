// Reading a jobs file: one JSON object per line, keys mirroring `generate`'s
// flags. Every problem is collected with its line number; nothing is probed.
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/batch.hpp"
#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"
#include "util/json_guard.hpp"

namespace seedreel {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<Shard> parse_shard(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<int> {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  auto i = number(text.substr(0, slash)), n = number(text.substr(slash + 1));
  if (!i || !n || *n < 1 || *i < 1 || *i > *n) return std::nullopt;
  return Shard{*i, *n};
}

bool in_shard(int line, const Shard& shard) noexcept { return (line - 1) % shard.count == shard.index - 1; }

namespace {

enum class Type { string, strings, integer, integer64, boolean, object };

const std::map<std::string, Type, std::less<>>& known_keys() {
  static const std::map<std::string, Type, std::less<>> keys{
      {"prompt", Type::string},        {"first_frame", Type::string},  {"last_frame", Type::string},
      {"ref_images", Type::strings},   {"ref_videos", Type::strings},  {"ref_audios", Type::strings},
      {"resolution", Type::string},    {"ratio", Type::string},        {"duration", Type::integer},
      {"audio", Type::boolean},        {"web_search", Type::boolean},  {"seed", Type::integer64},
      {"watermark", Type::boolean},    {"return_last_frame", Type::boolean},
      {"model", Type::string},         {"provider", Type::string},     {"output", Type::string},
      {"retry_without_audio", Type::boolean}, {"conform", Type::boolean}, {"fit", Type::string},
      {"service_tier", Type::string},  {"execution_expires_after", Type::integer},
      {"callback_url", Type::string},  {"camera_fixed", Type::boolean}, {"frames", Type::integer},
      {"safety_identifier", Type::string}, {"extra", Type::object},
  };
  return keys;
}

const char* type_word(Type t) {
  switch (t) {
    case Type::string: return "a string";
    case Type::strings: return "an array of strings";
    case Type::integer:
    case Type::integer64: return "an integer";
    case Type::boolean: return "true or false";
    case Type::object: return "a JSON object";
  }
  return "";
}

bool has_type(const json& v, Type t) {
  switch (t) {
    case Type::string: return v.is_string();
    case Type::strings:
      if (!v.is_array()) return false;
      for (const auto& s : v)
        if (!s.is_string()) return false;
      return true;
    case Type::integer:
    case Type::integer64: return v.is_number_integer();
    case Type::boolean: return v.is_boolean();
    case Type::object: return v.is_object();
  }
  return false;
}

// Whether an integer fits the field it is read into (seed: 64 bits, the
// others: int); get<int> would wrap 4294967301 to 5 without a word.
bool fits(const json& v, Type t) {
  if (!v.is_number_integer()) return true;
  const std::int64_t lo = t == Type::integer64 ? INT64_MIN : INT_MIN, hi = t == Type::integer64 ? INT64_MAX : INT_MAX;
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= std::uint64_t(hi);
  return v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
}

// nlohmann's message without its "[json.exception…] parse error at line 1, " prefix.
std::string json_reason(const json::exception& e) {
  std::string what = e.what();
  for (const char* cut : {"] ", "line 1, "})
    if (auto at = what.find(cut); at != std::string::npos) what = what.substr(at + std::strlen(cut));
  return what;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

BatchFile read_batch(const std::string& path) {
  // Checked before the first read: a FIFO or device would block or never end.
  const auto& caps = read_caps_in_force();
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw Error(ErrorKind::input, path, "no such file");
  if (!fs::is_regular_file(status)) throw Error(ErrorKind::input, path, "not a regular file (a jobs file is a text file)");
  auto size = fs::file_size(path, ec);
  if (!ec && size > caps.batch_file_bytes)
    throw Error(ErrorKind::input, path,
                fmt::format("{} bytes, over the {}-byte cap for a jobs file", size, caps.batch_file_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path, "cannot be read");
  BatchFile file;
  file.path = path;
  fs::path folder = fs::absolute(path).parent_path();
  auto resolve = [&](const std::string& s) {
    if (source_kind(s) != SourceKind::local || fs::path(s).is_absolute()) return s;
    return (folder / s).lexically_normal().string();
  };

  std::map<std::string, int> outputs;  // output path → first line that writes it
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte order mark
    if (blank(text)) continue;
    std::size_t before = file.problems.size();
    auto problem = [&](std::string rule, std::string message) { file.problems.push_back({line, std::move(rule), std::move(message)}); };

    json j;
    if (!json_within(text, caps.json_depth, caps.batch_file_bytes)) {
      problem("json", fmt::format("nested deeper than {} levels", caps.json_depth));
      continue;
    }
    try {
      j = json::parse(text);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
      problem("json", "not valid JSON: " + json_reason(e));
      continue;
    } catch (const std::exception& e) {
      // The sanitizer build has been seen to let out_of_range past the
      // handler above (caught here by its base): the line is still a problem.
      problem("json", std::string("not valid JSON: ") + e.what());
      continue;
    }
    if (!j.is_object()) {
      problem("json", "a job is a JSON object ({\"prompt\": …, \"output\": …})");
      continue;
    }
    for (const auto& [key, value] : j.items()) {
      auto k = known_keys().find(key);
      if (k == known_keys().end())
        problem("key", fmt::format("unknown key '{}' (see docs/batch.md for the keys)", key));
      else if (!has_type(value, k->second))
        problem("type", fmt::format("'{}' must be {}, not {}", key, type_word(k->second), value.type_name()));
      else if (!fits(value, k->second))
        problem("type", fmt::format("'{}' is out of range: {}", key, value.dump()));
    }
    if (file.problems.size() != before) continue;

    BatchJob job;
    job.line = line;
    Request& r = job.request;
    r.prompt = j.value("prompt", "");
    auto add = [&](const char* key, Role role) {
      if (!j.contains(key)) return;
      if (j[key].is_string()) {
        r.media.push_back({resolve(j[key].get<std::string>()), role});
        return;
      }
      for (const auto& s : j[key]) r.media.push_back({resolve(s.get<std::string>()), role});
    };
    add("first_frame", Role::first_frame);
    add("last_frame", Role::last_frame);
    add("ref_images", Role::reference_image);
    add("ref_videos", Role::reference_video);
    add("ref_audios", Role::reference_audio);
    for (const auto& m : r.media)
      if (m.source.empty()) problem("file", "an empty media path");
    r.resolution = j.value("resolution", "");
    r.ratio = j.value("ratio", "");
    r.model = j.value("model", "");
    if (j.contains("duration")) r.duration = j["duration"].get<int>();
    if (j.contains("seed")) r.seed = j["seed"].get<std::int64_t>();
    r.generate_audio = j.value("audio", true);
    r.web_search = j.value("web_search", false);
    if (j.contains("watermark")) r.watermark = j["watermark"].get<bool>();
    r.return_last_frame = j.value("return_last_frame", false);
    r.service_tier = j.value("service_tier", "");
    if (j.contains("execution_expires_after")) r.execution_expires_after = j["execution_expires_after"].get<int>();
    r.callback_url = j.value("callback_url", "");
    if (j.contains("camera_fixed")) r.camera_fixed = j["camera_fixed"].get<bool>();
    if (j.contains("frames")) r.frames = j["frames"].get<int>();
    r.safety_identifier = j.value("safety_identifier", "");
    if (j.contains("extra")) r.extra = j["extra"].dump();
    job.provider = j.value("provider", "");
    job.conform = j.value("conform", true);
    job.retry_without_audio = j.value("retry_without_audio", false);
    if (j.contains("fit")) {
      if (auto fit = parse_fit(j["fit"].get<std::string>()))
        job.fit = *fit;
      else
        problem("type", "'fit' must be \"pad\" or \"crop\"");
    }
    if (r.prompt.empty() && r.media.empty()) problem("job", "a job needs a prompt, media, or both");

    std::string output = j.value("output", "");
    if (output.empty()) {
      problem("output", "'output' is required: the path of the video to write");
    } else {
      job.output = (folder / output).lexically_normal().string();  // absolute stays absolute
      auto [at, fresh] = outputs.emplace(job.output, line);
      if (!fresh) problem("output", fmt::format("output {} is already written by line {}", output, at->second));
      for (const auto& m : r.media)
        if (m.source == job.output) problem("output", fmt::format("output {} is also an input of this job", output));
    }
    if (file.problems.size() == before) file.jobs.push_back(std::move(job));
  }
  if (in.bad()) throw Error(ErrorKind::input, path, "read error");
  file.lines = line;
  return file;
}

}  // namespace seedreel
