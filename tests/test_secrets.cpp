// Secrets stay secret: every command runs with a recognisable API key (and
// uploads with a recognisable S3 secret), then every byte the runs wrote to
// stdout and stderr, the journal, the work folders, the outputs, the dry
// runs, the error messages and any core file is searched for them: zero
// occurrences. The journal and what sits beside it are private (0600 in 0700).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"
#include "hostile.hpp"

using namespace seedreel::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "sk-CANARY-api-key-6f1d0b93a7e2";
const std::string kS3Secret = "CANARY-s3-secret-2c7e91f4d8";
const std::string kWork = temp_dir("secrets");

std::string on_path(const std::string& tool) {
  Run r = run({"sh", "-c", "command -v " + tool});
  return r.status == 0 ? r.out.substr(0, r.out.find('\n')) : "";
}

// Every byte any run wrote to stdout or stderr.
std::string g_streams;

struct Home {
  std::string dir = kWork + "/home";
  std::string journal = dir + "/state/seedreel/journal.db";

  Run cli(const EmuProcess& emu, std::vector<std::string> args, const std::vector<std::string>& env = {},
          bool api = true) const {
    std::vector<std::string> argv{"env",
                                  "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "-u", "SEEDREEL_JOURNAL",
                                  "-u", "SEEDREEL_CONFIG", "-u", "SEEDREEL_UPLOAD", "-u", "AWS_PROFILE",
                                  "-u", "AWS_ACCESS_KEY_ID", "-u", "AWS_SECRET_ACCESS_KEY", "-u", "AWS_ENDPOINT_URL",
                                  "HOME=" + dir, "XDG_CONFIG_HOME=" + dir + "/config", "XDG_STATE_HOME=" + dir + "/state",
                                  "SEEDREEL_API_KEY=" + kKey, "SEEDREEL_RETRY_BASE=0.01"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(program("seedreel"));
    argv.insert(argv.end(), args.begin(), args.end());
    if (api) argv.insert(argv.end(), {"--base-url", emu.base, "--poll-interval", "0.1"});
    Run r = run(argv);
    g_streams += r.out + r.err;
    CHECK_MESSAGE(r.status < 128, r.err);
    return r;
  }
};

void make(const std::vector<std::string>& ffmpeg_args) {
  std::vector<std::string> a{"ffmpeg", "-v", "error", "-y"};
  a.insert(a.end(), ffmpeg_args.begin(), ffmpeg_args.end());
  Run r = run(a);
  REQUIRE_MESSAGE(r.status == 0, r.err);
}

int occurrences(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// s3rver behind the SigV4 check of tests/s3, with our secret.
class S3 {
 public:
  explicit S3(const std::string& dir) : endpoint_("http://127.0.0.1:" + std::to_string(port_ = free_port())) {
    fs::create_directories(dir);
    Run npm = run({"npm", "root", "-g"});
    std::string modules = npm.out.substr(0, npm.out.find('\n'));
    REQUIRE_MESSAGE(fs::exists(modules + "/s3rver"), "s3rver is missing: run tools/install-deps");
    log_ = dir + "/s3rver.log";
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      setenv("NODE_PATH", modules.c_str(), 1);
      setenv("S3RVER_SECRET", kS3Secret.c_str(), 1);
      std::string script = std::string(SEEDREEL_SOURCE_DIR) + "/tests/s3/s3rver-sigv4.js";
      execlp("node", "node", script.c_str(), (dir + "/data").c_str(), std::to_string(port_).c_str(), "media", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      HttpRequest rq("GET", endpoint_ + "/");
      rq.timeout_ms = 2000;
      if (http(rq).status > 0) return;
      REQUIRE_MESSAGE(waitpid(pid_, nullptr, WNOHANG) == 0, "s3rver exited: ", slurp(log_));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("s3rver did not start: ", slurp(log_));
  }
  ~S3() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  const std::string& endpoint() const { return endpoint_; }
  std::string log() const { return slurp(log_); }

 private:
  static int free_port() {  // the kernel's pick, released for s3rver to take
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  int port_ = 0;
  pid_t pid_ = -1;
  std::string endpoint_;
  std::string log_;
};

}  // namespace

TEST_CASE("the API key and the S3 secret appear nowhere: streams, journal, folders, outputs, dry runs, errors, cores") {
  REQUIRE_MESSAGE(!on_path("node").empty(), "nodejs is missing: run tools/install-deps");
  fs::remove_all(kWork);
  Home home;
  fs::create_directories(home.dir + "/work");
  const std::string w = home.dir + "/work";
  EmuProcess emu{{"--task-seconds", "0.3", "--api-key", kKey, "--data-dir", kWork + "/emu"}};
  S3 s3(kWork + "/s3");
  const std::vector<std::string> aws{"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=" + kS3Secret,
                                     "AWS_REGION=us-east-1"};
  const std::vector<std::string> clip{"--resolution", "480p", "--ratio", "16:9", "--duration", "4"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };

  make({"-f", "lavfi", "-i", "testsrc2=size=864x496:rate=24:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        w + "/in.mp4"});
  make({"-f", "lavfi", "-i", "testsrc2=size=864x496", "-frames:v", "1", w + "/first.png"});
  make({"-f", "lavfi", "-i", "testsrc2=size=200x200", "-frames:v", "1", w + "/small.png"});

  // Media commands: the key is in their environment all the same.
  CHECK(home.cli(emu, {"probe", w + "/in.mp4", "--json"}, {}, false).status == 0);
  CHECK(home.cli(emu, {"check", w + "/first.png", "--as", "first_frame"}, {}, false).status == 0);
  CHECK(home.cli(emu, {"conform", w + "/small.png", "-o", w + "/conformed"}, {}, false).status == 0);
  CHECK(home.cli(emu, {"last-frame", w + "/in.mp4", "-o", w + "/last.png"}, {}, false).status == 0);
  CHECK(home.cli(emu, {"thumb", w + "/in.mp4", "-o", w + "/thumb.jpg"}, {}, false).status == 0);
  CHECK(home.cli(emu, {"sheet", w + "/in.mp4", "-o", w + "/sheet.png"}, {}, false).status == 0);
  CHECK(home.cli(emu, {"stitch", w + "/in.mp4", w + "/in.mp4", "-o", w + "/twice.mp4"}, {}, false).status == 0);

  // Dry runs print the body and the headers they would send.
  Run dry = home.cli(emu, with({"generate", "--prompt", "a lighthouse", "--first-frame", w + "/first.png", "--dry-run",
                                "-o", w + "/dry.mp4"}, clip));
  CHECK_MESSAGE(dry.status == 0, dry.err);
  CHECK(home.cli(emu, with({"generate", "--prompt", "@video1 walks on", "--ref-video", w + "/in.mp4", "--upload",
                            "s3://media/refs", "--s3-endpoint", s3.endpoint(), "--dry-run", "-o", w + "/dry.mp4"},
                           clip), aws)
            .status == 0);

  // The API commands, for real.
  Run gen = home.cli(emu, with({"generate", "--prompt", "a lighthouse", "--json", "-o", w + "/gen.mp4"}, clip));
  REQUIRE_MESSAGE(gen.status == 0, gen.err);
  std::string id = json::parse(gen.out)["task"]["id"];
  CHECK(home.cli(emu, {"status", id}).status == 0);
  CHECK(home.cli(emu, {"status", id, "--json"}).status == 0);
  CHECK(home.cli(emu, {"download", id, "-o", w + "/again.mp4"}).status == 0);
  Run queued = home.cli(emu, with({"generate", "--prompt", "a gull", "--no-wait", "-o", w + "/gull.mp4"}, clip));
  REQUIRE(queued.status == 0);
  home.cli(emu, {"cancel", queued.out.substr(0, queued.out.find('\n'))});
  CHECK(home.cli(emu, {"asset", "group", "canaries"}).status == 0);
  home.cli(emu, {"asset", "create", "--group", "group-1", "--type", "Image", "--url", "https://example.com/a.png"});
  home.cli(emu, {"list", "--provider", "ark-cn"});
  CHECK(home.cli(emu, with({"generate", "--prompt", "@video1 walks on", "--ref-video", w + "/in.mp4", "--upload",
                            "s3://media/refs", "--s3-endpoint", s3.endpoint(), "-o", w + "/ref.mp4"}, clip), aws)
            .status == 0);
  spit(w + "/prompts.txt", "a lighthouse at dawn\nthe fog lifts\n");
  CHECK(home.cli(emu, with({"chain", "--first-frame", w + "/first.png", "--prompt-file", w + "/prompts.txt", "-o",
                            w + "/chain.mp4"}, clip)).status == 0);
  CHECK(home.cli(emu, with({"extend", w + "/in.mp4", "--prompt", "@video1 keeps going", "--tail", "2", "--upload",
                            "s3://media/tails", "--s3-endpoint", s3.endpoint(), "-o", w + "/extended.mp4"}, clip), aws)
            .status == 0);
  spit(w + "/jobs.jsonl", json{{"prompt", "one"}, {"output", "b1.mp4"}, {"duration", 4}, {"resolution", "480p"}}.dump() +
                              "\n" + json{{"prompt", "two"}, {"output", "b2.mp4"}, {"duration", 4}, {"resolution", "480p"}}.dump() + "\n");
  CHECK(home.cli(emu, {"batch", w + "/jobs.jsonl", "--dry-run"}).status == 0);
  CHECK(home.cli(emu, {"batch", w + "/jobs.jsonl", "--json"}).status == 0);
  CHECK(home.cli(emu, with({"generate", "--prompt", "a slow one", "--timeout", "0.05", "-o", w + "/slow.mp4"}, clip))
            .status != 0);
  CHECK(home.cli(emu, {"resume"}).status == 0);
  CHECK(home.cli(emu, {"report", home.journal, "-o", w + "/report.html"}, {}, false).status == 0);

  // Error messages: a refused key, a wrong S3 secret, a server that is not there.
  Run refused = home.cli(emu, {"status", id}, {"SEEDREEL_API_KEY=" + kKey + "-wrong"});
  CHECK(refused.status == 4);
  make({"-f", "lavfi", "-i", "testsrc2=size=864x496:rate=24:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        w + "/other.mp4"});
  CHECK(home.cli(emu, with({"generate", "--prompt", "@video1 again", "--ref-video", w + "/other.mp4", "--upload",
                            "s3://media/refs", "--s3-endpoint", s3.endpoint(), "-o", w + "/bad.mp4"}, clip),
                 {"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=" + kS3Secret + "-wrong"})
            .status != 0);
  CHECK(home.cli(emu, {"status", id, "--base-url", "http://127.0.0.1:9", "--retries", "0"}, {}, false).status == 4);

  // The runs did use the secrets: the emulator saw the key, the store checked signatures.
  CHECK_FALSE(emu.requests("POST", "/v1/video/generations").empty());
  CHECK(contains(s3.log(), "PUT"));

  // A crash while waiting (its poll held by the emulator): no core file.
  // (In a sanitizer build, ASan's own SEGV handler would turn the signal
  // into an exit status: handle_segv=0 lets the signal kill the process.)
  emu.fault({{"method", "GET"}, {"path_prefix", "/v1/video/generations/"}, {"kind", "hang"}, {"count", 5}});
  {
    std::vector<std::string> argv{"bash", "-c",
                                  "ulimit -c unlimited; cd \"$1\" && exec env "
                                  "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0\" SEEDREEL_API_KEY=" + kKey + " HOME=\"$2\" "
                                  "XDG_STATE_HOME=\"$2/state\" \"$3\" generate --prompt crash --base-url \"$4\" "
                                  "--poll-interval 0.1 --resolution 480p --duration 4 -o crash.mp4",
                                  "bash", w, home.dir, program("seedreel"), emu.base};
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      execvp(a[0], a.data());
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    std::string limits = slurp("/proc/" + std::to_string(pid) + "/limits");
    auto line = limits.find("Max core file size");
    REQUIRE(line != std::string::npos);
    std::istringstream fields(limits.substr(line + 18, limits.find('\n', line) - line - 18));
    std::string soft;
    fields >> soft;
    CHECK_MESSAGE(soft == "0", limits);
    kill(pid, SIGSEGV);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    if (WIFSIGNALED(status)) CHECK_FALSE(WCOREDUMP(status));
  }
  emu.reset();

  // Every byte: streams, then every file under the home (journal, upload cache,
  // work folders, outputs, report), the emulator's data and the store's objects.
  CHECK(occurrences(g_streams, kKey) == 0);
  CHECK(occurrences(g_streams, kS3Secret) == 0);
  int files = 0;
  for (const std::string& root : {home.dir, kWork + "/emu", kWork + "/s3"}) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      ++files;
      std::string name = e.path().filename().string();
      CHECK_FALSE(name.starts_with("core"));
      std::string bytes = slurp(e.path().string());
      CHECK_MESSAGE(occurrences(bytes, kKey) == 0, e.path().string());
      CHECK_MESSAGE(occurrences(bytes, kS3Secret) == 0, e.path().string());
    }
  }
  CHECK(files > 20);

  // Private: the journal and everything seedreel keeps beside it.
  struct stat st {};
  REQUIRE(::stat(fs::path(home.journal).parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  for (const auto& e : fs::directory_iterator(fs::path(home.journal).parent_path())) {
    if (!e.is_regular_file()) continue;
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    CHECK_MESSAGE((st.st_mode & 077) == 0, e.path().string());
  }
}
