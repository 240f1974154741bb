// seedreel resume and reruns against the real emulator: tasks journaled but
// never downloaded are finished without a second create; failures are
// reported per task; a create whose answer was lost is settled by the
// provider's list (Ark) or reported with the next step, never resubmitted blindly.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

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

TEST_CASE("a lost create on a dialect that cannot list is reported with the next step, never resubmitted") {
  Env env;
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "malformed_json"}, {"count", 1}});
  Run g = env.cli({"generate", "--prompt", "lost", "-o", env.work + "/lost.mp4"});
  CHECK(g.status == 4);
  auto creates = env.emu.requests("POST", "/v1/video/generations").size();
  Run r = env.cli({"resume", "--json"});
  CHECK(r.status == 1);
  auto out = json::parse(r.out);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["result"] == "error");
  CHECK(r.err.find("cannot list its tasks") != std::string::npos);
  CHECK(r.err.find("console") != std::string::npos);
  CHECK(env.emu.requests("POST", "/v1/video/generations").size() == creates);
}

// Tasks the emulator made, by its own Ark list.
int listed(const Env& env) {
  auto r = env.emu.get("/contents/generations/tasks?page_size=100", {"Authorization: Bearer " + kKey});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return r.json().value("total", 0);
}

TEST_CASE("Ark: a create whose answer was lost is found in the provider's list and taken over, not paid twice") {
  Env env;
  const std::string out = env.work + "/lost.mp4";
  const std::vector<std::string> args{"generate", "--provider", "ark-intl", "--prompt", "lost answer", "--duration", "4",
                                      "--resolution", "480p", "--ratio", "16:9", "-o", out};
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "lose_answer"}, {"count", 1}});
  CHECK(env.cli(args).status == 4);
  REQUIRE(listed(env) == 1);  // the task exists, though no answer came back
  CHECK_FALSE(fs::exists(out));

  SUBCASE("by the same command again") {
    Run again = env.cli(args);
    REQUIRE_MESSAGE(again.status == 0, again.err);
    CHECK(again.err.find("reconciled") != std::string::npos);
  }
  SUBCASE("by resume") {
    Run r = env.cli({"resume", "--json"}, false);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(json::parse(r.out)[0]["result"] == "downloaded");
  }
  CHECK(listed(env) == 1);
  CHECK(env.emu.requests("POST", "/contents/generations/tasks").size() == 1);
  CHECK(fs::file_size(out) > 1000);
  CHECK(env.cli({"resume"}).out.find("nothing to resume") != std::string::npos);
}

TEST_CASE("Ark: a lost create that made no task is settled by the list and submitted once") {
  Env env;
  const std::string out = env.work + "/dropped.mp4";
  const std::vector<std::string> args{"generate", "--provider", "ark-intl", "--prompt", "dropped", "-o", out};
  // A gateway's 502 before the create reached the service: no task is made, but the client cannot know that.
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "502"}, {"count", 1}});
  CHECK(env.cli(args).status == 4);
  REQUIRE(listed(env) == 0);
  Run again = env.cli(args);
  REQUIRE_MESSAGE(again.status == 0, again.err);
  CHECK(again.err.find("none was made") != std::string::npos);
  CHECK(listed(env) == 1);
  CHECK(fs::file_size(out) > 1000);
}

TEST_CASE("Ark: two lost creates with the same parameters are ambiguous: the run stops and names both tasks") {
  Env env;
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "lose_answer"}, {"count", 2}});
  const std::string a = env.work + "/a.mp4", b = env.work + "/b.mp4";
  CHECK(env.cli({"generate", "--provider", "ark-intl", "--prompt", "first", "-o", a}).status == 4);
  CHECK(env.cli({"generate", "--provider", "ark-intl", "--prompt", "second", "-o", b}).status == 4);
  REQUIRE(listed(env) == 2);
  Run again = env.cli({"generate", "--provider", "ark-intl", "--prompt", "first", "-o", a});
  CHECK(again.status == 1);
  CHECK(again.err.find("2 tasks from then match") != std::string::npos);
  CHECK(listed(env) == 2);
}

TEST_CASE("resume with no journal is not an error") {
  Env env;
  Run r = env.cli({"resume"});
  CHECK(r.status == 0);
  CHECK(r.out.find("nothing to resume") != std::string::npos);
}

TEST_CASE("nothing is paid for that could fail locally: a missing folder, a folder as output, an unwritable one") {
  Env env;
  const auto creates = [&] { return env.emu.requests("POST", "/v1/video/generations").size(); };
  fs::create_directories(env.work + "/a-folder");
  for (const std::string& out : {env.work + "/missing_dir/out.mp4", env.work + "/a-folder"}) {
    CAPTURE(out);
    for (const char* wait : {"--wait", "--no-wait"}) {
      std::vector<std::string> args{"generate", "--prompt", "doomed", "-o", out};
      if (std::string(wait) == "--no-wait") args.push_back(wait);
      Run r = env.cli(args);
      CHECK(r.status == 3);
      CHECK(r.err.find("nothing was sent") != std::string::npos);
    }
  }
  // A folder on which no file can be made: a read-only bind is out of reach
  // for a test, but a file standing where the folder should be is not.
  { std::ofstream(env.work + "/not-a-folder") << "x"; }
  Run r = env.cli({"generate", "--prompt", "doomed", "-o", env.work + "/not-a-folder/out.mp4"});
  CHECK(r.status == 3);
  CHECK(creates() == 0);
  CHECK(env.cli({"resume"}).out.find("nothing to resume") != std::string::npos);
}

TEST_CASE("a relative output is journaled absolute: resume from another folder writes where generate would have") {
  Env env;
  fs::create_directories(env.work + "/here");
  fs::create_directories(env.work + "/elsewhere");
  auto in = [&](const std::string& dir, const std::vector<std::string>& args, bool base = true) {
    auto argv = env.argv(args, base);
    argv.insert(argv.begin() + 1, "--chdir=" + dir);
    return run(argv);
  };
  REQUIRE(in(env.work + "/here", {"generate", "--prompt", "relative", "--no-wait", "-o", "clip.mp4"}).status == 0);
  Run r = in(env.work + "/elsewhere", {"resume", "--json"}, false);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(fs::exists(env.work + "/here/clip.mp4"));
  CHECK_FALSE(fs::exists(env.work + "/elsewhere/clip.mp4"));
}

TEST_CASE("a rerun of the same generate takes over the journaled task instead of paying twice") {
  Env env;
  const auto creates = [&] { return env.emu.requests("POST", "/v1/video/generations").size(); };
  const std::string out = env.work + "/same.mp4";
  // The first run dies after the create (--no-wait leaves the task journaled, as a crash would).
  REQUIRE(env.cli({"generate", "--prompt", "once", "--no-wait", "-o", out}).status == 0);
  REQUIRE(creates() == 1);
  Run again = env.cli({"generate", "--prompt", "once", "-o", out, "--json"});
  REQUIRE_MESSAGE(again.status == 0, again.err);
  CHECK(creates() == 1);
  CHECK(json::parse(again.out)["adopted"] == true);
  CHECK(again.err.find("took over task") != std::string::npos);
  CHECK(fs::file_size(out) > 1000);
  // Finished: nothing left to take over, so a third run is a new task; so is --new-task.
  REQUIRE(env.cli({"generate", "--prompt", "once", "-o", out}).status == 0);
  CHECK(creates() == 2);
  REQUIRE(env.cli({"generate", "--prompt", "once", "--no-wait", "-o", out}).status == 0);
  REQUIRE(env.cli({"generate", "--prompt", "once", "--new-task", "-o", out}).status == 0);
  CHECK(creates() == 4);
  // A different prompt to the same output is a different request.
  REQUIRE(env.cli({"generate", "--prompt", "other", "-o", out}).status == 0);
  CHECK(creates() == 5);
}

TEST_CASE("a rerun after a create whose answer was lost stops instead of paying twice") {
  Env env;
  env.emu.fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "malformed_json"}, {"count", 1}});
  const std::string out = env.work + "/lost.mp4";
  CHECK(env.cli({"generate", "--prompt", "lost", "-o", out}).status == 4);
  const auto creates = env.emu.requests("POST", "/v1/video/generations").size();
  Run again = env.cli({"generate", "--prompt", "lost", "-o", out});
  CHECK(again.status == 1);
  CHECK(again.err.find("may exist and be paid for") != std::string::npos);
  CHECK(env.emu.requests("POST", "/v1/video/generations").size() == creates);
  // Asked for explicitly, a new task is made.
  CHECK(env.cli({"generate", "--prompt", "lost", "--new-task", "-o", out}).status == 0);
  CHECK(env.emu.requests("POST", "/v1/video/generations").size() == creates + 1);
}
