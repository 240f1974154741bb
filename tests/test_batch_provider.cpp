// batch as the provider sees it, against the real emulator: one rate gate for
// every worker (a 429 pauses them all), a cap on unfinished tasks, Ark's flex
// tier with expiry reported as such, and the token estimate before and the
// usage after, summed.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "batch-provider-key-9d04c2";
const std::string kCreate = "/contents/generations/tasks";

struct Env : CliSession {
  explicit Env(const std::string& task_seconds = "1") : CliSession(kKey, "batch-provider", {"--task-seconds", task_seconds}) {}
  std::string jobs(int n, json extra = json::object()) const {
    std::string path = work + "/jobs.jsonl";
    std::ofstream f(path);
    for (int i = 1; i <= n; ++i) {
      json j = {{"prompt", "shot " + std::to_string(i)}, {"output", "out/" + std::to_string(i) + ".mp4"},
                {"resolution", "480p"}, {"duration", 4}, {"ratio", "16:9"}, {"audio", false}, {"provider", "ark-intl"}};
      j.update(extra);
      f << j.dump() << "\n";
    }
    return path;
  }
  // Every API request the emulator logged, in arrival order.
  std::vector<json> api_requests() const {
    std::vector<json> out;
    for (const auto& r : emu.requests()) out.push_back(r);
    return out;
  }
  json listed() const {
    auto r = emu.get(kCreate + "?page_size=100", {"Authorization: Bearer " + key});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json();
  }
};

}  // namespace

TEST_CASE("a 429 with Retry-After to one worker pauses every worker of the batch") {
  Env env("3");  // long enough that all four workers are polling when the 429 comes
  auto file = env.jobs(4);
  // The first poll after the creates is refused with Retry-After: 2.
  env.emu.fault({{"method", "GET"}, {"path_prefix", kCreate + "/"}, {"kind", "429"}, {"retry_after", 2}, {"count", 1}});
  Run r = env.cli({"batch", file, "--concurrency", "4", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(r.err.find("retrying in 2.0 s") != std::string::npos);
  // The other three workers poll every 0.2 s; with one gate they all wait out
  // the pause, so the log shows a quiet stretch of nearly its whole length.
  auto log = env.api_requests();
  double longest = 0;
  for (std::size_t i = 1; i < log.size(); ++i) longest = std::max(longest, log[i]["at"].get<double>() - log[i - 1]["at"].get<double>());
  CHECK(longest >= 1.7);
  CHECK(json::parse(r.out)["counts"]["downloaded"] == 4);
}

TEST_CASE("--rate paces every worker together") {
  Env env;
  auto file = env.jobs(3);
  Run r = env.cli({"batch", file, "--concurrency", "3", "--rate", "4", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  // API calls only: a video download is not an API call.
  std::vector<json> log;
  for (const auto& q : env.api_requests())
    if (q["path"].get<std::string>().rfind(kCreate, 0) == 0) log.push_back(q);
  REQUIRE(log.size() >= 6);
  // At 4 requests/s, no two API calls of the batch are closer than 0.25 s (a little slack for the clock).
  for (std::size_t i = 1; i < log.size(); ++i) {
    CAPTURE(i);
    CHECK(log[i]["at"].get<double>() - log[i - 1]["at"].get<double>() >= 0.2);
  }
}

TEST_CASE("--max-queued caps the unfinished tasks, whatever the concurrency") {
  Env env;
  auto file = env.jobs(3);
  Run r = env.cli({"batch", file, "--concurrency", "4", "--max-queued", "1", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  // One task at a time: every create after the first comes after the previous video was fetched.
  int creates = 0, downloads = 0;
  for (const auto& q : env.api_requests()) {
    if (q["method"] == "POST" && q["path"] == kCreate) {
      CHECK(downloads == creates);
      ++creates;
    }
    if (q["method"] == "GET" && q["path"].get<std::string>().rfind("/files/", 0) == 0) ++downloads;
  }
  CHECK(creates == 3);
  // A budget of nothing is refused as a usage error.
  Run bad = env.cli({"batch", file, "--max-queued", "0"});
  CHECK(bad.status == 2);
}

TEST_CASE("flex tier: the fields reach Ark, and a task that expires unrun is reported expired, not failed") {
  Env env;
  auto file = env.jobs(2, {{"service_tier", "flex"}, {"execution_expires_after", 3600}});
  env.emu.fault({{"kind", "task_expired"}, {"count", 1}});
  Run r = env.cli({"batch", file, "--concurrency", "1", "--json"});
  CHECK(r.status == 5);
  auto out = json::parse(r.out);
  CHECK(out["jobs"][0]["status"] == "expired");
  CHECK(out["jobs"][1]["status"] == "downloaded");
  for (const auto& q : env.emu.requests("POST", kCreate)) {
    CHECK(q["body"]["service_tier"] == "flex");
    CHECK(q["body"]["execution_expires_after"] == 3600);
  }
  // Out of range is refused before anything is sent.
  auto bad = env.jobs(1, {{"service_tier", "flex"}, {"execution_expires_after", 60}});
  Run refused = env.cli({"batch", bad});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("execution_expires_after") != std::string::npos);
  CHECK(env.emu.requests("POST", kCreate).size() == 2);
}

TEST_CASE("the token estimate before, and the provider's usage after, summed") {
  Env env;
  auto file = env.jobs(3);
  Run plan = env.cli({"batch", file, "--dry-run", "--json"});
  REQUIRE_MESSAGE(plan.status == 0, plan.err);
  auto p = json::parse(plan.out);
  // (input video s + output s) x width x height x fps / 1024, at 480p 16:9 (864x496), 4 s, 24 fps.
  const std::int64_t each = 4LL * 864 * 496 * 24 / 1024;
  CHECK(p["estimated_tokens"] == 3 * each);
  CHECK(p["jobs"][0]["estimated_tokens"] == each);

  Run r = env.cli({"batch", file, "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto out = json::parse(r.out);
  std::int64_t billed = 0;
  const json listed = env.listed();
  for (const auto& t : listed["items"]) billed += t["usage"]["total_tokens"].get<std::int64_t>();
  CHECK(billed == 3 * each);  // the emulator bills by the same formula
  CHECK(out["usage_tokens"] == billed);
  CHECK(out["jobs"][0]["usage"]["total_tokens"] == each);
  CHECK(r.err.find(std::to_string(billed) + " tokens used") != std::string::npos);

  // generate shows the estimate in --dry-run and --json too.
  Run g = env.cli({"generate", "--provider", "ark-intl", "--prompt", "x", "--resolution", "480p", "--ratio", "16:9",
                   "--duration", "4", "--dry-run", "--json"});
  REQUIRE_MESSAGE(g.status == 0, g.err);
  CHECK(json::parse(g.out)["estimated_tokens"] == each);
}

TEST_CASE("batch --dry-run writes nothing: no output or work folder, no journal, though it conforms to check") {
  Env env;
  std::string small = env.work + "/small.png";
  Run made = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=200x150", "-frames:v", "1", small});
  REQUIRE(made.status == 0);
  auto file = env.jobs(2, {{"first_frame", small}});
  Run r = env.cli({"batch", file, "--dry-run", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto plan = json::parse(r.out);
  CHECK(plan["jobs"][0]["conformed"].size() == 1);
  CHECK_FALSE(fs::exists(env.work + "/out"));
  CHECK_FALSE(fs::exists(env.work + "/.seedreel-work"));
  CHECK_FALSE(fs::exists(env.work + "/journal.db"));
  CHECK(env.emu.requests().empty());
  // The real run makes them.
  REQUIRE(env.cli({"batch", file}).status == 0);
  CHECK(fs::exists(env.work + "/out/1.mp4"));
  CHECK(fs::exists(env.work + "/.seedreel-work"));
}

TEST_CASE("resume continues a batch whose jobs file name is not UTF-8, byte for byte") {
  Env env;
  std::string odd = env.work + "/jobs-\xff.jsonl";
  fs::rename(env.jobs(1), odd);
  auto argv = env.argv({"batch", odd});
  argv.insert(std::find(argv.begin(), argv.end(), program("seedreel")), "SEEDREEL_KILL_AT=poll");
  Run killed = run(argv);
  REQUIRE_MESSAGE(killed.status == 128 + 9, killed.err);
  Run r = env.cli({"resume", "--json"}, false);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(json::parse(r.out)[0]["result"] == "continued");
  CHECK(fs::exists(env.work + "/out/1.mp4"));
  CHECK(env.emu.requests("POST", kCreate).size() == 1);
}
