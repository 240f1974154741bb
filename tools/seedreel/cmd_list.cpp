// seedreel list: the provider's own list of recent tasks (Ark dialect only),
// every page, filtered by status, model, task ids and service tier.
#include <ctime>

#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"

namespace seedreel::cli {
namespace {

struct ListArgs {
  ListFilter filter;
  ApiFlags api;
};

std::string utc(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "-";
  std::time_t t = std::time_t(unix_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "-";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

nlohmann::json listed_json(const ListedTask& t) {
  nlohmann::json j = task_json(t.task);
  j["model"] = t.model;
  j["created_at"] = t.created_at;
  j["updated_at"] = t.updated_at;
  j["service_tier"] = t.service_tier;
  j["duration"] = t.duration;
  j["resolution"] = t.resolution;
  j["ratio"] = t.ratio;
  j["generate_audio"] = t.generate_audio;
  j["seed"] = t.seed;
  return j;
}

const Registration reg{46, "list", "List the provider's tasks of the last 7 days (Ark dialect), newest first",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  auto o = std::make_shared<ListArgs>();
  sub.add_option("--status", o->filter.status, "Only tasks in this state")
      ->check(CLI::IsMember({"queued", "running", "succeeded", "failed", "cancelled", "expired"}));
  sub.add_option("--model", o->filter.model, "Only tasks of this model");
  sub.add_option("--task-id", o->filter.task_ids, "Only this task (repeat the flag for more)")->allow_extra_args(false);
  sub.add_option("--tier", o->filter.service_tier, "Only tasks of this service tier")
      ->check(CLI::IsMember({"default", "flex"}));
  sub.add_option("--page-size", o->filter.page_size, "Tasks asked for per request (every page is read)")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  add_api_flags(sub, o->api);
  return [o, &ctx] {
    Provider provider = provider_for(o->api);
    auto client = make_client(o->api, provider, ctx);
    if (!client->can_list())
      throw Error(ErrorKind::invalid_argument, provider.name,
                  fmt::format("the {} dialect has no endpoint that lists tasks (only Ark dialect providers, such as "
                              "ark-cn and ark-intl, have one); look up a task you know with `seedreel status ID`",
                              to_string(provider.dialect)));
    std::vector<ListedTask> tasks = client->list(o->filter);
    if (ctx.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& t : tasks) out.push_back(listed_json(t));
      print_json(out);
      return exit_code::ok;
    }
    if (tasks.empty()) {
      fmt::print("no tasks of the last 7 days match\n");
      return exit_code::ok;
    }
    std::vector<Row> rows{{"ID", "STATUS", "MODEL", "CREATED (UTC)", "DURATION", "RESOLUTION"}};
    for (const auto& t : tasks)
      rows.push_back({t.task.id, to_string(t.task.status), t.model, utc(t.created_at),
                      t.duration > 0 ? fmt::format("{} s", t.duration) : std::string("-"),
                      t.resolution.empty() ? std::string("-") : t.resolution});
    print_table(rows);
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
