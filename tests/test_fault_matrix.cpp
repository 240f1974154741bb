// The fault matrix (docs/faults.md): each fault, by the emulator or by a
// hostile proxy on loopback in front of it, against each command that meets
// it. Every cell checks the exit status, that the journal holds no entry left
// `submitting` (and `unknown` where a create may have reached the server),
// that no temporary or partial file is left, and that the output exists
// exactly when the command succeeded. One CTest entry per command.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"
#include "hostile.hpp"

using namespace seedreel::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "fault-matrix-key-5a93c0e17d";
const std::string kWork = temp_dir("fault-matrix");

enum class Fault {
  r429_after, r429, r500, r502, r503, r504, hang, trickle, reset, short_body, long_body, html, malformed,
  unknown_status, moderation, expired, redirect_loop, redirect_scheme, not_video, endless, oversize,
};

struct FaultName {
  Fault fault;
  const char* name;
  bool on_file;  // the command's download is faulted, not its API request
};
const std::vector<FaultName> kFaults{
    {Fault::r429_after, "429 with Retry-After", false}, {Fault::r429, "429 without Retry-After", false},
    {Fault::r500, "500", false}, {Fault::r502, "502", false}, {Fault::r503, "503", false}, {Fault::r504, "504", false},
    {Fault::hang, "hang before headers", false}, {Fault::trickle, "slow-loris trickle", true},
    {Fault::reset, "reset mid-body", true}, {Fault::short_body, "body shorter than Content-Length", true},
    {Fault::long_body, "body longer than Content-Length", true}, {Fault::html, "HTML error page from a proxy", false},
    {Fault::malformed, "malformed JSON", false}, {Fault::unknown_status, "unknown status word", false},
    {Fault::moderation, "moderation failure", false}, {Fault::expired, "expired download URL", true},
    {Fault::redirect_loop, "redirect loop", false}, {Fault::redirect_scheme, "redirect to another scheme", false},
    {Fault::not_video, "video URL whose body is not a video", true}, {Fault::endless, "endless body", true},
    {Fault::oversize, "answer larger than the cap", false},
};

// Caps small enough that the endless and oversize cells end quickly.
const std::string kMaxAnswer = "64k";
const std::string kMaxDownload = "8m";

// A proxy in front of the emulator: forwards every request (the emulator's
// URLs in answers rewritten to point here) unless a queued fault matches it.
class FaultProxy {
 public:
  explicit FaultProxy(const EmuProcess& emu) : emu_(emu) {
    auto port_at = emu.base.rfind(':');
    emu_port_ = std::stoi(emu.base.substr(port_at + 1));
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    server_.http.Get(".*", handler);
    server_.http.Post(".*", handler);
    server_.http.Delete(".*", handler);
    server_.http.Put(".*", handler);
    server_.start();
  }
  ~FaultProxy() { stop_ = true; }

  std::string base() const { return server_.base(); }
  void add(const std::string& method, const std::string& prefix, Fault fault) {
    std::lock_guard lock(mutex_);
    rule_ = Rule{method, prefix, fault};
  }
  void clear() {
    std::lock_guard lock(mutex_);
    rule_.reset();
    taken_ = 0;
  }
  int taken() const { return taken_; }

 private:
  struct Rule {
    std::string method, prefix;
    Fault fault;
  };

  std::optional<Fault> take(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    if (!rule_ || rule_->method != req.method || !req.path.starts_with(rule_->prefix)) return std::nullopt;
    Fault f = rule_->fault;
    rule_.reset();  // once: a retry or a fresh URL gets through
    ++taken_;
    return f;
  }

  httplib::Result forward(const httplib::Request& req) {
    httplib::Client up("127.0.0.1", emu_port_);
    up.set_read_timeout(30, 0);
    httplib::Headers h;
    for (const char* name : {"Authorization", "Range", "Accept"})
      if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
    std::string path = req.target;
    std::string type = req.get_header_value("Content-Type");
    if (req.method == "GET") return up.Get(path, h);
    if (req.method == "DELETE") return up.Delete(path, h);
    if (req.method == "PUT") return up.Put(path, h, req.body, type);
    return up.Post(path, h, req.body, type.empty() ? "application/json" : type);
  }

  void relay(const httplib::Result& r, httplib::Response& res) {
    res.status = r->status;
    std::string body = r->body;
    std::string type = r->get_header_value("Content-Type");
    if (type.find("json") != std::string::npos) {
      for (auto at = body.find(emu_.base); at != std::string::npos; at = body.find(emu_.base, at))
        body.replace(at, emu_.base.size(), base());
    }
    for (const char* name : {"Content-Range", "Retry-After", "Accept-Ranges"})
      if (r->has_header(name)) res.set_header(name, r->get_header_value(name));
    res.set_content(body, type.empty() ? "application/octet-stream" : type);
  }

  void error_json(httplib::Response& res, int status, const char* code) {
    res.status = status;
    res.set_content(json{{"error", {{"code", code}, {"message", "injected by the test"}}}}.dump(), "application/json");
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    auto fault = take(req);
    if (!fault) {
      auto r = forward(req);
      if (!r) {
        res.status = 599;
        return;
      }
      relay(r, res);
      return;
    }
    switch (*fault) {
      case Fault::r429_after:
        res.set_header("Retry-After", "1");
        return error_json(res, 429, "RateLimitExceeded");
      case Fault::r429: return error_json(res, 429, "RateLimitExceeded");
      case Fault::r500: return error_json(res, 500, "InternalServiceError");
      case Fault::r502: return error_json(res, 502, "BadGateway");
      case Fault::r503: return error_json(res, 503, "ServiceUnavailable");
      case Fault::r504: return error_json(res, 504, "GatewayTimeout");
      case Fault::html:
        res.status = 502;
        res.set_content("<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
                        "text/html");
        return;
      case Fault::hang:  // longer than the command's --request-timeout
        for (int i = 0; i < 100 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return error_json(res, 504, "GatewayTimeout");
      case Fault::malformed: res.set_content(R"({"id": "cgt-2026, "status": )", "application/json"); return;
      case Fault::redirect_loop: res.set_redirect(req.path); return;
      case Fault::redirect_scheme: res.set_redirect("ftp://127.0.0.1/video.mp4"); return;
      case Fault::oversize: {
        json big{{"id", "cgt-x"}, {"status", "running"}, {"note", std::string(200 * 1024, 'n')}};
        res.set_content(big.dump(), "application/json");
        return;
      }
      case Fault::not_video: res.set_content(std::string(4000, '\x5a'), "video/mp4"); return;
      case Fault::endless:
        res.set_chunked_content_provider("video/mp4", [this](std::size_t, httplib::DataSink& sink) {
          static const std::string chunk(65536, 'e');
          return !stop_ && sink.write(chunk.data(), chunk.size());
        });
        return;
      case Fault::trickle:
      case Fault::reset:
      case Fault::short_body:
      case Fault::long_body: {
        auto r = forward(req);
        if (!r) return;
        relay(r, res);
        auto body = std::make_shared<std::string>(res.body);
        res.body.clear();
        const Fault f = *fault;
        const std::size_t length = body->size();
        res.set_content_provider(length, res.get_header_value("Content-Type"),
                                 [this, body, f, length](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                   if (f == Fault::short_body || f == Fault::reset) {
                                     // Half (a third), then the connection closes under the reader.
                                     sink.write(body->data(), f == Fault::reset ? length / 3 : length / 2);
                                     return false;
                                   }
                                   if (f == Fault::long_body) {  // all of it and 100 bytes more
                                     std::string more = *body + std::string(100, 'L');
                                     sink.write(more.data(), more.size());
                                     return true;
                                   }
                                   // A byte every 100 ms: alive, never finishing in time.
                                   if (stop_ || offset >= length) return false;
                                   std::this_thread::sleep_for(std::chrono::milliseconds(100));
                                   return sink.write(body->data() + offset, 1);
                                 });
        return;
      }
      default: {  // the emulator's own faults are queued there, not here
        auto r = forward(req);
        if (r) relay(r, res);
        return;
      }
    }
  }

  const EmuProcess& emu_;
  int emu_port_ = 0;
  Hostile server_;
  std::mutex mutex_;
  std::optional<Rule> rule_;
  std::atomic<int> taken_{0};
  std::atomic<bool> stop_{false};
};

const std::string kCreate = "/contents/generations/tasks";
const std::vector<std::string> kClip{"--resolution", "480p", "--ratio", "16:9", "--duration", "4"};

struct Expect {
  int status;
  bool output;              // the final output exists afterwards
  const char* state = "";   // the journal's newest entry is in this state ("" : any but submitting)
};

// One command against one fault.
struct Cell {
  EmuProcess& emu;
  FaultProxy& proxy;
  std::string dir;
  Cli cli;

  Cell(EmuProcess& e, FaultProxy& p, const std::string& command, const std::string& fault)
      : emu(e), proxy(p), dir(kWork + "/" + command + "/" + fault), cli{dir, kKey} {
    fs::remove_all(dir);
    fs::create_directories(dir + "/config");
    cli.journal = dir + "/journal.db";
  }

  std::vector<std::string> api(std::vector<std::string> args) const {
    args.insert(args.end(), {"--provider", "ark-cn", "--base-url", proxy.base(), "--poll-interval", "0.1",
                             "--request-timeout", "1.5", "--retries", "2", "--max-answer", kMaxAnswer, "--max-download",
                             kMaxDownload});
    return args;
  }

  // A task created and finished without faults; its id.
  std::string finished_task() {
    Run r = cli(api({"generate", "--prompt", "a lighthouse", "--no-wait", "-o", dir + "/first.mp4"}));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    std::string id = r.out.substr(0, r.out.find('\n'));
    for (int i = 0; i < 100; ++i) {
      Run s = cli(api({"status", id, "--json"}));
      if (s.status == 0 && json::parse(s.out)["status"] == "succeeded") return id;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("the task did not finish");
    return id;
  }

  void check(const Run& r, const std::string& output, const Expect& want) const {
    CHECK_MESSAGE(r.status == want.status, "stderr: ", r.err);
    CHECK_FALSE(contains(r.out + r.err, kKey));
    if (!output.empty()) CHECK_MESSAGE(fs::exists(output) == want.output, output);
    auto left = temporaries(dir);
    CHECK_MESSAGE(left.empty(), (left.empty() ? std::string() : left.front()));
    auto states = journal_states(cli.journal);
    for (const auto& s : states) CHECK(s != "submitting");
    if (*want.state) {
      REQUIRE_FALSE(states.empty());
      CHECK(states.back() == want.state);
    }
  }

  // Queues `fault` on the emulator (its own kinds) or on the proxy.
  void inject(Fault fault, const std::string& method, const std::string& prefix) {
    switch (fault) {
      case Fault::moderation: emu.fault({{"method", "POST"}, {"path_prefix", kCreate}, {"kind", "moderation"}}); return;
      case Fault::unknown_status: emu.fault({{"method", "GET"}, {"path_prefix", kCreate + "/"}, {"kind", "unknown_status"}}); return;
      case Fault::expired: emu.fault({{"kind", "expire"}}); return;
      default: proxy.add(method, prefix, fault);
    }
  }
};

struct CommandCase {
  std::string name;
  // The request an API fault hits; file faults hit GET /files/.
  std::string method, prefix;
  bool downloads;
  // The run and its output ("" when none); nullptr for the commands on an existing task (run_matrix).
  std::function<std::pair<Run, std::string>(Cell&, Fault)> run;
  std::map<Fault, Expect> expect;
};

// What a create fault does, for every command that creates: a create that may
// have reached the server (502/504 gateways, a hang, a lost or unreadable
// answer, a redirect) is journaled unknown and never repeated: exit 4.
std::map<Fault, Expect> create_faults(int unknown_status_exit = 4) {
  return {
      {Fault::r429_after, {0, true}}, {Fault::r429, {0, true}}, {Fault::r500, {0, true}}, {Fault::r503, {0, true}},
      {Fault::r502, {4, false, "unknown"}}, {Fault::r504, {4, false, "unknown"}}, {Fault::html, {4, false, "unknown"}},
      {Fault::hang, {4, false, "unknown"}}, {Fault::malformed, {4, false, "unknown"}},
      // A redirect elsewhere is an answer: the server did not take the create, which is sent again.
      {Fault::redirect_loop, {4, false, "unknown"}}, {Fault::redirect_scheme, {0, true}},
      {Fault::oversize, {4, false, "unknown"}},
      {Fault::moderation, {5, false, "failed"}}, {Fault::unknown_status, {unknown_status_exit, false}},
      // The download's faults: resumed or re-fetched, or refused cleanly.
      {Fault::trickle, {0, true}}, {Fault::reset, {0, true}}, {Fault::short_body, {0, true}},
      {Fault::long_body, {0, true}}, {Fault::expired, {0, true}}, {Fault::not_video, {0, true}},
      {Fault::endless, {4, false}},
  };
}

void run_matrix(const std::string& command) {
  EmuProcess emu{{"--task-seconds", "0.4", "--api-key", kKey, "--data-dir", kWork + "/emu-" + command, "--hang-seconds", "3"}};
  FaultProxy proxy(emu);

  auto generate = [](Cell& c, Fault) {
    std::string out = c.dir + "/out.mp4";
    auto args = c.api({"generate", "--prompt", "a lighthouse", "-o", out});
    args.insert(args.end(), kClip.begin(), kClip.end());
    return std::pair{c.cli(args), out};
  };
  std::vector<CommandCase> cases;
  cases.push_back({"generate", "POST", kCreate, true, generate, create_faults()});

  // status: one poll of a finished task.
  std::map<Fault, Expect> poll_faults{
      {Fault::r429_after, {0, false}}, {Fault::r429, {0, false}}, {Fault::r500, {0, false}}, {Fault::r502, {0, false}},
      {Fault::r503, {0, false}}, {Fault::r504, {0, false}}, {Fault::html, {0, false}}, {Fault::hang, {0, false}},
      {Fault::malformed, {0, false}}, {Fault::redirect_loop, {0, false}}, {Fault::redirect_scheme, {0, false}},
      {Fault::oversize, {0, false}}, {Fault::unknown_status, {4, false}},
  };
  cases.push_back({"status", "GET", kCreate + "/", false, nullptr, poll_faults});

  // download: the poll for the URL, then the file.
  std::map<Fault, Expect> download_faults = poll_faults;
  for (auto& [f, e] : download_faults) e.output = e.status == 0;
  for (auto f : {Fault::trickle, Fault::reset, Fault::short_body, Fault::long_body, Fault::expired, Fault::not_video})
    download_faults[f] = {0, true};
  download_faults[Fault::endless] = {4, false};
  cases.push_back({"download", "GET", kCreate + "/", true, nullptr,
                   download_faults});

  // cancel: DELETE of a finished task (the emulator deletes its record: 200).
  std::map<Fault, Expect> cancel_faults{
      {Fault::r429_after, {0, false}}, {Fault::r429, {0, false}}, {Fault::r500, {0, false}}, {Fault::r503, {0, false}},
      {Fault::r502, {0, false}}, {Fault::r504, {0, false}}, {Fault::html, {0, false}}, {Fault::hang, {0, false}},
      {Fault::malformed, {0, false}}, {Fault::redirect_loop, {0, false}}, {Fault::redirect_scheme, {0, false}},
      {Fault::oversize, {0, false}},
  };
  cases.push_back({"cancel", "DELETE", kCreate + "/", false, nullptr, cancel_faults});

  // resume: a generate whose wait timed out, continued: its polls and its download.
  std::map<Fault, Expect> resume_faults = download_faults;
  for (auto& [f, e] : resume_faults) e.output = e.status == 0;
  resume_faults[Fault::unknown_status] = {4, false};
  cases.push_back({"resume", "GET", kCreate + "/", true, nullptr,
                   resume_faults});

  // batch, chain and extend create through the same client: the create faults.
  cases.push_back({"batch", "POST", kCreate, true,
                   [](Cell& c, Fault) {
                     spit(c.dir + "/jobs.jsonl", json{{"prompt", "a lighthouse"}, {"output", "out.mp4"}, {"resolution", "480p"},
                                                      {"ratio", "16:9"}, {"duration", 4}}.dump() + "\n");
                     return std::pair{c.cli(c.api({"batch", c.dir + "/jobs.jsonl"})), c.dir + "/out.mp4"};
                   },
                   create_faults()});
  cases.push_back({"chain", "POST", kCreate, true,
                   [](Cell& c, Fault) {
                     std::string img = c.dir + "/first.png";
                     Run made = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=864x496", "-frames:v", "1", img});
                     REQUIRE(made.status == 0);
                     spit(c.dir + "/prompts.txt", "a lighthouse at dawn\n");
                     std::string out = c.dir + "/out.mp4";
                     auto args = c.api({"chain", "--first-frame", img, "--prompt-file", c.dir + "/prompts.txt", "-o", out});
                     args.insert(args.end(), kClip.begin(), kClip.end());
                     return std::pair{c.cli(args), out};
                   },
                   create_faults()});
  // extend creates and downloads through the same client and lifecycle as generate: its column
  // runs the faults whose outcome differs in kind (retried, unknown, failed, refused, re-fetched).
  std::map<Fault, Expect> extend_faults;
  for (auto f : {Fault::r429_after, Fault::r504, Fault::malformed, Fault::moderation, Fault::unknown_status,
                 Fault::short_body, Fault::not_video, Fault::endless})
    extend_faults[f] = create_faults().at(f);
  cases.push_back({"extend", "POST", kCreate, true,
                   [&emu](Cell& c, Fault) {
                     std::string in = c.dir + "/in.mp4";
                     Run made = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=864x496:rate=24:duration=3",
                                     "-c:v", "libx264", "-pix_fmt", "yuv420p", in});
                     REQUIRE(made.status == 0);
                     std::string out = c.dir + "/out.mp4";
                     auto args = c.api({"extend", in, "--prompt", "@video1 goes on", "--tail", "2", "--upload-url",
                                        emu.base + "/uploads/", "-o", out});
                     args.insert(args.end(), kClip.begin(), kClip.end());
                     return std::pair{c.cli(args), out};
                   },
                   extend_faults});

  for (auto& cc : cases) {
    if (cc.name != command) continue;
    for (const auto& f : kFaults) {
      auto want = cc.expect.find(f.fault);
      if (want == cc.expect.end()) continue;  // not a fault this command meets (docs/faults.md)
      if (f.on_file && !cc.downloads) continue;
      const std::string fault_name = f.name;
      CAPTURE(fault_name);
      emu.reset();
      proxy.clear();
      Cell cell(emu, proxy, cc.name, std::to_string(int(f.fault)));
      // Set-up (a finished task, a generate whose wait timed out) runs before the fault is queued.
      std::pair<Run, std::string> result;
      if (cc.name == "status" || cc.name == "download" || cc.name == "cancel") {
        std::string id = cell.finished_task();
        cell.inject(f.fault, f.on_file ? "GET" : cc.method, f.on_file ? "/files/" : cc.prefix);
        std::string out = cc.name == "download" ? cell.dir + "/out.mp4" : "";
        std::vector<std::string> args{cc.name, id};
        if (!out.empty()) args.insert(args.end(), {"-o", out});
        result = {cell.cli(cell.api(args)), out};
      } else if (cc.name == "resume") {
        std::string out = cell.dir + "/out.mp4";
        auto args = cell.api({"generate", "--prompt", "a lighthouse", "--timeout", "0.05", "-o", out});
        args.insert(args.end(), kClip.begin(), kClip.end());
        Run first = cell.cli(args);
        REQUIRE_MESSAGE(first.status == 4, first.err);
        cell.inject(f.fault, f.on_file ? "GET" : cc.method, f.on_file ? "/files/" : cc.prefix);
        result = {cell.cli(cell.api({"resume"})), out};
      } else {
        cell.inject(f.fault, f.on_file ? "GET" : cc.method, f.on_file ? "/files/" : cc.prefix);
        result = cc.run(cell, f.fault);
      }
      cell.check(result.first, result.second, want->second);
      if (f.fault != Fault::moderation && f.fault != Fault::unknown_status && f.fault != Fault::expired)
        CHECK_MESSAGE(proxy.taken() > 0, "the fault was never met");
    }
  }
}

}  // namespace

TEST_CASE("fault matrix: generate") { run_matrix("generate"); }
TEST_CASE("fault matrix: status") { run_matrix("status"); }
TEST_CASE("fault matrix: download") { run_matrix("download"); }
TEST_CASE("fault matrix: cancel") { run_matrix("cancel"); }
TEST_CASE("fault matrix: resume") { run_matrix("resume"); }
TEST_CASE("fault matrix: batch") { run_matrix("batch"); }
TEST_CASE("fault matrix: chain") { run_matrix("chain"); }
TEST_CASE("fault matrix: extend") { run_matrix("extend"); }
