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
    ManyFlags many;
    SheetOptions o;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  add_many_flags(sub, a->many, "sheet", "jpg");
  sub.add_option("--cols", a->o.cols, "Columns (default 4)")->check(CLI::Range(1, 40));
  sub.add_option("--rows", a->o.rows, "Rows (default 4)")->check(CLI::Range(1, 40));
  sub.add_option("--width", a->o.tile_width, "Width of each frame in pixels (default 320)")->check(CLI::Range(16, 4096));
  sub.add_option("--quality", a->o.save.quality, "JPEG/WebP quality 1-100")->check(CLI::Range(1, 100));
  sub.add_flag("--force", a->force, "Replace an existing output");
  return [a, &ctx] {
    a->o.save.overwrite = a->force;
    const ManyFlags& m = a->many;
    if (auto outs = folder_outputs(m.videos, m.out, m.format))
      return report_each<SheetResult>(ctx, m.videos, contact_sheets(m.videos, *outs, a->o, m.jobs), sheet_json,
                                      print_sheet);
    SheetResult r = with_cli_terms([&] { return contact_sheet(m.videos[0], m.out, a->o); });
    if (ctx.json) print_json(sheet_json(r));
    else print_sheet(r);
    return 0;
  };
}};

}  // namespace
}  // namespace seedreel::cli
