// seedreel download ID -o OUT.mp4: wait for a task if it is still running,
// then download its video (resume, expired-URL refresh, atomic write).
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "seedreel/lifecycle.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{42, "download", "Download a finished task's video (waits while it runs)",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts : TaskArgs {
    std::string output;
  };
  auto o = std::make_shared<Opts>();
  // Before the API flags, so that --help lists it first.
  sub.add_option("-o,--output", o->output, "Where to write the video (.mp4)")->required();
  add_task_args(sub, *o);
  return [o, &ctx] {
    auto client = task_client(*o, ctx).client;
    auto journal = existing_journal(o->api);
    TaskLifecycle life(*client, journal.get());
    GenerateResult r = life.download(o->id, o->output);
    const Task& t = r.task;
    auto bytes = r.bytes;
    const auto& s = client->stats();
    if (ctx.json)
      print_json(nlohmann::json{{"ok", true}, {"output", o->output}, {"bytes", bytes}, {"task", task_json(t)},
                                        {"stats", {{"requests", s.requests}, {"retries", s.retries}, {"resumes", s.resumes},
                                                   {"refreshes", s.refreshes}}}});
    else
      fmt::print("{}  {}  task {}\n", o->output, human_bytes(bytes), t.id);
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
