#include "request_log.hpp"

#include "guarded_json.hpp"

#include <chrono>

namespace seedance_emu {

namespace {

// Inline media can be tens of megabytes; the log keeps the head of long
// strings and their length so a test can still see what was sent.
constexpr std::size_t kMaxLoggedString = 64 * 1024;

void shorten_strings(nlohmann::json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.size() > kMaxLoggedString) j = s.substr(0, 256) + "...(" + std::to_string(s.size()) + " bytes)";
  } else if (j.is_structured()) {
    for (auto& v : j) shorten_strings(v);
  }
}

}  // namespace

void RequestLog::add(const std::string& method, const std::string& path, nlohmann::json query, const std::string& body,
                     bool auth_ok) {
  nlohmann::json parsed = parse_guarded(body);
  if (parsed.is_discarded()) parsed = nullptr;
  shorten_strings(parsed);
  nlohmann::json entry{{"method", method},
                       {"path", path},
                       {"query", std::move(query)},
                       {"body", std::move(parsed)},
                       {"auth_ok", auth_ok},
                       // Seconds since the emulator started: tests see who waited for whom.
                       {"at", std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()}};
  std::lock_guard lock(mutex_);
  entries_.push_back(std::move(entry));
}

nlohmann::json RequestLog::to_json() const {
  std::lock_guard lock(mutex_);
  return nlohmann::json(entries_);
}

void RequestLog::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace seedance_emu
