#pragma once
// Shared by the tests that face seedreel with servers and disks of their own
// making: an HTTP server on loopback answering as the test says, the CLI run
// with a test key and journal, and what a run left behind (journal states
// read through the Journal API, temporaries, files holding a secret).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "seedreel/journal.hpp"
#include "support.hpp"

namespace seedreel::test {

inline bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A server on loopback; it records "METHOD /path" of every request it answered.
class Hostile {
 public:
  httplib::Server http;

  void start() {
    http.set_logger([this](const httplib::Request& req, const httplib::Response&) {
      std::lock_guard lock(mutex_);
      seen_.push_back(req.method + " " + req.path);
    });
    port_ = http.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { http.listen_after_bind(); });
  }
  ~Hostile() {
    http.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int count(const std::string& prefix) const {
    std::lock_guard lock(mutex_);
    return int(std::count_if(seen_.begin(), seen_.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; }));
  }
  int total() const {
    std::lock_guard lock(mutex_);
    return int(seen_.size());
  }

 private:
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> seen_;
};

// seedreel with a clean environment under `home`: the key, the journal, the
// config folder and quick retries; `env` adds NAME=VALUE pairs.
struct Cli {
  std::string home;
  std::string key;
  std::string journal = home + "/journal.db";

  Run operator()(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv{"env",
                                  "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "-u", "SEEDREEL_API_KEY_FILE",
                                  "-u", "SEEDREEL_CONFIG", "-u", "SEEDREEL_UPLOAD",
                                  "HOME=" + home, "XDG_CONFIG_HOME=" + home + "/config", "XDG_STATE_HOME=" + home + "/state",
                                  "SEEDREEL_API_KEY=" + key, "SEEDREEL_JOURNAL=" + journal, "SEEDREEL_RETRY_BASE=0.01"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(program("seedreel"));
    argv.insert(argv.end(), args.begin(), args.end());
    Run r = run(argv);
    CHECK_MESSAGE(r.status < 128, "seedreel died of signal ", r.status - 128, ": ", r.err);
    return r;
  }
};

// The states of the journal's entries, oldest first, read through the library.
inline std::vector<std::string> journal_states(const std::string& path) {
  std::vector<std::string> states;
  if (!std::filesystem::exists(path)) return states;
  Journal journal(path);
  for (const auto& e : journal.all()) states.emplace_back(to_string(e.state));
  return states;
}

// Our temporaries (".NAME.tmp-PID-N.ext") or any partial file left in `dir`.
inline std::vector<std::string> temporaries(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (contains(name, ".tmp-") || name.ends_with(".part")) found.push_back(e.path().string());
  }
  return found;
}

}  // namespace seedreel::test
