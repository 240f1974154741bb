#include "upload_options.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "output.hpp"

namespace seedreel::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::filesystem::path config_file() {
  if (auto f = env("SEEDREEL_UPLOAD_CONFIG"); !f.empty()) return f;
  if (auto x = env("XDG_CONFIG_HOME"); !x.empty()) return std::filesystem::path(x) / "seedreel" / "upload.json";
  if (auto h = env("HOME"); !h.empty()) return std::filesystem::path(h) / ".config" / "seedreel" / "upload.json";
  return {};
}

// {"upload": "s3://…", "upload_get": "…", "s3_endpoint": "…", "asset_group": "…", "expires": 86400}
nlohmann::json read_config() {
  auto file = config_file();
  std::error_code ec;
  if (file.empty() || !std::filesystem::exists(file, ec)) return nlohmann::json::object();
  std::ifstream in(file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorKind::usage, file.string(), "the upload settings must be one JSON object");
  for (const char* key : {"upload", "upload_get", "s3_endpoint", "asset_group"})
    if (j.contains(key) && !j[key].is_string())
      throw Error(ErrorKind::usage, file.string(), fmt::format("'{}' must be a string", key));
  if (j.contains("expires") && !j["expires"].is_number_integer())
    throw Error(ErrorKind::usage, file.string(), "'expires' must be a number of seconds");
  return j;
}

// The flag, else the first environment variable set, else the config file's key.
std::string pick(const std::string& flag, std::initializer_list<const char*> vars, const nlohmann::json& config,
                 const char* key) {
  if (!flag.empty()) return flag;
  for (const char* v : vars)
    if (auto value = env(v); !value.empty()) return value;
  return config.value(key, std::string());
}

}  // namespace

void add_upload_flags(CLI::App& sub, UploadFlags& f) {
  sub.add_option("--upload", f.upload,
                 "Where local files that cannot be inlined go: put:URL_TEMPLATE ({sha256} {name} {ext}), "
                 "s3://bucket/prefix, asset, asset:put:… or asset:s3://… (env SEEDREEL_UPLOAD; config upload.json)");
  sub.add_option("--upload-get", f.upload_get,
                 "put: the URL template the provider reads the file from (default: the PUT URL without its query)");
  sub.add_option("--s3-endpoint", f.s3_endpoint,
                 "An S3-compatible store's URL, addressed path-style (env SEEDREEL_S3_ENDPOINT, AWS_ENDPOINT_URL)");
  sub.add_option("--asset-group", f.asset_group, "asset: the provider's asset group (default: one made once, 'seedreel')");
  sub.add_option("--upload-expires", f.expires, "s3: seconds the presigned GET URL stays valid (default 86400, at most 604800)")
      ->check(CLI::Range(1, 604800));
}

std::unique_ptr<Uploader> make_uploader(const UploadFlags& f, const ApiFlags& api, const Context& ctx,
                                        const std::string& fallback_spec) {
  auto config = read_config();
  UploadSettings s;
  s.spec = pick(f.upload, {"SEEDREEL_UPLOAD"}, config, "upload");
  if (s.spec.empty()) s.spec = fallback_spec;
  if (s.spec.empty()) return nullptr;
  s.get_template = pick(f.upload_get, {"SEEDREEL_UPLOAD_GET"}, config, "upload_get");
  s.s3_endpoint = pick(f.s3_endpoint, {"SEEDREEL_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}, config, "s3_endpoint");
  s.asset_group = pick(f.asset_group, {"SEEDREEL_ASSET_GROUP"}, config, "asset_group");
  if (f.expires > 0)
    s.presign_seconds = f.expires;
  else if (auto e = env("SEEDREEL_UPLOAD_EXPIRES"); !e.empty())
    s.presign_seconds = std::atoi(e.c_str());
  else if (config.contains("expires"))
    s.presign_seconds = config["expires"].get<int>();
  s.cache_path = upload_cache_path(journal_path(api));
  s.max_attempts = api.retries + 1;
  if (auto base = env("SEEDREEL_RETRY_BASE"); !base.empty()) s.retry_base = std::atof(base.c_str());
  s.stall_timeout = std::max(30.0, api.request_timeout);
  s.connect_timeout = api.connect_timeout;
  s.on_notice = [](const std::string& text) { fmt::print(stderr, "seedreel: {}\n", text); };
  if (!ctx.json && isatty(2)) {
    // Large uploads only; a line that rewrites itself, whole percents.
    auto last = std::make_shared<std::pair<std::mutex, int>>();
    s.on_progress = [last](const std::string& name, std::uint64_t sent, std::uint64_t total) {
      if (total < (1u << 20)) return;
      int pct = int(sent * 100 / total);
      std::lock_guard lock(last->first);
      if (pct == last->second) return;
      last->second = pct;
      fmt::print(stderr, "\rupload {:3d}%  {} of {}  {}", pct, human_bytes(sent), human_bytes(total), name);
      if (sent >= total) fmt::print(stderr, "\n");
      std::fflush(stderr);
    };
  }
  return std::make_unique<Uploader>(std::move(s));
}

void add_upload_hint(std::vector<Finding>& findings) {
  for (auto& f : findings)
    if (f.rule == "media.local_video" || f.rule == "provider.data_uri" || f.rule == "request.body_size")
      f.message += "; or give --upload put:URL_TEMPLATE, s3://bucket/prefix or asset to upload it";
}

void report_published(const std::vector<Published>& published, const Context& ctx) {
  if (ctx.json) return;
  for (const auto& p : published)
    fmt::print(stderr, "seedreel: {} {} -> {}\n", p.uploaded ? "uploaded" : "already there:", p.path, p.shown);
}

}  // namespace seedreel::cli
