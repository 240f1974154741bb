#pragma once
// Renders a generation as a real mp4: H.264 (+ AAC when generate_audio), 24 fps,
// the exact output size and duration. Frame 0 is the first frame image (cover-
// scaled and centre-cropped to the output size) when there is one, and the last
// frame is the last-frame image; otherwise a moving synthetic pattern.
#include <filesystem>

#include "generation.hpp"

namespace seedance_emu {

// Writes both files atomically (temporary name, then rename). Throws on failure.
void render_video(const Generation& g, const std::filesystem::path& mp4, const std::filesystem::path& last_png);

}  // namespace seedance_emu
