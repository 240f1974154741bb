#pragma once
// The upstream fields every generating command can set (generate, chain,
// extend): typed flags where the API gives rules, --extra for the rest.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "seedreel/request.hpp"

namespace seedreel::cli {

struct UpstreamFlags {
  std::string service_tier;
  std::optional<int> expires_after;
  bool return_last_frame = false;
  std::string callback_url;
  bool camera_fixed = false;
  std::optional<int> frames;
  std::string safety_identifier;
  std::string extra;
};

void add_upstream_flags(CLI::App& sub, UpstreamFlags& f);
// Copies what was given into the request (validation checks it there).
void apply_upstream_flags(const UpstreamFlags& f, Request& r);

}  // namespace seedreel::cli
