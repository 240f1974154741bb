// Cluster runs on existing engines (docs/cluster.md): --shard auto read from
// each engine's environment, per-shard journal paths, the ready files in
// deploy/ (the Kubernetes manifest checked by tests/test_cluster_manifests.py),
// and a real Slurm cluster on loopback started here: a job array over a
// jobs file against the emulator, with two array tasks requeued mid-run, every
// line paid for exactly once.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"
#include "seedreel/batch.hpp"
#include "seedreel/error.hpp"

using namespace seedreel;
using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The reason shard_from_environment gives, or "" when it accepts.
std::string refusal(std::map<std::string, std::string> vars, std::optional<int> count = std::nullopt) {
  try {
    shard_from_environment(count, env_of(std::move(vars)), "--shard-count");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
    return e.reason();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("parse_shard: i/n with 1 <= i <= n, nothing else") {
  auto s = parse_shard("2/3");
  REQUIRE(s);
  CHECK(s->index == 2);
  CHECK(s->count == 3);
  CHECK(parse_shard("1/1"));
  for (const char* bad : {"0/3", "4/3", "3", "/3", "1/", "1/0", "-1/3", "1/3x", " 1/3", "a/b", "auto", ""})
    CHECK_MESSAGE(!parse_shard(bad), bad);
  // The n shards partition the lines.
  for (int line = 1; line <= 12; ++line) {
    int owners = 0;
    for (int i = 1; i <= 4; ++i) owners += in_shard(line, {i, 4});
    CHECK(owners == 1);
  }
}

TEST_CASE("shard_from_environment: Kubernetes Indexed Job") {
  auto o = shard_from_environment(10, env_of({{"JOB_COMPLETION_INDEX", "0"}}));
  CHECK(o.shard.index == 1);
  CHECK(o.shard.count == 10);
  CHECK(o.engine == "kubernetes");
  o = shard_from_environment(std::nullopt, env_of({{"JOB_COMPLETION_INDEX", "9"}, {"SEEDREEL_SHARD_COUNT", "10"}}));
  CHECK(o.shard.index == 10);
  CHECK(o.shard.count == 10);
  // The flag wins over the variable.
  o = shard_from_environment(5, env_of({{"JOB_COMPLETION_INDEX", "4"}, {"SEEDREEL_SHARD_COUNT", "10"}}));
  CHECK(o.shard.count == 5);
  // Kubernetes does not export the completions: without a count, say how to give it.
  std::string r = refusal({{"JOB_COMPLETION_INDEX", "3"}});
  CHECK(contains(r, "--shard-count"));
  CHECK(contains(r, "SEEDREEL_SHARD_COUNT"));
  CHECK(contains(r, "completions"));
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", "10"}}, 10), "not below the shard count 10"));
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", "x"}}, 10), "JOB_COMPLETION_INDEX='x' is not a whole number"));
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", "-1"}}, 10), "not a whole number"));
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", "1"}, {"SEEDREEL_SHARD_COUNT", "0"}}), "1 or more"));
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", "1"}, {"SEEDREEL_SHARD_COUNT", "3 "}}), "SEEDREEL_SHARD_COUNT='3 '"));
}

TEST_CASE("shard_from_environment: Slurm job arrays, 0-based or not, stepped, and refused when uneven") {
  auto o = shard_from_environment(std::nullopt, env_of({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                                                        {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "2"},
                                                        {"SLURM_ARRAY_TASK_STEP", "1"}, {"SLURM_JOB_ID", "17"}}));
  CHECK(o.shard.index == 3);
  CHECK(o.shard.count == 3);
  CHECK(o.engine == "slurm");
  CHECK(contains(o.detail, "SLURM_ARRAY_TASK_ID=2"));
  // --array=1-10: task 1 is shard 1.
  o = shard_from_environment(std::nullopt,
                             env_of({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "10"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                                     {"SLURM_ARRAY_TASK_MAX", "10"}}));
  CHECK(o.shard.index == 1);
  CHECK(o.shard.count == 10);
  // --array=0-8:4 (as Slurm 22.05 sets it): tasks 0, 4, 8 are shards 1, 2, 3.
  o = shard_from_environment(std::nullopt, env_of({{"SLURM_ARRAY_TASK_ID", "8"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                                                   {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "8"},
                                                   {"SLURM_ARRAY_TASK_STEP", "4"}}));
  CHECK(o.shard.index == 3);
  CHECK(o.shard.count == 3);
  // A matching count is fine; a different one is a mistake.
  CHECK(refusal({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "0"}}, 3).empty());
  CHECK(contains(refusal({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "0"}}, 4),
                 "has 3 tasks (SLURM_ARRAY_TASK_COUNT) but --shard-count says 4"));
  // --array=1,3,7 (Slurm says step 1): a task's place among the shards is unknown.
  std::string r = refusal({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                           {"SLURM_ARRAY_TASK_MAX", "7"}, {"SLURM_ARRAY_TASK_STEP", "1"}});
  CHECK(contains(r, "not evenly spaced"));
  CHECK(contains(r, "--array=0-2"));
  CHECK(contains(refusal({{"SLURM_ARRAY_TASK_ID", "3"}}), "SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN is not"));
  CHECK(contains(refusal({{"SLURM_JOB_ID", "42"}}), "Slurm job 42 is not an array job"));
}

TEST_CASE("shard_from_environment: AWS Batch array jobs, and what is refused") {
  auto o = shard_from_environment(std::nullopt, env_of({{"AWS_BATCH_JOB_ARRAY_INDEX", "0"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "4"}}));
  CHECK(o.shard.index == 1);
  CHECK(o.shard.count == 4);
  CHECK(o.engine == "aws-batch");
  o = shard_from_environment(6, env_of({{"AWS_BATCH_JOB_ARRAY_INDEX", "5"}}));
  CHECK(o.shard.index == 6);
  CHECK(o.shard.count == 6);
  CHECK(contains(refusal({{"AWS_BATCH_JOB_ARRAY_INDEX", "5"}}), "not the array's size: give --shard-count"));
  CHECK(contains(refusal({{"AWS_BATCH_JOB_ARRAY_INDEX", "1"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "4"}}, 5), "says 5 shards"));
  CHECK(contains(refusal({{"AWS_BATCH_JOB_ARRAY_INDEX", "4"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "4"}}), "not below the array's size 4"));
  CHECK(contains(refusal({{"AWS_BATCH_JOB_ID", "abc"}}), "AWS Batch job abc is not an array job"));
  // Nothing, or two engines at once.
  std::string r = refusal({});
  CHECK(contains(r, "JOB_COMPLETION_INDEX"));
  CHECK(contains(r, "SLURM_ARRAY_TASK_ID"));
  CHECK(contains(r, "AWS_BATCH_JOB_ARRAY_INDEX"));
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", "0"}, {"SLURM_ARRAY_TASK_ID", "0"}}, 2), "several engines"));
  // Empty counts as unset.
  CHECK(contains(refusal({{"JOB_COMPLETION_INDEX", ""}}), "no array-job engine"));
}

TEST_CASE("shard_path: {shard} is the 1-based index, everywhere it appears") {
  CHECK(shard_path("/data/journal-{shard}.db", {3, 10}) == "/data/journal-3.db");
  CHECK(shard_path("/d/{shard}/j-{shard}.db", {10, 10}) == "/d/10/j-10.db");
  CHECK(shard_path("/data/journal.db", {2, 4}) == "/data/journal.db");
  CHECK(shard_path("{shard}", {1, 1}) == "1");
}

TEST_CASE("deploy/: the Kubernetes manifest fits the API's types and seedreel's needs; the Slurm script parses") {
  // tests/test_cluster_manifests.py says why each check is there.
  Run r = run({"python3", std::string(SEEDREEL_SOURCE_DIR) + "/tests/test_cluster_manifests.py", SEEDREEL_SOURCE_DIR});
  CHECK_MESSAGE(r.status == 0, r.out, r.err);
  CHECK(contains(r.out, "1 manifest(s), 1 Slurm script(s): 0 problem(s)"));
}

// ---------------------------------------------------------------------------
// The CLI: --shard auto, --shard-count, {shard} in --journal, --max-queued.

namespace {

const std::string kKey = "cluster-test-key-5d02a9";

// A short, small, silent clip with its own seed (reconciliation tells lines apart by it).
std::string clip(int n, const std::string& output) {
  return json{{"prompt", "clip " + std::to_string(n)}, {"seed", 7000 + n}, {"resolution", "480p"}, {"duration", 4},
              {"ratio", "16:9"}, {"audio", false}, {"output", output}}
      .dump();
}

std::string write_jobs(const std::string& dir, int lines) {
  std::ofstream f(dir + "/jobs.jsonl");
  for (int n = 1; n <= lines; ++n) f << clip(n, "out/clip-" + std::to_string(n) + ".mp4") << "\n";
  return dir + "/jobs.jsonl";
}

// The session's command line, run with only these engine variables set.
Run cli_in(const CliSession& s, const std::vector<std::string>& args, const std::vector<std::string>& vars) {
  std::vector<std::string> with_provider = args;  // Ark: the lines have seeds
  with_provider.insert(with_provider.end(), {"--provider", "ark-intl"});
  std::vector<std::string> a = s.argv(with_provider);  // env -u ... NAME=VALUE ... seedreel ARGS
  a.insert(std::find(a.begin(), a.end(), program("seedreel")), vars.begin(), vars.end());
  for (const char* v : {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_ID", "AWS_BATCH_JOB_ARRAY_INDEX",
                        "AWS_BATCH_JOB_ID", "SEEDREEL_SHARD_COUNT"})
    a.insert(a.begin() + 1, {"-u", v});
  Run r = run(a);
  CHECK(r.out.find(kKey) == std::string::npos);
  CHECK(r.err.find(kKey) == std::string::npos);
  return r;
}

std::vector<int> planned_lines(const Run& r) {
  std::vector<int> lines;
  const json plan = json::parse(r.out);
  for (const auto& j : plan["jobs"]) lines.push_back(j["line"].get<int>());
  return lines;
}

}  // namespace

TEST_CASE("batch --shard auto: the engine's index and count pick the lines; errors say what is missing") {
  CliSession s(kKey, "cluster-cli");
  auto jobs = write_jobs(s.work, 6);
  // Kubernetes: pod 1 of 3 is shard 2/3, lines 2 and 5.
  Run k = cli_in(s, {"batch", jobs, "--shard", "auto", "--shard-count", "3", "--dry-run", "--json"}, {"JOB_COMPLETION_INDEX=1"});
  REQUIRE_MESSAGE(k.status == 0, k.err);
  CHECK(planned_lines(k) == std::vector<int>{2, 5});
  CHECK(contains(k.err, "shard 2/3 (JOB_COMPLETION_INDEX=1, 3 completions)"));
  Run k_env = cli_in(s, {"batch", jobs, "--shard", "auto", "--dry-run", "--json"},
                     {"JOB_COMPLETION_INDEX=0", "SEEDREEL_SHARD_COUNT=2"});
  REQUIRE_MESSAGE(k_env.status == 0, k_env.err);
  CHECK(planned_lines(k_env) == std::vector<int>{1, 3, 5});
  // Slurm --array=1-3: task 3 is shard 3/3.
  Run sl = cli_in(s, {"batch", jobs, "--shard", "auto", "--dry-run", "--json"},
                  {"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=3"});
  REQUIRE_MESSAGE(sl.status == 0, sl.err);
  CHECK(planned_lines(sl) == std::vector<int>{3, 6});
  // AWS Batch, the size from the engine.
  Run aws = cli_in(s, {"batch", jobs, "--shard", "auto", "--dry-run", "--json"},
                   {"AWS_BATCH_JOB_ARRAY_INDEX=0", "AWS_BATCH_JOB_ARRAY_SIZE=6"});
  REQUIRE_MESSAGE(aws.status == 0, aws.err);
  CHECK(planned_lines(aws) == std::vector<int>{1});

  // Usage errors (status 2), each naming what to give, and nothing sent.
  Run none = cli_in(s, {"batch", jobs, "--shard", "auto"}, {});
  CHECK(none.status == 2);
  CHECK(contains(none.err, "--shard auto: no array-job engine found"));
  Run no_count = cli_in(s, {"batch", jobs, "--shard", "auto"}, {"JOB_COMPLETION_INDEX=0"});
  CHECK(no_count.status == 2);
  CHECK(contains(no_count.err, "give --shard-count or set SEEDREEL_SHARD_COUNT"));
  Run disagree = cli_in(s, {"batch", jobs, "--shard", "auto", "--shard-count", "4"},
                        {"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=0"});
  CHECK(disagree.status == 2);
  CHECK(contains(disagree.err, "--shard-count says 4"));
  Run count_alone = cli_in(s, {"batch", jobs, "--shard", "1/2", "--shard-count", "2"}, {});
  CHECK(count_alone.status == 2);
  CHECK(contains(count_alone.err, "--shard-count: goes with --shard auto"));
  Run bad = cli_in(s, {"batch", jobs, "--shard", "automatic"}, {});
  CHECK(bad.status == 2);
  CHECK(contains(bad.err, "nor auto"));
  CHECK(s.emu.requests("POST", "/contents/").empty());
}

TEST_CASE("batch --shard auto: {shard} in --journal, --max-queued split by the detected count, resume pinned to i/n") {
  CliSession s(kKey, "cluster-journal");
  auto jobs = write_jobs(s.work, 6);
  const std::string journal = s.work + "/state/journal-{shard}.db";
  // Shard 1 of 2 (lines 1, 3, 5) with the account's cap of 2: one task at a time for this shard.
  Run r = cli_in(s,
                 {"batch", jobs, "--shard", "auto", "--journal", journal, "--concurrency", "4", "--max-queued", "2", "--json"},
                 {"JOB_COMPLETION_INDEX=0", "SEEDREEL_SHARD_COUNT=2"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto summary = json::parse(r.out);
  REQUIRE(summary["jobs"].size() == 3);
  CHECK(fs::exists(s.work + "/state/journal-1.db"));
  CHECK_FALSE(fs::exists(s.work + "/state/journal-{shard}.db"));
  CHECK_FALSE(fs::exists(s.work + "/journal.db"));
  // Every create after the first comes after the previous video was fetched (a cap of 2 would overlap them).
  int creates = 0, downloads = 0;
  for (const auto& q : s.emu.requests()) {
    if (q["method"] == "POST" && q["path"] == "/contents/generations/tasks") {
      CHECK(downloads == creates);
      ++creates;
    }
    if (q["method"] == "GET" && q["path"].get<std::string>().rfind("/files/", 0) == 0) ++downloads;
  }
  CHECK(creates == 3);
  // `seedreel resume` may run where no engine variable is set: the journaled command names the shard.
  Journal j(s.work + "/state/journal-1.db");
  auto e = j.find_task(summary["jobs"][0]["task_id"].get<std::string>());
  REQUIRE(e);
  auto argv = json::parse(e->workflow)["argv"];
  CHECK(std::find(argv.begin(), argv.end(), json("1/2")) != argv.end());
  CHECK(std::find(argv.begin(), argv.end(), json("auto")) == argv.end());
  CHECK(std::find(argv.begin(), argv.end(), json("--shard-count")) == argv.end());
  CHECK(std::find(argv.begin(), argv.end(), json(journal)) != argv.end());
}

// ---------------------------------------------------------------------------
// A real engine: a one-node Slurm cluster on loopback, started here as root.

namespace {

// A process of ours in its own process group, its output in `log`; stopped
// (SIGTERM, then SIGKILL after 10 s) with its group when it goes out of scope.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& log) : name_(argv.at(0)) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      setpgid(0, 0);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) dup2(null, 0);
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      execvp(a[0], a.data());
      _exit(127);
    }
    setpgid(pid_, pid_);
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The exit status once it has ended (128+signal if killed), nullopt while it runs.
  std::optional<int> done() {
    if (pid_ <= 0) return status_;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }
  void stop() {
    if (done() || pid_ <= 0) return;
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 100 && !done(); ++i) std::this_thread::sleep_for(100ms);
    if (!done()) {
      kill(-pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
      pid_ = -1;
      status_ = 128 + SIGKILL;
    }
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len))
    throw std::runtime_error("no free port");
  close(fd);
  return ntohs(a.sin_port);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string short_hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  std::string h(buf);
  return h.substr(0, h.find('.'));
}

bool on_path(const std::string& program) {
  return run({"sh", "-c", "command -v " + program}).status == 0;
}

// Waits for `ready` (checked every 100 ms) up to `limit`; false on time out.
bool wait_for(const std::function<bool()>& ready, std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return ready();
}

// munged, slurmctld and slurmd in the foreground, all state under `dir`,
// on two free loopback ports; everything stops (jobs first) when it goes.
class SlurmCluster {
 public:
  explicit SlurmCluster(const std::string& dir) : dir_(dir), conf_(dir + "/slurm.conf") {
    for (const char* sub : {"munge", "state", "spool", "log"}) fs::create_directories(dir + "/" + sub);
    fs::permissions(dir + "/munge", fs::perms::owner_all, fs::perm_options::replace);
    const std::string key = dir + "/munge/munge.key";
    Run k = run({"mungekey", "--create", "--keyfile=" + key});
    if (k.status != 0) throw std::runtime_error("mungekey: " + k.err);
    socket_ = dir + "/munge/munge.socket";
    if (socket_.size() > 100) throw std::runtime_error("path too long for a unix socket: " + socket_);
    munged_ = std::make_unique<Child>(
        std::vector<std::string>{"munged", "--foreground", "--force", "--socket=" + socket_, "--key-file=" + key,
                                 "--pid-file=" + dir + "/munge/munged.pid", "--seed-file=" + dir + "/munge/munged.seed",
                                 "--log-file=" + dir + "/log/munged.log"},
        dir + "/log/munged.out");
    if (!wait_for([&] { return fs::exists(socket_); }, 10s)) throw std::runtime_error("munged did not start: " + logs());

    host_ = short_hostname();
    std::ofstream c(conf_);
    c << "ClusterName=seedreeltest\n"
      << "SlurmctldHost=" << host_ << "(127.0.0.1)\n"
      << "SlurmctldPort=" << free_port() << "\nSlurmdPort=" << free_port() << "\n"
      << "SlurmUser=root\nSlurmdUser=root\n"
      << "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=" << socket_ << "\n"
      << "StateSaveLocation=" << dir << "/state\nSlurmdSpoolDir=" << dir << "/spool\n"
      << "SlurmctldPidFile=" << dir << "/slurmctld.pid\nSlurmdPidFile=" << dir << "/slurmd.pid\n"
      << "SlurmctldLogFile=" << dir << "/log/slurmctld.log\nSlurmdLogFile=" << dir << "/log/slurmd.log\n"
      << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nMpiDefault=none\n"
      << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
      << "SchedulerType=sched/builtin\nSwitchType=switch/none\n"
      << "AccountingStorageType=accounting_storage/none\nJobAcctGatherType=jobacct_gather/none\n"
      << "JobCompType=jobcomp/none\nMailProg=/bin/true\nReturnToService=2\n"
      // sbatch --wait polls every 2 s while MinJobAge <= 4 (it backs off to 32 s otherwise).
      << "MinJobAge=4\n"
      // A task that ignores SIGTERM is killed 5 s later.
      << "KillWait=5\n"
      // Eight CPUs and 8 GiB whatever the machine has (memory is not enforced with
      // CR_Core): the three array tasks of the deploy/ script (2 CPUs, 2G each) run at once.
      << "SlurmdParameters=config_overrides\n"
      << "NodeName=" << host_ << " NodeAddr=127.0.0.1 CPUs=8 RealMemory=8192 State=UNKNOWN\n"
      << "PartitionName=test Nodes=" << host_ << " Default=YES MaxTime=INFINITE State=UP\n";
    c.close();
    setenv("SLURM_CONF", conf_.c_str(), 1);
    slurmctld_ = std::make_unique<Child>(std::vector<std::string>{"slurmctld", "-D", "-c", "-f", conf_},
                                         dir + "/log/slurmctld.out");
    slurmd_ = std::make_unique<Child>(std::vector<std::string>{"slurmd", "-D", "-f", conf_, "-N", host_},
                                      dir + "/log/slurmd.out");
    if (!wait_for([&] { return contains(run({"sinfo", "-h", "-o", "%T"}).out, "idle"); }, 60s))
      throw std::runtime_error("the Slurm node did not come up idle in 60 s: " + logs());
  }
  ~SlurmCluster() {
    // Jobs first (a failed test may leave some running), then the daemons.
    if (slurmctld_ && !slurmctld_->done()) {
      run({"scancel", "--user=root"});
      wait_for([] { return run({"squeue", "-h"}).out.empty(); }, 20s);
    }
    slurmd_.reset();
    slurmctld_.reset();
    munged_.reset();
    unsetenv("SLURM_CONF");
  }
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  // "R", "PD BeginTime"... of one array task ("" once it has ended).
  std::string state(const std::string& task) const {
    std::string s = run({"squeue", "-h", "-j", task, "-o", "%t %r"}).out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  // Ends a running array task and puts it back in the queue. Slurm holds a
  // requeued task for about 2 minutes (its old credential stays revoked until
  // it expires), so it is then released: after 2 s, because slurmd refuses a
  // credential issued in the second of the revocation ("Job credential
  // revoked") and fails the task instead of running it.
  void requeue(const std::string& task) const {
    Run r = run({"scontrol", "requeue", task});
    REQUIRE_MESSAGE(r.status == 0, "scontrol requeue ", task, ": ", r.err);
    REQUIRE_MESSAGE(wait_for([&] { return state(task).rfind("PD", 0) == 0; }, 30s), task, " was not requeued: ", state(task));
    std::this_thread::sleep_for(2s);
    Run u = run({"scontrol", "update", "JobId=" + task, "StartTime=now"});
    REQUIRE_MESSAGE(u.status == 0, "scontrol update ", task, ": ", u.err);
  }
  std::string logs() const {
    std::string all;
    for (const char* f : {"munged.out", "slurmctld.out", "slurmd.out"})
      all += std::string("\n--- ") + f + "\n" + read_text(dir_ + "/log/" + f);
    return all;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, conf_, socket_, host_;
  std::unique_ptr<Child> munged_, slurmctld_, slurmd_;
};

// The JSON summaries a shard printed on stdout (one per attempt), in order.
std::vector<json> summaries(const std::string& log) {
  std::vector<json> out;
  std::string text = read_text(log);
  std::size_t at = 0;
  while ((at = text.find("{\n", at)) != std::string::npos) {
    if (at != 0 && text[at - 1] != '\n') {
      ++at;
      continue;
    }
    auto end = text.find("\n}\n", at);
    if (end == std::string::npos) break;
    auto doc = json::parse(text.substr(at, end + 2 - at), nullptr, false);
    if (!doc.is_discarded()) out.push_back(doc);
    at = end + 2;
  }
  return out;
}

}  // namespace

TEST_CASE("Slurm job array: sbatch --array=0-2 --wait runs every line once; tasks requeued mid-run pay for nothing twice") {
  // CI installs Slurm and munge (tools/install-deps) and runs as root: anything less is a failure, not a skip.
  REQUIRE_MESSAGE(geteuid() == 0, "this test starts slurmctld and slurmd as root: run it as root (CI does)");
  for (const char* p : {"munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"})
    REQUIRE_MESSAGE(on_path(p), p, " is missing: install Debian's slurm-wlm and munge (tools/install-deps)");

  const std::string work = temp_dir("cluster-slurm");
  const std::string script = std::string(SEEDREEL_SOURCE_DIR) + "/deploy/slurm/seedreel-array.sbatch";
  fs::create_directories(work + "/config/seedreel");
  {
    std::ofstream k(work + "/config/seedreel/api-key");
    k << kKey << "\n";
  }
  fs::permissions(work + "/config/seedreel/api-key", fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  const std::string jobs = write_jobs(work, 9);

  // Ark (reconciliation lists its tasks); 12 s tasks, so a requeue lands mid-run even on a busy machine.
  EmuProcess emu({"--task-seconds", "12", "--api-key", kKey});
  const std::string create = "/contents/generations/tasks";
  // The three first creates (one per shard: --concurrency 1) make their tasks but hold the answers.
  emu.fault({{"method", "POST"}, {"path_prefix", create}, {"kind", "delay_answer"}, {"count", 3}});

  auto started = std::chrono::steady_clock::now();
  SlurmCluster slurm(work + "/slurm");
  MESSAGE("Slurm up in ", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), " s");

  auto creates = [&] { return emu.requests("POST", create); };
  auto seed_line = [](const json& q) { return q["body"]["seed"].get<int>() - 7000; };

  // The key comes from ~/.config/seedreel/api-key (HOME is the work folder), never from the job's environment.
  Child sbatch({"env", "-u", "SEEDREEL_API_KEY", "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "-u", "SEEDREEL_JOURNAL",
                "-u", "JOB_COMPLETION_INDEX", "-u", "SEEDREEL_SHARD_COUNT", "HOME=" + work, "XDG_CONFIG_HOME=" + work + "/config",
                "SEEDREEL_RETRY_BASE=0.05", "SEEDREEL=" + program("seedreel"), "sbatch", "--array=0-2", "--wait",
                "--chdir=" + work, "--output=" + work + "/shard-%a.out", "--error=" + work + "/shard-%a.err", script, jobs,
                "--provider", "ark-intl", "--base-url", emu.base, "--poll-interval", "0.2", "--concurrency", "1", "--json"},
               work + "/sbatch.out");
  std::string job_id;
  REQUIRE_MESSAGE(wait_for(
                      [&] {
                        std::string out = read_text(work + "/sbatch.out");
                        auto at = out.find("Submitted batch job ");
                        if (at == std::string::npos) return false;
                        job_id = out.substr(at + 20, out.find('\n', at) - at - 20);
                        return true;
                      },
                      30s),
                  "sbatch did not submit: ", read_text(work + "/sbatch.out"), slurm.logs());

  // Each shard sent its first create and waits for the answer.
  REQUIRE_MESSAGE(wait_for([&] { return creates().size() == 3; }, 60s), "3 held creates expected, saw ", creates().size(),
                  slurm.logs());
  std::map<int, int> first_line;  // shard (0-based array index) -> line of its held create
  for (const auto& q : creates()) first_line[(seed_line(q) - 1) % 3] = seed_line(q);
  REQUIRE(first_line.size() == 3);

  // 1. Array task 2 dies while its create's answer is held: the task exists, its id never reached the journal.
  slurm.requeue(job_id + "_2");
  // 2. The other shards get their answers; array task 0 is requeued while it polls its task.
  REQUIRE(emu.post("/_emu/release", json::object()).status == 200);
  const std::vector<std::string> auth{"Authorization: Bearer " + kKey};
  std::string polled;  // GET /contents/generations/tasks/ID of shard 0's first task
  REQUIRE_MESSAGE(wait_for(
                      [&] {
                        if (polled.empty()) {
                          const json listed = emu.get(create + "?page_size=100", auth).json();
                          for (const auto& t : listed["items"])
                            if (t["seed"] == 7000 + first_line[0]) polled = create + "/" + t["id"].get<std::string>();
                        }
                        for (const auto& q : emu.requests("GET", create + "/"))
                          if (!polled.empty() && q["path"] == polled) return true;
                        return false;
                      },
                      30s),
                  "array task 0 never polled its task after the release", slurm.logs());
  int created_before_requeue = int(creates().size());
  slurm.requeue(job_id + "_0");

  REQUIRE_MESSAGE(wait_for([&] { return sbatch.done().has_value(); }, 150s), "sbatch --wait did not end in 150 s",
                  slurm.logs());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("array done ", seconds, " s after the cluster started");
  CHECK_MESSAGE(*sbatch.done() == 0, "sbatch --wait: ", read_text(work + "/sbatch.out"));
  CHECK(created_before_requeue < 9);  // the requeue came before the shards were through

  // Every line was paid for exactly once: nine creates, one per seed.
  std::map<int, int> per_line;
  for (const auto& q : creates()) ++per_line[seed_line(q)];
  CHECK(creates().size() == 9);
  for (int line = 1; line <= 9; ++line) CHECK_MESSAGE(per_line[line] == 1, "line ", line, " created ", per_line[line], " times");

  // Each shard's last attempt finished its three lines; the requeued ones took their tasks over.
  for (int task = 0; task < 3; ++task) {
    auto docs = summaries(work + "/shard-" + std::to_string(task) + ".out");
    std::string err = read_text(work + "/shard-" + std::to_string(task) + ".err");
    REQUIRE_MESSAGE(!docs.empty(), "no summary from array task ", task, ": ", err);
    const json& last = docs.back();
    CHECK_MESSAGE(last["exit_status"] == 0, "array task ", task, ": ", last.dump(), err);
    std::set<int> lines;
    for (const auto& j : last["jobs"]) lines.insert(j["line"].get<int>());
    CHECK(lines == std::set<int>{task + 1, task + 4, task + 7});
    CHECK(contains(err, "shard " + std::to_string(task + 1) + "/3 (SLURM_ARRAY_TASK_ID=" + std::to_string(task)));
    if (task == 1) continue;
    // Requeued: a second attempt, which took over the task the first one had paid for.
    CHECK_MESSAGE(contains(err, "restart 1"), err);
    std::map<int, std::string> status;
    for (const auto& j : last["jobs"]) status[j["line"].get<int>()] = j["status"].get<std::string>();
    // Task 0 found its task in its journal; task 2 found it in the provider's list (reconciliation).
    CHECK_MESSAGE(status[first_line[task]] == "resumed", "array task ", task, ": ", last.dump(), err);
  }

  // The outputs are where the jobs file says (relative to its folder), real videos; one journal per shard.
  for (int line = 1; line <= 9; ++line) {
    std::string out = work + "/out/clip-" + std::to_string(line) + ".mp4";
    CHECK_MESSAGE(is_valid_video(out), out);
  }
  for (int shard = 1; shard <= 3; ++shard) CHECK(fs::exists(work + "/.seedreel-state/journal-" + std::to_string(shard) + ".db"));
  // The provider holds nine tasks, all succeeded.
  auto list = emu.get(create + "?page_size=100", auth).json();
  CHECK(list["total"] == 9);
  for (const auto& t : list["items"]) CHECK(t["status"] == "succeeded");
  // The key is in no log, and not in the job's environment Slurm keeps in its state.
  for (const auto& e : fs::recursive_directory_iterator(work)) {
    if (!e.is_regular_file() || e.path().filename() == "api-key" || e.path().extension() == ".mp4") continue;
    CHECK_MESSAGE(!contains(read_text(e.path().string()), kKey), e.path().string());
  }
}
