#include "seedreel/error.hpp"

namespace seedreel {

namespace {
// "subject: option: reason", leaving out what is empty.
std::string compose(const std::string& subject, const std::string& reason, const std::string& option) {
  std::string text;
  for (const std::string* part : {&subject, &option})
    if (!part->empty()) text += *part + ": ";
  return text + reason;
}
}  // namespace

Error::Error(ErrorKind kind, std::string subject, const std::string& reason, std::string option)
    : std::runtime_error(compose(subject, reason, option)),
      kind_(kind),
      subject_(std::move(subject)),
      reason_(reason),
      option_(std::move(option)) {}

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_argument: return "invalid_argument";
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
