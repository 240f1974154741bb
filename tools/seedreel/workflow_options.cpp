#include "workflow_options.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "output.hpp"
#include "report_page.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/lifecycle.hpp"

namespace seedreel::cli {

void add_workflow_flags(CLI::App& sub, WorkflowFlags& f) {
  sub.add_option("--resolution", f.resolution, "480p 720p 1080p (default: the provider's, 720p)");
  sub.add_option("--ratio", f.ratio, "16:9 4:3 1:1 3:4 9:16 21:9 adaptive");
  sub.add_option("--duration", f.duration, "Seconds per clip, 4-15");
  sub.add_flag("--no-audio", f.no_audio, "Do not generate audio");
  sub.add_option("--seed", f.seed, "Random seed (Ark)");
  sub.add_flag("--watermark", f.watermark, "Ask for a watermark");
  sub.add_option("--model", f.model, "Model (default: the provider's)");
  add_upstream_flags(sub, f.upstream);
  sub.add_flag("--retry-without-audio", f.retry_without_audio,
               "If a clip's audio is refused by moderation, resubmit it once without audio");
  sub.add_option("--parts", f.parts, "Work folder for clips, frames and tails (default: OUT.parts)");
  sub.add_option("-o,--output", f.output, "Where to write the joined video (.mp4)")->required();
  sub.add_option("--sheet", f.sheet, "Also draw a contact sheet of the joined video, seams marked (.png, .jpg, .webp)");
  sub.add_option("--report", f.report, "Also write a review page: the joined video and every clip (.html)");
  sub.add_option("--overlap", f.overlap,
                 "auto: drop the frames a clip repeats from the end of the one before; off (default)");
  add_api_flags(sub, f.api);
}

Request base_request(const WorkflowFlags& f) {
  Request r;
  r.model = f.model;
  r.resolution = f.resolution;
  r.ratio = f.ratio;
  r.duration = f.duration;
  r.seed = f.seed;
  r.generate_audio = !f.no_audio;
  if (f.watermark) r.watermark = true;
  apply_upstream_flags(f.upstream, r);
  return r;
}

WorkflowOptions workflow_options(const WorkflowFlags& f, Journal& journal, const Context& ctx) {
  WorkflowOptions o;
  o.output = f.output;
  o.parts_dir = f.parts;
  o.journal = &journal;
  o.retry_without_audio = f.retry_without_audio;
  o.overlap = parse_overlap(f.overlap);
  o.sheet = f.sheet;
  o.resume_command = resume_command(ctx);
  if (!ctx.json) o.on_notice = [](const std::string& text) { fmt::print(stderr, "seedreel: {}\n", text); };
  return o;
}

int print_workflow(const WorkflowResult& r, const Provider& provider, const Context& ctx) {
  std::int64_t tokens = 0;
  for (const auto& c : r.clips) tokens += usage_tokens(c.usage).value_or(0);
  if (ctx.json) {
    nlohmann::json clips = nlohmann::json::array();
    for (const auto& c : r.clips) {
      nlohmann::json j = {{"index", c.index}, {"path", c.path}, {"prompt", c.prompt}, {"task_id", c.task_id},
                          {"origin", to_string(c.origin)}};
      if (!c.input.empty()) j["input"] = c.input;
      if (!c.input_url.empty()) j["input_url"] = c.input_url;
      j["usage"] = c.usage.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(c.usage, nullptr, false);
      clips.push_back(j);
    }
    nlohmann::json seams = nlohmann::json::array();
    for (const auto& s : r.stitch.seams)
      seams.push_back({{"clip", s.clip}, {"time", s.video_start}, {"dropped_duplicate", s.dropped_duplicate},
                       {"dropped_frames", s.dropped_frames}, {"dropped_ms", s.dropped_ms}, {"psnr_db", s.psnr_db}});
    nlohmann::json j{{"ok", true}, {"output", r.output}, {"provider", provider.name}, {"clips", clips},
                     {"seams", seams}, {"duration", r.stitch.video_duration}, {"video_copied", r.stitch.video_copied},
                     {"usage_tokens", tokens}};
    if (r.sheet)
      j["sheet"] = {{"path", r.sheet->path}, {"width", r.sheet->width}, {"height", r.sheet->height},
                    {"times", r.sheet->times}, {"seams", r.sheet->seams}};
    print_json(j);
    return exit_code::ok;
  }
  std::vector<Row> rows{{"CLIP", "TASK", "ORIGIN", "FILE"}};
  for (const auto& c : r.clips)
    rows.push_back({std::to_string(c.index), c.task_id.empty() ? "-" : c.task_id, to_string(c.origin), c.path});
  print_table(rows);
  int dropped = 0;
  for (const auto& s : r.stitch.seams) dropped += s.dropped_frames;
  fmt::print("{}  {}  {} seam(s), {} repeated frame(s) dropped, {} tokens used\n", r.output,
             human_seconds(r.stitch.video_duration), r.stitch.seams.size(), dropped, tokens);
  if (r.sheet) fmt::print("{}  contact sheet, {} seam(s) marked\n", r.sheet->path, r.sheet->seams.size());
  return exit_code::ok;
}

int run_workflow(const WorkflowFlags& flags, const Context& ctx, const WorkflowRun& run) {
  Provider provider = provider_for(flags.api);
  // An id no table knows goes through, said once before any clip is paid for.
  if (auto note = choose_model(provider, flags.model).note; !note.empty()) fmt::print(stderr, "seedreel: warning: {}\n", note);
  auto client = make_client(flags.api, provider, ctx);
  Journal journal(journal_path(flags.api));
  WorkflowResult result = run(*client, workflow_options(flags, journal, ctx));
  int status = print_workflow(result, provider, ctx);
  if (!flags.report.empty()) {
    // The joined video first (its sheet marks the seams), then each clip as its task made it.
    std::vector<std::string> videos{result.output};
    for (const auto& c : result.clips) videos.push_back(c.path);
    auto clips = clips_for_videos(videos, journal.all());
    for (std::size_t i = 1; i < clips.size(); ++i) {
      const auto& c = result.clips[i - 1];
      clips[i].status = "succeeded";
      if (clips[i].prompt.empty()) clips[i].prompt = c.prompt;
      if (clips[i].task_id.empty()) clips[i].task_id = c.task_id;
      if (auto t = usage_tokens(c.usage)) clips[i].tokens = *t;
    }
    clips[0].status = "succeeded";
    clips[0].prompt = fmt::format("{} clips joined", result.clips.size());
    clips[0].provider = provider.name;  // its tokens are the clips' (counted there)
    ReportOptions ro;
    ro.title = "seedreel review: " + std::filesystem::path(result.output).filename().string();
    ReportResult rr = write_report(clips, flags.report, ro);
    fmt::print(stderr, "seedreel: review page {}: {} clip(s), {} picture(s)\n", rr.path, rr.clips, rr.pictures);
  }
  return status;
}

}  // namespace seedreel::cli
