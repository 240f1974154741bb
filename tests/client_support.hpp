#pragma once
// The emulator as a real process for client tests: started on port 0, its
// "listening on http://127.0.0.1:PORT" line read from its stdout, stopped on
// destruction. Control calls go through our own HTTP layer.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/http.hpp"
#include "support.hpp"

namespace seedreel::test {

class EmulatorProcess {
 public:
  explicit EmulatorProcess(std::vector<std::string> args) {
    int out[2];
    if (pipe(out)) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::vector<std::string> argv{program("seedance-emu"), "--port", "0"};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char ch;
    while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    out_fd_ = out[0];
    auto at = line.find("http://127.0.0.1:");
    if (at == std::string::npos) throw std::runtime_error("emulator did not report its port: " + line);
    url_ = line.substr(at);
  }
  ~EmulatorProcess() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    close(out_fd_);
  }
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  const std::string& url() const { return url_; }

  nlohmann::json control(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) const {
    http::Request r{method, url_ + path, {}, body.is_null() ? "" : body.dump()};
    auto res = http::perform(r, http::Limits{});
    if (res.status != 200) throw std::runtime_error(path + " answered " + std::to_string(res.status) + ": " + res.body);
    return res.body.empty() ? nlohmann::json() : nlohmann::json::parse(res.body);
  }
  void fault(const nlohmann::json& f) const { control("POST", "/_emu/fault", f); }
  void reset() const { control("POST", "/_emu/reset"); }
  nlohmann::json requests() const { return control("GET", "/_emu/requests"); }
  // The logged API requests with this method whose path starts with the prefix.
  std::vector<nlohmann::json> requests(const std::string& method, const std::string& prefix) const {
    std::vector<nlohmann::json> out;
    for (const auto& r : requests())
      if (r.value("method", "") == method && r.value("path", "").rfind(prefix, 0) == 0) out.push_back(r);
    return out;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string url_;
};

}  // namespace seedreel::test
