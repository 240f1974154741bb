#pragma once
// libvips set-up shared by every image operation: initialise once, keep the
// operation cache off (we open many files once each), block loaders that are
// not safe for untrusted input except ImageMagick, which is libvips' only BMP reader.
#include <string_view>

#include <vips/vips8>

namespace seedreel::image {

// Starts libvips with its built-in formats only (JPEG, PNG, WebP, GIF, TIFF
// and the savers every command uses).
void init_vips();

// Loads libvips' modules (HEIF/AVIF, JPEG XL, ImageMagick, PDF, OpenSlide)
// once, for the first file that needs one. Starting them all up front costs
// ~40 ms of CPU per process and their libraries' memory, paid by every command
// that never reads such a file (last-frame, stitch, a folder of JPEGs).
void load_vips_modules();

// True when reading a file sniffed as `format` needs a module.
bool needs_vips_module(std::string_view format);

}  // namespace seedreel::image
