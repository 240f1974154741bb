#include "faults.hpp"

#include <array>
#include <utility>

namespace seedance_emu {

std::optional<FaultKind> parse_fault_kind(const std::string& s) {
  static constexpr std::array<std::pair<const char*, FaultKind>, 15> kNames{{
      {"429", FaultKind::http429},
      {"500", FaultKind::http500},
      {"502", FaultKind::http502},
      {"503", FaultKind::http503},
      {"504", FaultKind::http504},
      {"redirect_loop", FaultKind::redirect_loop},
      {"hang", FaultKind::hang},
      {"drop", FaultKind::drop},
      {"malformed_json", FaultKind::malformed_json},
      {"moderation", FaultKind::moderation},
      {"unknown_status", FaultKind::unknown_status},
      {"expire", FaultKind::expire},
      {"task_expired", FaultKind::task_expired},
      {"lose_answer", FaultKind::lose_answer},
      {"delay_answer", FaultKind::delay_answer},
  }};
  for (const auto& [name, kind] : kNames)
    if (s == name) return kind;
  return std::nullopt;
}

bool is_request_fault(FaultKind k) {
  switch (k) {
    case FaultKind::moderation:
    case FaultKind::unknown_status:
    case FaultKind::expire:
    case FaultKind::task_expired:
    case FaultKind::lose_answer:
    case FaultKind::delay_answer:
      return false;
    default:
      return true;
  }
}

void FaultQueue::add(Fault f) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(f));
}

void FaultQueue::clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

bool FaultQueue::matches(const Fault& f, const std::string& method, const std::string& path) {
  return (f.method == "*" || f.method == method) && path.starts_with(f.path_prefix);
}

}  // namespace seedance_emu
