#pragma once
// Base64 (RFC 4648, with padding), as data URIs carry an image or audio file
// inline in a request, and as bytes that are not UTF-8 travel through JSON.
//
//   std::string uri = "data:image/png;base64," + seedreel::base64_encode(png_bytes);
//   if (auto bytes = seedreel::base64_decode(text)) use(*bytes);  // nullopt: not base64
#include <optional>
#include <string>
#include <string_view>

namespace seedreel {

std::string base64_encode(std::string_view bytes);
// nullopt when the text is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace seedreel
