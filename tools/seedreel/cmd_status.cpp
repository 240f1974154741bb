// seedreel status ID: poll a task once and show it, normalised.
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{41, "status", "Show a task's status, progress, URL or error", [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string id;
    ApiFlags api;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("id", o->id, "Task id")->required();
  add_api_flags(sub, o->api);
  return [o, &ctx] {
    Provider provider = provider_for(o->api, o->id);
    auto client = make_client(o->api, provider, ctx);
    Task t = client->poll(o->id);
    if (ctx.json) {
      auto j = task_json(t);
      j["provider"] = provider.name;
      fmt::print("{}\n", j.dump(2));
    } else {
      print_task(t);
    }
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
