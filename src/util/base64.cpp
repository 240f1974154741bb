#include "util/base64.hpp"

extern "C" {
#include <libavutil/base64.h>
}

#include <limits>
#include <stdexcept>

namespace seedreel {

// libavutil's codec is well tested and already linked; these wrap it for strings.
std::string base64_encode(std::string_view bytes) {
  if (bytes.size() > std::size_t(std::numeric_limits<int>::max() / 4 * 3 - 4)) throw std::length_error("base64 input too large");
  std::string out(AV_BASE64_SIZE(bytes.size()), '\0');
  av_base64_encode(out.data(), int(out.size()), reinterpret_cast<const uint8_t*>(bytes.data()), int(bytes.size()));
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > std::size_t(std::numeric_limits<int>::max())) return std::nullopt;
  std::string in(text);  // av_base64_decode wants a NUL-terminated string
  std::string out(AV_BASE64_DECODE_SIZE(in.size()), '\0');
  int n = av_base64_decode(reinterpret_cast<uint8_t*>(out.data()), in.c_str(), int(out.size()));
  if (n < 0) return std::nullopt;
  out.resize(std::size_t(n));
  return out;
}

}  // namespace seedreel
