#include "pixel/png_write.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "seedreel/error.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::pixel {

namespace {

// libdeflate's level 1, chosen by measuring 1080p RGB frames of a synthetic
// test video and of a photograph (docs/post.md): on rows filtered as below
// the PNG is 9 % and 36 % smaller than libvips' default (zlib level 6, no
// filter), in 0.8x and 0.26x its time. Level 2 saved 2 % more on the
// photograph for 45 % more compression time.
constexpr int kLevel = 1;
constexpr std::size_t kMinBandBytes = 1 << 19;  // less filtering is not worth a thread
constexpr unsigned kMaxBands = 8;
constexpr std::size_t kMaxChunk = 1 << 20;  // IDAT payload per chunk

enum Filter : std::uint8_t { none = 0, sub = 1, up = 2 };

// Filters one row into out[0] (the filter type) and out[1..n]; `prev` is the
// row above (all zero for the first row). Of None, Sub and Up it keeps the one
// whose bytes, read as signed, sum smallest (libpng's heuristic). Average and
// Paeth are left out: scoring them cost more than the deflate they saved.
void filter_row(const std::uint8_t* cur, const std::uint8_t* prev, std::size_t n, std::size_t bpp, std::uint8_t* out) {
  auto magnitude = [](int v) { return std::abs(int(std::int8_t(v))); };
  std::uint64_t cost_none = 0, cost_sub = 0, cost_up = 0;
  for (std::size_t i = 0; i < n; ++i) {
    cost_none += std::uint64_t(magnitude(cur[i]));
    cost_up += std::uint64_t(magnitude(cur[i] - prev[i]));
  }
  for (std::size_t i = 0; i < bpp; ++i) cost_sub += std::uint64_t(magnitude(cur[i]));
  for (std::size_t i = bpp; i < n; ++i) cost_sub += std::uint64_t(magnitude(cur[i] - cur[i - bpp]));
  std::uint8_t* f = out + 1;
  if (cost_sub <= cost_up && cost_sub < cost_none) {
    out[0] = sub;
    std::memcpy(f, cur, bpp);
    for (std::size_t i = bpp; i < n; ++i) f[i] = std::uint8_t(cur[i] - cur[i - bpp]);
  } else if (cost_up < cost_none) {
    out[0] = up;
    for (std::size_t i = 0; i < n; ++i) f[i] = std::uint8_t(cur[i] - prev[i]);
  } else {
    out[0] = none;
    std::memcpy(f, cur, n);
  }
}

void filter_rows(const PixelRows& px, int first, int end, const std::vector<std::uint8_t>& zeros, std::uint8_t* out) {
  const std::size_t n = std::size_t(px.width) * std::size_t(px.pixel_bytes());
  for (int y = first; y < end; ++y) {
    const std::uint8_t* cur = px.data + std::ptrdiff_t(y) * px.stride;
    const std::uint8_t* prev = y > 0 ? cur - px.stride : zeros.data();
    filter_row(cur, prev, n, std::size_t(px.pixel_bytes()), out + std::size_t(y) * (n + 1));
  }
}

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
};

// The rows filtered and compressed: the zlib stream the IDAT chunks carry.
// Error(invalid_argument) for pictures a PNG cannot hold.
std::vector<std::uint8_t> compressed_rows(const PixelRows& px) {
  if (px.width <= 0 || px.height <= 0 || !px.data) throw Error(ErrorKind::invalid_argument, "", "empty picture");
  if (px.bands < 1 || px.bands > 4) throw Error(ErrorKind::invalid_argument, "", "a PNG has 1 to 4 bands");
  if (px.depth != 8 && px.depth != 16) throw Error(ErrorKind::invalid_argument, "", "we write 8- or 16-bit PNG samples");
  if (px.stride < std::ptrdiff_t(px.width) * px.pixel_bytes()) throw Error(ErrorKind::invalid_argument, "", "rows overlap");
  const std::size_t row = std::size_t(px.width) * std::size_t(px.pixel_bytes()) + 1;
  const std::size_t total = row * std::size_t(px.height);

  unsigned count = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, kMaxBands);
  count = unsigned(std::clamp<std::size_t>(total / kMinBandBytes, 1, count));
  count = std::min<unsigned>(count, unsigned(px.height));
  const std::vector<std::uint8_t> zeros(row, 0);
  std::vector<std::uint8_t> filtered(total);
  {
    std::vector<std::jthread> workers;
    auto band = [&](unsigned k) {
      filter_rows(px, int(std::int64_t(px.height) * k / count), int(std::int64_t(px.height) * (k + 1) / count), zeros,
                  filtered.data());
    };
    for (unsigned k = 1; k < count; ++k) workers.emplace_back(band, k);
    band(0);
  }
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor(libdeflate_alloc_compressor(kLevel));
  if (!compressor) throw std::bad_alloc();
  std::vector<std::uint8_t> z(libdeflate_zlib_compress_bound(compressor.get(), total));
  z.resize(libdeflate_zlib_compress(compressor.get(), filtered.data(), total, z.data(), z.size()));
  if (z.empty()) throw Error(ErrorKind::io, "", "PNG compression failed");
  return z;
}

using Sink = std::function<void(const std::uint8_t*, std::size_t)>;

void put_chunk(const Sink& out, const char* type, const std::uint8_t* data, std::size_t size) {
  auto be32 = [](std::uint32_t v) {
    return std::array<std::uint8_t, 4>{std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
  };
  const auto length = be32(std::uint32_t(size));
  const auto* name = reinterpret_cast<const std::uint8_t*>(type);
  uLong sum = crc32_z(0, name, 4);
  if (size > 0) sum = crc32_z(sum, data, size);  // a null buffer would restart the CRC
  const auto crc = be32(std::uint32_t(sum));
  out(length.data(), 4);
  out(name, 4);
  if (size > 0) out(data, size);
  out(crc.data(), 4);
}

// Signature, IHDR, the zlib stream `z` in IDAT chunks, IEND.
void emit_png(const PixelRows& px, const std::vector<std::uint8_t>& z, const Sink& out) {
  static constexpr std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static constexpr std::uint8_t colour_type[5] = {0, 0, 4, 2, 6};
  out(signature, sizeof signature);
  std::uint8_t ihdr[13] = {};
  for (int i = 0; i < 4; ++i) {
    ihdr[i] = std::uint8_t(std::uint32_t(px.width) >> (24 - 8 * i));
    ihdr[4 + i] = std::uint8_t(std::uint32_t(px.height) >> (24 - 8 * i));
  }
  ihdr[8] = std::uint8_t(px.depth);  // bits per sample; compression, filter and interlace methods 0
  ihdr[9] = colour_type[px.bands];
  put_chunk(out, "IHDR", ihdr, sizeof ihdr);
  for (std::size_t at = 0; at < z.size(); at += kMaxChunk)
    put_chunk(out, "IDAT", z.data() + at, std::min(kMaxChunk, z.size() - at));
  put_chunk(out, "IEND", nullptr, 0);
}

}  // namespace

std::string encode_png(const PixelRows& px) {
  const std::vector<std::uint8_t> z = compressed_rows(px);
  std::string png;
  png.reserve(z.size() + 64);
  emit_png(px, z, [&](const std::uint8_t* data, std::size_t size) {
    png.append(reinterpret_cast<const char*>(data), size);
  });
  return png;
}

void write_png(const std::string& path, const PixelRows& rows) {
  // Compressed before the file is created, so bad input leaves no file behind.
  const std::vector<std::uint8_t> z = compressed_rows(rows);
  UniqueFile f(std::fopen(path.c_str(), "wb"));
  auto fail = [&] { throw Error(ErrorKind::io, path, std::string("cannot write: ") + std::strerror(errno)); };
  if (!f) fail();
  emit_png(rows, z, [&](const std::uint8_t* data, std::size_t size) {
    if (std::fwrite(data, 1, size, f.get()) != size) fail();
  });
  if (std::fflush(f.get()) != 0) fail();
}

}  // namespace seedreel::pixel
