#pragma once
// How the library's errors reach the user of the command line: the option
// an Error names becomes this CLI's flag, with advice on what to run, and its
// kind one of the documented exit statuses (README "Exit status"). The
// library itself knows no flag, command or exit status.
#include <string>
#include <string_view>

#include "seedreel/error.hpp"

namespace seedreel::cli {

namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int rejected = 1;     // preflight or request validation failed
inline constexpr int usage = 2;        // bad flags or arguments
inline constexpr int bad_input = 3;    // unreadable/corrupt input or unwritable output
inline constexpr int network = 4;      // network or API error
inline constexpr int generation = 5;   // moderation, provider failure, expired
inline constexpr int interrupted = 130;
}  // namespace exit_code

// The documented exit status for an error.
int exit_status(const Error& e) noexcept;

// The flag that sets a library option ("tail" -> "--tail", "image_max_side"
// -> "--max-side"); a flag is returned as it is.
std::string flag_for(std::string_view option);

// `e` in this CLI's words: its option as a flag, plus advice where the
// library's remedy is a flag or another command. Applying it twice changes
// nothing more.
Error in_cli_terms(const Error& e);

// Runs `run`, rethrowing any Error in the CLI's terms (for results that
// carry the message on, e.g. into --json).
template <class F>
auto with_cli_terms(F&& run) -> decltype(run()) {
  try {
    return run();
  } catch (const Error& e) {
    throw in_cli_terms(e);
  }
}

}  // namespace seedreel::cli
