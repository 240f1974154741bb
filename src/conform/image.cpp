// Images: decide the smallest change (nothing, when preflight passes and the
// pixels are plain 8-bit sRGB, upright, one page), then run one libvips
// pipeline: shrink-on-load to the content size, 8-bit sRGB, pad or crop,
// flatten for JPEG, save under the size cap.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>

#include <fmt/format.h>

#include "av/still.hpp"
#include "conform/job.hpp"
#include "seedreel/probe.hpp"
#include "image/jpeg_scale.hpp"
#include "image/ops.hpp"
#include "util/interrupt.hpp"
#include "util/kill_point.hpp"

namespace seedreel::conform_detail {

namespace fs = std::filesystem;

namespace {

bool listed(std::span<const std::string_view> items, std::string_view v) {
  return std::find(items.begin(), items.end(), v) != items.end();
}

// Formats we write: the input's own when it is accepted and we can save it
// faithfully; PNG for BMP and GIF (lossless); JPEG, or PNG when there is an
// alpha channel to keep, for formats the API does not take (HEIF, AVIF ...).
std::string output_format(const MediaInfo& m, bool alpha_matters) {
  const std::string& f = m.format;
  if (f == "jpeg" || f == "png" || f == "webp" || f == "tiff") return f;
  if (f == "bmp" || f == "gif") return "png";
  return alpha_matters ? "png" : "jpeg";
}

std::string extension(const std::string& format) {
  if (format == "jpeg") return "jpg";
  if (format == "tiff") return "tif";
  return format;
}

std::string fill_name(const PadFill& f) {
  return f.blur ? "blurred edge" : fmt::format("#{:02x}{:02x}{:02x}", f.rgb[0], f.rgb[1], f.rgb[2]);
}

constexpr std::array<std::uint8_t, 3> kWhite{255, 255, 255};

}  // namespace

// A picture only FFmpeg reads (an animated AVIF): its first frame, alpha
// included, goes through the usual image steps as a lossless PNG that lives
// only while they run.
Conformed conform_first_frame(const Job& job) {
  const MediaInfo& m = job.info;
  static std::atomic<unsigned> serial{0};
  const fs::path png = fs::path(job.options.outdir) /
                       fmt::format(".{}.{}.{}.first-frame.png", fs::path(m.path).filename().string(), ::getpid(), serial++);
  struct Remove {
    fs::path path;
    ~Remove() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } remove{png};
  av::write_first_frame_png(m.path, png.string());
  MediaInfo frame = probe(png.string());
  Job inner{frame, job.role, check_file(frame, job.role), job.duration, job.options, job.target};
  Conformed c = conform_image(inner);
  if (c.action == Action::unchanged) c.action = Action::rewritten;
  c.changes.insert(c.changes.begin(), {"first_frame", fmt::format("{} frames (read by FFmpeg: libvips cannot)", m.image->pages),
                                       "first frame only"});
  const bool png_out = c.output.size() > 4 && c.output.ends_with(".png");
  if (std::none_of(c.changes.begin(), c.changes.end(), [](const Change& ch) { return ch.what == "converted"; }))
    c.changes.push_back({"converted", m.format, png_out ? "png" : "jpeg"});
  else
    for (auto& ch : c.changes)
      if (ch.what == "converted") ch.before = m.format;
  return c;
}

Conformed conform_image(const Job& job) {
  const MediaInfo& m = job.info;
  const ImageProps& p = *m.image;
  if (p.loader == "ffmpeg") return conform_first_frame(job);
  const auto& L = media_limits();
  const ConformOptions& o = job.options;
  image::check_decode_limit(m);

  Size src{m.width, m.height};
  std::optional<PixelSize> exact;
  if ((job.role == Role::first_frame || job.role == Role::last_frame) && !o.ratio.empty() && !o.resolution.empty())
    exact = output_size(o.resolution, o.ratio);
  Placement pl = exact ? place_exact(src, {exact->width, exact->height}, o.fit) : place_image(src, o.fit, o.image_max_side);

  bool geometry = pl.canvas.width != src.width || pl.canvas.height != src.height || pl.pads || pl.crops;
  bool animated = p.pages > 1;
  bool oriented = p.orientation != 1;
  bool deep = p.bit_depth > 8;
  bool colour = p.colour_space != "srgb" && p.colour_space != "b-w" && !deep;
  bool format_ok = listed(L.image_formats, m.format);
  bool too_big = has_rule(job.findings, "image.file_size");
  bool complete = image::looks_complete(m.path, m.format);
  if (!geometry && !animated && !oriented && !deep && !colour && format_ok && !too_big && complete)
    return copy_unchanged(job);

  Conformed c;
  c.action = Action::rewritten;
  if (oriented) c.changes.push_back({"oriented", fmt::format("EXIF orientation {}", p.orientation), "upright"});
  if (animated) c.changes.push_back({"first_frame", fmt::format("{} frames", p.pages), "first frame only"});
  if (colour) c.changes.push_back({"colour", p.colour_space, "srgb"});
  if (deep) c.changes.push_back({"colour", fmt::format("{}-bit {}", p.bit_depth, p.colour_space), "8-bit"});

  const bool keep_alpha =
      p.alpha && image::guarded(ErrorKind::input, m.path, "cannot decode", [&] { return image::alpha_matters(m.path); });
  std::string format = output_format(m, keep_alpha);
  int quality = o.jpeg_quality;
  // Without pad or crop the content is the canvas; with crop, libvips scales to
  // cover and cuts the centre in the same pass.
  auto render = [&](const std::string& fmt_name) {
    vips::VImage img = pl.crops ? image::load_scaled(m.path, pl.canvas.width, pl.canvas.height, true)
                                : image::load_scaled(m.path, pl.content.width, pl.content.height);
    img = image::to_srgb8(img);
    if (pl.pads) {
      img = o.pad.blur ? image::pad_blur(img, m.path, pl.canvas.width, pl.canvas.height)
                       : image::pad_colour(img, pl.canvas.width, pl.canvas.height, o.pad.rgb);
    }
    if (fmt_name == "jpeg") img = image::flatten(img, kWhite);
    return img;
  };

  // A plain downscale of a JPEG to a JPEG stays in YCbCr (image/jpeg_scale.hpp);
  // it declines what it does not handle, and libvips takes over.
  const bool jpeg_to_jpeg = m.format == "jpeg" && complete && !pl.pads && !pl.crops && !animated && !deep && !colour &&
                            pl.content.width <= src.width && pl.content.height <= src.height;

  // Lower the quality (or leave lossless formats) until the file is under the cap.
  std::filesystem::path target;
  std::unique_ptr<AtomicFile> out;
  std::uint64_t bytes = 0;
  for (int attempt = 0;; ++attempt) {
    throw_if_interrupted(m.path);
    target = job.target(extension(format));
    out = std::make_unique<AtomicFile>(target, job.existing());
    try {
      bytes = image::guarded(ErrorKind::io, target.string(), "cannot write", [&] {
        std::optional<std::uint64_t> direct;
        if (jpeg_to_jpeg && format == "jpeg")
          direct = image::scale_jpeg(m.path, out->temp_path(), {pl.content.width, pl.content.height, p.orientation, quality});
        return direct ? *direct : image::save(render(format), out->temp_path(), format, quality);
      });
    } catch (const Error& e) {
      // Pixels are decoded inside the save, so a failure there names the
      // output even when the input is what failed: ask the input alone.
      if (e.kind() != ErrorKind::io) throw;
      if (std::string bad = image::decode_failure(m.path); !bad.empty())
        throw Error(ErrorKind::input, m.path, "unreadable: cut short or corrupt image data (" + bad + ")");
      throw;
    }
    if (bytes < L.image_max_bytes || attempt >= 8) break;
    if (format == "jpeg" || format == "webp") {
      quality = std::max(40, quality - 10);
    } else {
      format = keep_alpha ? "webp" : "jpeg";  // lossless is too big: go lossy, keeping alpha if any
    }
  }

  if (format != m.format) c.changes.push_back({"converted", m.format, format});
  if (p.alpha && format == "jpeg")
    c.changes.push_back({"flattened", keep_alpha ? "alpha" : "opaque alpha", "on white"});
  if (!complete) c.changes.push_back({"repaired", "no end marker", "decoded and saved anew"});
  if (quality != o.jpeg_quality || (too_big && format == m.format))
    c.changes.push_back({"recompressed", fmt::format("{:.2f} MB", m.file_size / 1e6), fmt::format("{:.2f} MB (quality {})", bytes / 1e6, quality)});
  if (pl.content.width != src.width || pl.content.height != src.height)
    c.changes.push_back({"resized", dims(src.width, src.height), dims(pl.content.width, pl.content.height)});
  if (pl.pads)
    c.changes.push_back({"padded", dims(pl.content.width, pl.content.height),
                         fmt::format("{} ({})", dims(pl.canvas.width, pl.canvas.height), fill_name(o.pad))});
  if (pl.crops)
    c.changes.push_back({"cropped", dims(pl.content.width, pl.content.height), dims(pl.canvas.width, pl.canvas.height)});
  kill_point("conform");
  out->commit();
  c.output = target.string();
  return c;
}

}  // namespace seedreel::conform_detail
