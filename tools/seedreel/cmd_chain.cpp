// seedreel chain --first-frame IMG --prompt-file FILE -o OUT.mp4
// One clip per prompt, each starting from the previous clip's exact last
// frame, joined into one video; a rerun reuses or resumes what was paid for.
#include "api_options.hpp"
#include "command.hpp"
#include "upload_options.hpp"
#include "workflow_options.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{60, "chain", "Generate one clip per prompt, each from the previous clip's last frame, and join them",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string first, prompt_file;
    WorkflowFlags flags;
    UploadFlags upload;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--first-frame", o->first, "First frame of clip 1 (a local image)")->required();
  sub.add_option("--prompt-file", o->prompt_file, "One prompt per line; blank lines and # comments skipped")->required();
  add_workflow_flags(sub, o->flags);
  add_upload_flags(sub, o->upload);
  return [o, &ctx] {
    auto uploader = make_uploader(o->upload, o->flags.api, ctx);
    ChainPlan plan;
    plan.base = base_request(o->flags);
    plan.first_frame = o->first;
    plan.prompts = read_prompt_file(o->prompt_file);
    plan.uploader = uploader.get();
    return run_workflow(o->flags, ctx, [&](Client& c, const WorkflowOptions& w) { return chain(c, plan, w); });
  };
}};

}  // namespace
}  // namespace seedreel::cli
