// Our PNG writer (pixel/png_write.hpp): every band count and odd sizes decode
// to exactly the pixels given, read back by two other decoders (libvips'
// libpng and FFmpeg's); the row filters chosen fit the picture; the pieces
// made on several threads form one valid zlib stream; bad input is refused.
#include <doctest/doctest.h>

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <vips/vips8>

#include "pixel/png_write.hpp"
#include "image/vips.hpp"
#include "seedreel/error.hpp"
#include "support.hpp"

using seedreel::pixel::encode_png;
using seedreel::pixel::PixelRows;
using seedreel::pixel::write_png;
using seedreel::test::run;
namespace fs = std::filesystem;

namespace {

[[maybe_unused]] const bool kVipsStarted = (seedreel::image::init_vips(), true);

const std::string& dir() {
  static const std::string d = seedreel::test::temp_dir("png_write");
  return d;
}

// Noise over smooth gradients: neither flat (every filter ties) nor random
// (nothing compresses), like a video frame.
std::vector<std::uint8_t> picture(int w, int h, int bands, std::ptrdiff_t stride) {
  std::vector<std::uint8_t> px(std::size_t(stride) * std::size_t(h), 0xEE);
  std::uint32_t seed = 12345;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int b = 0; b < bands; ++b) {
        seed = seed * 1664525u + 1013904223u;
        px[std::size_t(y) * std::size_t(stride) + std::size_t(x * bands + b)] =
            std::uint8_t((x * (b + 1) + y * 2 + int(seed >> 29)) & 0xFF);
      }
  return px;
}

// The pixels of `png` as libvips reads them, packed.
std::vector<std::uint8_t> vips_pixels(const std::string& png, int& w, int& h, int& bands) {
  vips::VImage img = vips::VImage::new_from_buffer(png.data(), png.size(), "");
  w = img.width();
  h = img.height();
  bands = img.bands();
  std::size_t size = 0;
  void* mem = img.write_to_memory(&size);
  std::vector<std::uint8_t> out(static_cast<std::uint8_t*>(mem), static_cast<std::uint8_t*>(mem) + size);
  g_free(mem);
  return out;
}

std::vector<std::uint8_t> packed(const std::vector<std::uint8_t>& px, int w, int h, int bands, std::ptrdiff_t stride) {
  std::vector<std::uint8_t> out;
  for (int y = 0; y < h; ++y)
    out.insert(out.end(), px.begin() + y * stride, px.begin() + y * stride + w * bands);
  return out;
}

struct Chunk {
  std::string type, data;
};

// Splits a PNG into its chunks, checking the signature and every CRC.
std::vector<Chunk> chunks(const std::string& png) {
  REQUIRE(png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) == 0);
  std::vector<Chunk> out;
  std::size_t at = 8;
  auto be32 = [&](std::size_t i) {
    return std::uint32_t(std::uint8_t(png[i])) << 24 | std::uint32_t(std::uint8_t(png[i + 1])) << 16 |
           std::uint32_t(std::uint8_t(png[i + 2])) << 8 | std::uint32_t(std::uint8_t(png[i + 3]));
  };
  while (at < png.size()) {
    REQUIRE(at + 12 <= png.size());
    const std::uint32_t n = be32(at);
    REQUIRE(at + 12 + n <= png.size());
    const std::uint32_t crc = std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(png.data() + at + 4), n + 4));
    CHECK(crc == be32(at + 8 + n));
    out.push_back({png.substr(at + 4, 4), png.substr(at + 8, n)});
    at += 12 + n;
  }
  return out;
}

// The filtered rows inside the IDAT chunks (one zlib stream, Adler-32 checked by zlib).
std::string inflated(const std::vector<Chunk>& cs, std::size_t expected) {
  std::string z;
  for (const auto& c : cs)
    if (c.type == "IDAT") z += c.data;
  std::string out(expected + 1, '\0');
  uLongf size = uLongf(out.size());
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(z.data()),
                     uLong(z.size())) == Z_OK);
  out.resize(size);
  return out;
}

}  // namespace

TEST_CASE("every band count and size decodes to the pixels given") {
  struct Size {
    int w, h;
  };
  // 1x1; odd sizes; a tall strip (more threads than is worth); a 1080p frame
  // cut into bands on every core; rows with padding after them.
  for (Size s : {Size{1, 1}, Size{7, 3}, Size{301, 199}, Size{3, 2000}, Size{1920, 1080}})
    for (int bands = 1; bands <= 4; ++bands)
      for (int pad : {0, 13}) {
        CAPTURE(s.w);
        CAPTURE(s.h);
        CAPTURE(bands);
        CAPTURE(pad);
        const std::ptrdiff_t stride = std::ptrdiff_t(s.w) * bands + pad;
        const auto px = picture(s.w, s.h, bands, stride);
        const std::string png = encode_png(PixelRows{px.data(), s.w, s.h, bands, stride});

        const auto cs = chunks(png);
        REQUIRE(cs.size() >= 3);
        CHECK(cs.front().type == "IHDR");
        CHECK(cs.back().type == "IEND");
        const std::size_t row = std::size_t(s.w) * std::size_t(bands) + 1;
        CHECK(inflated(cs, row * std::size_t(s.h)).size() == row * std::size_t(s.h));

        int w = 0, h = 0, b = 0;
        const auto back = vips_pixels(png, w, h, b);
        CHECK(w == s.w);
        CHECK(h == s.h);
        CHECK(b == bands);
        CHECK(back == packed(px, s.w, s.h, bands, stride));
      }
}

TEST_CASE("FFmpeg's decoder reads the same pixels from the file") {
  const int w = 640, h = 360;
  const auto px = picture(w, h, 3, w * 3);
  const std::string path = dir() + "/frame.png";
  write_png(path, PixelRows{px.data(), w, h, 3, w * 3});
  const std::string raw = dir() + "/frame.rgb";
  REQUIRE(run({"ffmpeg", "-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw}).status == 0);
  std::ifstream in(raw, std::ios::binary);
  std::vector<std::uint8_t> back((std::istreambuf_iterator<char>(in)), {});
  CHECK(back == px);
}

TEST_CASE("each row gets the filter that suits it") {
  const int w = 256, h = 64;
  std::vector<std::uint8_t> px(std::size_t(w) * h * 3);
  // Top half: every row the same ramp (Up leaves zeros). Bottom half: each
  // row one flat value that changes from row to row (Sub leaves zeros).
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int b = 0; b < 3; ++b)
        px[std::size_t((y * w + x) * 3 + b)] = y < h / 2 ? std::uint8_t(x * 7 + b * 50) : std::uint8_t(y * 37 + b);
  const std::string png = encode_png(PixelRows{px.data(), w, h, 3, w * 3});
  const std::size_t row = std::size_t(w) * 3 + 1;
  const std::string rows = inflated(chunks(png), row * h);
  for (int y = 1; y < h; ++y) {
    CAPTURE(y);
    const int expected = y < h / 2 ? 2 : 1;  // Up, Sub
    if (y == h / 2) continue;               // the seam row may go either way
    CHECK(int(rows[std::size_t(y) * row]) == expected);
  }
  // And the result is far smaller than the pixels.
  CHECK(png.size() < px.size() / 20);
}

TEST_CASE("bad input and unwritable paths are refused") {
  const std::vector<std::uint8_t> px(64 * 64 * 3, 0);
  using seedreel::Error;
  using seedreel::ErrorKind;
  // The kind of Error f throws; cancelled (never thrown here) when it throws none.
  auto kind_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::cancelled;
  };
  CHECK(kind_of([&] { encode_png(PixelRows{px.data(), 0, 64, 3, 192}); }) == ErrorKind::invalid_argument);
  CHECK(kind_of([&] { encode_png(PixelRows{px.data(), 64, -1, 3, 192}); }) == ErrorKind::invalid_argument);
  CHECK(kind_of([&] { encode_png(PixelRows{px.data(), 64, 64, 5, 320}); }) == ErrorKind::invalid_argument);
  CHECK(kind_of([&] { encode_png(PixelRows{px.data(), 64, 64, 0, 0}); }) == ErrorKind::invalid_argument);
  CHECK(kind_of([&] { encode_png(PixelRows{nullptr, 64, 64, 3, 192}); }) == ErrorKind::invalid_argument);
  CHECK(kind_of([&] { encode_png(PixelRows{px.data(), 64, 64, 3, 100}); }) == ErrorKind::invalid_argument);  // rows overlap
  CHECK(kind_of([&] { write_png(dir() + "/no/such/folder/x.png", PixelRows{px.data(), 64, 64, 3, 192}); }) ==
        ErrorKind::io);
  CHECK_FALSE(fs::exists(dir() + "/no/such/folder/x.png"));
  // Bad input is refused before the file is created.
  CHECK(kind_of([&] { write_png(dir() + "/bad.png", PixelRows{px.data(), 64, 64, 7, 448}); }) == ErrorKind::invalid_argument);
  CHECK_FALSE(fs::exists(dir() + "/bad.png"));
}
