#pragma once
// Ctrl-C handling (seedreel/interrupt.hpp), plus the registry of temporary
// files the second signal removes.
#include "seedreel/interrupt.hpp"

namespace seedreel {

// Temporary files the second signal removes; returns a slot (-1 when full).
int register_temp_file(const std::string& path) noexcept;
void unregister_temp_file(int slot) noexcept;

}  // namespace seedreel
