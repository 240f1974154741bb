// Saving a conformed image. Metadata is stripped: the orientation has been
// applied to the pixels and the colour converted to sRGB, so the EXIF tag and
// the old profile would now be wrong.
#include <filesystem>

#include "image/ops.hpp"
#include "seedreel/error.hpp"

namespace seedreel::image {

std::uint64_t save(const vips::VImage& image, const std::string& path, const std::string& format, int quality) {
  // Built per call: a VOption belongs to the operation that consumes it.
  auto opts = [] { return vips::VImage::option()->set("strip", true); };
  if (format == "jpeg") {
    image.jpegsave(path.c_str(), opts()->set("Q", quality)->set("optimize_coding", true));
  } else if (format == "webp") {
    image.webpsave(path.c_str(), opts()->set("Q", quality));
  } else if (format == "png") {
    image.pngsave(path.c_str(), opts()->set("compression", 6));
  } else if (format == "tiff") {
    image.tiffsave(path.c_str(), opts()->set("compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE));
  } else {
    throw Error(ErrorKind::io, path, "cannot save images as " + format);
  }
  return std::filesystem::file_size(path);
}

}  // namespace seedreel::image
