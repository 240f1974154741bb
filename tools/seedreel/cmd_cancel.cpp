// seedreel cancel ID: cancel a queued task (Ark dialect: DELETE).
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "seedreel/lifecycle.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{43, "cancel", "Cancel a queued task", [](CLI::App& sub, const Context& ctx) -> Runner {
  auto o = std::make_shared<TaskArgs>();
  add_task_args(sub, *o);
  return [o, &ctx] {
    auto client = task_client(*o, ctx).client;
    auto journal = existing_journal(o->api);
    TaskLifecycle(*client, journal.get()).cancel(o->id);
    if (ctx.json)
      fmt::print("{}\n", nlohmann::json{{"ok", true}, {"id", o->id}, {"cancelled", true}}.dump(2));
    else
      fmt::print("cancelled {}\n", o->id);
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
