// The kill -9 matrix: generate, chain over 3 clips, extend --times 2 and a
// batch of 6 lines at concurrency 3, each SIGKILLed at every point where a
// crash could lose a task or pay for one twice, then run again. A cell
// passes when the output equals an uninterrupted run's frame for frame, the
// emulator saw exactly one create per clip, and no partial file sits at a
// final name. The kill points are hooks in the code (SEEDREEL_KILL_AT) and,
// for "the create was sent, its answer not yet back", an emulator that makes
// the task and holds the answer: no timing is guessed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "kill-matrix-key-3b8e21";
const std::vector<std::string> kClip{"--provider", "ark-intl", "--resolution", "480p", "--ratio", "16:9",
                                     "--duration", "4", "--no-audio"};

void make(const std::vector<std::string>& ffmpeg_args) {
  std::vector<std::string> a{"ffmpeg", "-v", "error", "-y"};
  a.insert(a.end(), ffmpeg_args.begin(), ffmpeg_args.end());
  Run r = run(a);
  REQUIRE_MESSAGE(r.status == 0, r.err);
}

// The inputs every run of a command uses, made once.
struct Inputs {
  std::string dir = temp_dir("kill-inputs");
  std::string small_image = dir + "/small.png";  // under the API's 300 px: chain and batch conform it
  std::string video = dir + "/walk.mp4";         // extend's start; its 3 s tail of 2 s is re-encoded
  std::string prompts = dir + "/prompts.txt";
  Inputs() {
    make({"-f", "lavfi", "-i", "testsrc2=size=240x136", "-frames:v", "1", small_image});
    make({"-f", "lavfi", "-i", "testsrc2=size=864x480:rate=24:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
          video});
    std::ofstream(prompts) << "a lighthouse at dawn\nthe fog lifts over the sea\ngulls circle the lamp\n";
  }
};
const Inputs& inputs() {
  static Inputs in;
  return in;
}

struct Command {
  std::string name;
  int clips;                         // creates one uninterrupted run makes
  std::vector<std::string> outputs;  // final names, relative to the run's folder
  std::vector<std::string> intermediates;  // further final names that must never be partial
  std::function<std::vector<std::string>(const std::string& dir)> args;
};

std::string batch_file(const std::string& dir) {
  std::string path = dir + "/jobs.jsonl";
  std::ofstream f(path);
  for (int i = 1; i <= 6; ++i) {
    // Seeds differ per line: the provider's list tells lost creates apart by what it echoes.
    json j = {{"prompt", "shot " + std::to_string(i)}, {"output", "out/" + std::to_string(i) + ".mp4"},
              {"resolution", "480p"}, {"duration", 4},
              {"ratio", "16:9"},      {"audio", false},
              {"seed", 100 + i},      {"provider", "ark-intl"}};
    if (i == 1) j["first_frame"] = inputs().small_image;
    f << j.dump() << "\n";
  }
  return path;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> c;
    c.push_back({"generate", 1, {"out.mp4"}, {}, [](const std::string& dir) {
                   std::vector<std::string> a{"generate", "--prompt", "a lighthouse at dawn", "-o", dir + "/out.mp4"};
                   a.insert(a.end(), kClip.begin(), kClip.end());
                   return a;
                 }});
    c.push_back({"chain", 3, {"out.mp4"}, {"out.parts/clip-001.mp4", "out.parts/clip-002.mp4", "out.parts/clip-003.mp4"},
                 [](const std::string& dir) {
                   std::vector<std::string> a{"chain", "--first-frame", inputs().small_image, "--prompt-file",
                                              inputs().prompts, "-o", dir + "/out.mp4"};
                   a.insert(a.end(), kClip.begin(), kClip.end());
                   return a;
                 }});
    c.push_back({"extend", 2, {"out.mp4"}, {"out.parts/clip-001.mp4", "out.parts/clip-002.mp4"},
                 [](const std::string& dir) {
                   std::vector<std::string> a{"extend", inputs().video, "--prompt", "@video1 keeps walking", "--times",
                                              "2", "--tail", "2", "-o", dir + "/out.mp4"};
                   a.insert(a.end(), kClip.begin(), kClip.end());
                   return a;
                 }});
    c.push_back({"batch", 6, {"out/1.mp4", "out/2.mp4", "out/3.mp4", "out/4.mp4", "out/5.mp4", "out/6.mp4"}, {},
                 [](const std::string& dir) {
                   return std::vector<std::string>{"batch", batch_file(dir), "--concurrency", "3"};
                 }});
    return c;
  }();
  return all;
}

struct Session : CliSession {
  Session() : CliSession(kKey, "kill", {"--task-seconds", "0.5"}) {}
  std::size_t creates() const { return emu.requests("POST", "/contents/generations/tasks").size(); }
  // Tasks the emulator made, as its own list says (a held create is not in the request log yet).
  int listed() const {
    auto r = emu.get("/contents/generations/tasks?page_size=100", {"Authorization: Bearer " + key});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json().value("total", 0);
  }
  std::vector<std::string> argv_in(const std::string& dir, const std::vector<std::string>& args,
                                   const std::string& kill_at = "") const {
    auto a = argv(args);
    // Each cell has its own journal and home.
    for (auto& s : a)
      if (s.rfind("SEEDREEL_JOURNAL=", 0) == 0) s = "SEEDREEL_JOURNAL=" + dir + "/journal.db";
    a.insert(a.begin() + 1, "--chdir=" + dir);
    if (!kill_at.empty()) a.insert(std::find(a.begin(), a.end(), program("seedreel")), "SEEDREEL_KILL_AT=" + kill_at);
    return a;
  }
};

pid_t spawn(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> a;
    for (auto s : argv) a.push_back(strdup(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The decoded frames' digests: equal outputs show the same pictures.
std::string frames(const std::string& file) {
  Run r = run({"ffmpeg", "-v", "error", "-i", file, "-map", "0:v", "-f", "framemd5", "-"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string digests;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') digests += line.substr(line.rfind(',') + 1) + "\n";
  return digests;
}

// Nothing at a final name unless it is a whole video.
void no_partial_file(const std::string& path) {
  if (!fs::exists(path)) return;
  Run r = run({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path});
  CHECK_MESSAGE(r.status == 0, path, ": ", r.err);
  CHECK_MESSAGE(r.err.empty(), path, ": ", r.err);
}

// One uninterrupted run of a command: what each of its cells must end with.
const std::vector<std::string>& reference(const Command& c) {
  static std::map<std::string, std::vector<std::string>> refs;
  auto& ref = refs[c.name];
  if (!ref.empty()) return ref;
  Session s;
  std::string dir = temp_dir("kill-ref-" + c.name);
  Run r = run(s.argv_in(dir, c.args(dir)));
  REQUIRE_MESSAGE(r.status == 0, c.name, ": ", r.err);
  for (const auto& o : c.outputs) ref.push_back(frames(dir + "/" + o));
  return ref;
}

void cell(const Command& c, const std::string& point, const std::string& again = "command") {
  CAPTURE(c.name);
  CAPTURE(point);
  const auto& ref = reference(c);
  Session s;
  std::string dir = temp_dir("kill-" + c.name + "-" + point.substr(0, point.find(':')));
  auto args = c.args(dir);
  if (point == "answer") {
    // The first creates make their tasks and then hold their answers (batch: one per worker).
    const int want = c.name == "batch" ? 3 : 1;
    s.emu.fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "delay_answer"},
                 {"count", want}});
    pid_t pid = spawn(s.argv_in(dir, args));
    for (int waited = 0; s.listed() < want; ++waited) {
      REQUIRE_MESSAGE(waited < 600, "the create never reached the emulator");
      usleep(50000);
    }
    kill(pid, SIGKILL);
    CHECK(reap(pid) == 128 + SIGKILL);
    // The held answers go to closed connections.
    auto released = s.emu.post("/_emu/release", json::object());
    REQUIRE_MESSAGE(released.status == 200, released.body);
  } else {
    Run killed = run(s.argv_in(dir, args, point));
    REQUIRE_MESSAGE(killed.status == 128 + SIGKILL, "not killed at ", point, ": ", killed.err);
  }
  for (const auto& o : c.outputs) no_partial_file(dir + "/" + o);
  for (const auto& o : c.intermediates) no_partial_file(dir + "/" + o);

  Run r = again == "resume" ? run(s.argv_in(dir, {"resume"})) : run(s.argv_in(dir, args));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  // Exactly one create per clip: none lost (the output is whole), none paid twice.
  CHECK(s.creates() == std::size_t(c.clips));
  CHECK(s.listed() == c.clips);
  for (std::size_t i = 0; i < c.outputs.size(); ++i) {
    CAPTURE(c.outputs[i]);
    REQUIRE(fs::exists(dir + "/" + c.outputs[i]));
    CHECK(frames(dir + "/" + c.outputs[i]) == ref[i]);
  }
  // Everything the journal holds is finished.
  Run left = run(s.argv_in(dir, {"resume", "--json"}));
  CHECK_MESSAGE(left.status == 0, left.err);
  CHECK(json::parse(left.out).empty());
}

const Command& command(const std::string& name) {
  for (const auto& c : commands())
    if (c.name == name) return c;
  throw std::runtime_error(name);
}

}  // namespace

// generate has no conform or stitch step: four cells.
TEST_CASE("kill -9 matrix: generate") {
  const auto& c = command("generate");
  SUBCASE("after the journal write, before the create") { cell(c, "create"); }
  SUBCASE("after the create was sent, before its answer") { cell(c, "answer"); }
  SUBCASE("while polling (finished by resume)") { cell(c, "poll", "resume"); }
  SUBCASE("mid-download") { cell(c, "download"); }
}

TEST_CASE("kill -9 matrix: chain over 3 clips") {
  const auto& c = command("chain");
  SUBCASE("after the journal write, before the create") { cell(c, "create:2"); }
  SUBCASE("after the create was sent, before its answer") { cell(c, "answer"); }
  SUBCASE("while polling (the chain continued by resume)") { cell(c, "poll:2", "resume"); }
  SUBCASE("mid-download") { cell(c, "download:2"); }
  SUBCASE("mid-conform") { cell(c, "conform"); }
  SUBCASE("mid-stitch") { cell(c, "stitch"); }
}

TEST_CASE("kill -9 matrix: extend --times 2") {
  const auto& c = command("extend");
  SUBCASE("after the journal write, before the create") { cell(c, "create:2"); }
  SUBCASE("after the create was sent, before its answer") { cell(c, "answer"); }
  SUBCASE("while polling") { cell(c, "poll:2"); }
  SUBCASE("mid-download") { cell(c, "download:2"); }
  SUBCASE("mid-conform") { cell(c, "conform:2"); }
  SUBCASE("mid-stitch (continued by resume)") { cell(c, "stitch:2", "resume"); }
}

// batch joins nothing: five cells.
TEST_CASE("kill -9 matrix: batch of 6 lines at concurrency 3") {
  const auto& c = command("batch");
  SUBCASE("after the journal write, before the create") { cell(c, "create:2"); }
  SUBCASE("after the create was sent, before its answer") { cell(c, "answer"); }
  SUBCASE("while polling (continued by resume)") { cell(c, "poll:3", "resume"); }
  SUBCASE("mid-download") { cell(c, "download:2"); }
  SUBCASE("mid-conform") { cell(c, "conform"); }
}
