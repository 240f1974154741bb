#pragma once
// Test harness for the emulator: runs build/bin/seedance-emu as a real process
// on a free loopback port and talks HTTP to it with libcurl.
#include <curl/curl.h>
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

namespace seedreel::test {

struct HttpResponse {
  long status = 0;  // 0: no HTTP answer
  CURLcode curl = CURLE_OK;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

struct HttpRequest {
  HttpRequest(std::string m, std::string u, std::string b = {}, std::vector<std::string> h = {})
      : method(std::move(m)), url(std::move(u)), body(std::move(b)), headers(std::move(h)) {}
  std::string method;
  std::string url;
  std::string body;
  std::vector<std::string> headers;
  std::string range;  // "100-199"
  long timeout_ms = 60000;
};

inline HttpResponse http(const HttpRequest& rq) {
  HttpResponse r;
  CURL* c = curl_easy_init();
  if (!c) throw std::runtime_error("curl_easy_init");
  curl_slist* hs = nullptr;
  for (const auto& h : rq.headers) hs = curl_slist_append(hs, h.c_str());
  if (!rq.body.empty() || rq.method == "POST") {
    hs = curl_slist_append(hs, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(rq.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq.method.c_str());
  curl_easy_setopt(c, CURLOPT_URL, rq.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq.timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!rq.range.empty()) curl_easy_setopt(c, CURLOPT_RANGE, rq.range.c_str());
  auto on_body = +[](char* p, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, s * n);
    return s * n;
  };
  auto on_header = +[](char* p, size_t s, size_t n, void* out) {
    std::string line(p, s * n);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
      (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
    }
    return s * n;
  };
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  r.curl = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  return r;
}

// The emulator as a child process; stopped with SIGTERM on destruction.
class EmuProcess {
 public:
  explicit EmuProcess(std::vector<std::string> args = {}) {
    std::vector<std::string> argv{program("seedance-emu"), "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    int out[2], err[2];
    if (pipe(out) || pipe(err)) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      close(out[0]);
      close(out[1]);
      close(err[0]);
      close(err[1]);
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      execv(a[0], a.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    // The one line the contract promises, within 20 s.
    pollfd p{out_, POLLIN, 0};
    while (first_line_.find('\n') == std::string::npos) {
      if (poll(&p, 1, 20000) <= 0) throw std::runtime_error("emulator did not start");
      char buf[256];
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("emulator exited: " + drain(err_));
      first_line_.append(buf, std::size_t(n));
    }
    auto at = first_line_.find("http://");
    base = first_line_.substr(at, first_line_.find('\n') - at);
  }
  // A clean stop is part of every test: a crash, a sanitizer report or a leak
  // in the emulator shows as a non-zero exit status.
  ~EmuProcess() {
    if (pid_ <= 0) return;
    int status = stop();
    CHECK_MESSAGE(status == 0, "seedance-emu exited with ", status, ": ", stderr_all);
  }
  EmuProcess(const EmuProcess&) = delete;
  EmuProcess& operator=(const EmuProcess&) = delete;

  // Sends `sig`, waits, returns the exit status (128+signal if killed); stdout/stderr collected.
  int stop(int sig = SIGTERM) {
    kill(pid_, sig);
    stdout_rest = drain(out_);
    stderr_all = drain(err_);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  HttpResponse get(const std::string& path, std::vector<std::string> headers = {}) const {
    return http({"GET", base + path, "", std::move(headers)});
  }
  HttpResponse post(const std::string& path, const nlohmann::json& body, std::vector<std::string> headers = {}) const {
    return http({"POST", base + path, body.dump(), std::move(headers)});
  }
  HttpResponse del(const std::string& path) const { return http({"DELETE", base + path}); }
  // Control calls: an answer other than 200 stops the test.
  void fault(const nlohmann::json& f) const { control(post("/_emu/fault", f), "fault"); }
  void reset() const { control(post("/_emu/reset", nlohmann::json::object()), "reset"); }
  nlohmann::json requests() const { return control(get("/_emu/requests"), "requests").json(); }
  // The logged API requests with this method whose path starts with the prefix.
  std::vector<nlohmann::json> requests(const std::string& method, const std::string& prefix) const {
    std::vector<nlohmann::json> out;
    for (const auto& r : requests())
      if (r.value("method", "") == method && r.value("path", "").rfind(prefix, 0) == 0) out.push_back(r);
    return out;
  }

  std::string base;  // http://127.0.0.1:PORT
  std::string first_line_;
  std::string stdout_rest, stderr_all;

 private:
  static HttpResponse control(HttpResponse r, const std::string& what) {
    if (r.status != 200) throw std::runtime_error(what + " refused: " + std::to_string(r.status) + " " + r.body);
    return r;
  }
  static std::string drain(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, std::size_t(n));
    close(fd);
    return s;
  }
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
};

// `seedreel` run against an emulator that wants `key`: a throwaway home and
// journal, no provider settings from the caller's environment, fast retries
// and polls. Every run checks that the key shows in neither output stream.
struct CliSession {
  CliSession(std::string api_key, const std::string& tag, std::vector<std::string> emu_args = {"--task-seconds", "1"})
      : emu(with_key(std::move(emu_args), api_key)), key(std::move(api_key)), work(temp_dir(tag)) {}

  std::vector<std::string> argv(const std::vector<std::string>& args, bool with_base_url = true) const {
    std::vector<std::string> a{"env", "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "-u", "SEEDREEL_UPLOAD_URL",
                               "HOME=" + work, "XDG_CONFIG_HOME=" + work + "/config", "SEEDREEL_API_KEY=" + key,
                               "SEEDREEL_JOURNAL=" + work + "/journal.db", "SEEDREEL_RETRY_BASE=0.05",
                               program("seedreel")};
    a.insert(a.end(), args.begin(), args.end());
    if (with_base_url) a.insert(a.end(), {"--base-url", emu.base});
    a.insert(a.end(), {"--poll-interval", "0.2"});
    return a;
  }
  Run cli(const std::vector<std::string>& args, bool with_base_url = true) const {
    Run r = run(argv(args, with_base_url));
    CHECK(r.out.find(key) == std::string::npos);
    CHECK(r.err.find(key) == std::string::npos);
    return r;
  }

  EmuProcess emu;
  std::string key;
  std::string work;

 private:
  static std::vector<std::string> with_key(std::vector<std::string> args, const std::string& key) {
    args.insert(args.end(), {"--api-key", key});
    return args;
  }
};

}  // namespace seedreel::test
