#include "seedreel/limits.hpp"

namespace seedreel {

namespace {
ReadCaps& in_force() {
  static ReadCaps caps = read_caps();
  return caps;
}
}  // namespace

const ReadCaps& read_caps_in_force() { return in_force(); }

void set_read_caps(const ReadCaps& caps) { in_force() = caps; }

}  // namespace seedreel
