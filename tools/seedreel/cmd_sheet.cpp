// seedreel sheet VIDEO... -o OUT.png|FOLDER/ [--cols C --rows R] [--width W]
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "many_frames.hpp"
#include "output.hpp"
#include "seedreel/frames.hpp"

namespace seedreel::cli {
namespace {

nlohmann::json sheet_json(const SheetResult& r) {
  return {{"path", r.path}, {"width", r.width}, {"height", r.height}, {"times", r.times}, {"seams", r.seams}};
}

void print_sheet(const SheetResult& r) {
  fmt::print("{}: {}x{} sheet of {} frames", r.path, r.width, r.height, r.times.size());
  if (!r.seams.empty()) fmt::print(", {} seam{} marked", r.seams.size(), r.seams.size() == 1 ? "" : "s");
  fmt::print("\n");
}

const Registration reg{62, "sheet", "Contact sheet: a grid of evenly spaced frames with their times, seams marked",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Args {
    std::vector<std::string> videos;
    std::string out, format = "jpg";
    int jobs = 0;
    SheetOptions o;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("videos", a->videos, "Video files")->required();
  sub.add_option("-o,--output", a->out,
                 "Image to write (.png, .jpg or .webp), or a folder (ending in /, or for several videos): one sheet "
                 "per video, named after it")
      ->required();
  sub.add_option("--format", a->format, "Image type in an output folder: jpg (default), png or webp")
      ->check(CLI::IsMember({"jpg", "png", "webp"}));
  sub.add_option("--jobs", a->jobs, "Videos worked on at once for a folder (default: one per core)")->check(CLI::Range(1, 256));
  sub.add_option("--cols", a->o.cols, "Columns (default 4)")->check(CLI::Range(1, 40));
  sub.add_option("--rows", a->o.rows, "Rows (default 4)")->check(CLI::Range(1, 40));
  sub.add_option("--width", a->o.tile_width, "Width of each frame in pixels (default 320)")->check(CLI::Range(16, 4096));
  sub.add_option("--quality", a->o.save.quality, "JPEG/WebP quality 1-100")->check(CLI::Range(1, 100));
  sub.add_flag("--force", a->force, "Replace an existing output");
  return [a, &ctx] {
    a->o.save.overwrite = a->force;
    if (auto outs = folder_outputs(a->videos, a->out, a->format))
      return report_each<SheetResult>(ctx, a->videos, contact_sheets(a->videos, *outs, a->o, a->jobs), sheet_json,
                                      print_sheet);
    SheetResult r = with_force_hint([&] { return contact_sheet(a->videos[0], a->out, a->o); });
    if (ctx.json) print_json(sheet_json(r));
    else print_sheet(r);
    return 0;
  };
}};

}  // namespace
}  // namespace seedreel::cli
