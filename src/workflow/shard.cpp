// Which shard of a batch this process runs, from the environment an array-job
// engine gives each of its tasks (docs/cluster.md), and per-shard paths.
#include <charconv>
#include <climits>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "seedreel/batch.hpp"
#include "seedreel/error.hpp"

namespace seedreel {

namespace {

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

[[noreturn]] void refuse(const std::string& reason) { throw Error(ErrorKind::invalid_argument, "", reason, "shard"); }

// A variable as a whole number 0..INT_MAX; nullopt when unset or empty.
std::optional<int> number(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  int n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n < 0)
    refuse(fmt::format("{}='{}' is not a whole number of 0 or more", name, *v));
  return n;
}

// The count this process was given, if any: the caller's, else SEEDREEL_SHARD_COUNT.
struct GivenCount {
  std::optional<int> value;
  std::string name;
};

GivenCount given_count(std::optional<int> count, const EnvLookup& env, std::string_view count_name) {
  if (count) {
    if (*count < 1) refuse(fmt::format("{} must be 1 or more (got {})", count_name, *count));
    return {count, std::string(count_name)};
  }
  auto n = number(env, "SEEDREEL_SHARD_COUNT");
  if (n && *n < 1) refuse("SEEDREEL_SHARD_COUNT must be 1 or more (got 0)");
  return {n, "SEEDREEL_SHARD_COUNT"};
}

ShardOrigin kubernetes(int index, const GivenCount& given, std::string_view count_name) {
  if (!given.value)
    refuse(fmt::format("JOB_COMPLETION_INDEX={} (a Kubernetes Indexed Job) does not say how many shards there are: "
                       "give {} or set SEEDREEL_SHARD_COUNT to the Job's spec.completions",
                       index, count_name));
  int n = *given.value;
  if (index >= n)
    refuse(fmt::format("JOB_COMPLETION_INDEX={} is not below the shard count {} ({}): the count must be the Job's "
                       "spec.completions",
                       index, n, given.name));
  return {{index + 1, n}, "kubernetes", fmt::format("JOB_COMPLETION_INDEX={}, {} completions", index, n)};
}

ShardOrigin slurm(int id, const EnvLookup& env, const GivenCount& given) {
  auto count = number(env, "SLURM_ARRAY_TASK_COUNT"), min = number(env, "SLURM_ARRAY_TASK_MIN");
  auto max = number(env, "SLURM_ARRAY_TASK_MAX");
  int step = number(env, "SLURM_ARRAY_TASK_STEP").value_or(1);
  if (!count || !min)
    refuse(fmt::format("SLURM_ARRAY_TASK_ID={} is set but SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN is not "
                       "(an old Slurm?): give the shard as i/n",
                       id));
  if (*count < 1 || step < 1) refuse(fmt::format("SLURM_ARRAY_TASK_COUNT={}, SLURM_ARRAY_TASK_STEP={}: not an array", *count, step));
  std::string range = fmt::format("{}-{}", *min, max.value_or(*min + (*count - 1) * step));
  if (step > 1) range += fmt::format(":{}", step);
  // Each shard is one task: the ids must be evenly spaced, or a task's place cannot be known.
  if ((max && *max - *min != (*count - 1) * step) || id < *min || (id - *min) % step != 0 ||
      (id - *min) / step >= *count)
    refuse(fmt::format("SLURM_ARRAY_TASK_ID={} in an array of {} task(s) from {} to {} (step {}) that are not evenly "
                       "spaced: submit with sbatch --array=0-{} (each task one shard), or give the shard as i/n",
                       id, *count, *min, max ? std::to_string(*max) : "?", step, *count - 1));
  if (given.value && *given.value != *count)
    refuse(fmt::format("the Slurm array has {} tasks (SLURM_ARRAY_TASK_COUNT) but {} says {} shards", *count, given.name,
                       *given.value));
  int index = (id - *min) / step;
  return {{index + 1, *count}, "slurm", fmt::format("SLURM_ARRAY_TASK_ID={} of {} tasks {}", id, *count, range)};
}

ShardOrigin aws_batch(int index, const EnvLookup& env, const GivenCount& given, std::string_view count_name) {
  auto size = number(env, "AWS_BATCH_JOB_ARRAY_SIZE");
  if (size && given.value && *size != *given.value)
    refuse(fmt::format("the AWS Batch array has {} children (AWS_BATCH_JOB_ARRAY_SIZE) but {} says {} shards", *size,
                       given.name, *given.value));
  if (!size) size = given.value;
  if (!size)
    refuse(fmt::format("AWS_BATCH_JOB_ARRAY_INDEX={} is set but not the array's size: give {} or set "
                       "SEEDREEL_SHARD_COUNT to the array job's size",
                       index, count_name));
  if (*size < 1 || index >= *size)
    refuse(fmt::format("AWS_BATCH_JOB_ARRAY_INDEX={} is not below the array's size {}", index, *size));
  return {{index + 1, *size}, "aws-batch", fmt::format("AWS_BATCH_JOB_ARRAY_INDEX={} of {}", index, *size)};
}

}  // namespace

ShardOrigin shard_from_environment(std::optional<int> count, const EnvLookup& lookup, std::string_view count_name) {
  const EnvLookup env = lookup ? lookup : EnvLookup(process_env);
  static const char* const kIndexes[] = {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "AWS_BATCH_JOB_ARRAY_INDEX"};
  std::vector<std::string> set;
  for (const char* name : kIndexes)
    if (auto v = env(name); v && !v->empty()) set.push_back(fmt::format("{}={}", name, *v));
  if (set.size() > 1)
    refuse(fmt::format("the variables of several engines are set ({}): unset the ones that do not belong to this "
                       "task, or give the shard as i/n",
                       fmt::join(set, ", ")));
  GivenCount given = given_count(count, env, count_name);
  if (auto k = number(env, "JOB_COMPLETION_INDEX")) return kubernetes(*k, given, count_name);
  if (auto id = number(env, "SLURM_ARRAY_TASK_ID")) return slurm(*id, env, given);
  if (auto k = number(env, "AWS_BATCH_JOB_ARRAY_INDEX")) return aws_batch(*k, env, given, count_name);
  if (auto job = env("SLURM_JOB_ID"); job && !job->empty())
    refuse(fmt::format("Slurm job {} is not an array job (no SLURM_ARRAY_TASK_ID): submit it with sbatch --array=0-N, "
                       "or give the shard as i/n",
                       *job));
  if (auto job = env("AWS_BATCH_JOB_ID"); job && !job->empty())
    refuse(fmt::format("AWS Batch job {} is not an array job (no AWS_BATCH_JOB_ARRAY_INDEX): submit it with an array "
                       "size, or give the shard as i/n",
                       *job));
  refuse("no array-job engine found: none of JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID "
         "(a Slurm job array) or AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job) is set; give the shard as i/n");
}

std::string shard_path(std::string path, const Shard& shard) {
  static constexpr std::string_view kToken = "{shard}";
  const std::string index = std::to_string(shard.index);
  for (auto at = path.find(kToken); at != std::string::npos; at = path.find(kToken, at + index.size()))
    path.replace(at, kToken.size(), index);
  return path;
}

}  // namespace seedreel
