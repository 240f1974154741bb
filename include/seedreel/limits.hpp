#pragma once
// The Seedance API's numbers, as data. Every rule, conform target and
// validation reads them from here; nothing else spells them out.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace seedreel {

struct Range {
  double min = 0;
  double max = 0;
  bool contains(double v) const noexcept { return v >= min && v <= max; }
};

// Limits on input media, the same for every model (seeds 000-004).
struct MediaLimits {
  // images: first_frame, last_frame, reference_image
  Range image_side{300, 6000};
  Range aspect{0.4, 2.5};  // width / height, images and videos
  std::uint64_t image_max_bytes = 30'000'000;  // "< 30 MB"; decimal MB, the stricter reading
  std::span<const std::string_view> image_formats;
  // Not the API's: the most pixels conform will decode from one image header,
  // so a decompression bomb is refused before any pixel is read.
  std::uint64_t image_max_decode_pixels = 250'000'000;
  // reference_video
  std::uint64_t video_max_bytes = 50'000'000;
  Range video_duration{2, 15};
  double video_total_max = 15;
  Range video_fps{24, 60};
  Range video_pixels{409'600, 927'408};  // 640x640 ... 834x1112
  std::span<const std::string_view> video_formats;
  // reference_audio
  std::uint64_t audio_max_bytes = 15'000'000;
  Range audio_duration{2, 15};
  double audio_total_max = 15;
  std::span<const std::string_view> audio_formats;
  // one request
  int max_images = 9;
  int max_videos = 3;
  int max_audios = 3;
  int max_files = 12;
  std::uint64_t max_body_bytes = 64ull * 1024 * 1024;
  int max_prompt_cjk_chars = 500;
  int max_prompt_words = 1000;
  // output
  Range output_duration{4, 15};
  int default_duration = 5;
  int output_fps = 24;
  Range execution_expires_after{3600, 259200};  // Ark flex: seconds a task may wait to run
  Range output_frames{29, 289};                 // Ark frames: 25 + 4n within this range
  std::size_t max_safety_identifier = 64;       // Ark safety_identifier, characters
};

const MediaLimits& media_limits();

// Not the API's: caps on what seedreel reads from outside (servers, files
// from strangers), so a hostile answer or file cannot exhaust the stack,
// memory or disk.
struct ReadCaps {
  // JSON nesting: nlohmann's parser recurses once per level, so a deep
  // answer would overflow the stack; real answers nest 4-5 levels.
  std::size_t json_depth = 64;
  std::uint64_t answer_bytes = 16ull << 20;    // one API answer
  std::uint64_t download_bytes = 4ull << 30;   // one result video (15 s at 1080p is ~100 MB)
  std::uint64_t batch_file_bytes = 64ull << 20;  // one jobs file
  // A downloaded video's duration may differ from the task's by this much
  // (the larger of the two) before it is taken for the wrong file.
  double duration_tolerance_s = 1.0;
  double duration_tolerance_ratio = 0.1;
  long redirects = 5;  // HTTP redirects followed per request (API, download, upload)
};

// The built-in caps.
const ReadCaps& read_caps();
// The caps this process works with: read_caps() until set_read_caps(). The
// command line sets them once from its flags, environment and config file,
// before any work starts (docs/limits.md); they are not changed under threads.
const ReadCaps& read_caps_in_force();
void set_read_caps(const ReadCaps& caps);

// A model as a provider names it, with what differs per model, and the
// family it belongs to in seedreel's own vocabulary (below).
struct ModelLimits {
  std::string_view name;
  std::string_view max_resolution;       // "1080p" or "720p"
  bool requires_reference_video = false;  // xingchaoyiqing seedance_2_0 / _fast
  std::string_view family;               // e.g. "seedance-2.0-fast"
};

std::span<const ModelLimits> models();
const ModelLimits* find_model(std::string_view name);
inline constexpr std::string_view default_model = "seedance-2.0";

// One model vocabulary for every provider: seedance-2.0, seedance-2.0-fast,
// seedance-2.0-mini, seedance-2.0-pro and seedance-2.0-fast-pro. Each
// provider's own ids (table above) name the family they belong to.
std::span<const std::string_view> model_families();
bool is_model_family(std::string_view name);

// The limits of any model id: the table's entry when it has one, else judged
// by the name (providers add dated ids without notice): "fast" and "mini"
// stop at 720p, a flat-dialect id (seedance_2_0...) without "pro" needs a
// reference video. `name` in the result views the argument. `known` says
// which; `family` is "" when the name does not read as Seedance 2.0.
struct JudgedModel {
  ModelLimits limits;
  bool known = false;
};
JudgedModel judge_model(std::string_view name);

// Output resolutions and ratios the API accepts, in the seeds' order.
std::span<const std::string_view> resolutions();
std::span<const std::string_view> ratios();  // includes "adaptive"
// Resolution rank for comparisons: 480p < 720p < 1080p; -1 when unknown.
int resolution_rank(std::string_view resolution);

struct PixelSize {
  int width = 0;
  int height = 0;
};
// The exact output size for a resolution and a fixed ratio (not "adaptive"),
// from the seeds' "Resolution pixel values" table; nullopt when unknown.
std::optional<PixelSize> output_size(std::string_view resolution, std::string_view ratio);

}  // namespace seedreel
