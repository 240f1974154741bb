#include "seedreel/error.hpp"

namespace seedreel {

namespace {
std::string compose(const std::string& subject, const std::string& reason) {
  return subject.empty() ? reason : subject + ": " + reason;
}
}  // namespace

Error::Error(ErrorKind kind, std::string subject, const std::string& reason)
    : std::runtime_error(compose(subject, reason)),
      kind_(kind),
      subject_(std::move(subject)),
      reason_(reason) {}

int exit_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage: return exit_code::usage;
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

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::validation: return "validation";
    case ErrorKind::input: return "input";
    case ErrorKind::io: return "io";
    case ErrorKind::network: return "network";
    case ErrorKind::api: return "api";
    case ErrorKind::moderation: return "moderation";
    case ErrorKind::failed: return "failed";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace seedreel
