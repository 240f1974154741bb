// Every limit a user can set (docs/limits.md) is hit by a real run: a flag,
// its environment variable and the config file's key each move it, in that
// order of precedence, and past it the run stops cleanly. Servers are real,
// on loopback; nothing is mocked.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hostile.hpp"
#include "util/unique_fd.hpp"

using namespace seedreel::test;
using json = nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kKey = "limits-key-0b7e5d21c9";
const std::string kWork = temp_dir("limits");
const std::string kPoll = "/contents/generations/tasks/cgt-1";

std::string ark_done(const std::string& url) {
  return json{{"id", "cgt-1"}, {"status", "succeeded"}, {"content", {{"video_url", url}}}}.dump();
}

// A folder of its own per case: HOME, config, journal and outputs.
Cli cli_in(const std::string& tag, const std::string& config_limits = "") {
  std::string home = kWork + "/" + tag;
  fs::remove_all(home);
  fs::create_directories(home + "/config/seedreel");
  if (!config_limits.empty()) spit(home + "/config/seedreel/config.json", R"({"limits": )" + config_limits + "}");
  return Cli{home, kKey};
}

std::vector<std::string> ark(const std::string& base, std::vector<std::string> args) {
  args.insert(args.end(), {"--provider", "ark-cn", "--base-url", base, "--poll-interval", "0.05"});
  return args;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

TEST_CASE("the largest download: flag, environment and config file, refused before a byte is written") {
  Hostile s;
  s.http.Get("/files/5000.mp4", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(5000, 'x'), "video/mp4");
  });
  s.http.Get(kPoll, [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(ark_done(s.base() + "/files/5000.mp4"), "application/json");
  });
  s.start();

  struct Case {
    std::string tag, config;
    std::vector<std::string> env, flags;
    std::uint64_t cap;
  };
  const std::vector<Case> cases{
      {"dl-flag", "", {}, {"--max-download", "1000"}, 1000},
      {"dl-env", "", {"SEEDREEL_MAX_DOWNLOAD=2000"}, {}, 2000},
      {"dl-config", R"({"max_download": "1k"})", {}, {}, 1024},
      {"dl-env-over-config", R"({"max_download": 1500})", {"SEEDREEL_MAX_DOWNLOAD=2500"}, {}, 2500},
      {"dl-flag-over-env", R"({"max_download": 1500})", {"SEEDREEL_MAX_DOWNLOAD=2500"}, {"--max-download", "3000"}, 3000},
  };
  for (const auto& c : cases) {
    CAPTURE(c.tag);
    Cli cli = cli_in(c.tag, c.config);
    std::vector<std::string> args{"download", "cgt-1", "-o", cli.home + "/out.mp4"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    Run r = cli(ark(s.base(), args), c.env);
    CHECK(r.status == 4);
    CHECK_MESSAGE(contains(r.err, fmt::format("the download is 5000 bytes, over the {}-byte cap", c.cap)), r.err);
    CHECK_FALSE(fs::exists(cli.home + "/out.mp4"));
    CHECK(temporaries(cli.home).empty());
  }
  // The default (4 GiB) lets it through to the video check, which refuses 'x's for what they are.
  Cli cli = cli_in("dl-default");
  Run r = cli(ark(s.base(), {"download", "cgt-1", "-o", cli.home + "/out.mp4"}));
  CHECK(r.status == 4);
  CHECK(contains(r.err, "not a video"));
  CHECK_FALSE(contains(r.err, "cap"));
}

TEST_CASE("the largest answer body: an answer over the cap is refused; under it, read") {
  Hostile s;
  // A poll answer of about 10 kB: a real shape, padded by a long field.
  s.http.Get(kPoll, [&](const httplib::Request&, httplib::Response& res) {
    json j{{"id", "cgt-1"}, {"status", "running"}, {"note", std::string(10000, 'n')}};
    res.set_content(j.dump(), "application/json");
  });
  s.start();
  for (auto [tag, config, env, flags] : std::vector<std::tuple<std::string, std::string, std::vector<std::string>, std::vector<std::string>>>{
           {"ans-flag", "", {}, {"--max-answer", "4k"}},
           {"ans-env", "", {"SEEDREEL_MAX_ANSWER=4096"}, {}},
           {"ans-config", R"({"max_answer": 4096})", {}, {}},
       }) {
    CAPTURE(tag);
    Cli cli = cli_in(tag, config);
    std::vector<std::string> args{"status", "cgt-1", "--retries", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    Run r = cli(ark(s.base(), args), env);
    CHECK(r.status == 4);
    CHECK_MESSAGE(contains(r.err, "response larger than 4096 bytes"), r.err);
  }
  Cli cli = cli_in("ans-default");
  Run r = cli(ark(s.base(), {"status", "cgt-1", "--json"}));
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(json::parse(r.out)["status"] == "running");
  // A flag over the config file's value wins.
  cli = cli_in("ans-flag-over-config", R"({"max_answer": 4096})");
  r = cli(ark(s.base(), {"status", "cgt-1", "--max-answer", "64k"}));
  CHECK_MESSAGE(r.status == 0, r.err);
}

TEST_CASE("redirects: a chain one longer than the limit is refused, one as long is followed") {
  Hostile s;
  // The poll answer sits three redirects away.
  s.http.Get(kPoll, [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/hop/1"); });
  s.http.Get(R"(/hop/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    int n = std::stoi(req.matches[1]);
    if (n < 3)
      res.set_redirect("/hop/" + std::to_string(n + 1));
    else
      res.set_content(json{{"id", "cgt-1"}, {"status", "queued"}}.dump(), "application/json");
  });
  s.start();
  struct Case {
    std::string tag, config;
    std::vector<std::string> env, flags;
    bool ok;
  };
  for (const auto& c : std::vector<Case>{
           {"redir-flag-2", "", {}, {"--max-redirects", "2"}, false},
           {"redir-flag-3", "", {}, {"--max-redirects", "3"}, true},
           {"redir-env-2", "", {"SEEDREEL_MAX_REDIRECTS=2"}, {}, false},
           {"redir-config-2", R"({"max_redirects": 2})", {}, {}, false},
           {"redir-config-0", R"({"max_redirects": 0})", {}, {}, false},
           {"redir-default", "", {}, {}, true},  // 5
       }) {
    CAPTURE(c.tag);
    Cli cli = cli_in(c.tag, c.config);
    std::vector<std::string> args{"status", "cgt-1", "--retries", "0"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    Run r = cli(ark(s.base(), args), c.env);
    if (c.ok) {
      CHECK_MESSAGE(r.status == 0, r.err);
    } else {
      CHECK(r.status == 4);
      CHECK_MESSAGE(contains(r.err, "redirect"), r.err);
    }
  }
}

TEST_CASE("the connect timeout: a loopback socket that never completes a handshake") {
  // A listener whose backlog is full: the kernel drops further SYNs, so a
  // connect waits, as it would for a host that does not answer.
  seedreel::UniqueFd listener(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(listener.get() >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener.get(), 0) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::vector<seedreel::UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    seedreel::UniqueFd f(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    ::connect(f.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(std::move(f));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string base = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  for (auto [tag, config, env, flags] : std::vector<std::tuple<std::string, std::string, std::vector<std::string>, std::vector<std::string>>>{
           {"conn-flag", "", {}, {"--connect-timeout", "0.5"}},
           {"conn-env", "", {"SEEDREEL_CONNECT_TIMEOUT=0.5"}, {}},
           {"conn-config", R"({"connect_timeout": 0.5})", {}, {}},
       }) {
    CAPTURE(tag);
    Cli cli = cli_in(tag, config);
    std::vector<std::string> args{"status", "cgt-1", "--retries", "0", "--request-timeout", "30"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto t0 = Clock::now();
    Run r = cli(ark(base, args), env);
    double took = seconds_since(t0);
    CHECK(r.status == 4);
    CHECK_MESSAGE(contains(r.err, "onnect"), r.err);  // curl: "Connection timed out after 500 milliseconds"
    CHECK_MESSAGE(took < 8, took);                   // the default would wait 10 s
  }
}

TEST_CASE("the request timeout: a server that never sends its headers") {
  Hostile s;
  std::atomic<bool> stop{false};
  s.http.Get(kPoll, [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 100 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    res.set_content("{}", "application/json");
  });
  s.start();
  for (auto [tag, config, env, flags] : std::vector<std::tuple<std::string, std::string, std::vector<std::string>, std::vector<std::string>>>{
           {"req-flag", "", {}, {"--request-timeout", "0.5"}},
           {"req-env", "", {"SEEDREEL_REQUEST_TIMEOUT=0.5"}, {}},
           {"req-config", R"({"request_timeout": "0.5"})", {}, {}},
       }) {
    CAPTURE(tag);
    Cli cli = cli_in(tag, config);
    std::vector<std::string> args{"status", "cgt-1", "--retries", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto t0 = Clock::now();
    Run r = cli(ark(s.base(), args), env);
    double took = seconds_since(t0);
    CHECK(r.status == 4);
    CHECK_MESSAGE(contains(r.err, "timed out"), r.err);
    CHECK_MESSAGE(took < 4, took);  // the server holds for 5 s
  }
  stop = true;
}

TEST_CASE("the overall timeout: a task that never finishes stops the wait, and stays journaled") {
  Hostile s;
  s.http.Post("/contents/generations/tasks", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id":"cgt-1"})", "application/json");
  });
  s.http.Get(kPoll, [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id":"cgt-1","status":"queued"})", "application/json");
  });
  s.start();
  for (auto [tag, config, env] : std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>{
           {"total-env", "", {"SEEDREEL_TIMEOUT=1"}},
           {"total-config", R"({"timeout": 1})", {}},
       }) {
    CAPTURE(tag);
    Cli cli = cli_in(tag, config);
    auto t0 = Clock::now();
    Run r = cli(ark(s.base(), {"generate", "--prompt", "a lighthouse", "-o", cli.home + "/out.mp4"}), env);
    double took = seconds_since(t0);
    CHECK_MESSAGE(r.status == 4, r.err);
    CHECK_MESSAGE(took < 10, took);
    CHECK_FALSE(fs::exists(cli.home + "/out.mp4"));
    auto states = journal_states(cli.journal);
    REQUIRE(states.size() == 1);
    CHECK(states[0] == "queued");  // paid for: the next run adopts it
  }
}

TEST_CASE("concurrency: batch never has more creates in flight than its limit") {
  Hostile s;
  std::atomic<int> in_flight{0}, peak{0};
  s.http.Post("/contents/generations/tasks", [&](const httplib::Request&, httplib::Response& res) {
    int now = ++in_flight;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    --in_flight;
    // Refused: the job fails at once, nothing is paid, nothing polled.
    res.status = 400;
    res.set_content(R"({"error":{"code":"InvalidParameter","message":"refused by the test"}})", "application/json");
  });
  s.start();
  for (auto [tag, config, env, flags, want] :
       std::vector<std::tuple<std::string, std::string, std::vector<std::string>, std::vector<std::string>, int>>{
           {"conc-flag", "", {}, {"--concurrency", "3"}, 3},
           {"conc-env", "", {"SEEDREEL_CONCURRENCY=2"}, {}, 2},
           {"conc-config", R"({"concurrency": 1})", {}, {}, 1},
           {"conc-default", "", {}, {}, 4},
       }) {
    CAPTURE(tag);
    Cli cli = cli_in(tag, config);
    std::string jobs;
    for (int i = 0; i < 6; ++i) jobs += json{{"prompt", fmt::format("job {}", i)}, {"output", fmt::format("out{}.mp4", i)}}.dump() + "\n";
    spit(cli.home + "/jobs.jsonl", jobs);
    peak = 0;
    std::vector<std::string> args{"batch", cli.home + "/jobs.jsonl", "--retries", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    Run r = cli(ark(s.base(), args), env);
    CHECK_MESSAGE(r.status != 0, r.err);  // every job was refused
    CHECK(peak.load() == want);
  }
}

TEST_CASE("--jobs reads its environment variable and config key; bad limits are usage errors naming their source") {
  Cli cli = cli_in("jobs-env");
  std::string clip = kWork + "/clip.mp4";
  Run made = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24:duration=1", clip});
  REQUIRE(made.status == 0);
  Run r = cli({"last-frame", clip, "-o", cli.home + "/last.png"}, {"SEEDREEL_JOBS=0"});
  CHECK(r.status == 2);
  CHECK_MESSAGE(contains(r.err, "--jobs"), r.err);
  r = cli({"last-frame", clip, "-o", cli.home + "/last.png", "--jobs", "1"}, {"SEEDREEL_JOBS=0"});
  CHECK_MESSAGE(r.status == 0, r.err);  // the flag wins over a bad environment value

  cli = cli_in("jobs-config", R"({"jobs": 0})");
  r = cli({"last-frame", clip, "-o", cli.home + "/last.png"});
  CHECK(r.status == 2);
  CHECK_MESSAGE(contains(r.err, "limit \"jobs\""), r.err);
  CHECK(contains(r.err, "config.json"));

  cli = cli_in("unknown-key", R"({"max_dowload": 1000})");
  r = cli({"status", "cgt-1", "--base-url", "http://127.0.0.1:9"});
  CHECK(r.status == 2);
  CHECK_MESSAGE(contains(r.err, "unknown limit \"max_dowload\""), r.err);

  cli = cli_in("malformed");
  spit(cli.home + "/config/seedreel/config.json", "{\"limits\": ");
  r = cli({"status", "cgt-1", "--base-url", "http://127.0.0.1:9"});
  CHECK(r.status == 2);
  CHECK(contains(r.err, "not a JSON object"));

  cli = cli_in("bad-env");
  r = cli({"status", "cgt-1", "--base-url", "http://127.0.0.1:9"}, {"SEEDREEL_MAX_DOWNLOAD=lots"});
  CHECK(r.status == 2);

  // SEEDREEL_CONFIG names another file.
  cli = cli_in("named-config");
  spit(cli.home + "/other.json", R"({"limits": {"connect_timeout": -1}})");
  r = cli({"status", "cgt-1", "--base-url", "http://127.0.0.1:9"}, {"SEEDREEL_CONFIG=" + cli.home + "/other.json"});
  CHECK(r.status == 2);
  CHECK(contains(r.err, "other.json"));
}
