#include "limits_options.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"

namespace seedreel::cli {

namespace {

struct LimitName {
  std::string_view key;   // in the config file's "limits" object
  std::string_view flag;  // on every command that has the limit
  std::string_view env;
};

// One row per limit; docs/limits.md is the same table with defaults.
constexpr std::array<LimitName, 8> kLimits{{
    {"max_download", "--max-download", "SEEDREEL_MAX_DOWNLOAD"},
    {"max_answer", "--max-answer", "SEEDREEL_MAX_ANSWER"},
    {"max_redirects", "--max-redirects", "SEEDREEL_MAX_REDIRECTS"},
    {"connect_timeout", "--connect-timeout", "SEEDREEL_CONNECT_TIMEOUT"},
    {"request_timeout", "--request-timeout", "SEEDREEL_REQUEST_TIMEOUT"},
    {"timeout", "--timeout", "SEEDREEL_TIMEOUT"},
    {"concurrency", "--concurrency", "SEEDREEL_CONCURRENCY"},
    {"jobs", "--jobs", "SEEDREEL_JOBS"},
}};

// The caps' flags write here; one command runs per process.
struct CapValues {
  std::uint64_t max_download = read_caps().download_bytes;
  std::uint64_t max_answer = read_caps().answer_bytes;
  long max_redirects = read_caps().redirects;
};
CapValues& cap_values() {
  static CapValues values;
  return values;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Every command, nested ones (asset group) included.
template <typename F>
void each_command(CLI::App& app, const F& f) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    f(*sub);
    each_command(*sub, f);
  }
}

// The config file's "limits" object; an empty object when there is no file.
nlohmann::json read_config_limits(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return nlohmann::json::object();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::usage, path, "cannot read the config file");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(ErrorKind::usage, path, "the config file is not a JSON object");
  if (!j.contains("limits")) return nlohmann::json::object();
  const auto& limits = j["limits"];
  if (!limits.is_object()) throw Error(ErrorKind::usage, path, "\"limits\" is not an object");
  // A misspelt key would silently leave the default in force.
  for (const auto& [key, value] : limits.items()) {
    bool known = false;
    for (const auto& l : kLimits) known = known || l.key == key;
    if (!known) throw Error(ErrorKind::usage, path, fmt::format("unknown limit \"{}\" (docs/limits.md lists them)", key));
    if (!value.is_number() && !value.is_string())
      throw Error(ErrorKind::usage, path, fmt::format("limit \"{}\" is not a number or a string", key));
  }
  return limits;
}

}  // namespace

std::string config_path() {
  if (auto p = env("SEEDREEL_CONFIG"); !p.empty()) return p;
  if (auto x = env("XDG_CONFIG_HOME"); !x.empty()) return (std::filesystem::path(x) / "seedreel" / "config.json").string();
  if (auto h = env("HOME"); !h.empty()) return (std::filesystem::path(h) / ".config" / "seedreel" / "config.json").string();
  return "";
}

void add_cap_flags(CLI::App& sub) {
  auto& v = cap_values();
  const std::string group = "Limits";
  sub.add_option("--max-download", v.max_download, "Largest result file downloaded (bytes; k, m, g suffixes are binary)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(std::uint64_t(1), std::uint64_t(1) << 50))
      ->group(group);
  sub.add_option("--max-answer", v.max_answer, "Largest API answer body read (bytes; k, m, g suffixes are binary)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(std::uint64_t(1024), std::uint64_t(1) << 34))
      ->group(group);
  sub.add_option("--max-redirects", v.max_redirects, "HTTP redirects followed per request")
      ->check(CLI::Range(0L, 50L))
      ->group(group);
}

void describe_limit_sources(CLI::App& app) {
  each_command(app, [](CLI::App& sub) {
    for (const auto& l : kLimits)
      if (CLI::Option* opt = sub.get_option_no_throw(std::string(l.flag)))
        opt->description(fmt::format("{} (env {}; config limits.{})", opt->get_description(), l.env, l.key));
  });
}

void apply_limits(CLI::App& app) {
  std::optional<nlohmann::json> config;  // read only when a limit needs it
  const std::string path = config_path();
  each_command(app, [&](CLI::App& sub) {
    if (!sub.parsed()) return;
    for (const auto& l : kLimits) {
      CLI::Option* opt = sub.get_option_no_throw(std::string(l.flag));
      if (!opt) continue;
      const std::string env_name(l.env);
      if (opt->count() > 0) {
        // A command this one runs again (resume's workflows) inherits the flag's value.
        if (!opt->results().empty()) ::setenv(env_name.c_str(), opt->results().back().c_str(), 1);
        continue;
      }
      // Not CLI11's envname: it reads (and validates) the variable for every
      // command, parsed or not, and the commands share the caps' variables.
      std::string text = env(env_name.c_str()), source = env_name;
      if (text.empty()) {
        if (!config) config = read_config_limits(path);
        auto it = config->find(std::string(l.key));
        if (it == config->end()) continue;
        text = it->is_string() ? it->get<std::string>() : it->dump();
        source = fmt::format("limit \"{}\"", l.key);
      }
      try {
        opt->add_result(text);
        opt->run_callback();
      } catch (const CLI::Error& e) {
        throw Error(ErrorKind::usage, source == env_name ? "" : path, fmt::format("{}: {}", source, e.what()));
      }
      ::setenv(env_name.c_str(), text.c_str(), 1);
    }
  });
  ReadCaps caps = read_caps();
  caps.download_bytes = cap_values().max_download;
  caps.answer_bytes = cap_values().max_answer;
  caps.redirects = cap_values().max_redirects;
  set_read_caps(caps);
}

}  // namespace seedreel::cli
