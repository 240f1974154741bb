// A full disk during conform, download, stitch, last-frame, sheet and a
// journal write: each run fails cleanly (a stated exit status, one line
// naming the file), leaves no partial or temporary file, keeps an earlier
// output and the journal as they were, and a rerun with space finishes.
// The disk is a tmpfs of a few MiB mounted by the test when it may (root);
// elsewhere the file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes
// every write past it fail with EFBIG instead.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"
#include "hostile.hpp"

using namespace seedreel::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "disk-full-key-3e8a61f02b";
const std::string kWork = temp_dir("disk-full");
// What a failing write leaves room for: less than any output of these commands.
constexpr std::size_t kRoom = 8 * 1024;

// A small disk at `path`: a tmpfs when mounting is allowed, else a folder
// whose writes the child's RLIMIT_FSIZE cuts short.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& path) : path_(path) {
    fs::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0700") == 0;
    MESSAGE(std::string(mounted_ ? "disk full by a 16 MiB tmpfs" : "disk full by RLIMIT_FSIZE (mount refused)"));
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  const std::string& path() const { return path_; }

  // Fills the disk but for kRoom bytes (tmpfs), or arms the file-size limit.
  void fill() {
    full_ = true;
    if (!mounted_) return;
    std::string filler = path_ + "/filler";
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    static const std::string block(1 << 16, 'f');
    std::uint64_t size = 0;
    for (;;) {
      ssize_t n = ::write(fd, block.data(), block.size());
      if (n <= 0) break;
      size += std::uint64_t(n);
    }
    // Every page is taken: give back just enough for small writes (a journal page, a header).
    REQUIRE(::ftruncate(fd, off_t(size > kRoom ? size - kRoom : 0)) == 0);
    ::close(fd);
  }
  void free_space() {
    full_ = false;
    if (mounted_) fs::remove(path_ + "/filler");
  }

  // argv wrapped so that, without a mount, the child's files cannot grow past kRoom.
  std::vector<std::string> wrap(std::vector<std::string> argv) const {
    if (mounted_ || !full_) return argv;
    std::vector<std::string> a{"bash", "-c", fmt::format("trap '' XFSZ; ulimit -f {}; exec \"$@\"", kRoom / 1024), "bash"};
    a.insert(a.end(), argv.begin(), argv.end());
    return a;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  bool full_ = false;
};

struct Env {
  std::string home;
  SmallDisk disk;
  std::string journal;
  explicit Env(const std::string& tag, bool journal_on_disk = false)
      : home(kWork + "/" + tag), disk(kWork + "/" + tag + "/disk"),
        journal(journal_on_disk ? disk.path() + "/journal.db" : home + "/journal.db") {}

  Run cli(const std::vector<std::string>& args, const std::string& base = "") const {
    std::vector<std::string> argv{"env", "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "-u", "SEEDREEL_CONFIG",
                                  "HOME=" + home, "XDG_CONFIG_HOME=" + home + "/config", "SEEDREEL_API_KEY=" + kKey,
                                  "SEEDREEL_JOURNAL=" + journal, "SEEDREEL_RETRY_BASE=0.01", program("seedreel")};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!base.empty()) argv.insert(argv.end(), {"--provider", "ark-cn", "--base-url", base, "--poll-interval", "0.1", "--retries", "1"});
    Run r = run(disk.wrap(argv));
    CHECK_MESSAGE(r.status < 128, "died of signal ", r.status - 128, ": ", r.err);
    return r;
  }
};

std::string clip(const std::string& name, const std::string& size = "864x496") {
  std::string out = kWork + "/" + name;
  if (fs::exists(out)) return out;
  fs::create_directories(kWork);
  Run r = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=24:duration=2", "-f",
               "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
               "-shortest", out});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return out;
}

// The checks every full-disk run shares: a clean exit with `status`, one
// message naming the output, no file at the output's name (or the earlier
// one unchanged), nothing partial left on the disk.
void failed_cleanly(const Run& r, int status, const std::string& output, const std::string& earlier_bytes) {
  CHECK_MESSAGE(r.status == status, r.err);
  CHECK_MESSAGE(contains(r.err, "seedreel: "), r.err);
  if (earlier_bytes.empty())
    CHECK_FALSE(fs::exists(output));
  else
    CHECK(slurp(output) == earlier_bytes);
  auto left = temporaries(fs::path(output).parent_path().string());
  CHECK_MESSAGE(left.empty(), (left.empty() ? std::string() : left.front()));
}

// Runs `args` (writing `output` on the small disk) with space, then again with
// --force on a full disk, then with space once more.
void full_then_rerun(Env& env, std::vector<std::string> args, const std::string& output, int status) {
  fs::create_directories(env.disk.path() + "/earlier");
  spit(env.disk.path() + "/earlier/kept.bin", std::string(4096, 'k'));
  Run r = env.cli(args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string first = slurp(output);
  REQUIRE_FALSE(first.empty());

  args.push_back("--force");
  env.disk.fill();
  r = env.cli(args);
  failed_cleanly(r, status, output, first);
  CHECK(slurp(env.disk.path() + "/earlier/kept.bin") == std::string(4096, 'k'));

  env.disk.free_space();
  r = env.cli(args);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(fs::exists(output));
  CHECK(temporaries(env.disk.path()).empty());
}

}  // namespace

TEST_CASE("disk full: last-frame") {
  Env env("last-frame");
  std::string out = env.disk.path() + "/last.png";
  full_then_rerun(env, {"last-frame", clip("a.mp4"), "-o", out}, out, 3);
}

TEST_CASE("disk full: sheet") {
  Env env("sheet");
  std::string out = env.disk.path() + "/sheet.png";
  full_then_rerun(env, {"sheet", clip("a.mp4"), "-o", out}, out, 3);
}

TEST_CASE("disk full: stitch") {
  Env env("stitch");
  std::string out = env.disk.path() + "/joined.mp4";
  full_then_rerun(env, {"stitch", clip("a.mp4"), clip("b.mp4"), "-o", out}, out, 3);
}

TEST_CASE("disk full: conform") {
  Env env("conform");
  // 200x200 is under the 300 px minimum: conform must write a scaled copy.
  std::string img = kWork + "/small.png";
  Run made = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=200x200", "-frames:v", "1", img});
  REQUIRE(made.status == 0);
  std::string dir = env.disk.path() + "/conformed";
  full_then_rerun(env, {"conform", img, "-o", dir}, dir + "/small.png", 3);
}

TEST_CASE("disk full: download") {
  EmuProcess emu{{"--task-seconds", "0.3", "--api-key", kKey, "--data-dir", kWork + "/emu-download"}};
  Env env("download");
  Run r = env.cli({"generate", "--prompt", "a lighthouse", "--resolution", "480p", "--duration", "4", "--no-wait", "-o",
                   env.home + "/first.mp4"}, emu.base);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string id = r.out.substr(0, r.out.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // finished by now

  fs::create_directories(env.disk.path() + "/earlier");
  spit(env.disk.path() + "/earlier/kept.bin", std::string(4096, 'k'));
  std::string out = env.disk.path() + "/again.mp4";
  env.disk.fill();
  r = env.cli({"download", id, "-o", out}, emu.base);
  failed_cleanly(r, 3, out, "");
  CHECK(contains(r.err, "again.mp4"));
  CHECK(contains(r.err, "cannot write the download"));
  CHECK(slurp(env.disk.path() + "/earlier/kept.bin") == std::string(4096, 'k'));

  env.disk.free_space();
  r = env.cli({"download", id, "-o", out}, emu.base);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(fs::file_size(out) > 0);
  CHECK(temporaries(env.disk.path()).empty());
}

TEST_CASE("disk full: a journal write before a create") {
  EmuProcess emu{{"--task-seconds", "0.3", "--api-key", kKey, "--data-dir", kWork + "/emu-journal"}};
  Env env("journal", true);
  auto generate = [&](const std::string& prompt, const std::string& out) {
    return env.cli({"generate", "--prompt", prompt, "--resolution", "480p", "--duration", "4", "-o", out}, emu.base);
  };
  Run r = generate("a lighthouse", env.home + "/first.mp4");
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const auto before = seedreel::Journal(env.journal).all();
  REQUIRE(before.size() == 1);

  env.disk.fill();
  const auto creates = emu.requests("POST", "/contents/generations/tasks").size();
  r = generate("a second lighthouse", env.home + "/second.mp4");
  CHECK_MESSAGE(r.status == 3, r.err);
  CHECK_MESSAGE(contains(r.err, "journal"), r.err);
  CHECK(emu.requests("POST", "/contents/generations/tasks").size() == creates);  // nothing paid for
  CHECK_FALSE(fs::exists(env.home + "/second.mp4"));
  CHECK(temporaries(env.home).empty());

  env.disk.free_space();
  {
    seedreel::Journal journal(env.journal);  // intact and readable
    auto after = journal.all();
    REQUIRE_FALSE(after.empty());
    CHECK(after[0].task_id == before[0].task_id);
    CHECK(after[0].state == before[0].state);
    for (const auto& e : after) CHECK(e.state != seedreel::TaskState::submitting);
  }
  Run check = run({"sqlite3", env.journal, "PRAGMA integrity_check;"});
  if (check.status == 0) CHECK(contains(check.out, "ok"));
  r = generate("a second lighthouse", env.home + "/second.mp4");
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(fs::exists(env.home + "/second.mp4"));
}
