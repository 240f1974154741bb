// seedreel last-frame VIDEO... -o OUT.png|FOLDER/ [--index -N] [--quality Q] [--depth 8|16]
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "many_frames.hpp"
#include "output.hpp"
#include "seedreel/frames.hpp"

namespace seedreel::cli {

nlohmann::json frame_json(const FrameResult& r) {
  return {{"path", r.path},         {"time", r.time},         {"pts", r.pts},
          {"width", r.width},       {"height", r.height},     {"rotation", r.rotation},
          {"full_decode", r.full_decode}, {"decode_path", to_string(r.decode_path)}, {"truncated", r.truncated},
          {"exact", r.exact}};
}

void print_frame(const Context& ctx, const FrameResult& r) {
  if (ctx.json)
    print_json(frame_json(r));
  else
    fmt::print("{}: frame at {:.3f} s, {}x{}{}, {}{}\n", r.path, r.time, r.width, r.height,
               r.rotation ? fmt::format(", rotated {}°", r.rotation) : "",
               !r.exact ? "the keyframe at or before the time (--exact for the frame displayed then)"
               : r.decode_path == DecodePath::tail               ? "decoded from the random-access point before it"
               : r.decode_path == DecodePath::earlier_keyframe ? "decoded from an earlier random-access point (the nearer one was not clean)"
                                                        : "decoded from the start (no seek point could be trusted)",
               r.truncated ? "; the file is cut short: this is its last decodable frame" : "");
}

namespace {

const Registration reg{60, "last-frame", "Save the exact last displayed frame (PNG by default, lossless) for chaining",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Args {
    ManyFlags many;
    int index = -1;
    int quality = 90;
    int depth = 8;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  add_many_flags(sub, a->many, "image", "png");
  sub.add_option("--index", a->index, "Which frame from the end: -1 the last (default), -2 the one before, ...")
      ->check(CLI::Range(-1000000, -1));
  sub.add_option("--quality", a->quality, "JPEG/WebP quality 1-100 (WebP 100 = lossless)")->check(CLI::Range(1, 100));
  sub.add_option("--depth", a->depth, "Bits per sample: 8 (default), or 16 for a PNG that keeps a 10-bit source's precision")
      ->check(CLI::IsMember({8, 16}));
  sub.add_flag("--force", a->force, "Replace an existing output");
  return [a, &ctx] {
    LastFrameOptions o;
    o.from_end = -a->index;
    o.save.quality = a->quality;
    o.save.depth = a->depth;
    o.save.overwrite = a->force;
    const ManyFlags& m = a->many;
    if (auto outs = folder_outputs(m.videos, m.out, m.format))
      return report_each<FrameResult>(ctx, m.videos, last_frames(m.videos, *outs, o, m.jobs), frame_json,
                                      [&](const FrameResult& r) { print_frame(ctx, r); });
    print_frame(ctx, with_cli_terms([&] { return last_frame(m.videos[0], m.out, o); }));
    return 0;
  };
}};

}  // namespace
}  // namespace seedreel::cli
