#pragma once
// Ctrl-C handling. The first SIGINT/SIGTERM sets a flag that long loops poll
// (throw_if_interrupted) so they unwind and clean up; a second one removes
// every registered temporary file and exits with status 130 at once.
#include <string>

namespace seedreel {

void install_interrupt_handler();
bool interrupted() noexcept;
// Throws Error(cancelled, subject, "interrupted") when the flag is set.
void throw_if_interrupted(const std::string& subject = "");

// Temporary files the second signal removes; returns a slot (-1 when full).
int register_temp_file(const std::string& path) noexcept;
void unregister_temp_file(int slot) noexcept;

}  // namespace seedreel
