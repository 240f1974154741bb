// seedreel probe FILE... : describe media files from their headers.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "output.hpp"
#include "seedreel/probe.hpp"

namespace seedreel::cli {

nlohmann::json error_json(const Error& e) {
  return {{"path", e.subject()}, {"error", {{"kind", to_string(e.kind())}, {"message", e.reason()}}}};
}

namespace {

std::string details(const MediaInfo& m) {
  std::vector<std::string> parts;
  if (m.image) {
    const auto& i = *m.image;
    parts.push_back(fmt::format("{}-bit {} {} band{}", i.bit_depth, i.colour_space, i.bands, i.bands == 1 ? "" : "s"));
    if (i.alpha) parts.push_back("alpha");
    if (i.orientation != 1) parts.push_back(fmt::format("EXIF orientation {}", i.orientation));
    if (i.pages > 1) parts.push_back(fmt::format("{} pages", i.pages));
  }
  if (m.video) {
    const auto& v = *m.video;
    std::string s = v.codec;
    if (!v.profile.empty()) s += " " + v.profile;
    if (!v.pix_fmt.empty()) s += " " + v.pix_fmt;
    parts.push_back(fmt::format("{} {:.3f} fps", s, v.fps));
    if (v.rotation) parts.push_back(fmt::format("rotated {}° (stored {}x{})", v.rotation, v.coded_width, v.coded_height));
  }
  if (m.audio) {
    const auto& a = *m.audio;
    parts.push_back(fmt::format("{} {} Hz {} ch", a.codec, a.sample_rate, a.channels));
  }
  if (m.bitrate > 0) parts.push_back(fmt::format("{} kb/s", m.bitrate / 1000));
  if (m.duration_estimated) parts.push_back("duration estimated from bitrate");
  if (m.faststart) parts.push_back(*m.faststart ? "faststart" : "moov at end");
  return fmt::format("{}", fmt::join(parts, ", "));
}

const Registration reg{10, "probe", "Describe images, videos and audio from their headers",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  auto files = std::make_shared<std::vector<std::string>>();
  auto threads = std::make_shared<unsigned>(0);
  sub.add_option("files", *files, "Media files")->required();
  sub.add_option("--threads", *threads, "Files probed at once (default: one per core)");
  return [files, threads, &ctx] {
    auto results = probe_all(*files, *threads);
    bool failed = false;
    nlohmann::json out = nlohmann::json::array();
    std::vector<Row> rows{{"FILE", "KIND", "FORMAT", "SIZE", "WxH", "DURATION", "DETAILS"}};
    for (const auto& r : results) {
      if (const auto* e = std::get_if<Error>(&r)) {
        failed = true;
        print_error(*e);
        out.push_back(error_json(*e));
        continue;
      }
      const auto& m = std::get<MediaInfo>(r);
      out.push_back(m);
      rows.push_back({m.path, to_string(m.kind), m.format, human_bytes(m.file_size),
                      m.kind == MediaKind::audio ? "-" : fmt::format("{}x{}", m.width, m.height),
                      m.kind == MediaKind::image ? "-" : human_seconds(m.media_duration()), details(m)});
    }
    if (ctx.json)
      print_json(out);
    else if (rows.size() > 1)
      print_table(rows);
    return failed ? exit_code::bad_input : exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
