#include "pixel/orient.hpp"

#include <cstring>

namespace seedreel::pixel {

int orientation_of_rotation(int degrees) {
  switch (degrees) {
    case 90: return 6;
    case 180: return 3;
    case 270: return 8;
    default: return 1;
  }
}

void orient(const std::uint8_t* src, int w, int h, std::ptrdiff_t src_stride, int bpp, int orientation,
            std::uint8_t* dst, std::ptrdiff_t dst_stride) {
  const bool transpose = swaps_sides(orientation);
  const bool flip_x = orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8;
  const bool flip_y = orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7;
  const int out_w = transpose ? h : w, out_h = transpose ? w : h;
  const std::size_t b = std::size_t(bpp);
  for (int y = 0; y < out_h; ++y) {
    std::uint8_t* row = dst + std::ptrdiff_t(y) * dst_stride;
    for (int x = 0; x < out_w; ++x) {
      int u = transpose ? y : x, v = transpose ? x : y;  // the stored column and row shown here
      if (flip_x) u = w - 1 - u;
      if (flip_y) v = h - 1 - v;
      std::memcpy(row + std::size_t(x) * b, src + std::ptrdiff_t(v) * src_stride + std::ptrdiff_t(u) * bpp, b);
    }
  }
}

}  // namespace seedreel::pixel
