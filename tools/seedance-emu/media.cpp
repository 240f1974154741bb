#include "media.hpp"

#include <vips/vips8>

#include "image/vips.hpp"
#include "seedreel/base64.hpp"

namespace seedance_emu {

std::string_view to_string(MediaType t) {
  switch (t) {
    case MediaType::image:
      return "image";
    case MediaType::video:
      return "video";
    case MediaType::audio:
      return "audio";
  }
  return "?";
}

std::optional<DataUri> parse_data_uri(std::string_view uri, std::string* why) {
  if (!uri.starts_with("data:")) {
    *why = "not a data URI";
    return std::nullopt;
  }
  auto comma = uri.find(',');
  if (comma == std::string_view::npos) {
    *why = "data URI has no ',' before its payload";
    return std::nullopt;
  }
  std::string_view head = uri.substr(5, comma - 5);
  if (!head.ends_with(";base64")) {
    *why = "data URI is not base64 (expected data:<mime>;base64,<payload>)";
    return std::nullopt;
  }
  std::string_view mime = head.substr(0, head.size() - 7);
  auto slash = mime.find('/');
  if (mime.empty() || slash == std::string_view::npos || slash == 0 || slash + 1 == mime.size()) {
    *why = "data URI has no MIME type";
    return std::nullopt;
  }
  auto bytes = seedreel::base64_decode(uri.substr(comma + 1));
  if (!bytes) {
    *why = "data URI payload is not valid base64";
    return std::nullopt;
  }
  if (bytes->empty()) {
    *why = "data URI payload is empty";
    return std::nullopt;
  }
  return DataUri{std::string(mime), std::move(*bytes)};
}

std::optional<Picture> read_picture(std::string bytes, std::string* why) {
  seedreel::image::load_vips_modules();
  try {
    // Header only: libvips decodes pixels lazily, when the video is rendered.
    auto img = vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "",
                                             vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    Picture p;
    p.width = img.width();
    p.height = img.height();
    p.bytes = std::move(bytes);
    return p;
  } catch (const vips::VError&) {
    vips_error_clear();
    *why = "image data cannot be decoded";
    return std::nullopt;
  }
}

bool is_http_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"})
    if (url.starts_with(scheme) && url.size() > scheme.size()) return true;
  return false;
}

}  // namespace seedance_emu
