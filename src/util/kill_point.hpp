#pragma once
// Crash-test hooks. With SEEDREEL_KILL_AT=NAME (or NAME:N) in the environment,
// the process SIGKILLs itself the first (or Nth) time it reaches
// kill_point(NAME): tests prove that a crash at that exact moment loses no
// task and pays for none twice, without racing a timer. Unset, a call costs
// one relaxed atomic load.
#include <string_view>

namespace seedreel {

// Names in use: create (journaled, create not sent), poll (a poll answer
// seen), download (part of the video written), conform (output written, not
// yet renamed), stitch (joined video written, not yet renamed).
void kill_point(std::string_view name) noexcept;

}  // namespace seedreel
