#include "seedreel/batch.hpp"

namespace seedreel {

int exit_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_argument: return exit_code::usage;
    case ErrorKind::validation: return exit_code::rejected;
    case ErrorKind::input:
    case ErrorKind::io: return exit_code::bad_input;
    case ErrorKind::network:
    case ErrorKind::api:
    case ErrorKind::timeout: return exit_code::network;
    case ErrorKind::moderation:
    case ErrorKind::failed: return exit_code::generation;
    case ErrorKind::cancelled: return exit_code::interrupted;
  }
  return exit_code::bad_input;
}

}  // namespace seedreel
