// What chain and extend share: the prompt file, the work folder, findings as one error.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "post/grab.hpp"
#include "seedreel/error.hpp"
#include "seedreel/workflow.hpp"
#include "workflow/clip_step.hpp"

namespace seedreel {

namespace fs = std::filesystem;

std::vector<std::string> read_prompt_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(ErrorKind::input, path, "no such file");
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::input, path, "cannot read");
  std::vector<std::string> prompts;
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || line[first] == '#') continue;
    auto last = line.find_last_not_of(" \t\r\n");
    prompts.push_back(line.substr(first, last - first + 1));
  }
  if (in.bad()) throw Error(ErrorKind::input, path, "cannot read");
  if (prompts.empty()) throw Error(ErrorKind::validation, path, "holds no prompt (one prompt per non-empty line)");
  return prompts;
}

std::string parts_dir_for(const std::string& output) { return output + ".parts"; }

const char* to_string(ClipOrigin origin) noexcept {
  switch (origin) {
    case ClipOrigin::generated: return "generated";
    case ClipOrigin::resumed: return "resumed";
    case ClipOrigin::reused: return "reused";
  }
  return "?";
}

namespace workflow_detail {

std::string prepare_parts(const WorkflowOptions& options) {
  if (!options.journal) throw Error(ErrorKind::invalid_argument, "", "a workflow needs a journal");
  if (options.output.empty()) throw Error(ErrorKind::invalid_argument, "", "give the output video path", "output");
  if (!options.sheet.empty()) post::check_image_output(options.sheet, {options.output});
  std::string parts = options.parts_dir.empty() ? parts_dir_for(options.output) : options.parts_dir;
  std::error_code ec;
  fs::create_directories(parts, ec);
  if (ec) throw Error(ErrorKind::io, parts, "cannot create the work folder: " + ec.message());
  return parts;
}

StitchOptions join_options(const WorkflowOptions& options) {
  StitchOptions so;
  so.drop_duplicate_seam_frames = true;
  so.overlap = options.overlap;
  return so;
}

void draw_sheet(const WorkflowOptions& options, WorkflowResult& result) {
  if (options.sheet.empty()) return;
  notice(options, fmt::format("drawing the contact sheet {}", options.sheet));
  result.sheet = contact_sheet(result.output, options.sheet);
}

Error findings_error(const std::string& subject, const std::vector<Finding>& findings) {
  const Finding& f = findings.front();
  std::string more = findings.size() > 1 ? fmt::format(" (and {} more)", findings.size() - 1) : "";
  return Error(ErrorKind::validation, subject, fmt::format("{}: {}{}", f.rule, f.message, more));
}

}  // namespace workflow_detail

}  // namespace seedreel
