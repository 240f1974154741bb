// Parsing the times and sizes users type for thumbnails.
#include <cmath>
#include <cstdlib>

#include "seedreel/frames.hpp"
#include "seedreel/error.hpp"

namespace seedreel {

namespace {
bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out) && out >= 0;
}
}  // namespace

const char* to_string(DecodePath path) noexcept {
  switch (path) {
    case DecodePath::tail: return "tail";
    case DecodePath::earlier_keyframe: return "earlier_keyframe";
    case DecodePath::full_decode: return "full_decode";
  }
  return "tail";
}

TimePoint parse_time_point(const std::string& text) {
  auto bad = [&] {
    return Error(ErrorKind::invalid_argument, "", "bad time '" + text + "': use seconds (3.5, 3.5s), [HH:]MM:SS(.s) or a percentage (50%)");
  };
  std::string s = text;
  double v = 0;
  if (!s.empty() && s.back() == '%') {
    if (!parse_number(s.substr(0, s.size() - 1), v) || v > 100) throw bad();
    return {v / 100.0, true};
  }
  if (!s.empty() && s.back() == 's') s.pop_back();
  double total = 0;
  std::size_t parts = 0, from = 0;
  for (;;) {
    auto colon = s.find(':', from);
    std::string piece = s.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
    if (!parse_number(piece, v) || (parts > 0 && v >= 60)) throw bad();
    total = total * 60 + v;
    if (++parts > 3) throw bad();
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  return {total, false};
}

std::pair<int, int> parse_size(const std::string& text) {
  auto bad = [&] { return Error(ErrorKind::invalid_argument, "", "bad size '" + text + "': use WxH, Wx or xH (e.g. 320x)"); };
  auto x = text.find('x');
  if (x == std::string::npos) throw bad();
  auto side = [&](const std::string& s) {
    if (s.empty()) return 0;
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, 10);
    if (end != s.c_str() + s.size() || v < 1 || v > 16384) throw bad();
    return int(v);
  };
  auto size = std::make_pair(side(text.substr(0, x)), side(text.substr(x + 1)));
  if (size.first == 0 && size.second == 0) throw bad();
  return size;
}

}  // namespace seedreel
