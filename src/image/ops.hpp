#pragma once
// Image operations for conform, on libvips' C++ binding: load through the
// shrink-on-load thumbnail path with limits checked first, bring any pixel
// format to 8-bit sRGB, pad (colour or blurred copy), flatten, save.
#include <array>
#include <cstdint>
#include <string>

#include <vips/vips8>

#include "image/vips.hpp"
#include "seedreel/media.hpp"

namespace seedreel::image {

// Silences libvips' warnings on stderr (e.g. "ignoring nclx profile"): our
// errors are reported as one line each; idempotent.
void quiet_warnings();

// Error(input) naming the limit when the header claims more pixels than we
// decode (a decompression bomb); nothing is decoded.
void check_decode_limit(const MediaInfo& info);

// The first page of `path`, upright (EXIF orientation applied), uniformly
// scaled to fit width x height (sizes proportional to the upright source, so
// the result is that size to within a pixel on one side), read sequentially; with `crop`, scaled to cover width x height and cut from the centre.
// Decoding errors (truncated files) fail instead of leaving grey rows.
vips::VImage load_scaled(const std::string& path, int width, int height, bool crop = false);

// Whether the alpha channel of `path` has any pixel that is not fully opaque,
// judged on a small shrink-on-load copy; false without alpha.
bool alpha_matters(const std::string& path);
// The decoder's complaint when `path` cannot be decoded to its last pixel,
// "" when it can. libvips decodes lazily, so a cut file fails inside the
// save with a message about the output; this tells the two apart (error
// paths only: it decodes the whole image).
std::string decode_failure(const std::string& path);

// Cheap structural check that a JPEG or PNG was written to its end (EOI marker,
// IEND chunk); true for other formats. A file that fails is decoded in full.
bool looks_complete(const std::string& path, const std::string& format);

// 8-bit sRGB (or 8-bit grey), whatever the source: CMYK, 16-bit, Lab, float.
vips::VImage to_srgb8(vips::VImage image);

// `content` centred on a width x height canvas filled with `rgb`.
vips::VImage pad_colour(vips::VImage content, int width, int height, std::array<std::uint8_t, 3> rgb);
// `content` centred on a blurred, enlarged copy of the picture at `path` that
// covers the width x height canvas.
vips::VImage pad_blur(vips::VImage content, const std::string& path, int width, int height);

// Alpha composited onto an opaque `rgb` background; unchanged without alpha.
vips::VImage flatten(vips::VImage image, std::array<std::uint8_t, 3> rgb);

// Saves in `format` ("jpeg", "png", "webp", "tiff") to `path`, metadata
// stripped (the orientation is already applied). Returns the file's size.
std::uint64_t save(const vips::VImage& image, const std::string& path, const std::string& format, int quality);

}  // namespace seedreel::image
