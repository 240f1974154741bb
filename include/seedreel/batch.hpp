#pragma once
// batch: many generations from one JSON-lines file, a few at a time. Every
// line is checked before anything is paid for; each job then goes through
// the same journaled generate() as a single generation, so a rerun skips
// finished outputs and resumes tasks already paid for instead of paying again.
// The file format and the rules are in docs/batch.md.
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "seedreel/client.hpp"
#include "seedreel/conform.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"

namespace seedreel {

// Which lines one of n machines runs: line L (1-based, counted in the file,
// blank lines included) belongs to shard i when (L - 1) % n == i - 1.
struct Shard {
  int index = 1;  // 1..count
  int count = 1;
};
// "i/n" with 1 <= i <= n; nullopt otherwise.
std::optional<Shard> parse_shard(std::string_view text);
bool in_shard(int line, const Shard& shard) noexcept;

// The shard of one task of an array job, from its engine's environment
// (docs/cluster.md): a Kubernetes Indexed Job (JOB_COMPLETION_INDEX), a Slurm
// job array (SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _MAX, _STEP) or an AWS Batch
// array job (AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ARRAY_SIZE). The
// engine's 0-based index k is shard k + 1. The count is the engine's own
// where it exports one, else `count`, else SEEDREEL_SHARD_COUNT; given twice,
// the two must agree. Throws Error(invalid_argument) naming the variables when no engine
// is found, several are, a value is not a number, or the values disagree;
// `count_name` names `count` in those messages.
struct ShardOrigin {
  Shard shard;
  std::string engine;  // "kubernetes", "slurm", "aws-batch"
  std::string detail;  // the variables read, e.g. "SLURM_ARRAY_TASK_ID=4 of 3 tasks 0-8:4"
};
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
ShardOrigin shard_from_environment(std::optional<int> count = std::nullopt, const EnvLookup& env = {},
                                   std::string_view count_name = "the shard count");
// `path` with every "{shard}" replaced by the shard's index i (1-based, as in
// i/n), so each shard has its own journal: "/data/journal-{shard}.db".
std::string shard_path(std::string path, const Shard& shard);

// One line of the jobs file.
struct BatchJob {
  int line = 0;              // 1-based line number in the file
  Request request;           // local media already resolved against the file's folder
  std::string output;        // absolute path of the video
  std::string provider;      // "" = the batch's provider
  bool conform = true;       // conform local media that fails its rules (into the work folder)
  Fit fit = Fit::pad;
  bool retry_without_audio = false;
};

// Something wrong with one line; a line can have several.
struct BatchProblem {
  int line = 0;
  std::string rule;     // "json", "key", "type", "job", "output", "file", or a request rule id (request.ratio, ...)
  std::string message;  // one readable sentence, naming the key or file
};

struct BatchFile {
  std::string path;
  std::vector<BatchJob> jobs;          // the lines that parsed, in file order
  std::vector<BatchProblem> problems;  // the lines that did not
  int lines = 0;
};
// Reads and parses every line: JSON, known keys, value types, a prompt or
// media, output paths (present, unique). Blank lines are skipped. Nothing is
// probed or sent. Throws Error(input) when the file cannot be read.
BatchFile read_batch(const std::string& path);

enum class JobPlan {
  submit,  // create a task (after checks and, when needed, conform)
  resume,  // the journal holds a task for this output that was created but not downloaded
  skip,    // the output is already a valid video
};
const char* to_string(JobPlan plan) noexcept;

struct BatchOptions {
  int concurrency = 4;
  std::string provider;  // for jobs that name none ("" = SEEDREEL_PROVIDER, else anyfast)
  std::string base_url;  // replaces every provider's base URL ("" = SEEDREEL_BASE_URL, else the profile's)
  std::string journal;   // SQLite journal path (required)
  std::string work_dir;  // conformed media ("" = <jobs folder>/.seedreel-work), one sub-folder per line
  // Pay again for jobs whose last create lost its answer when the provider's
  // list cannot settle it (a dialect without a list, or an ambiguous match).
  bool resubmit_unknown = false;
  std::string resume_command;  // journaled with each task (lifecycle.hpp TaskWork::workflow)
  // Unfinished tasks at once, at most (0 = no cap beyond concurrency). The
  // provider's cap is per account: give each shard its share.
  int max_queued = 0;
  // Plan only: no folder is made and conformed copies go to a scratch folder that is removed.
  bool dry_run = false;
  // Where local files the body cannot carry go (videos; anything for a URL-only
  // dialect); null: such lines fail their checks. Shared by every worker.
  class Uploader* uploader = nullptr;
  // A client for a provider (the CLI loads the key and wires notices here). Called once per job, from worker threads.
  std::function<std::unique_ptr<Client>(const Provider&)> make_client;
};

struct PlannedJob {
  BatchJob job;  // for submit: local media replaced by conformed copies when needed
  JobPlan plan = JobPlan::submit;
  Provider provider;
  std::optional<JournalEntry> entry;  // resume: the journaled task; submit: a stale uncertain create
  std::vector<Conformed> conformed;   // what conform changed
};
struct BatchPlan {
  std::vector<PlannedJob> jobs;        // in file order
  std::vector<BatchProblem> problems;  // from read_batch and from the checks, in line order
};
// Decides, for the lines of this shard, what each job needs, and checks every
// job that will be submitted: files readable, conform when needed, then every
// request rule for its provider (the same as `generate`). Lines already done
// or resumable are not probed. Runs `concurrency` lines at once. Ctrl-C: Error(cancelled).
BatchPlan plan_batch(const BatchFile& file, const Shard& shard, const BatchOptions& options);

// The number each job's outcome is summed up by (BatchResult::exit_status),
// as the jobs report carries it: the seedreel command's exit statuses. Only
// batch still speaks in them, until a job's result carries its error kind
// alone and the front end derives the number.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int rejected = 1;
inline constexpr int usage = 2;
inline constexpr int bad_input = 3;
inline constexpr int network = 4;
inline constexpr int generation = 5;
inline constexpr int interrupted = 130;
}  // namespace exit_code
int exit_status(ErrorKind kind) noexcept;

struct BatchResult {
  int line = 0;
  std::string output;
  // downloaded (new task), resumed (journaled task finished), skipped (output already there),
  // failed, expired (the provider gave up on it, e.g. a flex task past its deadline), invalid (line failed its checks), interrupted (stopped by Ctrl-C), not_run (Ctrl-C before it started)
  std::string status;
  std::string task_id;
  std::string provider;
  int exit_status = 0;     // the documented status this job alone would have given
  std::string error_kind;  // to_string(ErrorKind), "" on success
  std::string error;       // one line, "" on success
  bool audio_dropped = false;
  bool conformed = false;  // some media was conformed first
  std::string usage;       // the provider's usage of the task (JSON), "" when none
  std::string note;        // how a lost create of this line was settled (adopted, none made), "" when none
  bool ok() const noexcept { return exit_status == 0; }
};
// Runs the plan, `concurrency` jobs at once: one job's failure never stops
// the others. Problem lines come back as `invalid`. `on_done` is called
// (serialised) as each job ends. After Ctrl-C no new job starts; running
// tasks stay journaled. Results are in line order.
// `on_start` is called (serialised) as each job begins.
std::vector<BatchResult> run_batch(const BatchPlan& plan, const BatchOptions& options,
                                   const std::function<void(const BatchResult&)>& on_done = {},
                                   const std::function<void(const PlannedJob&)>& on_start = {});

// 0 when every job succeeded or was skipped; otherwise the highest status of
// any job (130 interrupted > 5 generation failed > 4 network/API > 3 input/output > 1 invalid).
int batch_exit_status(std::span<const BatchResult> results) noexcept;

// A file that probes as a video with a video stream and a positive duration.
bool is_valid_video(const std::string& path);

}  // namespace seedreel
