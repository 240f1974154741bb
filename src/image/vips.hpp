#pragma once
// libvips set-up shared by every image operation: initialise once, keep the
// operation cache off (we open many files once each), block loaders that are
// not safe for untrusted input except ImageMagick, which is libvips' only BMP reader.
#include <vips/vips8>

namespace seedreel::image {

void init_vips();

}  // namespace seedreel::image
