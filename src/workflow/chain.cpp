// chain: one clip per prompt, each starting from the previous clip's exact
// last frame (PNG, so nothing softens from clip to clip), joined with the
// duplicated seam frames dropped; optionally a contact sheet of the result.
#include <filesystem>
#include <variant>

#include <fmt/format.h>

#include "seedreel/conform.hpp"
#include "seedreel/frames.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/upload.hpp"
#include "seedreel/workflow.hpp"
#include "util/interrupt.hpp"
#include "workflow/clip_step.hpp"

namespace seedreel {

namespace fs = std::filesystem;
using namespace workflow_detail;

namespace {

// The first frame as the API will take it: unchanged when it passes, else the
// smallest fix; fitted to the exact output size when the request fixes it, so
// the service does not crop it (a visible jump after frame 0).
std::string conform_first_frame(const ChainPlan& plan, const std::string& parts) {
  ConformOptions co;
  co.outdir = (fs::path(parts) / "first-frame").string();
  co.force = true;
  if (!plan.base.ratio.empty() && plan.base.ratio != "adaptive" && !plan.base.resolution.empty()) {
    co.ratio = plan.base.ratio;
    co.resolution = plan.base.resolution;
  }
  auto outcome = conform({{plan.first_frame, Role::first_frame}}, co).front();
  if (auto* e = std::get_if<Error>(&outcome)) throw *e;
  const auto& c = std::get<Conformed>(outcome);
  if (!c.ok()) throw findings_error(plan.first_frame, c.after);
  return c.output;
}

}  // namespace

WorkflowResult chain(Client& client, const ChainPlan& plan, const WorkflowOptions& options) {
  if (plan.prompts.empty()) throw Error(ErrorKind::validation, "", "no prompts");
  if (plan.first_frame.empty()) throw Error(ErrorKind::invalid_argument, "", "give the first frame image", "first_frame");
  std::error_code ec;
  if (!fs::is_regular_file(plan.first_frame, ec)) throw Error(ErrorKind::input, plan.first_frame, "no such file");
  std::string parts = prepare_parts(options);
  std::string frame = conform_first_frame(plan, parts);

  auto request_for = [&](std::size_t k, const std::string& first) {
    Request r = plan.base;
    r.prompt = plan.prompts[k];
    r.media = {{first, Role::first_frame}};
    return r;
  };
  // Every prompt is checked before the first clip is paid for (or a frame uploaded).
  for (std::size_t k = 0; k < plan.prompts.size(); ++k) {
    auto p = prepare_published(request_for(k, frame), client.provider(), plan.uploader, &client, true).prepared;
    if (!p.findings.empty()) throw findings_error(fmt::format("prompt {}", k + 1), p.findings);
  }

  WorkflowResult result;
  result.output = options.output;
  std::string key;
  for (std::size_t k = 0; k < plan.prompts.size(); ++k) {
    throw_if_interrupted();
    int index = int(k) + 1;
    // A frame the dialect cannot take inline is published (content-addressed: once).
    auto published = prepare_published(request_for(k, frame), client.provider(), plan.uploader, &client);
    Request r = published.request;
    const PreparedRequest& p = published.prepared;
    if (!p.findings.empty()) throw findings_error(fmt::format("clip {}", index), p.findings);
    key = fold_key(key, elide_inline_media(p.body));
    ClipJob job{index, clip_path(parts, index), key, r.prompt};
    auto clip = reuse_or_resume(client, job, options);
    if (!clip) clip = generate_clip(client, job, r, p.body, options);
    clip->input = frame;
    result.clips.push_back(*clip);
    if (k + 1 < plan.prompts.size())
      frame = last_frame(clip->path, (fs::path(parts) / fmt::format("frame-{:03d}.png", index)).string()).path;
  }

  std::vector<std::string> paths;
  for (const auto& c : result.clips) paths.push_back(c.path);
  notice(options, fmt::format("joining {} clips into {}", paths.size(), options.output));
  result.stitch = stitch(paths, options.output, join_options(options));
  finish_clips(client, options, result.clips);
  draw_sheet(options, result);
  return result;
}

}  // namespace seedreel
