#include "util/kill_point.hpp"

#include <csignal>
#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <string>

namespace seedreel {

namespace {

struct Target {
  std::string name;
  int nth = 1;
  std::atomic<int> seen{0};
};

// Parsed once; null when the variable is unset (the usual case).
Target* target() noexcept {
  static Target* t = [] () -> Target* {
    const char* v = std::getenv("SEEDREEL_KILL_AT");
    if (!v || !*v) return nullptr;
    static Target parsed;
    std::string s(v);
    if (auto colon = s.find(':'); colon != std::string::npos) {
      parsed.nth = std::max(1, std::atoi(s.c_str() + colon + 1));
      s.resize(colon);
    }
    parsed.name = s;
    return &parsed;
  }();
  return t;
}

}  // namespace

void kill_point(std::string_view name) noexcept {
  Target* t = target();
  if (!t || name != t->name) return;
  if (t->seen.fetch_add(1) + 1 == t->nth) std::raise(SIGKILL);
}

}  // namespace seedreel
