// Hostile input, as a stranger's server or file would send it (issue 14):
// deep JSON, an echoed key, a key that would inject headers, downloads that
// are not the video, non-UTF-8 names and prompts under --json, endless jobs
// files, a truncated PNG, temporaries a kill left behind, and one overwrite
// rule for every command that writes a file. Servers are real, on loopback.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "http/http.hpp"
#include "seedreel/client.hpp"
#include "seedreel/error.hpp"
#include "seedreel/frames.hpp"
#include "seedreel/provider.hpp"
#include "hostile.hpp"
#include "support.hpp"

using namespace seedreel::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "hardening-key-4f0c2b9e71";
const std::string kWork = temp_dir("hardening");

const std::string kCreate = "/contents/generations/tasks";
const std::string kPoll = "/contents/generations/tasks/cgt-1";

// An Ark poll answer: succeeded with a URL (and a duration when > 0).
std::string ark_done(const std::string& url, double duration) {
  json j{{"id", "cgt-1"}, {"status", "succeeded"}, {"content", {{"video_url", url}}}};
  if (duration > 0) j["duration"] = duration;
  return j.dump();
}

struct CliRun {
  std::string journal = kWork + "/journal.db";
  std::string key = kKey;
  // Runs seedreel; `server` non-empty adds the API flags for it (Ark dialect).
  Run operator()(std::vector<std::string> args, const std::string& server = "", std::vector<std::string> env = {}) const {
    std::vector<std::string> argv{"env", "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "-u", "SEEDREEL_API_KEY_FILE",
                                  "HOME=" + kWork, "XDG_CONFIG_HOME=" + kWork + "/config", "SEEDREEL_API_KEY=" + key,
                                  "SEEDREEL_JOURNAL=" + journal, "SEEDREEL_RETRY_BASE=0.01"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(program("seedreel"));
    argv.insert(argv.end(), args.begin(), args.end());
    if (!server.empty()) argv.insert(argv.end(), {"--provider", "ark-cn", "--base-url", server, "--poll-interval", "0.05"});
    Run r = run(argv);
    CHECK_MESSAGE(r.status < 128, r.err);
    return r;
  }
};

// Every byte of the journal (and its -wal/-shm companions).
std::string journal_bytes(const std::string& journal) {
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    if (fs::exists(journal + suffix)) all += slurp(journal + suffix);
  return all;
}

// A small H.264 mp4 (moov first, so a cut copy still has its index).
std::string make_clip(const std::string& name, double seconds) {
  std::string out = kWork + "/" + name;
  if (fs::exists(out)) return out;
  Run r = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
               "testsrc2=size=160x120:rate=24:duration=" + std::to_string(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-movflags", "+faststart", out});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return out;
}

std::string make_png(const std::string& name, const std::string& size) {
  std::string out = kWork + "/" + name;
  Run r = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=" + size, "-frames:v", "1", out});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return out;
}

bool no_temporaries(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (contains(e.path().filename().string(), ".tmp-")) return false;
  return true;
}

}  // namespace

// 1. Deep JSON ------------------------------------------------------------

TEST_CASE("deep JSON answers are refused unread: poll, create and error bodies; the journal is not left submitting") {
  const std::string deep(3'000'000, '[');
  Hostile s;
  std::atomic<int> create_mode{0};  // 0: deep 200 answer, 1: deep 400 error body
  s.http.Post(kCreate, [&](const httplib::Request&, httplib::Response& res) {
    res.status = create_mode == 0 ? 200 : 400;
    res.set_content(deep, "application/json");
  });
  s.http.Get(kPoll, [&](const httplib::Request&, httplib::Response& res) { res.set_content(deep, "application/json"); });
  s.start();
  CliRun cli;
  cli.journal = kWork + "/deep.db";

  Run r = cli({"status", "cgt-1", "--retries", "0"}, s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "nested deeper than 64"));

  r = cli({"generate", "--prompt", "x", "-o", kWork + "/deep.mp4"}, s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "nested deeper than 64"));
  CHECK(contains(r.err, "may have reached the server"));
  CHECK(s.count("POST") == 1);  // a create that may have made a task is never repeated
  auto states = journal_states(cli.journal);
  REQUIRE(states.size() == 1);
  CHECK(states[0] != "submitting");
  CHECK_FALSE(fs::exists(kWork + "/deep.mp4"));

  create_mode = 1;
  r = cli({"generate", "--prompt", "y", "-o", kWork + "/deep.mp4"}, s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "HTTP 400"));

  // The library's own entry point for one answer.
  CHECK_THROWS_AS(seedreel::parse_task(seedreel::Dialect::ark, deep, "t"), seedreel::Error);
}

// 2. An echoed key ----------------------------------------------------------

TEST_CASE("a server that echoes the Authorization header gets the key redacted everywhere") {
  Hostile s;
  std::atomic<int> posts{0};
  // The first create answers 500 echoing the header (retried: a notice on
  // stderr), the second 200; the task then fails with the header in its message.
  s.http.Post(kCreate, [&](const httplib::Request& req, httplib::Response& res) {
    std::string echoed = req.get_header_value("Authorization");
    if (posts++ == 0) {
      res.status = 500;
      res.set_content(json{{"error", {{"code", "InternalServiceError"}, {"message", "upstream saw " + echoed}}}}.dump(),
                      "application/json");
      return;
    }
    res.set_content(json{{"id", "cgt-1"}}.dump(), "application/json");
  });
  s.http.Get(kPoll, [&](const httplib::Request& req, httplib::Response& res) {
    std::string echoed = req.get_header_value("Authorization");
    res.set_content(json{{"id", "cgt-1"},
                         {"status", "failed"},
                         {"error", {{"code", "Bad" + echoed}, {"message", "header was: " + echoed}}}}
                        .dump(),
                    "application/json");
  });
  s.http.Delete(kPoll, [&](const httplib::Request& req, httplib::Response& res) {
    res.status = 403;
    res.set_content("<html>denied for " + req.get_header_value("Authorization") + "</html>", "text/html");
  });
  s.start();
  CliRun cli;
  cli.journal = kWork + "/echo.db";

  Run r = cli({"generate", "--prompt", "x", "-o", kWork + "/echo.mp4"}, s.base());
  CHECK(r.status == 5);
  CHECK(posts == 2);
  CHECK(contains(r.err, "retrying"));
  CHECK(contains(r.err, "***"));
  CHECK_FALSE(contains(r.err + r.out, kKey));
  std::string db = journal_bytes(cli.journal);
  CHECK(contains(db, "***"));
  CHECK_FALSE(contains(db, kKey));

  r = cli({"status", "cgt-1", "--json"}, s.base());
  CHECK(r.status == 0);
  CHECK_FALSE(contains(r.err + r.out, kKey));
  CHECK(contains(json::parse(r.out)["error_message"].get<std::string>(), "***"));

  r = cli({"cancel", "cgt-1"}, s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "***"));
  CHECK_FALSE(contains(r.err + r.out, kKey));

  // A key too short to be hidden inside words is still hidden where it stands alone.
  CliRun tiny = cli;
  tiny.key = "k";
  r = tiny({"cancel", "cgt-1"}, s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "denied for Bearer ***"));
  CHECK_FALSE(contains(r.err, "Bearer k"));
}

// 3. A key that would inject headers ----------------------------------------

TEST_CASE("a key holding CR, LF or another control character is refused before any request") {
  Hostile s;
  s.http.Post(kCreate, [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(json{{"id", "cgt-1"}}.dump(), "application/json");
  });
  s.start();
  CliRun cli;
  cli.journal = kWork + "/inject.db";
  cli.key = "sk-inject\r\nX-Injected: yes";
  Run r = cli({"generate", "--prompt", "x", "-o", kWork + "/inject.mp4"}, s.base());
  CHECK(r.status == 2);
  CHECK(contains(r.err, "control character"));
  CHECK(contains(r.err, "SEEDREEL_API_KEY"));
  CHECK_FALSE(contains(r.err, "X-Injected"));

  // A key file with a control character inside its line.
  std::string file = kWork + "/config-key";
  spit(file, std::string("sk-file\x01part\n"));
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  cli.key = "";
  r = cli({"status", "cgt-1"}, s.base(), {"SEEDREEL_API_KEY_FILE=" + file});
  CHECK(r.status == 2);
  CHECK(contains(r.err, "control character"));
  CHECK(s.total() == 0);

  // The library refuses it too, whoever loaded it.
  seedreel::Provider p = seedreel::resolve_provider("ark-cn", s.base());
  try {
    seedreel::Client client(p, "sk\nX-Evil: 1");
    FAIL("a key with LF was taken");
  } catch (const seedreel::Error& e) {
    CHECK(e.kind() == seedreel::ErrorKind::usage);
    CHECK_FALSE(contains(e.what(), "X-Evil"));
  }
  CHECK_NOTHROW(seedreel::Client(p, "sk-plain-key"));
}

// 4. Downloads are checked ---------------------------------------------------

namespace {

// A task server whose polls hand out `urls` in turn (the last one repeats).
struct TaskServer {
  Hostile s;
  std::vector<std::string> urls;
  double duration = 0;
  std::atomic<int> polls{0};
  void start() {
    s.http.Get(kPoll, [this](const httplib::Request&, httplib::Response& res) {
      int n = polls++;
      const std::string& u = urls[std::min<std::size_t>(std::size_t(n), urls.size() - 1)];
      res.set_content(ark_done(s.base() + u, duration), "application/json");
    });
    s.start();
  }
};

void serve_chunked(httplib::Response& res, std::string bytes, const char* type) {
  auto body = std::make_shared<std::string>(std::move(bytes));
  res.set_chunked_content_provider(type, [body](std::size_t offset, httplib::DataSink& sink) {
    if (offset >= body->size()) {
      sink.done();
      return true;
    }
    std::size_t n = std::min<std::size_t>(16384, body->size() - offset);
    return sink.write(body->data() + offset, n);
  });
}

}  // namespace

TEST_CASE("an HTML page instead of the video: one re-poll, then a clear failure and no file") {
  TaskServer t;
  t.urls = {"/files/page.mp4"};
  const std::string page = "<!DOCTYPE html><html><body>Please sign in</body></html>";
  t.s.http.Get("/files/page.mp4", [&](const httplib::Request&, httplib::Response& res) { res.set_content(page, "text/html"); });
  t.start();
  std::string dir = kWork + "/html";
  fs::create_directories(dir);
  Run r = CliRun{}({"download", "cgt-1", "-o", dir + "/out.mp4"}, t.s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, fmt::format("the download is not a video (text/html, {} bytes)", page.size())));
  CHECK(contains(r.err, "fresh URL"));
  CHECK(t.s.count("GET /files/") == 2);
  CHECK(t.polls >= 2);
  CHECK_FALSE(fs::exists(dir + "/out.mp4"));
  CHECK(no_temporaries(dir));
}

TEST_CASE("a truncated mp4 sent without Content-Length is not saved") {
  const std::string whole = slurp(make_clip("whole2s.mp4", 2));
  TaskServer t;
  t.urls = {"/files/cut.mp4"};
  t.s.http.Get("/files/cut.mp4", [&](const httplib::Request&, httplib::Response& res) {
    serve_chunked(res, whole.substr(0, whole.size() * 6 / 10), "video/mp4");
  });
  t.start();
  std::string dir = kWork + "/cut";
  fs::create_directories(dir);
  Run r = CliRun{}({"download", "cgt-1", "-o", dir + "/out.mp4"}, t.s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "the download is not a video (video/mp4"));
  CHECK(contains(r.err, "truncated"));
  CHECK_FALSE(fs::exists(dir + "/out.mp4"));
  CHECK(no_temporaries(dir));
}

TEST_CASE("a video whose duration is not the task's is refused; a fresh URL with the right one is taken") {
  const std::string two = slurp(make_clip("whole2s.mp4", 2));
  TaskServer t;
  t.urls = {"/files/other.mp4"};
  t.duration = 10;  // the task says 10 s; the file holds 2 s
  t.s.http.Get("/files/other.mp4", [&](const httplib::Request&, httplib::Response& res) { res.set_content(two, "video/mp4"); });
  t.start();
  std::string dir = kWork + "/duration";
  fs::create_directories(dir);
  Run r = CliRun{}({"download", "cgt-1", "-o", dir + "/out.mp4"}, t.s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "s of video but the task made 10.00 s"));
  CHECK_FALSE(fs::exists(dir + "/out.mp4"));

  // First URL: a page; the fresh one: the right video, chunked (no Content-Length).
  TaskServer good;
  good.urls = {"/files/page.mp4", "/files/good.mp4"};
  good.duration = 2;
  good.s.http.Get("/files/page.mp4", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html>try later</html>", "text/html");
  });
  good.s.http.Get("/files/good.mp4", [&](const httplib::Request&, httplib::Response& res) { serve_chunked(res, two, "video/mp4"); });
  good.start();
  r = CliRun{}({"download", "cgt-1", "-o", dir + "/good.mp4"}, good.s.base());
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(contains(r.err, "not a video"));  // the notice of the re-poll
  CHECK(slurp(dir + "/good.mp4") == two);
  CHECK(no_temporaries(dir));
}

TEST_CASE("a Content-Length over the download cap is refused before a byte is written") {
  Hostile s;
  s.http.Get("/files/huge.mp4", [&](const httplib::Request&, httplib::Response& res) {
    // Announces 5 GiB (over the 4 GiB cap) and would stream zeros.
    res.set_content_provider(5ull << 30, "video/mp4", [](std::size_t, std::size_t length, httplib::DataSink& sink) {
      static const std::string zeros(65536, '\0');
      return sink.write(zeros.data(), std::min(length, zeros.size()));
    });
  });
  s.http.Get("/files/5000.bin", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(5000, 'x'), "application/octet-stream");
  });
  s.http.Get(kPoll, [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(ark_done(s.base() + "/files/huge.mp4", 0), "application/json");
  });
  s.start();

  // The HTTP layer with a small cap: nothing reaches the file.
  std::string part = kWork + "/capped.part";
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(part.c_str(), "wb"), std::fclose);
    REQUIRE(f);
    seedreel::http::Limits small;
    small.max_download = 1000;
    seedreel::http::DownloadProgress progress;
    try {
      seedreel::http::download(s.base() + "/files/5000.bin", f.get(), progress, small);
      FAIL("a 5000-byte body passed a 1000-byte cap");
    } catch (const seedreel::http::TooLarge& e) {
      CHECK(e.announced() == 5000);
      CHECK(e.cap() == 1000);
    }
    CHECK(progress.have == 0);
  }
  CHECK(fs::file_size(part) == 0);

  std::string dir = kWork + "/huge";
  fs::create_directories(dir);
  Run r = CliRun{}({"download", "cgt-1", "-o", dir + "/out.mp4"}, s.base());
  CHECK(r.status == 4);
  CHECK(contains(r.err, "the download is 5368709120 bytes, over the"));
  CHECK(contains(r.err, "refused"));
  CHECK(s.count("GET /files/huge.mp4") == 1);  // not retried as if the connection had dropped
  CHECK_FALSE(fs::exists(dir + "/out.mp4"));
  CHECK(no_temporaries(dir));
}

// 5. Non-UTF-8 names and prompts ---------------------------------------------

TEST_CASE("--json survives a file name that is not UTF-8; a non-UTF-8 prompt is refused before sending") {
  std::string dir = kWork + "/latin1";
  fs::create_directories(dir);
  std::string png = make_png("plain.png", "640x480");
  std::string odd = dir + "/caf\xe9\xff.png";
  fs::copy_file(png, odd, fs::copy_options::overwrite_existing);

  for (std::vector<std::string> args : {std::vector<std::string>{"probe", "--json", odd},
                                        std::vector<std::string>{"check", "--json", odd},
                                        std::vector<std::string>{"conform", "--json", "-o", dir + "/ready", "--max-side", "320", odd}}) {
    CAPTURE(args[0]);
    Run r = CliRun{}(args);
    CHECK_MESSAGE((r.status == 0 || r.status == 1), r.err);
    CHECK_FALSE(contains(r.err, "type_error"));
    json j = json::parse(r.out);  // one whole, valid document
    CHECK(contains(r.out, "caf\xef\xbf\xbd"));  // the bad bytes became U+FFFD
    if (args[0] == "probe") CHECK(j[0]["width"] == 640);
  }
  CHECK(fs::exists(dir + "/ready"));

  Hostile s;
  s.start();
  Run r = CliRun{}({"generate", "--prompt", "a caf\xe9 at night", "--dry-run", "-o", dir + "/never.mp4"}, s.base());
  CHECK(r.status == 1);
  CHECK(contains(r.err + r.out, "UTF-8"));
  CHECK_FALSE(contains(r.err, "type_error"));
  r = CliRun{}({"generate", "--prompt", "a caf\xe9 at night", "-o", dir + "/never.mp4"}, s.base());
  CHECK(r.status == 1);
  CHECK(s.total() == 0);
}

// 6. Jobs files --------------------------------------------------------------

TEST_CASE("a jobs file must be a regular file under the size cap; a deep line is a problem, not a crash") {
  Run r = CliRun{}({"batch", "/dev/zero", "--dry-run"});
  CHECK(r.status == 3);
  CHECK(contains(r.err, "not a regular file"));

  std::string big = kWork + "/big.jsonl";
  { std::ofstream(big) << ""; }
  fs::resize_file(big, (64ull << 20) + 1);  // sparse: nothing is written to disk
  r = CliRun{}({"batch", big, "--dry-run"});
  CHECK(r.status == 3);
  CHECK(contains(r.err, "over the 67108864-byte cap"));
  fs::remove(big);

  std::string deep = kWork + "/deep.jsonl";
  spit(deep, std::string(200'000, '[') + "\n");
  r = CliRun{}({"batch", deep, "--dry-run"});
  CHECK(r.status == 1);
  CHECK(contains(r.err, "nested deeper than 64 levels"));
}

// 7. A truncated PNG ---------------------------------------------------------

TEST_CASE("conform of a truncated PNG names the input as unreadable, not the temporary output") {
  std::string dir = kWork + "/cutpng";
  fs::create_directories(dir);
  std::string whole = slurp(make_png("noise.png", "800x600"));
  std::string cut = dir + "/cut.png";
  spit(cut, whole.substr(0, whole.size() / 2));
  Run r = CliRun{}({"conform", "-o", dir + "/ready", cut});
  CHECK(r.status == 3);
  CHECK(contains(r.err, cut + ": "));
  CHECK(contains(r.err, "unreadable"));
  CHECK_FALSE(contains(r.err, ".tmp-"));
  CHECK_FALSE(contains(r.err, "write"));
  CHECK(no_temporaries(dir + "/ready"));
}

// 8. Temporaries a kill left behind -----------------------------------------

TEST_CASE("stale temporaries of a dead process are swept; a live one's and fresh ones stay") {
  std::string dir = kWork + "/sweep";
  fs::create_directories(dir);
  pid_t dead = fork();
  REQUIRE(dead >= 0);
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  REQUIRE(kill(dead, 0) == -1);

  auto plant = [&](const std::string& name, bool old) {
    std::string p = dir + "/" + name;
    spit(p, "partial");
    if (old) fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::minutes(5));
    return p;
  };
  const std::string d = std::to_string(dead), me = std::to_string(getpid());
  std::string stale = plant(".clip.tmp-" + d + "-0.png", true);
  std::string stale_noext = plant(".clip.tmp-" + d + "-7", true);
  std::string live = plant(".clip.tmp-" + me + "-0.png", true);
  std::string young = plant(".clip.tmp-" + d + "-1.png", false);
  std::string foreign = plant("notes.tmp-" + d + "-0.png", true);  // not hidden: not our naming

  Run r = CliRun{}({"thumb", make_clip("whole2s.mp4", 2), "-o", dir + "/thumb.png"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK_FALSE(fs::exists(stale));
  CHECK_FALSE(fs::exists(stale_noext));
  CHECK(fs::exists(live));
  CHECK(fs::exists(young));
  CHECK(fs::exists(foreign));
  CHECK(fs::exists(dir + "/thumb.png"));
}

// 9. One overwrite rule ------------------------------------------------------

TEST_CASE("last-frame, thumb, sheet and stitch refuse an existing output unless --force, as conform does") {
  std::string dir = kWork + "/overwrite";
  fs::create_directories(dir);
  const std::string clip = make_clip("whole2s.mp4", 2);
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string out;
  };
  std::vector<Case> cases = {
      {"last-frame", {"last-frame", clip, "-o", dir + "/last.png"}, dir + "/last.png"},
      {"thumb", {"thumb", clip, "--at", "50%", "-o", dir + "/thumb.jpg"}, dir + "/thumb.jpg"},
      {"sheet", {"sheet", clip, "--cols", "2", "--rows", "1", "-o", dir + "/sheet.png"}, dir + "/sheet.png"},
      {"stitch", {"stitch", clip, clip, "-o", dir + "/joined.mp4"}, dir + "/joined.mp4"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    spit(c.out, "precious");
    Run r = CliRun{}(c.args);
    CHECK(r.status == 3);
    CHECK(contains(r.err, c.out + ": already exists (use --force to overwrite)"));
    CHECK(slurp(c.out) == "precious");
    CHECK(no_temporaries(dir));
    auto forced = c.args;
    forced.push_back("--force");
    r = CliRun{}(forced);
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(slurp(c.out) != "precious");
  }

  // The library says so without naming a flag.
  seedreel::LastFrameOptions o;
  o.save.overwrite = false;
  try {
    seedreel::last_frame(clip, dir + "/last.png", o);
    FAIL("an existing output was replaced");
  } catch (const seedreel::Error& e) {
    CHECK(e.kind() == seedreel::ErrorKind::io);
    CHECK(e.reason() == seedreel::output_exists_reason);
  }
}

TEST_CASE("the key appears in no file this suite wrote") {
  for (const auto& e : fs::recursive_directory_iterator(kWork)) {
    if (!e.is_regular_file() || e.path().filename() == "config-key") continue;
    CHECK_MESSAGE(!contains(slurp(e.path().string()), kKey), e.path().string());
  }
}
