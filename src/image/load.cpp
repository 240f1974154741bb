// Loading with limits: the header is checked before any pixel is decoded, and
// pixels come through libvips' thumbnail path, which shrinks while decoding
// (JPEG DCT scaling, WebP/HEIF/TIFF pyramid levels) and reads sequentially.
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

std::string vips_message(const vips::VError& e) {
  std::string msg = e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  vips_error_clear();
  return msg;
}

vips::VImage load_scaled(const std::string& path, int width, int height, bool crop) {
  init_vips();
  auto* opts = vips::VImage::option()
                   ->set("height", height)
                   ->set("fail_on", VIPS_FAIL_ON_ERROR);
  // FORCE: the box is already proportional to the source, so this only pins the
  // rounding of the last pixel instead of letting it drift by one.
  if (crop) opts->set("crop", VIPS_INTERESTING_CENTRE);
  else opts->set("size", VIPS_SIZE_FORCE);
  return vips::VImage::thumbnail(path.c_str(), width, opts);
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
