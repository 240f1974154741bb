#include "api_options.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "limits_options.hpp"
#include "output.hpp"
#include "seedreel/journal.hpp"
#include "util/base64.hpp"

namespace seedreel::cli {

namespace {
bool has_env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v;
}
}  // namespace

void add_api_flags(CLI::App& sub, ApiFlags& f) {
  sub.add_option("--provider", f.provider, "Provider profile: anyfast starrise xingchaoyiqing ark-cn ark-intl, or a user profile (env SEEDREEL_PROVIDER)");
  sub.add_option("--base-url", f.base_url, "Replace the provider's base URL whole (env SEEDREEL_BASE_URL)");
  sub.add_option("--journal", f.journal, "Task journal (SQLite; env SEEDREEL_JOURNAL)");
  // Read by the HTTP layer for every request of the process (API, downloads, uploads).
  sub.add_option_function<std::string>(
         "--ca-file", [](const std::string& path) { ::setenv("SEEDREEL_CA_FILE", path.c_str(), 1); },
         "PEM file of the CAs to trust for HTTPS instead of the system's (env SEEDREEL_CA_FILE); TLS is always verified")
      ->check(CLI::ExistingFile);
  sub.add_option("--poll-interval", f.poll_interval, "Seconds between polls (default: the provider's pace)")->check(CLI::PositiveNumber);
  // The limits: environment variables and the config file's keys are bound by name (limits_options.cpp).
  sub.add_option("--connect-timeout", f.connect_timeout, "Seconds to wait for a connection (API, downloads, uploads)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Limits");
  sub.add_option("--request-timeout", f.request_timeout, "Seconds per API request, all of it")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Limits");
  sub.add_option("--timeout", f.timeout, "Overall seconds to wait for the task (0 = no limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group("Limits");
  add_cap_flags(sub);
  sub.add_option("--retries", f.retries, "Retries per request on connection errors, 408/429/5xx")->capture_default_str()->check(CLI::Range(0, 20));
}

std::string journal_path(const ApiFlags& flags) { return flags.journal.empty() ? Journal::default_path() : flags.journal; }

Provider provider_for(const ApiFlags& flags, const std::string& task_id) {
  // A task id the journal knows keeps the provider (and base URL) it was created with,
  // unless a flag or the environment says otherwise.
  if (!task_id.empty() && flags.provider.empty() && !has_env("SEEDREEL_PROVIDER") &&
      std::filesystem::exists(journal_path(flags))) {
    Journal journal(journal_path(flags));
    if (auto e = journal.find_task(task_id)) {
      bool base_given = !flags.base_url.empty() || has_env("SEEDREEL_BASE_URL");
      return resolve_provider(e->provider, base_given ? flags.base_url : e->base_url);
    }
  }
  return resolve_provider(flags.provider, flags.base_url);
}

std::unique_ptr<Client> make_client(const ApiFlags& flags, const Provider& provider, const Context& ctx,
                                    std::shared_ptr<RateGate> gate) {
  std::string key = load_api_key();
  if (key.empty())
    throw Error(ErrorKind::usage, "", "no API key: set SEEDREEL_API_KEY, or put it in ~/.config/seedreel/api-key (chmod 600)");
  ClientOptions o;
  o.connect_timeout = flags.connect_timeout;
  o.request_timeout = flags.request_timeout;
  o.overall_timeout = flags.timeout;
  o.poll_interval = flags.poll_interval;
  o.max_attempts = flags.retries + 1;
  o.gate = std::move(gate);
  if (const char* base = std::getenv("SEEDREEL_RETRY_BASE"); base && *base) o.retry_base = std::atof(base);
  o.on_notice = [](const std::string& text) { fmt::print(stderr, "seedreel: {}\n", text); };
  if (!ctx.json && isatty(2)) {
    o.on_poll = [](const Task& t, double elapsed) {
      std::string pct = t.progress >= 0 ? fmt::format("{:3d}%", t.progress) : std::string("   -");
      fmt::print(stderr, "\r{}  {:<9}  {:>5.0f} s  {}", pct, to_string(t.status), elapsed, t.id);
      if (is_terminal(t.status)) fmt::print(stderr, "\n");
      std::fflush(stderr);
    };
  }
  return std::make_unique<Client>(provider, std::move(key), std::move(o));
}

std::unique_ptr<Journal> existing_journal(const ApiFlags& flags) {
  if (!std::filesystem::exists(journal_path(flags))) return nullptr;
  return std::make_unique<Journal>(journal_path(flags));
}

namespace {
// Arguments are bytes: one that is not UTF-8 (a file name) is kept exactly, as base64.
nlohmann::json lossless(const std::string& bytes) {
  try {
    (void)nlohmann::json(bytes).dump();
    return bytes;
  } catch (const nlohmann::json::type_error&) {
    return nlohmann::json{{"base64", base64_encode(bytes)}};
  }
}
}  // namespace

std::string resume_command(const Context& ctx) {
  nlohmann::json argv = nlohmann::json::array();
  for (const auto& a : ctx.argv) argv.push_back(lossless(a));
  return nlohmann::json{{"argv", argv}, {"cwd", lossless(ctx.cwd)}}.dump();
}

std::string command_argument(const nlohmann::json& arg) {
  if (arg.is_string()) return arg.get<std::string>();
  if (arg.is_object() && arg.contains("base64") && arg["base64"].is_string())
    if (auto bytes = base64_decode(arg["base64"].get<std::string>())) return *bytes;
  throw Error(ErrorKind::input, "", "the journal's workflow record holds an unreadable argument");
}

void add_task_args(CLI::App& sub, TaskArgs& args) {
  sub.add_option("id", args.id, "Task id")->required();
  add_api_flags(sub, args.api);
}

TaskClient task_client(const TaskArgs& args, const Context& ctx) {
  Provider provider = provider_for(args.api, args.id);
  auto client = make_client(args.api, provider, ctx);
  return {std::move(provider), std::move(client)};
}

nlohmann::json task_json(const Task& t) {
  nlohmann::json j = {{"id", t.id}, {"status", to_string(t.status)}, {"provider_status", t.raw_status}};
  j["progress"] = t.progress >= 0 ? nlohmann::json(t.progress) : nlohmann::json(nullptr);
  if (!t.video_url.empty()) j["video_url"] = t.video_url;
  if (!t.last_frame_url.empty()) j["last_frame_url"] = t.last_frame_url;
  if (!t.error_code.empty()) j["error_code"] = t.error_code;
  if (!t.error_message.empty()) j["error_message"] = t.error_message;
  if (!t.usage.empty()) j["usage"] = nlohmann::json::parse(t.usage, nullptr, false);
  return j;
}

void print_task(const Task& t) {
  std::vector<Row> rows{{"FIELD", "VALUE"}, {"id", t.id}, {"status", fmt::format("{} ({})", to_string(t.status), t.raw_status)}};
  if (t.progress >= 0) rows.push_back({"progress", fmt::format("{}%", t.progress)});
  if (!t.video_url.empty()) rows.push_back({"video_url", t.video_url});
  if (!t.last_frame_url.empty()) rows.push_back({"last_frame_url", t.last_frame_url});
  if (!t.error_code.empty()) rows.push_back({"error_code", t.error_code});
  if (!t.error_message.empty()) rows.push_back({"error", t.error_message});
  if (!t.usage.empty()) rows.push_back({"usage", t.usage});
  print_table(rows);
}

}  // namespace seedreel::cli
