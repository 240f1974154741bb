// seedreel cancel ID: cancel a queued task (Ark dialect: DELETE).
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
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
      print_json(nlohmann::json{{"ok", true}, {"id", o->id}, {"cancelled", true}});
    else
      fmt::print("cancelled {}\n", o->id);
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
