#include "util/json_guard.hpp"

namespace seedreel {

bool json_within(std::string_view text, std::size_t max_depth, std::size_t max_bytes) noexcept {
  if (text.size() > max_bytes) return false;
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;  // an extra closer is the parser's to refuse
        break;
      default:
        break;
    }
  }
  return true;
}

}  // namespace seedreel
