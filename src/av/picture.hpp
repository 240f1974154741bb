#pragma once
// Pictures between FFmpeg and libvips: decoded frames to 8-bit sRGB images
// (colour matrix and range from the frame's own tags), images to frames of an
// encoder's pixel format, and swscale conversion between frames.
#include <memory>

#include <vips/vips8>

#include "av/ffmpeg.hpp"

namespace seedreel::av {

// Converts frames to a fixed size and pixel format with swscale, reading the
// source's colour matrix/range tags and tagging the output (BT.709 limited for
// YUV output unless `keep_tags`). The context is rebuilt if the source changes.
class Scaler {
 public:
  // threads > 1 cuts each picture into slices converted in parallel, with the
  // same result as one thread.
  Scaler(int width, int height, AVPixelFormat format, int flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
         int threads = 1);
  // A new frame of the target geometry; pts and duration copied from src.
  FramePtr convert(const AVFrame& src);
  // Converts into caller-owned planes (e.g. one packed RGB buffer), saving a
  // frame allocation and a copy.
  void convert_into(const AVFrame& src, uint8_t* const dst[], const int dst_linesize[]);

 private:
  void prepare(const AVFrame& src);
  int width_, height_;
  AVPixelFormat format_;
  int flags_, threads_;
  SwsPtr sws_;
  int src_w_ = 0, src_h_ = 0, src_fmt_ = -1, src_space_ = -1, src_range_ = -1;
};

// A decoded frame as packed rows of sRGB: 3 bands, 4 if the frame has
// alpha; 8-bit samples, or 16-bit big-endian ones (as PNG stores them).
// The memory is g_malloc'd, so a vips image can take over 8-bit pixels.
struct PackedRgb {
  std::unique_ptr<unsigned char, void (*)(void*)> pixels{nullptr, g_free};
  int width = 0, height = 0, bands = 3, depth = 8;
  int pixel_bytes() const noexcept { return bands * (depth / 8); }
  std::size_t size() const noexcept { return std::size_t(width) * std::size_t(height) * std::size_t(pixel_bytes()); }
};

// `frame` converted on every core to `depth`-bit samples (8 or 16) and turned
// by `rotation` (clockwise 0/90/180/270, from av::rotation_of).
PackedRgb to_rgb(const AVFrame& frame, int rotation = 0, int depth = 8);

// A decoded frame as an 8-bit sRGB vips image (3 bands, 4 if the frame has
// alpha), pixels copied so the frame can be reused. `rotation` (clockwise
// 0/90/180/270, from av::rotation_of) is applied.
vips::VImage to_image(const AVFrame& frame, int rotation = 0);
// The same pixels handed over to libvips without a copy.
vips::VImage to_image(PackedRgb rgb);

// An 8-bit sRGB image (1-4 bands; alpha dropped) as a frame of `format`
// (e.g. yuv420p, BT.709 limited range) at the image's size; the image must
// already have the wanted size and even dimensions for 4:2:0.
FramePtr to_frame(const vips::VImage& image, AVPixelFormat format);

}  // namespace seedreel::av
