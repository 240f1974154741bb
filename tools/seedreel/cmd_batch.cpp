// seedreel batch JOBS.jsonl [--concurrency N] [--shard i/n|auto] [--keep-going] [--dry-run]
// Many generations from one JSON-lines file: every line checked before anything
// is paid for, N jobs at once, finished outputs skipped and journaled tasks
// resumed on a rerun. Format and exit status: docs/batch.md.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api_options.hpp"
#include "upload_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "report_page.hpp"
#include "seedreel/batch.hpp"
#include "seedreel/lifecycle.hpp"

namespace seedreel::cli {
namespace {

void report_problems(const std::string& jobs, const std::vector<BatchProblem>& problems) {
  for (const auto& p : problems) fmt::print(stderr, "seedreel: {}:{}: {}\n", jobs, p.line, p.message);
}

nlohmann::json problems_json(const std::vector<BatchProblem>& problems) {
  auto out = nlohmann::json::array();
  for (const auto& p : problems) out.push_back({{"line", p.line}, {"rule", p.rule}, {"message", p.message}});
  return out;
}

nlohmann::json result_json(const BatchResult& r) {
  nlohmann::json j = {{"line", r.line}, {"status", r.status}, {"output", r.output},
                      {"audio_dropped", r.audio_dropped}, {"conformed", r.conformed}};
  j["provider"] = r.provider.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.provider);  // skipped: never asked
  j["task_id"] = r.task_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.task_id);
  j["usage"] = r.usage.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(r.usage, nullptr, false);
  j["note"] = r.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.note);
  j["error"] = r.ok() ? nlohmann::json(nullptr)
                      : nlohmann::json{{"kind", r.error_kind}, {"message", r.error}, {"exit_status", r.exit_status}};
  return j;
}

// The estimate for every job that will be paid for (jobs without one count 0).
std::int64_t planned_tokens(const BatchPlan& plan) {
  std::int64_t sum = 0;
  for (const auto& p : plan.jobs)
    if (p.plan == JobPlan::submit) sum += estimate_tokens(p.job.request).value_or(0);
  return sum;
}

// done/running/queued/failed and an ETA on one rewritten line (a terminal only).
struct Progress {
  std::size_t total = 0, started = 0, done = 0, failed = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void draw() const {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::size_t finished = done + failed;
    std::string eta = finished ? human_seconds(elapsed / double(finished) * double(total - finished)) : "?";
    fmt::print(stderr, "\r{} done  {} running  {} queued  {} failed  ETA {}   ", done, started - finished,
               total - started, failed, eta);
    if (finished == total) fmt::print(stderr, "\n");
    std::fflush(stderr);
  }
};

void print_plan(const BatchPlan& plan, const Context& ctx) {
  if (ctx.json) {
    auto jobs = nlohmann::json::array();
    for (const auto& p : plan.jobs) {
      nlohmann::json j = {{"line", p.job.line}, {"plan", to_string(p.plan)}, {"output", p.job.output},
                          {"provider", p.provider.name}, {"conformed", p.conformed}};
      auto tokens = p.plan == JobPlan::submit ? estimate_tokens(p.job.request) : std::nullopt;
      j["estimated_tokens"] = tokens ? nlohmann::json(*tokens) : nlohmann::json(nullptr);
      if (p.entry && !p.entry->task_id.empty()) j["task_id"] = p.entry->task_id;
      jobs.push_back(j);
    }
    print_json(nlohmann::json{{"ok", plan.problems.empty()}, {"jobs", jobs},
                                      {"estimated_tokens", planned_tokens(plan)},
                                      {"problems", problems_json(plan.problems)}});
    return;
  }
  std::vector<Row> rows{{"LINE", "PLAN", "OUTPUT", "EST. TOKENS", "NOTE"}};
  for (const auto& p : plan.jobs) {
    std::string note = p.plan == JobPlan::resume ? "task " + p.entry->task_id
                       : p.conformed.empty()     ? ""
                                                 : fmt::format("{} file(s) conformed", p.conformed.size());
    auto tokens = p.plan == JobPlan::submit ? estimate_tokens(p.job.request) : std::nullopt;
    rows.push_back({std::to_string(p.job.line), to_string(p.plan), p.job.output, tokens ? std::to_string(*tokens) : "-",
                    note});
  }
  print_table(rows);
  fmt::print("estimated tokens for the new tasks: {}\n", planned_tokens(plan));
}

// This shard, from --shard i/n, or from the array job's environment with
// --shard auto (docs/cluster.md).
Shard resolve_shard(const std::string& text, int count) {
  if (text == "auto") {
    ShardOrigin origin;
    try {
      origin = shard_from_environment(count > 0 ? std::optional<int>(count) : std::nullopt, {}, "--shard-count");
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, "--shard auto", e.reason());
    }
    fmt::print(stderr, "seedreel: shard {}/{} ({})\n", origin.shard.index, origin.shard.count, origin.detail);
    return origin.shard;
  }
  if (count > 0) throw Error(ErrorKind::usage, "--shard-count", "goes with --shard auto (in --shard i/n, n is the count)");
  auto shard = parse_shard(text);
  if (!shard) throw Error(ErrorKind::usage, "--shard", fmt::format("'{}' is not i/n with 1 <= i <= n, nor auto", text));
  return *shard;
}

// The arguments journaled for `seedreel resume`, with the shard pinned as i/n:
// resume may run where the engine's variables are not set.
std::vector<std::string> pinned_shard(std::vector<std::string> argv, const Shard& shard) {
  const std::string value = fmt::format("{}/{}", shard.index, shard.count);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--shard-count") {
      ++i;  // and its value
    } else if (a.rfind("--shard-count=", 0) == 0) {
    } else if (a.rfind("--shard=", 0) == 0) {
      out.push_back("--shard=" + value);
    } else {
      out.push_back(a);
      if (a == "--shard" && i + 1 < argv.size()) {
        out.push_back(value);
        ++i;
      }
    }
  }
  return out;
}

// One card per line of this shard, described by the journal's newest task
// for its output; lines that never reached the provider show their status.
void write_batch_report(const std::vector<BatchResult>& results, const std::string& journal, const std::string& out) {
  std::vector<JournalEntry> entries;
  if (std::filesystem::is_regular_file(journal)) entries = Journal(journal).all();
  std::vector<std::string> outputs;
  for (const auto& r : results) outputs.push_back(r.output);
  std::vector<ReportClip> clips = clips_for_videos(outputs, entries);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const BatchResult& r = results[i];
    ReportClip& c = clips[i];
    c.status = r.ok() ? "succeeded" : r.status;
    c.message = r.error;
    if (c.provider.empty()) c.provider = r.provider;
    if (c.task_id.empty()) c.task_id = r.task_id;
    if (!r.usage.empty()) c.tokens = usage_tokens(r.usage).value_or(c.tokens);
  }
  ReportOptions ro;
  ro.title = "seedreel batch review";
  ReportResult rr = write_report(clips, out, ro);
  fmt::print(stderr, "seedreel: review page {}: {} clip(s), {} picture(s)\n", rr.path, rr.clips, rr.pictures);
}

const Registration reg{45, "batch", "Run many generations from a JSON-lines file, N at a time, resumably",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string jobs, shard = "1/1", work_dir, report;
    int shard_count = 0;  // --shard auto, for engines that do not export the count
    int concurrency = 4;
    int max_queued = 0;
    double rate = 0;
    bool keep_going = false, dry_run = false, resubmit_unknown = false;
    ApiFlags api;
    UploadFlags upload;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("JOBS", o->jobs, "Jobs file: one JSON object per line (docs/batch.md)")->required();
  sub.add_option("--concurrency", o->concurrency, "Jobs at once")->capture_default_str()->check(CLI::Range(1, 64));
  sub.add_option("--shard", o->shard,
                 "Run only shard i of n: lines L with (L-1) % n == i-1; 'auto': i and n from the array job's "
                 "environment (Kubernetes Indexed Job, Slurm array, AWS Batch array; docs/cluster.md)")
      ->capture_default_str();
  sub.add_option("--shard-count", o->shard_count,
                 "With --shard auto: the number of shards where the engine does not export it (a Kubernetes "
                 "Indexed Job's completions; default SEEDREEL_SHARD_COUNT)")
      ->check(CLI::Range(1, 1000000));
  sub.add_flag("--keep-going", o->keep_going, "Run the valid lines even when others fail their checks");
  sub.add_flag("--dry-run", o->dry_run, "Check every line and print what would be done; send nothing");
  sub.add_option("--work-dir", o->work_dir, "Where conformed media goes (default: .seedreel-work beside JOBS)");
  sub.add_flag("--resubmit-unknown", o->resubmit_unknown,
               "Submit again jobs whose last create lost its answer when the provider's task list cannot settle it");
  sub.add_option("--max-queued", o->max_queued,
                 "Unfinished tasks at once for the whole account (split evenly across shards; upstream allows 120)")
      ->check(CLI::Range(1, 100000));
  sub.add_option("--rate", o->rate, "API requests per second for all jobs together (0 = no pace; a 429 pauses every job)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub.add_option("--report", o->report, "Also write a review page of this shard's lines (.html; docs/post.md)");
  add_api_flags(sub, o->api);
  add_upload_flags(sub, o->upload);

  return [o, &ctx] {
    auto shard = std::optional<Shard>(resolve_shard(o->shard, o->shard_count));
    // Several jobs upload at once: no progress line (it would interleave).
    Context quiet_uploads = ctx;
    quiet_uploads.json = true;
    auto uploader = make_uploader(o->upload, o->api, quiet_uploads);
    BatchOptions bo;
    bo.concurrency = o->concurrency;
    bo.provider = o->api.provider;
    bo.base_url = o->api.base_url;
    // "{shard}" in the journal's path gives each shard its own (docs/cluster.md).
    bo.journal = shard_path(journal_path(o->api), *shard);
    bo.work_dir = o->work_dir;
    bo.resubmit_unknown = o->resubmit_unknown;
    bo.dry_run = o->dry_run;
    bo.uploader = uploader.get();
    if (o->shard == "auto") {
      Context pinned = ctx;
      pinned.argv = pinned_shard(ctx.argv, *shard);
      bo.resume_command = resume_command(pinned);
    } else {
      bo.resume_command = resume_command(ctx);
    }
    if (o->max_queued > 0) bo.max_queued = std::max(1, o->max_queued / shard->count);
    // Several jobs poll at once: no per-task progress line (it would interleave).
    Context quiet = ctx;
    quiet.json = true;
    ApiFlags api = o->api;
    // One gate for every worker: a 429 to one pauses all, and --rate paces them together.
    auto gate = std::make_shared<RateGate>(o->rate);
    bo.make_client = [api, quiet, gate](const Provider& p) { return make_client(api, p, quiet, gate); };

    BatchFile file = read_batch(o->jobs);
    BatchPlan plan = plan_batch(file, *shard, bo);
    // Ids no table knows go through; each is said once, with the first line that uses it.
    std::set<std::string> told;
    for (const auto& p : plan.jobs)
      if (p.plan == JobPlan::submit)
        if (auto note = choose_model(p.provider, p.job.request.model).note; !note.empty() && told.insert(note).second)
          fmt::print(stderr, "seedreel: warning: line {}: {}\n", p.job.line, note);
    if (!plan.problems.empty()) {
      report_problems(o->jobs, plan.problems);
      if (!o->keep_going) {
        if (ctx.json && !o->dry_run)
          print_json(nlohmann::json{{"ok", false}, {"problems", problems_json(plan.problems)}});
        else if (o->dry_run)
          print_plan(plan, ctx);
        fmt::print(stderr, "seedreel: {} problem(s) in {}; nothing was submitted (--keep-going runs the valid lines)\n",
                   plan.problems.size(), o->jobs);
        return exit_code::rejected;
      }
    }
    if (o->dry_run) {
      print_plan(plan, ctx);
      return plan.problems.empty() ? exit_code::ok : exit_code::rejected;
    }
    bool paid = std::any_of(plan.jobs.begin(), plan.jobs.end(), [](const auto& p) { return p.plan != JobPlan::skip; });
    if (paid && load_api_key().empty())
      throw Error(ErrorKind::usage, "", "no API key: set SEEDREEL_API_KEY, or put it in ~/.config/seedreel/api-key (chmod 600)");

    Progress progress;
    progress.total = plan.jobs.size();
    const bool live = !ctx.json && isatty(2);
    auto results = run_batch(
        plan, bo,
        [&](const BatchResult& r) {
          (r.ok() ? progress.done : progress.failed)++;
          if (live) fmt::print(stderr, "\r");
          if (!r.note.empty() && !ctx.json) fmt::print(stderr, "seedreel: {}:{}: {}\n", o->jobs, r.line, r.note);
          if (!r.ok())
            fmt::print(stderr, "seedreel: {}:{}: {}: {}\n", o->jobs, r.line, r.status, r.error);
          else if (!ctx.json)
            fmt::print(stderr, "seedreel: [{}/{}] line {}: {} {}\n", progress.done + progress.failed, progress.total,
                       r.line, r.status, r.output);
          if (live) progress.draw();
        },
        [&](const PlannedJob&) {
          ++progress.started;
          if (live) progress.draw();
        });
    int status = batch_exit_status(results);

    std::map<std::string, int> counts;
    std::int64_t tokens = 0;
    for (const auto& r : results) {
      ++counts[r.status];
      tokens += usage_tokens(r.usage).value_or(0);
    }
    if (ctx.json) {
      auto jobs = nlohmann::json::array();
      for (const auto& r : results) jobs.push_back(result_json(r));
      print_json(nlohmann::json{{"ok", status == 0}, {"exit_status", status}, {"counts", counts},
                                        {"usage_tokens", tokens}, {"jobs", jobs}});
    } else {
      std::vector<Row> rows{{"LINE", "STATUS", "TASK", "OUTPUT", "ERROR"}};
      for (const auto& r : results)
        rows.push_back({std::to_string(r.line), r.status, r.task_id, r.output, r.error});
      print_table(rows);
    }
    std::string tally;
    for (const auto& [name, n] : counts) tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", n, name);
    fmt::print(stderr, "seedreel: {} job(s): {}; {} tokens used\n", results.size(), tally.empty() ? "none" : tally, tokens);
    if (!o->report.empty()) write_batch_report(results, bo.journal, o->report);
    return status;
  };
}};

}  // namespace
}  // namespace seedreel::cli
