// seedreel batch against the real emulator on loopback, with media made here:
// concurrency bounded, shards that partition a file, failures that do not
// stop the others, reruns that skip or resume instead of paying again, bad
// lines caught before anything is sent, Ctrl-C that leaves tasks journaled.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "batch-test-key-7c31e0";

struct Env : CliSession {
  Env() : CliSession(kKey, "batch") {}

  std::string jobs(const std::string& name, const std::vector<std::string>& lines) const {
    std::ofstream f(work + "/" + name);
    for (const auto& l : lines) f << l << "\n";
    return work + "/" + name;
  }
  json log() const { return emu.requests(); }
  std::size_t count(const std::string& method, const std::string& prefix) const {
    return emu.requests(method, prefix).size();
  }
};

// A short, small, silent clip: the cheapest real render.
std::string job(const std::string& prompt, const std::string& output, json extra = json::object()) {
  json j = {{"prompt", prompt}, {"output", output}, {"resolution", "480p"}, {"duration", 4}, {"ratio", "16:9"}, {"audio", false}};
  j.update(extra);
  return j.dump();
}

void make_image(const std::string& path, int w, int h) {
  Run r = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=" + std::to_string(w) + "x" + std::to_string(h),
               "-frames:v", "1", path});
  REQUIRE_MESSAGE(r.status == 0, r.err);
}

bool is_h264_24fps(const std::string& file) {
  return ffprobe(file, {"-select_streams", "v:0", "-show_entries", "stream=codec_name,r_frame_rate", "-of", "csv=p=0"}) ==
         "h264,24/1";
}

// The most tasks the emulator saw in flight at once: a task is in flight from
// its first poll to its last, measured on the emulator's own request log.
int max_in_flight(const json& log) {
  std::map<std::string, std::pair<std::size_t, std::size_t>> span;
  for (std::size_t i = 0; i < log.size(); ++i) {
    std::string path = log[i]["path"];
    const std::string poll = "/v1/video/generations/";
    if (log[i]["method"] != "GET" || path.rfind(poll, 0) != 0) continue;
    auto id = path.substr(poll.size());
    auto [it, fresh] = span.emplace(id, std::pair{i, i});
    if (!fresh) it->second.second = i;
  }
  int most = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    int n = 0;
    for (const auto& [id, s] : span) n += s.first <= i && i <= s.second;
    most = std::max(most, n);
  }
  return most;
}

std::map<int, json> by_line(const json& out) {
  std::map<int, json> m;
  for (const auto& j : out["jobs"]) m[j["line"].get<int>()] = j;
  return m;
}

}  // namespace

TEST_CASE("six jobs, three at a time: six valid videos, never more than three tasks in flight; a rerun pays nothing") {
  Env env;
  make_image(env.work + "/start.png", 640, 360);
  make_image(env.work + "/end.png", 640, 360);
  fs::create_directories(env.work + "/media");
  make_image(env.work + "/media/tiny.png", 200, 120);  // too small: conformed before it is sent
  auto file = env.jobs("jobs.jsonl", {
      job("a lighthouse at dusk", "out/1.mp4"),
      job("a slow drift", "out/2.mp4", {{"first_frame", "start.png"}}),
      job("morph", "out/3.mp4", {{"first_frame", "start.png"}, {"last_frame", "end.png"}}),
      job("a small @image1", "out/4.mp4", {{"ref_images", {"media/tiny.png"}}}),
      job("rain on a window", "out/5.mp4"),
      job("a fox in snow", "out/6.mp4", {{"seed", 7}, {"provider", "ark-cn"}}),
  });
  Run r = env.cli({"batch", file, "--concurrency", "3", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto out = json::parse(r.out);
  CHECK(out["ok"] == true);
  REQUIRE(out["jobs"].size() == 6);
  for (const auto& j : out["jobs"]) {
    CHECK(j["status"] == "downloaded");
    CHECK(j["task_id"].is_string());
    CHECK(j["error"].is_null());
    CHECK(is_h264_24fps(j["output"]));
  }
  for (int i = 1; i <= 6; ++i) CHECK(fs::exists(env.work + "/out/" + std::to_string(i) + ".mp4"));
  CHECK(by_line(out)[4]["conformed"] == true);
  CHECK(ffprobe(env.work + "/out/1.mp4", {"-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0"}) ==
        "864,496");
  // No temporary files left beside the outputs.
  CHECK(std::distance(fs::directory_iterator(env.work + "/out"), fs::directory_iterator()) == 6);

  json log = env.log();
  std::size_t creates = env.count("POST", "/v1/video/generations") + env.count("POST", "/contents/generations/tasks");
  CHECK(creates == 6);
  int most = max_in_flight(log);  // the five gateway tasks; the Ark one polls elsewhere
  CHECK(most <= 3);
  CHECK(most >= 2);  // and they did overlap

  // A rerun skips every finished output: no new task.
  r = env.cli({"batch", file, "--concurrency", "3", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  out = json::parse(r.out);
  for (const auto& j : out["jobs"]) CHECK(j["status"] == "skipped");
  CHECK(env.count("POST", "/v1/video/generations") + env.count("POST", "/contents/generations/tasks") == 6);

  // A lost output is made again, and only that one.
  fs::remove(env.work + "/out/5.mp4");
  r = env.cli({"batch", file});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(r.out.find("downloaded") != std::string::npos);
  CHECK(is_h264_24fps(env.work + "/out/5.mp4"));
  CHECK(env.count("POST", "/v1/video/generations") + env.count("POST", "/contents/generations/tasks") == 7);
}

TEST_CASE("shards 1/2 and 2/2 together run every line exactly once") {
  Env env;
  auto file = env.jobs("jobs.jsonl", {job("one", "s/1.mp4"), job("two", "s/2.mp4"), "", job("four", "s/4.mp4"),
                                      job("five", "s/5.mp4")});
  std::map<int, int> runs;
  for (const std::string shard : {"1/2", "2/2"}) {
    Run r = env.cli({"batch", file, "--shard", shard, "--concurrency", "2", "--json"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    json out = json::parse(r.out);
    CHECK(out["jobs"].size() == 2);
    for (const auto& j : out["jobs"]) {
      CHECK(j["status"] == "downloaded");
      ++runs[j["line"].get<int>()];
    }
  }
  std::map<int, int> once{{1, 1}, {2, 1}, {4, 1}, {5, 1}};  // shard 1: lines 1 5 · shard 2: lines 2 4
  CHECK(runs.size() == once.size());
  CHECK(runs == once);
  CHECK(env.count("POST", "/v1/video/generations") == 4);
  for (int i : {1, 2, 4, 5}) CHECK(is_h264_24fps(env.work + "/s/" + std::to_string(i) + ".mp4"));

  Run bad = env.cli({"batch", file, "--shard", "3/2"});
  CHECK(bad.status == 2);
}

TEST_CASE("a moderation failure and a 500 storm fail their own jobs only") {
  Env env;
  // Each fault is aimed at one dialect, so it hits exactly one job whatever the order.
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "moderation"}, {"count", 1}});
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/v1/kyyvideo2/videos"}, {"kind", "500"}, {"count", 100}});
  json flat = json::parse(job("stormy", "f/3.mp4", {{"provider", "xingchaoyiqing"}}));
  flat.erase("resolution");  // the flat dialect does not carry it
  auto file = env.jobs("jobs.jsonl", {job("fine", "f/1.mp4"), job("blocked", "f/2.mp4", {{"provider", "ark-cn"}}), flat.dump(),
                                      job("also fine", "f/4.mp4")});
  Run r = env.cli({"batch", file, "--concurrency", "4", "--retries", "2", "--json"});
  CHECK(r.status == 5);  // the worst: a generation failed (5) beats a network/API error (4)
  auto out = json::parse(r.out);
  CHECK(out["ok"] == false);
  CHECK(out["exit_status"] == 5);
  auto jobs = by_line(out);
  CHECK(jobs[1]["status"] == "downloaded");
  CHECK(jobs[4]["status"] == "downloaded");
  CHECK(jobs[2]["status"] == "failed");
  CHECK(jobs[2]["error"]["kind"] == "moderation");
  CHECK(jobs[2]["error"]["exit_status"] == 5);
  CHECK(jobs[2]["task_id"].get<std::string>().rfind("cgt-", 0) == 0);
  CHECK(jobs[3]["status"] == "failed");
  CHECK(jobs[3]["error"]["exit_status"] == 4);
  CHECK(jobs[3]["task_id"].is_null());
  CHECK(is_h264_24fps(env.work + "/f/1.mp4"));
  CHECK(is_h264_24fps(env.work + "/f/4.mp4"));
  CHECK(!fs::exists(env.work + "/f/2.mp4"));
  CHECK(!fs::exists(env.work + "/f/3.mp4"));
  CHECK(r.err.find("jobs.jsonl:2: failed") != std::string::npos);
  CHECK(r.err.find("jobs.jsonl:3: failed") != std::string::npos);
  CHECK(env.count("POST", "/v1/kyyvideo2/videos") == 3);  // the first try and two retries, then it gave up

  // The table says the same to a person.
  env.emu.post("/_emu/reset", json::object());
  r = env.cli({"batch", file});
  CHECK(r.status == 0);  // the faults are gone: the two failed jobs run again, the others are skipped
  CHECK(r.out.find("LINE") != std::string::npos);
  CHECK(r.out.find("skipped") != std::string::npos);
  CHECK(env.count("POST", "/v1/video/generations") == 0);
}

TEST_CASE("bad lines are reported by number and nothing is submitted") {
  Env env;
  auto file = env.jobs("jobs.jsonl", {
      job("fine", "b/1.mp4"),
      R"({"prompt": "broken", "output": )",
      job("typo", "b/3.mp4", {{"promt", "x"}}),
      json{{"output", "b/4.mp4"}}.dump(),
      job("@image1", "b/5.mp4", {{"first_frame", "missing.png"}}),
      job("odd shape", "b/6.mp4", {{"ratio", "5:4"}}),
  });
  Run r = env.cli({"batch", file, "--json"});
  CHECK(r.status == 1);
  CHECK(env.log().empty());  // nothing sent at all
  auto problems = json::parse(r.out)["problems"];
  std::set<int> lines;
  for (const auto& p : problems) lines.insert(p["line"].get<int>());
  CHECK(lines == std::set<int>{2, 3, 4, 5, 6});
  for (const char* needle : {"jobs.jsonl:2: not valid JSON", "jobs.jsonl:3: unknown key 'promt'",
                             "jobs.jsonl:4: a job needs a prompt, media, or both", "jobs.jsonl:5: ", "missing.png",
                             "jobs.jsonl:6: ", "5:4", "nothing was submitted"})
    CHECK_MESSAGE(r.err.find(needle) != std::string::npos, needle, "\n", r.err);

  // --keep-going runs the valid line and reports the others as invalid.
  r = env.cli({"batch", file, "--keep-going", "--json"});
  CHECK(r.status == 1);
  auto jobs = by_line(json::parse(r.out));
  CHECK(jobs.size() == 6);
  CHECK(jobs[1]["status"] == "downloaded");
  for (int i = 2; i <= 6; ++i) CHECK(jobs[i]["status"] == "invalid");
  CHECK(env.count("POST", "/v1/video/generations") == 1);
}

TEST_CASE("Ctrl-C leaves tasks journaled and no partial output; the rerun resumes them without paying again") {
  EmuProcess slow{{"--task-seconds", "4", "--api-key", kKey}};
  Env env;
  auto file = env.jobs("jobs.jsonl", {job("one", "c/1.mp4"), job("two", "c/2.mp4")});
  auto argv = env.argv({"batch", file, "--json"});
  std::replace(argv.begin(), argv.end(), env.emu.base, slow.base);

  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int log = open((env.work + "/interrupted.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, 1);
    dup2(log, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  // Wait until both tasks exist and are being polled, then interrupt.
  auto polled = [&] {
    std::set<std::string> ids;
    for (const auto& r : slow.get("/_emu/requests").json())
      if (r["method"] == "GET") ids.insert(r["path"].get<std::string>());
    return ids.size();
  };
  for (int i = 0; i < 200 && polled() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(polled() == 2);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  std::ifstream log_file(env.work + "/interrupted.log");
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  CHECK_MESSAGE(WEXITSTATUS(status) == 130, log);
  CHECK((!fs::exists(env.work + "/c") || fs::is_empty(env.work + "/c")));

  std::vector<std::string> again = env.argv({"batch", file, "--json"});
  std::replace(again.begin(), again.end(), env.emu.base, slow.base);
  Run r = run(again);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  json out = json::parse(r.out);
  REQUIRE(out["jobs"].size() == 2);
  for (const auto& j : out["jobs"]) CHECK(j["status"] == "resumed");
  CHECK(is_h264_24fps(env.work + "/c/1.mp4"));
  CHECK(is_h264_24fps(env.work + "/c/2.mp4"));
  std::size_t creates = 0;
  for (const auto& q : slow.get("/_emu/requests").json()) creates += q["method"] == "POST";
  CHECK(creates == 2);
}

TEST_CASE("a create whose answer was lost is not paid for again unless asked") {
  Env env;
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "malformed_json"}, {"count", 1}});
  auto file = env.jobs("jobs.jsonl", {job("lost answer", "u/1.mp4")});
  Run r = env.cli({"batch", file, "--json"});
  CHECK(r.status == 4);
  CHECK(env.count("POST", "/v1/video/generations") == 1);

  // The journal says a task may exist: the rerun refuses to pay twice and says how to go on.
  r = env.cli({"batch", file, "--json"});
  CHECK(r.status == 4);
  json out = json::parse(r.out);
  CHECK(out["jobs"][0]["status"] == "failed");
  CHECK(out["jobs"][0]["error"]["message"].get<std::string>().find("--resubmit-unknown") != std::string::npos);
  CHECK(env.count("POST", "/v1/video/generations") == 1);

  r = env.cli({"batch", file, "--resubmit-unknown", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(json::parse(r.out)["jobs"][0]["status"] == "downloaded");
  CHECK(env.count("POST", "/v1/video/generations") == 2);
  CHECK(is_h264_24fps(env.work + "/u/1.mp4"));
  // Given up once, the old entry no longer blocks anything.
  r = env.cli({"batch", file});
  CHECK(r.status == 0);
}
