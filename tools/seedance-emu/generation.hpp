#pragma once
// A validated generation request, whatever dialect it came in: what the
// video must look like and what the task reports back.
#include <cstdint>
#include <optional>
#include <string>

#include "media.hpp"

namespace seedance_emu {

struct Generation {
  std::string model;
  std::string resolution = "720p";
  std::string ratio = "adaptive";  // as requested; the output size resolves "adaptive"
  int duration = 5;
  bool generate_audio = true;
  bool watermark = false;
  bool web_search = false;
  bool return_last_frame = false;
  std::int64_t seed = -1;
  std::string service_tier = "default";
  int execution_expires_after = 172800;  // seconds (Ark: 3600-259200)
  bool camera_fixed = false;
  int frames = 0;                 // Ark: the length in frames (0: by duration); rendered as whole seconds
  std::string safety_identifier;
  std::string mode;  // text_to_video, first_frame, first_last_frame, reference
  std::optional<Picture> first_frame;
  std::optional<Picture> last_frame;
  std::string output_ratio;  // the fixed ratio used (adaptive resolved)
  int width = 0;             // the output size, from the seeds' ratio x resolution table
  int height = 0;
};

}  // namespace seedance_emu
