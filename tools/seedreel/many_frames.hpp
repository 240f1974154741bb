#pragma once
// thumb, last-frame and sheet on many videos: outputs named in a folder, one
// record per video, one bad file reported without stopping the rest.
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "seedreel/error.hpp"

namespace seedreel::cli {

// The videos, -o, --format and --jobs that thumb, last-frame and sheet share.
struct ManyFlags {
  std::vector<std::string> videos;
  std::string out, format;
  int jobs = 0;
};
// `what` names the output ("image", "sheet"); `format` is the folder's default type.
void add_many_flags(CLI::App& sub, ManyFlags& flags, const std::string& what, const std::string& format);

// The outputs when -o names a folder: it ends in '/', is an existing folder,
// or several videos are given (the folder is made when missing). nullopt for
// one video and a file name. `ext` is --format's, else the command's default.
std::optional<std::vector<std::string>> folder_outputs(const std::vector<std::string>& videos, const std::string& out,
                                                       const std::string& ext);

// Prints each outcome (human: a line each, errors on stderr; --json: one
// array, a record per video) and returns 0 when every video succeeded, else
// the documented status of the first failure.
template <class Result>
int report_each(const Context& ctx, const std::vector<std::string>& videos,
                const std::vector<std::variant<Result, Error>>& outcomes,
                const std::function<nlohmann::json(const Result&)>& to_json,
                const std::function<void(const Result&)>& print);

}  // namespace seedreel::cli
