// chain and extend against the real emulator on loopback, with real media:
// what the emulator was asked (first_frame / reference_video), what came out
// (durations, continuity at the seams, clean decode), that a rerun after an
// interrupted run pays for nothing twice, --sheet (a contact sheet of the
// result with every seam marked), and bad input.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "workflow-test-key-81c3e7";

struct Env : CliSession {
  explicit Env(const std::string& task_seconds = "1") : CliSession(kKey, "workflow", {"--task-seconds", task_seconds}) {}
  std::vector<json> requests(const std::string& method, const std::string& prefix) const {
    return emu.requests(method, prefix);
  }
  std::size_t creates() const { return requests("POST", "/v1/video/generations").size(); }
};

void make(const std::vector<std::string>& ffmpeg_args) {
  std::vector<std::string> a{"ffmpeg", "-v", "error", "-y"};
  a.insert(a.end(), ffmpeg_args.begin(), ffmpeg_args.end());
  Run r = run(a);
  REQUIRE_MESSAGE(r.status == 0, r.err);
}

double duration_of(const std::string& file) {
  return std::stod(ffprobe(file, {"-select_streams", "v:0", "-show_entries", "stream=duration", "-of", "csv=p=0"}));
}

// PSNR (dB) of a video's first frame against an image, by the ffmpeg CLI.
double first_frame_psnr(const std::string& video, const std::string& image) {
  Run r = run({"ffmpeg", "-v", "info", "-nostats", "-i", video, "-i", image, "-filter_complex",
               "[0:v]select=eq(n\\,0),format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr", "-frames:v", "1", "-f", "null",
               "-"});
  std::smatch m;
  static const std::regex avg(R"(average:([0-9.]+|inf))");
  REQUIRE_MESSAGE(std::regex_search(r.err, m, avg), r.err);
  return m[1] == "inf" ? 100.0 : std::stod(m[1]);
}

// Nothing on stderr when the whole file is decoded: no broken seams.
void decodes_cleanly(const std::string& file) {
  Run r = run({"ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"});
  CHECK(r.status == 0);
  CHECK_MESSAGE(r.err.empty(), r.err);
}

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

std::string prompt_file(const Env& env) {
  std::string p = env.work + "/prompts.txt";
  std::ofstream(p) << "# a storyboard\n"
                      "a lighthouse at dawn\n\n"
                      "  the fog lifts over the sea  \n"
                      "gulls circle the lamp\n";
  return p;
}

std::string first_image(const Env& env) {
  std::string img = env.work + "/first.png";
  make({"-f", "lavfi", "-i", "testsrc2=size=864x480", "-frames:v", "1", img});
  return img;
}

const std::vector<std::string> kClipFlags{"--resolution", "480p", "--ratio", "16:9", "--duration", "4"};

std::vector<std::string> chain_args(const Env& env, const std::string& out) {
  std::vector<std::string> a{"chain", "--json", "--first-frame", first_image(env), "--prompt-file", prompt_file(env),
                             "-o", out};
  a.insert(a.end(), kClipFlags.begin(), kClipFlags.end());
  return a;
}

}  // namespace

TEST_CASE("chain: three prompts, each clip from the previous clip's exact last frame, joined without duplicates") {
  Env env;
  std::string out = env.work + "/story.mp4";
  Run r = env.cli(chain_args(env, out));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = json::parse(r.out);
  REQUIRE(j["clips"].size() == 3);
  CHECK(j["clips"][1]["prompt"] == "the fog lifts over the sea");
  for (const auto& c : j["clips"]) {
    CHECK(c["origin"] == "generated");
    CHECK(c["task_id"].get<std::string>().starts_with("asyn"));
  }

  // Three creates, each with one first_frame image sent inline, each a different picture.
  auto creates = env.requests("POST", "/v1/video/generations");
  REQUIRE(creates.size() == 3);
  std::vector<std::string> frames;
  for (const auto& c : creates) {
    const auto& content = c["body"]["content"];
    REQUIRE(content.size() == 2);
    CHECK(content[0]["type"] == "text");
    CHECK(content[1]["role"] == "first_frame");
    frames.push_back(content[1]["image_url"]["url"].get<std::string>());
    CHECK(frames.back().starts_with("data:image/png;base64,"));
  }
  CHECK(frames[0] != frames[1]);
  CHECK(frames[1] != frames[2]);

  // Clip 2 starts on clip 1's last frame (the emulator starts from the given first frame):
  // ~32 dB after x264 ultrafast on a busy test pattern, where unrelated frames measure 12-15 dB.
  std::string parts = out + ".parts";
  CHECK(first_frame_psnr(parts + "/clip-002.mp4", parts + "/frame-001.png") > 30);
  CHECK(first_frame_psnr(parts + "/clip-003.mp4", parts + "/frame-002.png") > 30);

  // 3 × 4 s minus the two duplicated seam frames.
  REQUIRE(j["seams"].size() == 2);
  int dropped = 0;
  for (const auto& s : j["seams"]) dropped += s["dropped_duplicate"].get<bool>();
  CHECK(dropped == 2);
  CHECK(duration_of(out) == doctest::Approx(12.0 - dropped / 24.0).epsilon(0.005));
  decodes_cleanly(out);

  // A second run pays for nothing: every clip is reused.
  r = env.cli(chain_args(env, out));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const json again = json::parse(r.out);
  for (const auto& c : again["clips"]) CHECK(c["origin"] == "reused");
  CHECK(env.creates() == 3);
}

TEST_CASE("chain --sheet: a contact sheet of the joined video, with the join's seams marked") {
  Env env;
  std::string out = env.work + "/story.mp4", sheet = env.work + "/story-sheet.png";
  auto args = chain_args(env, out);
  args.insert(args.end(), {"--sheet", sheet});
  Run r = env.cli(args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = json::parse(r.out);
  REQUIRE(j.contains("sheet"));
  CHECK(j["sheet"]["path"] == sheet);
  // A PNG, whole, of the size reported.
  std::ifstream png(sheet, std::ios::binary);
  std::string signature(8, '\0');
  png.read(signature.data(), 8);
  CHECK(signature == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(run({"vipsheader", "-f", "width", sheet}).out == std::to_string(j["sheet"]["width"].get<int>()) + "\n");
  CHECK(run({"vips", "avg", sheet}).status == 0);  // every row decodes
  // Its seams are where the join put them: one per seam, at the seam's time.
  REQUIRE(j["seams"].size() == 2);
  REQUIRE(j["sheet"]["seams"].size() == 2);
  for (std::size_t k = 0; k < 2; ++k)
    CHECK(j["sheet"]["seams"][k].get<double>() == doctest::Approx(j["seams"][k]["time"].get<double>()).epsilon(0.001));
}

TEST_CASE("chain: a run interrupted while a task is pending resumes it, and creates nothing twice") {
  Env env("3");
  std::string out = env.work + "/story.mp4";
  auto args = env.argv(chain_args(env, out));
  std::string log = env.work + "/first-run.err";
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> a;
    for (auto& s : args) a.push_back(s.data());
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  // Ctrl-C once clip 2's task exists.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (env.creates() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(env.creates() == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(!fs::exists(out));

  Run r = env.cli(chain_args(env, out));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto clips = json::parse(r.out)["clips"];
  REQUIRE(clips.size() == 3);
  CHECK(clips[0]["origin"] == "reused");
  CHECK(clips[1]["origin"] == "resumed");
  CHECK(clips[2]["origin"] == "generated");
  CHECK(env.creates() == 3);
  decodes_cleanly(out);
}

TEST_CASE("extend: the tail goes back as reference_video, twice, and the output grows") {
  Env env;
  std::string in = env.work + "/walk.mp4";
  make({"-f", "lavfi", "-i", "testsrc2=size=864x480:rate=24:duration=5", "-f", "lavfi", "-i",
        "sine=frequency=220:duration=5", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", in});
  std::string out = env.work + "/walk-longer.mp4";
  std::string sheet = env.work + "/walk-longer.jpg";
  std::vector<std::string> args{"extend", in, "--json", "--prompt", "@video1 keeps walking", "--times", "2", "--tail",
                                "3", "--upload-url", env.emu.base + "/uploads/", "-o", out, "--sheet", sheet};
  args.insert(args.end(), kClipFlags.begin(), kClipFlags.end());
  Run r = env.cli(args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = json::parse(r.out);
  REQUIRE(j["clips"].size() == 2);

  auto creates = env.requests("POST", "/v1/video/generations");
  REQUIRE(creates.size() == 2);
  std::vector<std::string> urls;
  for (const auto& c : creates) {
    const auto& content = c["body"]["content"];
    REQUIRE(content.size() == 2);
    CHECK(content[0]["text"] == "@video1 keeps walking");
    CHECK(content[1]["role"] == "reference_video");
    urls.push_back(content[1]["video_url"]["url"]);
    CHECK(urls.back().starts_with(env.emu.base + "/uploads/"));
  }
  CHECK(urls[0] != urls[1]);
  CHECK(env.requests("PUT", "/uploads/").size() == 2);
  // What was published is a 3 s tail the API accepts.
  auto tail = http({"GET", urls[1]});
  REQUIRE(tail.status == 200);
  std::string local = env.work + "/tail.mp4";
  std::ofstream(local, std::ios::binary) << tail.body;
  CHECK(duration_of(local) == doctest::Approx(3.0).epsilon(0.02));

  CHECK(duration_of(out) == doctest::Approx(5.0 + 4 + 4).epsilon(0.01));
  decodes_cleanly(out);
  // Each join keeps the chapters of the one before: the sheet marks both seams, at 5 s and 9 s.
  REQUIRE(j["sheet"]["seams"].size() == 2);
  CHECK(j["sheet"]["seams"][0].get<double>() == doctest::Approx(5.0).epsilon(0.01));
  CHECK(j["sheet"]["seams"][1].get<double>() == doctest::Approx(9.0).epsilon(0.01));
  CHECK(fs::file_size(sheet) > 1000);

  r = env.cli(args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(env.creates() == 2);
  CHECK(duration_of(out) == doctest::Approx(13.0).epsilon(0.01));
}

TEST_CASE("extend: against a server on this machine, tails go to its /uploads/ without --upload-url") {
  Env env;
  std::string in = env.work + "/short.mp4";
  make({"-f", "lavfi", "-i", "testsrc2=size=864x480:rate=24:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p", in});
  std::string out = env.work + "/short-longer.mp4";
  std::vector<std::string> args{"extend", in, "--prompt", "@video1 goes on", "--tail", "2", "-o", out};
  args.insert(args.end(), kClipFlags.begin(), kClipFlags.end());
  Run r = env.cli(args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(env.requests("PUT", "/uploads/").size() == 1);
  CHECK(duration_of(out) > 6);
}

TEST_CASE("workflows: bad input gets its exit status, one line, and no output") {
  Env env;
  std::string out = env.work + "/never.mp4";
  auto refused = [&](const std::vector<std::string>& args, int status) {
    Run r = env.cli(args);
    CHECK_MESSAGE(r.status == status, r.err);
    CHECK_MESSAGE(lines(r.err) == 1, r.err);
    CHECK(r.out.empty());
    CHECK(!fs::exists(out));
  };
  std::string prompts = prompt_file(env);
  std::string empty = env.work + "/empty.txt";
  std::ofstream(empty) << "\n# nothing here\n   \n";
  std::string img = first_image(env);
  std::string wav = env.work + "/voice.wav";
  make({"-f", "lavfi", "-i", "sine=duration=3", wav});
  std::string up = env.emu.base + "/uploads/";

  refused({"chain", "--first-frame", env.work + "/missing.png", "--prompt-file", prompts, "-o", out}, 3);
  refused({"chain", "--first-frame", img, "--prompt-file", empty, "-o", out}, 1);
  refused({"chain", "--first-frame", img, "--prompt-file", env.work + "/missing.txt", "-o", out}, 3);
  // A sheet name we cannot write is refused before anything is paid for.
  refused({"chain", "--first-frame", img, "--prompt-file", prompts, "--sheet", env.work + "/sheet.gif", "-o", out}, 2);
  refused({"extend", wav, "--prompt", "more", "--upload-url", up, "-o", out}, 3);
  refused({"extend", env.work + "/missing.mp4", "--prompt", "more", "--upload-url", up, "-o", out}, 3);
  refused({"extend", wav, "--prompt", "more", "--tail", "20", "--upload-url", up, "-o", out}, 2);
  refused({"extend", wav, "--prompt", "more", "--tail", "1", "--upload-url", up, "-o", out}, 2);
  // Nowhere to publish the tail: a provider's own host never gets the video unasked.
  {
    Run r = env.cli({"extend", wav, "--prompt", "more", "--base-url", "https://api.example.invalid", "-o", out}, false);
    CHECK(r.status == 2);
    CHECK(r.err.find("--upload-url") != std::string::npos);
    CHECK(!fs::exists(out));
  }
  CHECK(env.creates() == 0);
}
