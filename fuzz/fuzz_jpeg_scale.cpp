// JPEG -> JPEG downscaling in YCbCr on arbitrary bytes. The target size,
// orientation and quality come from the input (a fraction of the size its
// frame header states), so the same bytes always ask for the same scaling.
#include <fcntl.h>

#include <algorithm>
#include <functional>
#include <string_view>

#include "fuzz_support.hpp"
#include "image/jpeg_scale.hpp"
#include "seedreel/error.hpp"

using namespace seedreel;

namespace {

// Width and height from the first SOFn marker; 0 when none is found.
std::pair<int, int> frame_size(const std::uint8_t* d, std::size_t n) {
  for (std::size_t i = 2; i + 9 < n; ++i) {
    if (d[i] != 0xFF) continue;
    const std::uint8_t m = d[i + 1];
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
      return {d[i + 7] << 8 | d[i + 8], d[i + 5] << 8 | d[i + 6]};
  }
  return {0, 0};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [w, h] = frame_size(data, size);
  // conform only scales pictures within the API's size range (preflight
  // refuses larger headers before any pixel is decoded).
  if (w <= 0 || h <= 0 || w > 6000 || h > 6000) return 0;
  const std::size_t hash = std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(data), size));
  static constexpr int kEighths[] = {8, 7, 6, 5, 4, 3, 2, 1};
  const int num = kEighths[hash % 8], den = (hash >> 3) % 2 ? 8 : 64;
  image::JpegScale how;
  how.orientation = 1 + int((hash >> 4) % 8);
  how.quality = (hash >> 7) % 2 ? 90 : 75;  // 4:4:4 and 4:2:0 output
  const bool turned = how.orientation >= 5;  // 5..8 swap the sides
  how.width = std::max(1, (turned ? h : w) * num / den);
  how.height = std::max(1, (turned ? w : h) * num / den);
  fuzz::MemFile in(data, size);
  const std::string out = fuzz::scratch_dir() + "/out.jpg";
  try {
    (void)image::scale_jpeg(in.path(), out, how);
  } catch (const Error&) {
  }
  return 0;
}
