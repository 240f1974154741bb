#pragma once
// Every request body the emulator parses goes through here first:
// nlohmann::json recurses once per nesting level (parsing, dumping, freeing),
// so a body of 50,000 '[' would overflow the stack and take the server down.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "seedreel/limits.hpp"
#include "util/json_guard.hpp"

namespace seedance_emu {

inline constexpr std::size_t kMaxJsonDepth = 64;

// Whether a body may be handed to the parser: at most kMaxJsonDepth deep and
// within the API's body cap (httplib refuses larger ones first anyway).
inline bool parseable_body(std::string_view body) {
  return seedreel::json_within(body, kMaxJsonDepth, seedreel::media_limits().max_body_bytes);
}

// The body parsed, or a discarded value when it is malformed or not parseable_body().
inline nlohmann::json parse_guarded(std::string_view body) {
  if (!parseable_body(body)) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(body, nullptr, false);
}

}  // namespace seedance_emu
