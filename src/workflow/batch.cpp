// batch: plan every job of a shard (skip, resume or submit; check and conform
// what will be submitted), then run them a few at a time through generate().
#include "seedreel/batch.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "seedreel/lifecycle.hpp"
#include "seedreel/probe.hpp"
#include "seedreel/upload.hpp"
#include "util/interrupt.hpp"
#include "util/parallel.hpp"

namespace seedreel {

namespace fs = std::filesystem;

const char* to_string(JobPlan plan) noexcept {
  switch (plan) {
    case JobPlan::submit: return "submit";
    case JobPlan::resume: return "resume";
    case JobPlan::skip: return "skip";
  }
  return "unknown";
}

bool is_valid_video(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    MediaInfo info = probe(path);
    return info.kind == MediaKind::video && info.video && info.media_duration() > 0;
  } catch (const Error&) {
    return false;
  }
}

int batch_exit_status(std::span<const BatchResult> results) noexcept {
  int worst = exit_code::ok;
  for (const auto& r : results) worst = std::max(worst, r.exit_status);
  return worst;
}

namespace {

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v && *v;
}

// The provider a journaled task was created with; the batch's --base-url (or
// SEEDREEL_BASE_URL) still wins, as for `seedreel download`.
Provider provider_of(const JournalEntry& e, const BatchOptions& o) {
  std::string base = o.base_url;
  if (base.empty() && !env_set("SEEDREEL_BASE_URL")) base = e.base_url;
  return resolve_provider(e.provider, base);
}

std::string one_line(const Error& e) { return e.subject().empty() ? e.reason() : e.subject() + ": " + e.reason(); }

// Conforms, into `dir`, every local file that fails its own rules, and points
// the request at the copies. Problems are returned, not thrown.
std::vector<Conformed> conform_failing(BatchJob& job, const Provider& provider, const std::string& dir,
                                       std::vector<std::optional<MediaInfo>>& local, std::vector<BatchProblem>& problems,
                                       bool can_publish) {
  ConformOptions co;
  co.outdir = dir;
  co.fit = job.fit;
  co.force = true;  // the work folder is ours; a rerun replaces its own copies
  auto conformed = conform_request(job.request, local, provider, co, can_publish);
  for (const auto& err : conformed.errors) problems.push_back({job.line, "conform", one_line(err)});
  return std::move(conformed.done);
}

// The folder that exists nearest to `folder` (itself when it exists).
fs::path nearest_existing(fs::path folder) {
  std::error_code ec;
  while (!folder.empty() && !fs::exists(folder, ec) && folder != folder.parent_path()) folder = folder.parent_path();
  return folder;
}

// Checks and, when needed, conforms one job that will be submitted. A dry
// run makes no folder: the nearest existing one must be writable.
void check_submission(PlannedJob& p, const fs::path& work_dir, bool dry_run, bool can_publish,
                      std::vector<BatchProblem>& problems) {
  BatchJob& job = p.job;
  std::error_code ec;
  fs::path folder = fs::path(job.output).parent_path();
  if (!dry_run) fs::create_directories(folder, ec);
  fs::path probe_at = dry_run ? nearest_existing(folder) : folder;
  if (ec || access(probe_at.c_str(), W_OK) != 0) {
    problems.push_back({job.line, "output", fmt::format("{}: the folder cannot be written", folder.string())});
    return;
  }
  std::size_t before = problems.size();
  // Each local file is probed once here; validation and conform reuse it.
  std::vector<std::optional<MediaInfo>> local(job.request.media.size());
  for (std::size_t i = 0; i < local.size(); ++i) {
    const auto& m = job.request.media[i];
    if (source_kind(m.source) != SourceKind::local) continue;
    try {
      local[i] = probe(m.source);
    } catch (const Error& e) {
      problems.push_back({job.line, "file", one_line(e)});
    }
  }
  if (problems.size() != before) return;
  if (job.conform)
    p.conformed =
        conform_failing(job, p.provider, (work_dir / fmt::format("line-{}", job.line)).string(), local, problems,
                        can_publish);
  if (problems.size() != before) return;
  for (const Finding& f : validate_publishable(job.request, p.provider, local, can_publish)) {
    std::string where = f.path.empty() ? "" : f.path + ": ";
    std::string values = f.actual.empty() ? "" : fmt::format(" ({}; allowed {})", f.actual, f.allowed);
    problems.push_back({job.line, f.rule, fmt::format("{}{}: {}{}", where, f.rule, f.message, values)});
  }
}

}  // namespace

BatchPlan plan_batch(const BatchFile& file, const Shard& shard, const BatchOptions& o) {
  BatchPlan plan;
  for (const auto& pr : file.problems)
    if (in_shard(pr.line, shard)) plan.problems.push_back(pr);
  std::vector<PlannedJob> jobs;
  for (const auto& j : file.jobs)
    if (in_shard(j.line, shard)) jobs.push_back({j, JobPlan::submit, {}, std::nullopt, {}});

  // The newest unfinished journal entry per output decides resume.
  std::map<std::string, JournalEntry> pending;
  if (fs::exists(o.journal)) {
    Journal journal(o.journal);
    for (auto& e : journal.unfinished()) pending[e.output] = std::move(e);  // oldest first, so the newest stays
  }
  fs::path work_dir = o.work_dir.empty() ? fs::absolute(file.path).parent_path() / ".seedreel-work" : fs::path(o.work_dir);
  // A dry run still conforms (to know the copies pass), but in a scratch folder it removes: it writes nothing of the user's.
  std::optional<fs::path> scratch;
  if (o.dry_run) {
    // mkdtemp replaces the trailing X's with a unique name and makes the folder 0700.
    std::string tmpl = (fs::temp_directory_path() / "seedreel-dry-run-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw Error(ErrorKind::io, tmpl, "cannot make a scratch folder for the dry run");
    scratch = work_dir = tmpl;
  }
  struct RemoveScratch {
    std::optional<fs::path>& dir;
    ~RemoveScratch() {
      std::error_code ec;
      if (dir) fs::remove_all(*dir, ec);
    }
  } remove_scratch{scratch};

  std::vector<std::vector<BatchProblem>> found(jobs.size());
  parallel_for(jobs.size(), o.concurrency, [&](std::size_t i) {
    PlannedJob& p = jobs[i];
    auto& problems = found[i];
    try {
      if (is_valid_video(p.job.output)) {
        p.plan = JobPlan::skip;
        return;
      }
      if (auto e = pending.find(p.job.output); e != pending.end()) {
        p.entry = e->second;
        if (!e->second.task_id.empty()) {
          p.plan = JobPlan::resume;
          p.provider = provider_of(e->second, o);
          return;
        }
      }
      p.provider = resolve_provider(p.job.provider.empty() ? o.provider : p.job.provider, o.base_url);
      check_submission(p, work_dir, o.dry_run, o.uploader != nullptr, problems);
    } catch (const Error& e) {
      problems.push_back({p.job.line, e.kind() == ErrorKind::usage ? "provider" : "file", one_line(e)});
    } catch (const std::exception& e) {
      problems.push_back({p.job.line, "job", e.what()});
    }
  });
  throw_if_interrupted();

  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (found[i].empty())
      plan.jobs.push_back(std::move(jobs[i]));
    else
      plan.problems.insert(plan.problems.end(), found[i].begin(), found[i].end());
  }
  std::stable_sort(plan.problems.begin(), plan.problems.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  return plan;
}

namespace {

void fail(BatchResult& r, const Error& e) {
  // Expired (set by the job, which saw the task): the provider gave up on it, nothing failed.
  if (r.status != "expired") r.status = e.kind() == ErrorKind::cancelled ? "interrupted" : "failed";
  r.exit_status = exit_status(e.kind());
  r.error_kind = to_string(e.kind());
  r.error = one_line(e);
  // A finished task's failure names the task.
  if (r.task_id.empty() && (e.kind() == ErrorKind::moderation || e.kind() == ErrorKind::failed)) r.task_id = e.subject();
}

void resume_job(const PlannedJob& p, const BatchOptions& o, Journal& journal, BatchResult& r) {
  r.task_id = p.entry->task_id;
  auto client = o.make_client(p.provider);
  TaskLifecycle life(*client, &journal);
  try {
    GenerateResult g = life.finish(*p.entry);
    r.task_id = g.task.id;
    r.usage = g.task.usage;
    r.status = "resumed";
  } catch (const Error&) {
    if (life.last_task().status == TaskStatus::expired) r.status = "expired";
    throw;
  }
}

void submit_job(const PlannedJob& p, const BatchOptions& o, Journal& journal, BatchResult& r) {
  auto client = o.make_client(p.provider);
  TaskLifecycle life(*client, &journal);
  life.on_notice = [&r](const std::string& text) { r.note = text; };
  if (p.entry) {
    // The last create for this output lost its answer: the provider's list says whether it made a task.
    std::optional<JournalEntry> adopted;
    try {
      adopted = life.settle(*p.entry, p.job.output);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::validation) throw;
      if (!o.resubmit_unknown)
        throw Error(ErrorKind::api, p.job.output,
                    fmt::format("{}; or rerun with --resubmit-unknown to submit it again", e.reason()));
      JournalEntry stale = *p.entry;
      life.transition(stale, TaskState::failed, "given up: submitted again by batch --resubmit-unknown");
    }
    if (adopted) {
      GenerateResult g = life.finish(*adopted);
      r.task_id = g.task.id;
      r.usage = g.task.usage;
      r.status = "resumed";
      return;
    }
  }
  // Local files the body cannot carry are published now, after every check passed.
  PublishedRequest published = prepare_published(p.job.request, p.provider, o.uploader, client.get());
  const PreparedRequest& prepared = published.prepared;
  if (!prepared.findings.empty()) {
    const Finding& f = prepared.findings.front();
    throw Error(ErrorKind::validation, f.path, f.message + " (the input changed after it was checked)");
  }
  GenerateOptions g;
  g.output = p.job.output;
  g.retry_without_audio = p.job.retry_without_audio;
  g.workflow = o.resume_command;
  // The stale entry was settled above; the plan decided this line is submitted.
  g.adopt_journaled = false;
  GenerateResult result;
  try {
    result = life.generate(published.request, prepared.body, g);
  } catch (const Error&) {
    if (life.last_task().status == TaskStatus::expired) r.status = "expired";
    throw;
  }
  r.task_id = result.task.id;
  r.usage = result.task.usage;
  r.audio_dropped = result.audio_dropped;
  r.status = "downloaded";
}

}  // namespace

std::vector<BatchResult> run_batch(const BatchPlan& plan, const BatchOptions& o,
                                   const std::function<void(const BatchResult&)>& on_done,
                                   const std::function<void(const PlannedJob&)>& on_start) {
  if (!o.make_client) throw Error(ErrorKind::usage, "", "run_batch needs a client factory");
  std::vector<BatchResult> results(plan.jobs.size());
  std::mutex report;
  // Each worker holds one unfinished task at a time, so the queued-task
  // budget caps the workers (the account's cap is shared by every shard).
  int workers = o.concurrency;
  if (o.max_queued > 0) workers = std::min(workers, std::max(1, o.max_queued));
  // One journal connection for every job (Journal serialises its calls):
  // a connection per job cost more in opening (WAL, schema checks) than the
  // job's own writes, and the connections queued for SQLite's write lock in
  // its sleeping busy handler. Opened by the first job; if that fails, the
  // job fails as before and the next one tries again.
  std::mutex journal_mutex;
  std::unique_ptr<Journal> shared_journal;
  auto journal = [&]() -> Journal& {
    std::lock_guard lock(journal_mutex);
    if (!shared_journal) shared_journal = std::make_unique<Journal>(o.journal);
    return *shared_journal;
  };
  parallel_for(plan.jobs.size(), workers, [&](std::size_t i) {
    const PlannedJob& p = plan.jobs[i];
    BatchResult& r = results[i];
    r.line = p.job.line;
    r.output = p.job.output;
    r.provider = p.provider.name;
    r.conformed = !p.conformed.empty();
    if (on_start) {
      std::lock_guard lock(report);
      on_start(p);
    }
    try {
      switch (p.plan) {
        case JobPlan::skip: r.status = "skipped"; break;
        case JobPlan::resume: resume_job(p, o, journal(), r); break;
        case JobPlan::submit: submit_job(p, o, journal(), r); break;
      }
    } catch (const Error& e) {
      fail(r, e);
    } catch (const std::exception& e) {
      fail(r, Error(ErrorKind::input, "", e.what()));
    }
    std::lock_guard lock(report);
    if (on_done) on_done(r);
  });

  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].status.empty()) continue;  // Ctrl-C came before this job started
    results[i].line = plan.jobs[i].job.line;
    results[i].output = plan.jobs[i].job.output;
    results[i].provider = plan.jobs[i].provider.name;
    results[i].status = "not_run";
    results[i].exit_status = exit_code::interrupted;
    results[i].error_kind = to_string(ErrorKind::cancelled);
    results[i].error = "interrupted before it started";
  }
  // Invalid lines (only present when the caller chose to go on without them).
  std::map<int, BatchResult> invalid;
  for (const auto& pr : plan.problems) {
    auto& r = invalid[pr.line];
    if (r.line == 0) {
      r.line = pr.line;
      r.status = "invalid";
      r.exit_status = exit_code::rejected;
      r.error_kind = to_string(ErrorKind::validation);
      r.error = pr.message;
    } else {
      r.error += "; " + pr.message;
    }
  }
  for (auto& [line, r] : invalid) results.push_back(std::move(r));
  std::stable_sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  return results;
}

}  // namespace seedreel
