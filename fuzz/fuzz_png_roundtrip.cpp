// The PNG writer as a round trip: a picture of random size, depth, bands,
// row padding and pixels is encoded, decoded by libvips (libpng or libspng
// underneath) and must come back sample for sample.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_support.hpp"
#include "pixel/png_write.hpp"
#include "image/vips.hpp"
#include "seedreel/error.hpp"

using namespace seedreel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 7) return 0;
  image::init_vips();
  // The header: width and height, bands 1..4, depth, row padding; the pixels
  // repeat the rest. Pictures are up to 32 px a side, so an execution is
  // cheap; a sixth byte of 0xFF allows up to 1024 a side and ~640 KB of
  // samples, enough for the writer to filter bands of rows on two threads.
  const bool large = data[5] == 0xFF;
  const int side = large ? 1024 : 32;
  int width = 1 + ((data[0] << 8 | data[1]) % side);
  int height = 1 + ((data[2] << 8 | data[3]) % side);
  const int bands = 1 + (data[4] & 3);
  const int depth = data[4] & 4 ? 16 : 8;
  const int pad = (data[4] >> 3) & 7;
  const std::size_t cap = std::size_t(640) << 10;
  while (std::size_t(width) * std::size_t(height) * std::size_t(bands * depth / 8) > cap) height = (height + 1) / 2;
  const std::uint8_t* px = data + 6;
  const std::size_t px_size = size - 6;
  pixel::PixelRows rows;
  rows.width = width;
  rows.height = height;
  rows.bands = bands;
  rows.depth = depth;
  const std::size_t row = std::size_t(width) * std::size_t(rows.pixel_bytes());
  rows.stride = std::ptrdiff_t(row) + pad;
  std::vector<std::uint8_t> pixels(std::size_t(rows.stride) * std::size_t(height));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = px[i % px_size];
  rows.data = pixels.data();

  const std::string png = pixel::encode_png(rows);
  vips::VImage img;
  try {
    img = vips::VImage::new_from_buffer(png.data(), png.size(), "");
    if (img.width() != width || img.height() != height || img.bands() != bands)
      fuzz::fail("the decoded PNG has another size or band count");
    if (img.format() != (depth == 16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR))
      fuzz::fail("the decoded PNG has another sample depth");
    std::size_t n = 0;
    auto decoded = std::unique_ptr<std::uint8_t, decltype(&g_free)>(
        static_cast<std::uint8_t*>(img.write_to_memory(&n)), &g_free);
    if (n != row * std::size_t(height)) fuzz::fail("the decoded PNG has another byte count");
    for (int y = 0; y < height; ++y) {
      const std::uint8_t* in = pixels.data() + std::size_t(y) * std::size_t(rows.stride);
      const std::uint8_t* out = decoded.get() + std::size_t(y) * row;
      if (depth == 8) {
        if (std::memcmp(in, out, row) != 0) fuzz::fail("8-bit samples differ after the round trip");
      } else {
        // We write 16-bit samples big-endian; libvips hands them back in the host's order.
        for (std::size_t i = 0; i < row; i += 2) {
          std::uint16_t back;
          std::memcpy(&back, out + i, 2);
          if (back != std::uint16_t(in[i] << 8 | in[i + 1])) fuzz::fail("16-bit samples differ after the round trip");
        }
      }
    }
  } catch (const vips::VError& e) {
    fuzz::fail(e.what());  // our own PNG must always decode
  }
  return 0;
}
