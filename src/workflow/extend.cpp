// extend: the tail of the newest video goes back as a reference video with
// the prompt, the new clip is stitched on, and again `times` times; each
// join keeps the chapters of the one before, so a contact sheet of the
// result marks every seam.
#include <filesystem>
#include <variant>

#include <fmt/format.h>

#include "seedreel/conform.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/limits.hpp"
#include "seedreel/probe.hpp"
#include "seedreel/upload.hpp"
#include "seedreel/workflow.hpp"
#include "util/interrupt.hpp"
#include "workflow/clip_step.hpp"

namespace seedreel {

namespace fs = std::filesystem;
using namespace workflow_detail;

TailCut cut_tail(const std::string& video, double seconds, const std::string& out) {
  // conform keeps a file that passes as it is (no re-encode: a video no longer
  // than the tail is its own tail) and otherwise trims from the start.
  fs::path work = fs::path(out).parent_path() / (fs::path(out).filename().string() + ".conform");
  ConformOptions co;
  co.outdir = work.string();
  co.force = true;
  co.video_max_seconds = seconds;
  co.keep_end = true;
  auto outcome = conform({{video, Role::reference_video}}, co).front();
  if (auto* e = std::get_if<Error>(&outcome)) throw *e;
  const auto& c = std::get<Conformed>(outcome);
  if (!c.ok()) throw findings_error(video, c.after);
  std::error_code ec;
  fs::rename(c.output, out, ec);
  if (ec) throw Error(ErrorKind::io, out, "cannot write: " + ec.message());
  fs::remove_all(work, ec);
  return {out, c.info.media_duration(), c.action == Action::unchanged || c.action == Action::remuxed};
}

WorkflowResult extend(Client& client, const ExtendPlan& plan, const WorkflowOptions& options) {
  const Range& band = media_limits().video_duration;
  double tail = plan.tail > 0 ? plan.tail : band.max;
  if (!band.contains(tail))
    throw Error(ErrorKind::invalid_argument, "",
                fmt::format("{} s is outside the {}-{} s a reference video may last", tail, band.min, band.max), "tail");
  if (plan.times < 1) throw Error(ErrorKind::invalid_argument, "", "must be at least 1", "times");
  if (!plan.publish)
    throw Error(ErrorKind::invalid_argument, "", "a local tail needs somewhere to be published (an upload URL)", "publish");
  MediaInfo info = probe(plan.video);  // Error(input) for missing, empty, corrupt files
  if (!info.video) throw Error(ErrorKind::input, plan.video, "has no video stream");

  // The request is checked once, with a stand-in URL, before anything is cut, uploaded or paid for.
  Request r = plan.base;
  r.prompt = plan.prompt;
  r.media = {{"https://upload.invalid/tail.mp4", Role::reference_video}};
  PreparedRequest check = prepare(r, client.provider());
  if (!check.findings.empty()) throw findings_error("request", check.findings);
  std::string parts = prepare_parts(options);
  std::string recipe = fmt::format("tail {:.3f}\n{}", tail, check.body);

  WorkflowResult result;
  result.output = options.output;
  std::string current = plan.video;
  std::string key = file_digest(plan.video);
  std::string stem = fs::path(options.output).stem().string();
  for (int i = 1; i <= plan.times; ++i) {
    throw_if_interrupted();
    key = fold_key(key, recipe);
    ClipJob job{i, clip_path(parts, i), key, plan.prompt};
    auto clip = reuse_or_resume(client, job, options);
    if (!clip) {
      // Named after the request, so a shared upload folder never mixes two runs' tails.
      auto tail_file = fs::path(parts) / fmt::format("{}-tail-{:03d}-{}.mp4", stem, i, key);
      TailCut cut = cut_tail(current, tail, tail_file.string());
      notice(options, fmt::format("clip {}: tail of {:.2f} s ({}), publishing", i, cut.duration,
                                  cut.copied ? "no re-encode" : "re-encoded"));
      std::string url = plan.publish(cut.path);
      r.media = {{url, Role::reference_video}};
      PreparedRequest p = prepare(r, client.provider());
      if (!p.findings.empty()) throw findings_error(fmt::format("clip {}", i), p.findings);
      clip = generate_clip(client, job, r, p.body, options);
      clip->input = cut.path;
      clip->input_url = redact_presigned(url);  // shown in the result: no signature
    }
    result.clips.push_back(*clip);

    // Intermediate joins are named by key too: a rerun reuses them byte for byte.
    // A join made without the echo search is not one made with it.
    const char* how = options.overlap == Overlap::auto_ ? "-overlap" : "";
    std::string joined = i == plan.times ? options.output
                                         : (fs::path(parts) / fmt::format("joined-{:03d}-{}{}.mp4", i, key, how)).string();
    if (i == plan.times || !fs::exists(joined)) {
      notice(options, fmt::format("joining clip {} onto {}", i, current));
      result.stitch = stitch({current, clip->path}, joined, join_options(options));
    }
    current = joined;
  }
  finish_clips(client, options, result.clips);
  draw_sheet(options, result);
  return result;
}

}  // namespace seedreel
