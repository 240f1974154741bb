// seedreel status ID: poll a task once and show it, normalised.
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "seedreel/lifecycle.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{41, "status", "Show a task's status, progress, URL or error", [](CLI::App& sub, const Context& ctx) -> Runner {
  auto o = std::make_shared<TaskArgs>();
  add_task_args(sub, *o);
  return [o, &ctx] {
    auto [provider, client] = task_client(*o, ctx);
    auto journal = existing_journal(o->api);
    Task t = TaskLifecycle(*client, journal.get()).status(o->id);
    if (ctx.json) {
      auto j = task_json(t);
      j["provider"] = provider.name;
      print_json(j);
    } else {
      print_task(t);
    }
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
