#pragma once
// Flags and output shared by the workflow commands (chain, extend): the
// generation parameters of `generate` that apply to every clip, and the
// result as a table or JSON.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "api_options.hpp"
#include "command.hpp"
#include "request_flags.hpp"
#include "seedreel/workflow.hpp"

namespace seedreel::cli {

struct WorkflowFlags {
  std::string model, resolution, ratio, output, parts, sheet, report, overlap = "off";
  std::optional<int> duration;
  std::optional<std::int64_t> seed;
  bool no_audio = false, watermark = false, retry_without_audio = false;
  UpstreamFlags upstream;
  ApiFlags api;
};

void add_workflow_flags(CLI::App& sub, WorkflowFlags& flags);
// The parameters every clip's request shares.
Request base_request(const WorkflowFlags& flags);
WorkflowOptions workflow_options(const WorkflowFlags& flags, Journal& journal, const Context& ctx);
// Prints the result (a line per clip, or --json); returns the exit status.
int print_workflow(const WorkflowResult& result, const Provider& provider, const Context& ctx);
// Sets up the provider, client and journal the flags name, runs one workflow
// with them and prints its result; returns the exit status.
using WorkflowRun = std::function<WorkflowResult(Client&, const WorkflowOptions&)>;
int run_workflow(const WorkflowFlags& flags, const Context& ctx, const WorkflowRun& run);

}  // namespace seedreel::cli
