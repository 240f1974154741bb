// seedreel sheet VIDEO -o OUT.png [--cols C --rows R] [--width W]
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "output.hpp"
#include "seedreel/frames.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{62, "sheet", "Contact sheet: a grid of evenly spaced frames with their times, seams marked",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Args {
    std::string video, out;
    SheetOptions o;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("video", a->video, "Video file")->required();
  sub.add_option("-o,--output", a->out, "Image to write (.png, .jpg or .webp)")->required();
  sub.add_option("--cols", a->o.cols, "Columns (default 4)")->check(CLI::Range(1, 40));
  sub.add_option("--rows", a->o.rows, "Rows (default 4)")->check(CLI::Range(1, 40));
  sub.add_option("--width", a->o.tile_width, "Width of each frame in pixels (default 320)")->check(CLI::Range(16, 4096));
  sub.add_option("--quality", a->o.save.quality, "JPEG/WebP quality 1-100")->check(CLI::Range(1, 100));
  sub.add_flag("--force", a->force, "Replace an existing output");
  return [a, &ctx] {
    a->o.save.overwrite = a->force;
    SheetResult r = with_force_hint([&] { return contact_sheet(a->video, a->out, a->o); });
    if (ctx.json) {
      nlohmann::json j{{"path", r.path}, {"width", r.width}, {"height", r.height}, {"times", r.times}, {"seams", r.seams}};
      print_json(j);
    } else {
      fmt::print("{}: {}x{} sheet of {} frames", r.path, r.width, r.height, r.times.size());
      if (!r.seams.empty()) fmt::print(", {} seam{} marked", r.seams.size(), r.seams.size() == 1 ? "" : "s");
      fmt::print("\n");
    }
    return 0;
  };
}};

}  // namespace
}  // namespace seedreel::cli
