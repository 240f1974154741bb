#pragma once
// libvips set-up shared by every image operation: initialise once, keep the
// operation cache off (we open many files once each), block loaders that are
// not safe for untrusted input except ImageMagick, which is libvips' only BMP reader.
#include <string>
#include <string_view>

#include <vips/vips8>

#include "seedreel/error.hpp"

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

// The last libvips error as one line (and clears the buffer).
std::string vips_message(const vips::VError& e);

// libvips' exception stops at this layer: runs `fn` and turns a vips::VError
// into Error(kind, subject, "what: <libvips' message>"). Callers outside
// image/ run their libvips work through here instead of catching VError.
template <typename Fn>
decltype(auto) guarded(ErrorKind kind, const std::string& subject, std::string_view what, Fn&& fn) {
  try {
    return fn();
  } catch (const vips::VError& e) {
    const std::string why = vips_message(e);
    throw Error(kind, subject, why.empty() ? std::string(what) : std::string(what) + ": " + why);
  }
}

}  // namespace seedreel::image
