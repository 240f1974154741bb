#pragma once
// probe: read a file's headers (never its pixels) and describe it.
//
//   seedreel::MediaInfo info = seedreel::probe("clip.mp4");  // Error(input) if unreadable
//   if (info.video) std::printf("%dx%d, %.2f s\n", info.width, info.height, info.media_duration());
#include <string>
#include <variant>
#include <vector>

#include "seedreel/error.hpp"
#include "seedreel/media.hpp"

namespace seedreel {

// Throws Error(input) for a missing, empty, unreadable or unrecognised file.
MediaInfo probe(const std::string& path);

// One result per path, in order; a failure on one file does not stop the others.
using ProbeResult = std::variant<MediaInfo, Error>;
std::vector<ProbeResult> probe_all(const std::vector<std::string>& paths, unsigned threads = 0);

}  // namespace seedreel
