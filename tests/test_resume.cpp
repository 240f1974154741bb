// seedreel resume against the real emulator: tasks journaled but never
// downloaded are finished without a second create; failures are reported per
// task; a create with no task id is listed, never resubmitted.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "resume-test-key-5f2a9c";

struct Env : CliSession {
  Env() : CliSession(kKey, "resume") {}
};

}  // namespace

TEST_CASE("resume downloads tasks created with --no-wait, once, without creating again") {
  Env env;
  auto a = env.work + "/a.mp4", b = env.work + "/b.mp4";
  REQUIRE(env.cli({"generate", "--prompt", "first", "--no-wait", "-o", a}).status == 0);
  REQUIRE(env.cli({"generate", "--prompt", "second", "--no-wait", "-o", b}).status == 0);
  CHECK(!fs::exists(a));
  auto creates = env.emu.requests("POST", "/v1/video/generations").size();
  CHECK(creates == 2);

  // The journal remembers the base URL: resume needs no flags.
  Run r = env.cli({"resume", "--json"}, false);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto out = json::parse(r.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0]["result"] == "downloaded");
  CHECK(out[1]["result"] == "downloaded");
  CHECK(ffprobe(a, {"-select_streams", "v:0", "-show_entries", "stream=codec_name,r_frame_rate", "-of", "csv=p=0"}) ==
        "h264,24/1");
  CHECK(fs::file_size(b) > 1000);
  CHECK(env.emu.requests("POST", "/v1/video/generations").size() == creates);

  r = env.cli({"resume"}, false);
  CHECK(r.status == 0);
  CHECK(r.out.find("nothing to resume") != std::string::npos);
}

TEST_CASE("resume reports a failed task with the generation status and keeps going") {
  Env env;
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "moderation"}, {"count", 1}});
  REQUIRE(env.cli({"generate", "--prompt", "blocked", "--no-wait", "-o", env.work + "/bad.mp4"}).status == 0);
  REQUIRE(env.cli({"generate", "--prompt", "fine", "--no-wait", "-o", env.work + "/good.mp4"}).status == 0);
  Run r = env.cli({"resume", "--json"});
  CHECK(r.status == 5);
  auto out = json::parse(r.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0]["result"] == "error");
  CHECK(out[0]["error"]["kind"] == "moderation");
  CHECK(out[1]["result"] == "downloaded");
  CHECK(!fs::exists(env.work + "/bad.mp4"));
  CHECK(fs::exists(env.work + "/good.mp4"));
  // The failure is journaled: nothing is left to resume.
  r = env.cli({"resume"});
  CHECK(r.status == 0);
  CHECK(r.out.find("nothing to resume") != std::string::npos);
}

TEST_CASE("a create whose answer was lost is listed, never resubmitted") {
  Env env;
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "malformed_json"}, {"count", 1}});
  Run g = env.cli({"generate", "--prompt", "lost", "-o", env.work + "/lost.mp4"});
  CHECK(g.status == 4);
  auto creates = env.emu.requests("POST", "/v1/video/generations").size();
  Run r = env.cli({"resume", "--json"});
  CHECK(r.status == 0);
  auto out = json::parse(r.out);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["result"] == "no task id");
  CHECK(r.err.find("no task id") != std::string::npos);
  CHECK(env.emu.requests("POST", "/v1/video/generations").size() == creates);
}

TEST_CASE("resume with no journal is not an error") {
  Env env;
  Run r = env.cli({"resume"});
  CHECK(r.status == 0);
  CHECK(r.out.find("nothing to resume") != std::string::npos);
}
