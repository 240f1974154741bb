// seedreel extend VIDEO --prompt TEXT [--times N] [--tail S] -o OUT.mp4
// Feed the video's tail back as a reference video, generate, stitch; N times.
#include <cstdlib>

#include "api_options.hpp"
#include "http/http.hpp"
#include "command.hpp"
#include "workflow_options.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{61, "extend", "Continue a video from its tail as a reference video, N times, and join the clips",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string video, prompt, upload_url;
    int times = 1;
    double tail = 0;
    WorkflowFlags flags;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("video", o->video, "The video to extend")->required();
  sub.add_option("--prompt", o->prompt, "What happens next; the tail is @video1")->required();
  sub.add_option("--times", o->times, "Rounds of extension")->capture_default_str();
  sub.add_option("--tail", o->tail, "Seconds of the newest video fed back, 2-15 (default 15, or all of a shorter video)");
  sub.add_option("--upload-url", o->upload_url,
                 "Where each tail is PUT for the provider to read: URL with {name}, or ending in / "
                 "(env SEEDREEL_UPLOAD_URL; default BASE/uploads/ when the base URL is on this machine)");
  add_workflow_flags(sub, o->flags);
  return [o, &ctx] {
    std::string upload = o->upload_url;
    if (const char* env = std::getenv("SEEDREEL_UPLOAD_URL"); upload.empty() && env) upload = env;
    // A server on this machine (the emulator) takes uploads itself; a real
    // provider's host never gets the video unasked.
    if (std::string base = provider_for(o->flags.api).base_url; upload.empty() && http::is_loopback_url(base))
      upload = base + (base.ends_with('/') ? "uploads/" : "/uploads/");
    if (upload.empty())
      throw Error(ErrorKind::usage, "--upload-url",
                  "the API reads a reference video only from a URL or asset: give where to PUT the tail");
    ExtendPlan plan;
    plan.base = base_request(o->flags);
    plan.video = o->video;
    plan.prompt = o->prompt;
    plan.times = o->times;
    plan.tail = o->tail;
    plan.publish = put_publisher(upload, o->flags.api.request_timeout);
    return run_workflow(o->flags, ctx, [&](Client& c, const WorkflowOptions& w) { return extend(c, plan, w); });
  };
}};

}  // namespace
}  // namespace seedreel::cli
