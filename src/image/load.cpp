// Loading with limits: the header is checked before any pixel is decoded, and
// pixels come through libvips' thumbnail path, which shrinks while decoding
// (JPEG DCT scaling, WebP/HEIF/TIFF pyramid levels) and reads sequentially.
#include <algorithm>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "image/ops.hpp"
#include "image/vips.hpp"
#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"

namespace seedreel::image {

void quiet_warnings() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_log_set_handler("VIPS", GLogLevelFlags(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
                      [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  });
}

void check_decode_limit(const MediaInfo& info) {
  const auto limit = media_limits().image_max_decode_pixels;
  const auto pixels = std::uint64_t(info.width) * std::uint64_t(info.height);
  if (pixels > limit)
    throw Error(ErrorKind::input, info.path,
                fmt::format("header claims {}x{} ({:.0f} megapixels), over the {:.0f}-megapixel decode limit; "
                            "refused before decoding",
                            info.width, info.height, double(pixels) / 1e6, double(limit) / 1e6));
}

// Fits inside a box x box square (downsizing only).
vips::VImage load_scaled_box(const std::string& path, int box) {
  init_vips();
  return vips::VImage::thumbnail(path.c_str(), box,
                                 vips::VImage::option()->set("height", box)->set("size", VIPS_SIZE_DOWN)->set("fail_on", VIPS_FAIL_ON_ERROR));
}

vips::VImage load_scaled(const std::string& path, int width, int height, bool crop) {
  init_vips();
  auto* opts = vips::VImage::option()
                   ->set("height", height)
                   ->set("fail_on", VIPS_FAIL_ON_ERROR);
  // The box is proportional to the source, so the side that limits comes out
  // exact and the other within a pixel. (VIPS_SIZE_FORCE would pin both, but
  // it gives up part of the shrink-on-load and costs ~15 % more time.)
  if (crop) opts->set("crop", VIPS_INTERESTING_CENTRE);
  return vips::VImage::thumbnail(path.c_str(), width, opts);
}

std::string decode_failure(const std::string& path) {
  init_vips();
  try {
    auto* opts = vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", VIPS_FAIL_ON_ERROR);
    (void)vips::VImage::new_from_file(path.c_str(), opts).avg();
    return "";
  } catch (const vips::VError& e) {
    std::string why = vips_message(e);
    return why.empty() ? "cannot decode" : why;
  }
}

bool alpha_matters(const std::string& path) {
  vips::VImage small = load_scaled_box(path, 256);
  if (!small.has_alpha()) return false;
  double max = small.format() == VIPS_FORMAT_USHORT ? 65535 : 255;
  return small.extract_band(small.bands() - 1).min() < max;
}

bool looks_complete(const std::string& path, const std::string& format) {
  if (format != "jpeg" && format != "png") return true;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::streamoff size = in.tellg();
  std::streamoff tail = std::min<std::streamoff>(size, 4096);
  std::string buf(std::size_t(tail), '\0');
  in.seekg(size - tail);
  if (!in.read(buf.data(), tail)) return false;
  // Cameras may append data after the JPEG's end marker, so look near the end, not at it.
  if (format == "jpeg") return buf.find("\xFF\xD9") != std::string::npos;
  return buf.find("IEND") != std::string::npos;
}

vips::VImage to_srgb8(vips::VImage image) {
  VipsInterpretation in = image.interpretation();
  bool grey = in == VIPS_INTERPRETATION_B_W || in == VIPS_INTERPRETATION_GREY16;
  VipsInterpretation want = grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
  if (in != want || image.format() != VIPS_FORMAT_UCHAR) image = image.colourspace(want);
  if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
  return image;
}

}  // namespace seedreel::image
