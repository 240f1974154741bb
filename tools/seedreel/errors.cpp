#include "errors.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace seedreel::cli {

int exit_status(const Error& e) noexcept {
  switch (e.kind()) {
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

namespace {

// Options whose flag is not simply "--" + the name with dashes.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kFlags{{
    {"outdir", "-o"},
    {"output", "-o"},
    {"image_max_side", "--max-side"},
    {"jpeg_quality", "--quality"},
    {"overwrite", "--force"},
    {"publish", "--upload"},
    {"generate_audio", "--no-audio"},
}};

// Options that name a remedy rather than a faulty argument: their advice
// goes after the reason and no flag is put in front.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kAdvice{{
    {"generate_audio", "submit again with --no-audio, or pass --retry-without-audio to do it automatically"},
    {"asset", "make one with `seedreel asset create`"},
    {"task_id", "fetch it later with `seedreel status ID` / `seedreel download ID -o OUT.mp4`, or `seedreel resume`"},
}};

}  // namespace

std::string flag_for(std::string_view option) {
  if (option.empty() || option.starts_with('-')) return std::string(option);
  for (const auto& [name, flag] : kFlags)
    if (name == option) return std::string(flag);
  std::string flag = "--" + std::string(option);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

Error in_cli_terms(const Error& e) {
  // The library refuses an existing output without naming a flag.
  if (e.kind() == ErrorKind::io && e.reason() == output_exists_reason)
    return Error(e.kind(), e.subject(), fmt::format("{} (use --force to overwrite)", e.reason()));
  for (const auto& [name, advice] : kAdvice)
    if (e.option() == name) return Error(e.kind(), e.subject(), fmt::format("{} — {}", e.reason(), advice));
  if (e.option().empty() || e.option().starts_with('-')) return e;
  return Error(e.kind(), e.subject(), e.reason(), flag_for(e.option()));
}

}  // namespace seedreel::cli
