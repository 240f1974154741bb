#pragma once
// Turning and flipping packed pixels by an EXIF orientation, shared by the
// JPEG path (EXIF tags) and decoded video frames (display matrices).
#include <cstddef>
#include <cstdint>

namespace seedreel::pixel {

// The EXIF orientation (1, 6, 3 or 8) that shows a picture turned by
// `degrees` clockwise (0, 90, 180 or 270).
int orientation_of_rotation(int degrees);

// True for orientations 5-8, which swap width and height.
inline bool swaps_sides(int orientation) { return orientation >= 5; }

// Writes the w x h picture at `src` (pixels of `bpp` bytes, rows `src_stride`
// apart) as EXIF `orientation` (1-8) displays it, to `dst` (rows `dst_stride`
// apart; h x w for orientations 5-8).
void orient(const std::uint8_t* src, int w, int h, std::ptrdiff_t src_stride, int bpp, int orientation,
            std::uint8_t* dst, std::ptrdiff_t dst_stride);

}  // namespace seedreel::pixel
