#pragma once
// Every API request the emulator received, for tests to check what a client
// sent and when (GET /_emu/requests; "at": seconds since start). Never holds
// the API key: only whether it matched.
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seedance_emu {

class RequestLog {
 public:
  // body: the request body as received ("" for none); parsed when it is JSON.
  void add(const std::string& method, const std::string& path, nlohmann::json query, const std::string& body,
           bool auth_ok);
  nlohmann::json to_json() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> entries_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace seedance_emu
