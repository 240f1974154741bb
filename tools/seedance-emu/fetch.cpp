#include "fetch.hpp"

#include <mutex>
#include <vector>

#include "http/http.hpp"
#include "upload/digest.hpp"
#include "validate.hpp"

namespace seedance_emu {

namespace {

std::mutex log_mutex;
std::vector<nlohmann::json> entries;

void record(const std::string& url, long status, const std::string& bytes, const std::string& why) {
  nlohmann::json e{{"url", seedreel::http::redact_url(url)},
                   {"presigned", url.find("X-Amz-Signature=") != std::string::npos},
                   {"status", status},
                   {"bytes", bytes.size()},
                   {"sha256", status >= 200 && status < 300 ? seedreel::upload::sha256_hex(bytes) : ""}};
  if (!why.empty()) e["error"] = why;
  std::lock_guard lock(log_mutex);
  entries.push_back(std::move(e));
}

}  // namespace

std::optional<std::string> fetch_media(const std::string& url, const std::string& param) {
  if (!seedreel::http::is_loopback_url(url) || !url.starts_with("http://")) return std::nullopt;
  seedreel::http::Request rq;
  rq.url = url;
  seedreel::http::Limits limits;
  limits.request_timeout = 60;
  limits.max_response = 64ull << 20;  // the largest medium the API takes is a 50 MB video
  seedreel::http::Response res;
  try {
    res = seedreel::http::perform(rq, limits);
  } catch (const seedreel::http::TransportError& e) {
    record(url, 0, "", e.what());
    invalid(param, "cannot fetch " + seedreel::http::redact_url(url) + ": " + e.what());
  }
  record(url, res.status, res.body, "");
  if (res.status < 200 || res.status >= 300)
    invalid(param, "cannot fetch " + seedreel::http::redact_url(url) + ": HTTP " + std::to_string(res.status));
  return std::move(res.body);
}

nlohmann::json fetch_log() {
  std::lock_guard lock(log_mutex);
  return nlohmann::json(entries);
}

}  // namespace seedance_emu
