#include "many_frames.hpp"

#include <filesystem>

#include "output.hpp"
#include "seedreel/frames.hpp"

namespace seedreel::cli {

namespace fs = std::filesystem;

nlohmann::json error_json(const Error& e);

void add_many_flags(CLI::App& sub, ManyFlags& f, const std::string& what, const std::string& format) {
  f.format = format;
  sub.add_option("videos", f.videos, "Video files")->required();
  sub.add_option("-o,--output", f.out,
                 "The " + what + " to write (.png, .jpg or .webp), or a folder (ending in /, or for several videos): "
                 "one " + what + " per video, named after it")
      ->required();
  sub.add_option("--format", f.format, "Type of the " + what + "s in an output folder: jpg, png or webp (default " + format + ")")
      ->check(CLI::IsMember({"jpg", "png", "webp"}));
  sub.add_option("--jobs", f.jobs, "Videos worked on at once for a folder (default: one per core)")->check(CLI::Range(1, 256));
}

std::optional<std::vector<std::string>> folder_outputs(const std::vector<std::string>& videos, const std::string& out,
                                                       const std::string& ext) {
  std::error_code ec;
  const bool folder = out.ends_with('/') || fs::is_directory(out, ec) || videos.size() > 1;
  if (!folder) return std::nullopt;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw Error(ErrorKind::invalid_argument, out, "several videos need an output folder, and this is a file");
  fs::create_directories(out, ec);
  if (ec) throw Error(ErrorKind::io, out, "cannot make the output folder: " + ec.message());
  return outputs_in_folder(videos, out, ext);
}

template <class Result>
int report_each(const Context& ctx, const std::vector<std::string>& videos,
                const std::vector<std::variant<Result, Error>>& outcomes,
                const std::function<nlohmann::json(const Result&)>& to_json,
                const std::function<void(const Result&)>& print) {
  int status = 0;
  auto records = nlohmann::json::array();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (const auto* e = std::get_if<Error>(&outcomes[i])) {
      Error shown = in_cli_terms(*e);
      if (status == 0) status = exit_status(shown);
      print_error(shown);
      auto j = error_json(shown);
      j["input"] = videos[i];
      records.push_back(j);
      continue;
    }
    const auto& r = std::get<Result>(outcomes[i]);
    if (ctx.json) {
      auto j = to_json(r);
      j["input"] = videos[i];
      records.push_back(j);
    } else {
      print(r);
    }
  }
  if (ctx.json) print_json(records);
  return status;
}

template int report_each<FrameResult>(const Context&, const std::vector<std::string>&,
                                      const std::vector<std::variant<FrameResult, Error>>&,
                                      const std::function<nlohmann::json(const FrameResult&)>&,
                                      const std::function<void(const FrameResult&)>&);
template int report_each<SheetResult>(const Context&, const std::vector<std::string>&,
                                      const std::vector<std::variant<SheetResult, Error>>&,
                                      const std::function<nlohmann::json(const SheetResult&)>&,
                                      const std::function<void(const SheetResult&)>&);

}  // namespace seedreel::cli
