#pragma once
// Downscaling a JPEG to a JPEG without leaving the YCbCr domain: libjpeg-turbo
// decodes the planes (with DCT scaling when the shrink is large), swscale
// resamples them row slice by row slice (Lanczos-3), and libjpeg encodes the
// result. Skipping libvips' YCbCr -> RGB -> YCbCr round trip and its RGB
// resampler makes the common "big camera JPEG in, smaller JPEG out" case
// several times cheaper, and the chroma is resampled from its own samples
// instead of from upsampled copies.
#include <cstdint>
#include <optional>
#include <string>

namespace seedreel::image {

struct JpegScale {
  int width = 0, height = 0;  // output size, upright (after `orientation`)
  int orientation = 1;        // EXIF orientation of the source, applied to the pixels
  int quality = 90;           // 4:4:4 chroma from 90 up, 4:2:0 below (libvips' rule)
};

// Writes `in` scaled to `out` and returns the file's size, or nullopt when
// this path does not apply: not an 8-bit YCbCr or greyscale JPEG, an embedded
// ICC profile (colour management is libvips' job), any libjpeg warning or
// error (a damaged file), or an upscale. On nullopt `out` may hold a partial
// file that the caller overwrites.
std::optional<std::uint64_t> scale_jpeg(const std::string& in, const std::string& out, const JpegScale& how);

}  // namespace seedreel::image
