// Filling a canvas around a picture: a plain colour, or the picture itself
// enlarged to cover the canvas and blurred (the "blurred edge" look).
#include <algorithm>
#include <vector>

#include "image/ops.hpp"

namespace seedreel::image {

namespace {

std::vector<double> fill_for(const vips::VImage& image, std::array<std::uint8_t, 3> rgb) {
  std::vector<double> v;
  if (image.bands() <= 2) v = {0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]};
  else v = {double(rgb[0]), double(rgb[1]), double(rgb[2])};
  if (image.has_alpha()) v.push_back(255);
  return v;
}

bool is_grey(std::array<std::uint8_t, 3> rgb) { return rgb[0] == rgb[1] && rgb[1] == rgb[2]; }

}  // namespace

vips::VImage pad_colour(vips::VImage content, int width, int height, std::array<std::uint8_t, 3> rgb) {
  if (content.bands() <= 2 && !is_grey(rgb)) content = content.colourspace(VIPS_INTERPRETATION_sRGB);
  int x = (width - content.width()) / 2, y = (height - content.height()) / 2;
  return content.embed(x, y, width, height,
                       vips::VImage::option()->set("extend", VIPS_EXTEND_BACKGROUND)->set("background", fill_for(content, rgb)));
}

vips::VImage pad_blur(vips::VImage content, const std::string& path, int width, int height) {
  // Blur a small copy and enlarge it: a wide blur for a fraction of the cost.
  constexpr int kDown = 16;
  int bw = std::max(1, width / kDown), bh = std::max(1, height / kDown);
  vips::VImage bg = to_srgb8(load_scaled(path, bw, bh, /*crop=*/true));
  if (bg.has_alpha()) bg = flatten(bg, {0, 0, 0});
  bg = bg.gaussblur(2.0).resize(double(width) / bw, vips::VImage::option()->set("vscale", double(height) / bh));
  bg = bg.extract_area(0, 0, std::min(width, bg.width()), std::min(height, bg.height()));
  if (bg.width() < width || bg.height() < height)
    bg = bg.embed(0, 0, width, height, vips::VImage::option()->set("extend", VIPS_EXTEND_COPY));
  if (content.bands() <= 2) content = content.colourspace(VIPS_INTERPRETATION_sRGB);
  if (content.has_alpha()) bg = bg.bandjoin_const({255});
  return bg.insert(content, (width - content.width()) / 2, (height - content.height()) / 2);
}

vips::VImage flatten(vips::VImage image, std::array<std::uint8_t, 3> rgb) {
  if (!image.has_alpha()) return image;
  std::vector<double> bg = fill_for(image, rgb);
  bg.pop_back();
  return image.flatten(vips::VImage::option()->set("background", bg)).cast(VIPS_FORMAT_UCHAR);
}

}  // namespace seedreel::image
