#pragma once
// A quick PNG writer for 8- and 16-bit pictures (last frames, thumbnails, sheets):
// each row gets the cheapest of the None/Sub/Up filters, bands of rows are
// filtered on every core, and libdeflate compresses the whole at its fastest
// level. Smaller and quicker than libvips' PNG default (docs/post.md).
#include <cstddef>
#include <cstdint>
#include <string>

namespace seedreel::pixel {

// Rows of `depth`-bit samples (8, or 16 stored big-endian as PNG wants them),
// `bands` per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. `stride` is the
// distance between rows in bytes.
struct PixelRows {
  const std::uint8_t* data = nullptr;
  int width = 0, height = 0, bands = 3;
  std::ptrdiff_t stride = 0;
  int depth = 8;
  int pixel_bytes() const noexcept { return bands * (depth / 8); }
};

// The encoded PNG: signature, IHDR, IDAT and IEND (no metadata).
// Error(invalid_argument) for an empty picture, an unsupported band count or rows that overlap.
std::string encode_png(const PixelRows& rows);

// encode_png written to `path` (created or emptied). Error(io) when it cannot be.
void write_png(const std::string& path, const PixelRows& rows);

}  // namespace seedreel::pixel
