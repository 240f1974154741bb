#pragma once
// FNV-1a, 64 bit: not for security, only to tell requests and pieces of work
// apart (work keys, file identities).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace seedreel {

inline constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;

inline std::uint64_t fnv1a(std::uint64_t h, const char* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ull;
  }
  return h;
}

inline std::string fnv_hex(std::string_view text) { return fmt::format("{:016x}", fnv1a(kFnvBasis, text.data(), text.size())); }

}  // namespace seedreel
