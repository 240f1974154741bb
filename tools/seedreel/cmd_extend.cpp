// seedreel extend VIDEO --prompt TEXT [--times N] [--tail S] -o OUT.mp4
// Feed the video's tail back as a reference video, generate, stitch; N times.
#include <cstdlib>

#include "api_options.hpp"
#include "command.hpp"
#include "upload_options.hpp"
#include "workflow_options.hpp"

namespace seedreel::cli {
namespace {

// --upload-url's URL as a put: template: "{name}" stays, a folder gets the name.
std::string put_spec(const std::string& url) { return "put:" + url + (url.ends_with('/') ? "{name}" : ""); }

const Registration reg{61, "extend", "Continue a video from its tail as a reference video, N times, and join the clips",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string video, prompt, upload_url;
    int times = 1;
    double tail = 0;
    WorkflowFlags flags;
    UploadFlags upload;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("video", o->video, "The video to extend")->required();
  sub.add_option("--prompt", o->prompt, "What happens next; the tail is @video1")->required();
  sub.add_option("--times", o->times, "Rounds of extension")->capture_default_str();
  sub.add_option("--tail", o->tail, "Seconds of the newest video fed back, 2-15 (default 15, or all of a shorter video)");
  sub.add_option("--upload-url", o->upload_url,
                 "Where each tail is PUT for the provider to read: URL with {name}, or ending in / (as --upload "
                 "put:URL; env SEEDREEL_UPLOAD_URL; default BASE/uploads/ when the base URL is on this machine)");
  add_workflow_flags(sub, o->flags);
  add_upload_flags(sub, o->upload);
  return [o, &ctx] {
    UploadFlags upload = o->upload;
    if (upload.upload.empty() && !o->upload_url.empty()) upload.upload = put_spec(o->upload_url);
    std::string fallback;
    if (const char* env = std::getenv("SEEDREEL_UPLOAD_URL"); env && *env) fallback = put_spec(env);
    // A server on this machine (the emulator) takes uploads itself; a real
    // provider's host never gets the video unasked.
    if (fallback.empty()) fallback = loopback_upload_spec(provider_for(o->flags.api).base_url);
    auto uploader = make_uploader(upload, o->flags.api, ctx, fallback);
    if (!uploader)
      throw Error(ErrorKind::invalid_argument, "--upload",
                  "the API reads a reference video only from a URL or asset: give where to put the tail "
                  "(--upload put:URL_TEMPLATE, s3://bucket/prefix or asset:…, or --upload-url URL)");
    ExtendPlan plan;
    plan.base = base_request(o->flags);
    plan.video = o->video;
    plan.prompt = o->prompt;
    plan.times = o->times;
    plan.tail = o->tail;
    return run_workflow(o->flags, ctx, [&](Client& c, const WorkflowOptions& w) {
      plan.publish = [&](const std::string& path) { return uploader->publish(path, MediaKind::video, &c).source; };
      return extend(c, plan, w);
    });
  };
}};

}  // namespace
}  // namespace seedreel::cli
