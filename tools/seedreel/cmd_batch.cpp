// seedreel batch JOBS.jsonl [--concurrency N] [--shard i/n] [--keep-going] [--dry-run]
// Many generations from one JSON-lines file: every line checked before anything
// is paid for, N jobs at once, finished outputs skipped and journaled tasks
// resumed on a rerun. Format and exit status: docs/batch.md.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "seedreel/batch.hpp"

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
  j["error"] = r.ok() ? nlohmann::json(nullptr)
                      : nlohmann::json{{"kind", r.error_kind}, {"message", r.error}, {"exit_status", r.exit_status}};
  return j;
}

void print_plan(const BatchPlan& plan, const Context& ctx) {
  if (ctx.json) {
    auto jobs = nlohmann::json::array();
    for (const auto& p : plan.jobs) {
      nlohmann::json j = {{"line", p.job.line}, {"plan", to_string(p.plan)}, {"output", p.job.output},
                          {"provider", p.provider.name}, {"conformed", p.conformed}};
      if (p.entry && !p.entry->task_id.empty()) j["task_id"] = p.entry->task_id;
      jobs.push_back(j);
    }
    fmt::print("{}\n", nlohmann::json{{"ok", plan.problems.empty()}, {"jobs", jobs}, {"problems", problems_json(plan.problems)}}.dump(2));
    return;
  }
  std::vector<Row> rows{{"LINE", "PLAN", "OUTPUT", "NOTE"}};
  for (const auto& p : plan.jobs) {
    std::string note = p.plan == JobPlan::resume ? "task " + p.entry->task_id
                       : p.conformed.empty()     ? ""
                                                 : fmt::format("{} file(s) conformed", p.conformed.size());
    rows.push_back({std::to_string(p.job.line), to_string(p.plan), p.job.output, note});
  }
  print_table(rows);
}

const Registration reg{45, "batch", "Run many generations from a JSON-lines file, N at a time, resumably",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string jobs, shard = "1/1", work_dir;
    int concurrency = 4;
    bool keep_going = false, dry_run = false, resubmit_unknown = false;
    ApiFlags api;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("JOBS", o->jobs, "Jobs file: one JSON object per line (docs/batch.md)")->required();
  sub.add_option("--concurrency", o->concurrency, "Jobs at once")->capture_default_str()->check(CLI::Range(1, 64));
  sub.add_option("--shard", o->shard, "Run only shard i of n: lines L with (L-1) % n == i-1")->capture_default_str();
  sub.add_flag("--keep-going", o->keep_going, "Run the valid lines even when others fail their checks");
  sub.add_flag("--dry-run", o->dry_run, "Check every line and print what would be done; send nothing");
  sub.add_option("--work-dir", o->work_dir, "Where conformed media goes (default: .seedreel-work beside JOBS)");
  sub.add_flag("--resubmit-unknown", o->resubmit_unknown,
               "Submit again jobs whose last create may have reached the provider without a task id coming back");
  add_api_flags(sub, o->api);

  return [o, &ctx] {
    auto shard = parse_shard(o->shard);
    if (!shard) throw Error(ErrorKind::usage, "--shard", fmt::format("'{}' is not i/n with 1 <= i <= n", o->shard));
    BatchOptions bo;
    bo.concurrency = o->concurrency;
    bo.provider = o->api.provider;
    bo.base_url = o->api.base_url;
    bo.journal = journal_path(o->api);
    bo.work_dir = o->work_dir;
    bo.resubmit_unknown = o->resubmit_unknown;
    // Several jobs poll at once: no per-task progress line (it would interleave).
    Context quiet = ctx;
    quiet.json = true;
    ApiFlags api = o->api;
    bo.make_client = [api, quiet](const Provider& p) { return make_client(api, p, quiet); };

    BatchFile file = read_batch(o->jobs);
    BatchPlan plan = plan_batch(file, *shard, bo);
    if (!plan.problems.empty()) {
      report_problems(o->jobs, plan.problems);
      if (!o->keep_going) {
        if (ctx.json && !o->dry_run)
          fmt::print("{}\n", nlohmann::json{{"ok", false}, {"problems", problems_json(plan.problems)}}.dump(2));
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

    std::size_t done = 0, total = plan.jobs.size();
    auto results = run_batch(plan, bo, [&](const BatchResult& r) {
      ++done;
      if (!r.ok())
        fmt::print(stderr, "seedreel: {}:{}: {}: {}\n", o->jobs, r.line, r.status, r.error);
      else if (!ctx.json)
        fmt::print(stderr, "seedreel: [{}/{}] line {}: {} {}\n", done, total, r.line, r.status, r.output);
    });
    int status = batch_exit_status(results);

    std::map<std::string, int> counts;
    for (const auto& r : results) ++counts[r.status];
    if (ctx.json) {
      auto jobs = nlohmann::json::array();
      for (const auto& r : results) jobs.push_back(result_json(r));
      fmt::print("{}\n", nlohmann::json{{"ok", status == 0}, {"exit_status", status}, {"counts", counts}, {"jobs", jobs}}.dump(2));
    } else {
      std::vector<Row> rows{{"LINE", "STATUS", "TASK", "OUTPUT", "ERROR"}};
      for (const auto& r : results)
        rows.push_back({std::to_string(r.line), r.status, r.task_id, r.output, r.error});
      print_table(rows);
    }
    std::string tally;
    for (const auto& [name, n] : counts) tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", n, name);
    fmt::print(stderr, "seedreel: {} job(s): {}\n", results.size(), tally.empty() ? "none" : tally);
    return status;
  };
}};

}  // namespace
}  // namespace seedreel::cli
