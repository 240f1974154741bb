#pragma once
// --upload and its companions, shared by generate, batch, chain and extend:
// where local files go when they cannot be inlined. Flags win over the
// environment (SEEDREEL_UPLOAD, ...), which wins over the config file
// ($XDG_CONFIG_HOME/seedreel/upload.json, or SEEDREEL_UPLOAD_CONFIG).
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "api_options.hpp"
#include "command.hpp"
#include "seedreel/upload.hpp"

namespace seedreel::cli {

struct UploadFlags {
  std::string upload;       // put:URL_TEMPLATE | s3://bucket/prefix | asset[:STORE]
  std::string upload_get;   // put: the URL template the provider reads
  std::string s3_endpoint;  // an S3-compatible store (path-style)
  std::string asset_group;
  int expires = 0;          // presigned GET lifetime, seconds (0 = the default, 24 h)
};

void add_upload_flags(CLI::App& sub, UploadFlags& flags);

// The uploader the flags, environment or config file name; null when none
// does. `fallback_spec` is used when none of them names a target.
std::unique_ptr<Uploader> make_uploader(const UploadFlags& flags, const ApiFlags& api, const Context& ctx,
                                        const std::string& fallback_spec = "");

// Findings about a local file that needs a URL gain how to give one.
void add_upload_hint(std::vector<Finding>& findings);

// One line per published file on stderr (not for --json): what went where.
void report_published(const std::vector<Published>& published, const Context& ctx);

}  // namespace seedreel::cli
