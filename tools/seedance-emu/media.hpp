#pragma once
// Media referenced by a request: data URIs, asset:// IDs and URLs, and the
// images whose pixels we hold (a data URI or an image asset), which become
// the first/last frames of the generated video.
#include <optional>
#include <string>
#include <string_view>

namespace seedance_emu {

enum class MediaType { image, video, audio };
std::string_view to_string(MediaType t);

// An encoded image we have the bytes of, with its header size.
struct Picture {
  std::string bytes;
  int width = 0;
  int height = 0;
};

struct DataUri {
  std::string mime;   // "image/png"
  std::string bytes;  // decoded payload
};

// Parses "data:<mime>;base64,<payload>" strictly; nullopt with *why set when malformed.
std::optional<DataUri> parse_data_uri(std::string_view uri, std::string* why);

// Reads an image's header from memory; nullopt with *why set when it is not an image.
std::optional<Picture> read_picture(std::string bytes, std::string* why);

bool is_http_url(std::string_view url);

}  // namespace seedance_emu
