#include "seedreel/provider.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/api_key.hpp"
#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"

namespace seedreel {

namespace {

constexpr std::array<std::pair<Dialect, std::string_view>, 3> kDialects{{
    {Dialect::content_array, "content_array"},
    {Dialect::flat, "flat"},
    {Dialect::ark, "ark"},
}};

// A model's profile from the limits table, or judged by its name when the table does not know it.
ModelProfile model_from_limits(std::string_view name) {
  ModelLimits m = judge_model(name).limits;
  return {std::string(name), std::string(m.max_resolution), m.requires_reference_video, std::string(m.family)};
}

// What a request is told about an id no table knows.
std::string pass_through_note(const ModelLimits& judged) {
  return fmt::format("model '{}' is not in seedreel's tables: sent as it is, checked as {} ({} at most{})", judged.name,
                     judged.family.empty() ? std::string_view("Seedance 2.0") : judged.family, judged.max_resolution,
                     judged.requires_reference_video ? ", needs a reference video" : "");
}

std::string offered(const Provider& p) {
  std::vector<std::string> names;
  for (const auto& m : p.models)
    names.push_back(m.family.empty() || m.family == m.name ? m.name : fmt::format("{} ({})", m.family, m.name));
  return fmt::format("{}", fmt::join(names, ", "));
}

// What a profile of each dialect looks like before naming a host.
Provider dialect_template(Dialect d) {
  Provider p;
  p.dialect = d;
  switch (d) {
    case Dialect::content_array:
      // seeds 000-002, 004: New-API gateways.
      p.create_path = "/v1/video/generations";
      p.poll_path = "/v1/video/generations/{id}";
      p.asset_group_path = "/volc/asset/CreateAssetGroup";
      p.asset_create_path = "/volc/asset/CreateAsset";
      p.poll_interval = 5;
      p.params = {"resolution", "ratio", "duration", "generate_audio", "watermark", "web_search", "return_last_frame"};
      break;
    case Dialect::flat:
      // seed 003: flat fields, URLs and asset:// only, no resolution or tools.
      p.create_path = "/v1/kyyvideo2/videos";
      p.poll_path = "/v1/result/{id}";
      p.poll_interval = 10;
      p.data_uris = false;
      p.params = {"ratio", "duration", "generate_audio"};
      break;
    case Dialect::ark:
      // Volcengine Ark / BytePlus ModelArk video generation task API.
      p.create_path = "/contents/generations/tasks";
      p.poll_path = "/contents/generations/tasks/{id}";
      p.cancel_path = "/contents/generations/tasks/{id}";
      p.poll_interval = 10;
      p.params = {"resolution", "ratio", "duration", "generate_audio", "watermark", "web_search", "seed", "return_last_frame",
                  "service_tier", "execution_expires_after", "callback_url", "camera_fixed", "frames", "safety_identifier"};
      break;
  }
  return p;
}

Provider builtin(std::string name, Dialect d, std::string base, std::vector<std::string_view> model_names) {
  Provider p = dialect_template(d);
  p.name = std::move(name);
  p.base_url = std::move(base);
  for (auto m : model_names) p.models.push_back(model_from_limits(m));
  p.default_model = p.models.front().name;
  return p;
}

const std::vector<Provider> kBuiltins = {
    builtin("anyfast", Dialect::content_array, "https://www.anyfast.ai", {"seedance", "seedance-2.0", "seedance-2.0-mini"}),
    builtin("starrise", Dialect::content_array, "https://ai.alad.com", {"seedance-2.0", "seedance", "seedance-2.0-mini"}),
    // seedance_2_0 and _fast need a reference video, so the default is the Pro model.
    builtin("xingchaoyiqing", Dialect::flat, "https://zcbservice.aizfw.cn/kyyReactApiServer",
            {"seedance_2_0_pro", "seedance_2_0_fast_pro", "seedance_2_0", "seedance_2_0_fast"}),
    builtin("ark-cn", Dialect::ark, "https://ark.cn-beijing.volces.com/api/v3",
            {"doubao-seedance-2-0-260128", "doubao-seedance-2-0-fast-260128"}),
    builtin("ark-intl", Dialect::ark, "https://ark.ap-southeast.bytepluses.com/api/v3",
            {"dreamina-seedance-2-0-260128", "dreamina-seedance-2-0-fast-260128"}),
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::filesystem::path config_dir() {
  if (auto x = env("XDG_CONFIG_HOME"); !x.empty()) return std::filesystem::path(x) / "seedreel";
  if (auto h = env("HOME"); !h.empty()) return std::filesystem::path(h) / ".config" / "seedreel";
  return {};
}

bool is_http_url(std::string_view url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

Provider parse_profile(const nlohmann::json& j, const std::string& file) {
  auto need = [&](const char* key) -> std::string {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
      throw Error(ErrorKind::input, file, fmt::format("a provider profile needs a string '{}'", key));
    return j[key].get<std::string>();
  };
  auto name = need("name");
  auto dialect = parse_dialect(need("dialect"));
  if (!dialect) throw Error(ErrorKind::input, file, fmt::format("provider {}: dialect must be content_array, flat or ark", name));
  Provider p = dialect_template(*dialect);
  p.name = name;
  p.base_url = strip_slash(need("base_url"));
  if (!is_http_url(p.base_url)) throw Error(ErrorKind::input, file, fmt::format("provider {}: base_url must be http(s)", name));
  auto str = [&](const char* key, std::string& into) {
    if (j.contains(key)) {
      if (!j[key].is_string()) throw Error(ErrorKind::input, file, fmt::format("provider {}: '{}' must be a string", name, key));
      into = j[key].get<std::string>();
    }
  };
  str("create_path", p.create_path);
  str("poll_path", p.poll_path);
  str("cancel_path", p.cancel_path);
  str("asset_group_path", p.asset_group_path);
  str("asset_create_path", p.asset_create_path);
  try {
    if (j.contains("poll_interval")) p.poll_interval = j.at("poll_interval").get<double>();
    if (j.contains("data_uris")) p.data_uris = j.at("data_uris").get<bool>();
    if (j.contains("params")) p.params = j.at("params").get<std::vector<std::string>>();
    if (j.contains("models")) {
      p.models.clear();
      for (const auto& m : j.at("models")) {
        if (m.is_string()) {
          p.models.push_back(model_from_limits(m.get<std::string>()));
          continue;
        }
        ModelProfile mp = model_from_limits(m.at("name").get<std::string>());
        if (m.contains("max_resolution")) mp.max_resolution = m.at("max_resolution").get<std::string>();
        if (m.contains("requires_reference_video")) mp.requires_reference_video = m.at("requires_reference_video").get<bool>();
        if (resolution_rank(mp.max_resolution) < 0)
          throw Error(ErrorKind::input, file, fmt::format("provider {}: unknown max_resolution '{}'", name, mp.max_resolution));
        p.models.push_back(std::move(mp));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::input, file, fmt::format("provider {}: {}", name, e.what()));
  }
  str("default_model", p.default_model);
  if (p.default_model.empty() && !p.models.empty()) p.default_model = p.models.front().name;
  if (p.default_model.empty()) throw Error(ErrorKind::input, file, fmt::format("provider {}: needs models or default_model", name));
  if (!(p.poll_interval > 0)) throw Error(ErrorKind::input, file, fmt::format("provider {}: poll_interval must be > 0", name));
  return p;
}

}  // namespace

const char* to_string(Dialect dialect) noexcept {
  for (const auto& [d, n] : kDialects)
    if (d == dialect) return n.data();
  return "unknown";
}

std::optional<Dialect> parse_dialect(std::string_view text) {
  for (const auto& [d, n] : kDialects)
    if (n == text) return d;
  return std::nullopt;
}

const ModelProfile* Provider::find_model(std::string_view model) const {
  auto it = std::find_if(models.begin(), models.end(), [&](const ModelProfile& m) { return m.name == model; });
  return it == models.end() ? nullptr : &*it;
}

bool Provider::takes(std::string_view param) const { return std::find(params.begin(), params.end(), param) != params.end(); }

std::string Provider::url(std::string_view path, std::string_view id) const {
  std::string encoded;
  for (unsigned char ch : id) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
      encoded += char(ch);
    else
      encoded += fmt::format("%{:02X}", ch);
  }
  std::string p(path);
  if (auto at = p.find("{id}"); at != std::string::npos) p.replace(at, 4, encoded);
  return base_url + p;
}

std::span<const Provider> builtin_providers() { return kBuiltins; }

ModelChoice choose_model(const Provider& provider, std::string_view requested) {
  ModelChoice c;
  c.requested = std::string(requested);
  std::string_view want = requested.empty() ? std::string_view(provider.default_model) : requested;
  auto take = [&](const ModelProfile& m) {
    c.id = m.name;
    c.profile = m;
    return c;
  };
  if (const ModelProfile* own = provider.find_model(want)) return take(*own);
  JudgedModel judged = judge_model(want);
  bool family_name = is_model_family(want);
  std::string_view family = family_name ? want : judged.known ? judged.limits.family : std::string_view{};
  if (provider.models.empty()) {
    // A profile that lists no models takes any name; the tables only judge it.
    take(model_from_limits(want));
    c.known = judged.known || family_name;
    if (!c.known) c.note = pass_through_note(judged.limits);
    return c;
  }
  if (!family.empty()) {
    for (const auto& m : provider.models)
      if (m.family == family) {
        take(m);
        if (!family_name)
          c.note = fmt::format("'{}' is another provider's id for {}; {} takes it as '{}'", want, family, provider.name, m.name);
        return c;
      }
    c.id = std::string(want);
    c.profile = model_from_limits(want);
    c.refusal = fmt::format("{} does not offer {}; it offers {}", provider.name,
                            family_name ? std::string(want) : fmt::format("'{}' ({})", want, family), offered(provider));
    return c;
  }
  if (judged.known) {
    // A known id with no family of this vocabulary (none today) is another provider's.
    c.id = std::string(want);
    c.profile = model_from_limits(want);
    c.refusal = fmt::format("{} does not offer model '{}'; it offers {}", provider.name, want, offered(provider));
    return c;
  }
  take(model_from_limits(want));
  c.known = false;
  c.note = pass_through_note(judged.limits);
  return c;
}

std::vector<Provider> load_provider_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::input, path, "cannot open provider file");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::input, path, "provider file is not valid JSON");
  if (j.is_object() && j.contains("providers")) j = j["providers"];
  if (!j.is_array()) throw Error(ErrorKind::input, path, "expected a JSON array of provider profiles");
  std::vector<Provider> out;
  for (const auto& item : j) {
    if (!item.is_object()) throw Error(ErrorKind::input, path, "each provider profile must be an object");
    out.push_back(parse_profile(item, path));
  }
  return out;
}

Provider resolve_provider(const std::string& name_flag, const std::string& base_url_flag) {
  std::string name = !name_flag.empty() ? name_flag : env("SEEDREEL_PROVIDER");
  if (name.empty()) name = "anyfast";

  std::vector<Provider> user;
  std::string file = env("SEEDREEL_PROVIDERS_FILE");
  if (file.empty() && !config_dir().empty() && std::filesystem::exists(config_dir() / "providers.json"))
    file = (config_dir() / "providers.json").string();
  if (!file.empty()) user = load_provider_file(file);

  std::optional<Provider> found;
  for (const auto& p : user)
    if (p.name == name) found = p;
  if (!found)
    for (const auto& p : kBuiltins)
      if (p.name == name) found = p;
  if (!found) {
    std::vector<std::string> names;
    for (const auto& p : kBuiltins) names.push_back(p.name);
    for (const auto& p : user) names.push_back(p.name);
    throw Error(ErrorKind::invalid_argument, "", fmt::format("unknown provider '{}' (known: {})", name, fmt::join(names, ", ")),
                "provider");
  }
  std::string base = !base_url_flag.empty() ? base_url_flag : env("SEEDREEL_BASE_URL");
  if (!base.empty()) {
    if (!is_http_url(base)) throw Error(ErrorKind::invalid_argument, "", "must start with http:// or https://", "base_url");
    found->base_url = strip_slash(base);
  }
  return *found;
}

void check_api_key(std::string_view key, const std::string& where) {
  for (std::size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorKind::usage, where,
                  fmt::format("the API key holds a control character (byte 0x{:02x} at position {}); a key is one line of "
                              "printable text, and this one would add lines to the request's headers, so nothing was sent",
                              c, i + 1));
  }
}

std::string load_api_key() {
  if (auto k = env("SEEDREEL_API_KEY"); !k.empty()) {
    check_api_key(k, "SEEDREEL_API_KEY");
    return k;
  }
  std::string file = env("SEEDREEL_API_KEY_FILE");
  if (file.empty()) {
    if (config_dir().empty()) return "";
    file = (config_dir() / "api-key").string();
    if (!std::filesystem::exists(file)) return "";
  }
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) throw Error(ErrorKind::usage, file, "cannot read the API key file");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw Error(ErrorKind::usage, file,
                fmt::format("API key file is readable by group or others (mode {:o}); run: chmod 600 {}", st.st_mode & 0777, file));
  std::ifstream in(file);
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(key.begin());
  if (key.empty()) throw Error(ErrorKind::usage, file, "the API key file is empty");
  check_api_key(key, file);
  return key;
}

}  // namespace seedreel
