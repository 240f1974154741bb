// seedreel thumb VIDEO... [--at 3.5s|50%] [--exact|--smart] [--size WxH] -o OUT|FOLDER/
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "many_frames.hpp"
#include "output.hpp"
#include "seedreel/frames.hpp"

namespace seedreel::cli {

void print_frame(const Context& ctx, const FrameResult& r);
nlohmann::json frame_json(const FrameResult& r);

namespace {

const Registration reg{61, "thumb", "Save a thumbnail: the frame at a time or percentage, or the most representative one",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Args {
    ManyFlags many;
    std::string at, size;
    bool smart = false, exact = false;
    int window = 100;
    int quality = 90;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  add_many_flags(sub, a->many, "image", "jpg");
  sub.add_option("--at", a->at, "Time (3.5, 3.5s, 1:02.5) or percentage (50%) of the video; with --smart, the window's start");
  sub.add_flag("--exact", a->exact,
               "The frame displayed at the time, decoded from the keyframe before it (default: that keyframe, "
               "as ffmpegthumbnailer takes it)");
  sub.add_flag("--smart", a->smart, "Pick the frame closest to the average colour histogram, skipping black/flat frames");
  sub.add_option("--window", a->window, "Frames --smart examines (default 100)")->check(CLI::Range(1, 10000));
  sub.add_option("--size", a->size, "Fit inside WxH keeping the aspect: 320x, x240 or 320x240 (default: full size)");
  sub.add_option("--quality", a->quality, "JPEG/WebP quality 1-100")->check(CLI::Range(1, 100));
  sub.add_flag("--force", a->force, "Replace an existing output");
  return [a, &ctx] {
    ThumbOptions o;
    if (!a->at.empty()) o.at = parse_time_point(a->at);
    if (!a->size.empty()) std::tie(o.width, o.height) = parse_size(a->size);
    o.smart = a->smart;
    o.exact = a->exact;
    o.window = a->window;
    o.save.quality = a->quality;
    o.save.overwrite = a->force;
    const ManyFlags& m = a->many;
    if (auto outs = folder_outputs(m.videos, m.out, m.format))
      return report_each<FrameResult>(ctx, m.videos, thumbnails(m.videos, *outs, o, m.jobs), frame_json,
                                      [&](const FrameResult& r) { print_frame(ctx, r); });
    print_frame(ctx, with_cli_terms([&] { return thumbnail(m.videos[0], m.out, o); }));
    return 0;
  };
}};

}  // namespace
}  // namespace seedreel::cli
