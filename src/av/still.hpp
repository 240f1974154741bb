#pragma once
// Pictures libvips cannot read but FFmpeg can: an animated AVIF (an AV1
// track, and its alpha as a second, grey track) or a HEIF image sequence.
// Conform takes their first frame, alpha included.
#include <string>

#include "seedreel/media.hpp"

namespace seedreel::av {

// What FFmpeg sees in `path` as a picture: size, bands, depth and frame
// count (loader "ffmpeg"). Error(input) when it has no video track either.
ImageProps still_props(const std::string& path, int* width, int* height);

// The first frame of `path` as an 8-bit sRGB PNG at `png`: RGBA when the
// file carries an alpha track of the same size, RGB otherwise.
// Error(input) when no frame decodes, Error(io) when `png` cannot be written.
void write_first_frame_png(const std::string& path, const std::string& png);

}  // namespace seedreel::av
