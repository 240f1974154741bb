#pragma once
// Frames out of a video: the exact last frame (for chaining the next
// generation), a thumbnail at a time or the most representative frame, and a
// contact sheet. Every output is written atomically; the input is only read.
//
//   seedreel::FrameResult last = seedreel::last_frame("clip.mp4", "last.png");
//   std::printf("frame at %.3f s, %dx%d\n", last.time, last.width, last.height);
//   seedreel::ThumbOptions t;
//   t.at = seedreel::parse_time_point("25%");
//   seedreel::thumbnail("clip.mp4", "thumb.jpg", t);
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "seedreel/error.hpp"

namespace seedreel {

// How a picture is saved; the format follows the output's extension
// (.png, .jpg/.jpeg, .webp). PNG is lossless so chained clips do not soften.
struct ImageSaveOptions {
  int quality = 90;  // JPEG/WebP quality 1-100; WebP at 100 is lossless
  // Bits per sample: 8, or 16 (PNG only) to keep a 10-bit or deeper source's
  // precision. 8 is the default because the API and most tools take 8-bit images.
  int depth = 8;
  // false: an existing output is refused (Error(io), output_exists_reason)
  // before any frame is decoded (a front end's rule unless asked). True (the
  // default) replaces it: callers that own their folder, as the workflows do.
  bool overwrite = true;
};

// How a frame was reached. Every fast path proves itself: the first frame it
// decodes must be a keyframe to the decoder and no sign of damage may follow
// (concealment, missing references, corrupt flags); otherwise the next path.
enum class DecodePath {
  tail,              // from the random-access point before the frame
  earlier_keyframe,  // that point was no clean one: from one before it
  full_decode,       // from the start of the stream
};
// "tail", "earlier_keyframe", "full_decode"
const char* to_string(DecodePath path) noexcept;

// What was written.
struct FrameResult {
  std::string path;
  double time = 0;         // presentation time of the frame, seconds from the stream's start
  std::int64_t pts = 0;    // its timestamp in the stream's time base
  int width = 0;           // as saved: after rotation and resizing
  int height = 0;
  int rotation = 0;        // clockwise degrees applied from the display matrix
  bool full_decode = false;  // the tail seek could not be trusted and the whole stream was decoded
  DecodePath decode_path = DecodePath::tail;
  bool truncated = false;    // the file ends in a packet cut short: the last decodable frame
  // The frame displayed at the time asked for (always, for last frames); false
  // for a thumbnail taken from the keyframe at or before it.
  bool exact = true;
};

struct LastFrameOptions {
  int from_end = 1;  // 1 = the last displayed frame, 2 = the one before it, ...
  ImageSaveOptions save;
};

// The last displayed frame (highest presentation timestamp after the edit
// list), found by decoding only the tail and identical to the last frame of a
// full decode. Error(input) for unreadable files or a video without frames;
// Error(invalid_argument) when from_end exceeds the number of frames.
FrameResult last_frame(const std::string& video, const std::string& out, const LastFrameOptions& options = {});

// Where a thumbnail is taken: seconds, or a fraction of the video stream's duration.
struct TimePoint {
  double value = 0;
  bool fraction = false;  // value in [0, 1]
};
// Parses "3.5", "3.5s", "1:02.5" or "50%"; Error(invalid_argument) otherwise.
TimePoint parse_time_point(const std::string& text);

struct ThumbOptions {
  std::optional<TimePoint> at;  // default: 10% in for smart's window start, else 0
  // false: the keyframe at or before the time, as ffmpegthumbnailer takes it
  // (one seek, one picture; the exact frame when that keyframe cannot be
  // proven clean); true: the frame displayed at the time.
  bool exact = false;
  bool smart = false;           // representative frame: histogram closest to the window's average
  int window = 100;             // frames examined by smart
  int width = 0;                // fit inside width x height keeping the aspect; 0 = free
  int height = 0;
  ImageSaveOptions save;
};

// A thumbnail: the keyframe at or before the requested time, or with `exact`
// the frame displayed at it (the one with the highest timestamp not after
// it), or with `smart` the frame of a window whose colour histogram is
// closest to the window's average, black and flat frames skipped.
FrameResult thumbnail(const std::string& video, const std::string& out, const ThumbOptions& options = {});

// Parses "320x", "x240", "320x240" into (width, height), 0 for free; Error(invalid_argument) otherwise.
std::pair<int, int> parse_size(const std::string& text);

struct SheetOptions {
  int cols = 4;
  int rows = 4;
  int tile_width = 320;  // each frame's width in the sheet
  ImageSaveOptions save;
};

struct SheetResult {
  std::string path;
  int width = 0;
  int height = 0;
  std::vector<double> times;  // each tile's frame time, row by row
  std::vector<double> seams;  // seam times marked (chapter starts after 0)
};

// A grid of evenly spaced frames with their timestamps drawn on them. Seams
// of a stitched video (its chapters, which `stitch` writes one per clip) are
// marked with a red bar on the first tile after each seam.
SheetResult contact_sheet(const std::string& video, const std::string& out, const SheetOptions& options = {});

// Many videos in one process, for a folder of clips: each video gets its own
// output and outcome, so one bad file never stops the rest. `jobs` videos are
// worked on at once (0 = one per core), one at a time per thread, so memory
// stays that of `jobs` single calls. After Ctrl-C no new video is started and
// Error(cancelled) is thrown once the running ones end.
using FrameOutcome = std::variant<FrameResult, Error>;
using SheetOutcome = std::variant<SheetResult, Error>;
std::vector<FrameOutcome> last_frames(const std::vector<std::string>& videos, const std::vector<std::string>& outs,
                                      const LastFrameOptions& options = {}, int jobs = 0);
std::vector<FrameOutcome> thumbnails(const std::vector<std::string>& videos, const std::vector<std::string>& outs,
                                     const ThumbOptions& options = {}, int jobs = 0);
std::vector<SheetOutcome> contact_sheets(const std::vector<std::string>& videos, const std::vector<std::string>& outs,
                                         const SheetOptions& options = {}, int jobs = 0);

// Output paths in `folder` for `videos`: <stem>.<ext>, and "<stem>-2.<ext>"
// for the second video of the same stem (case-insensitively), in input order.
std::vector<std::string> outputs_in_folder(const std::vector<std::string>& videos, const std::string& folder,
                                           const std::string& ext);

}  // namespace seedreel
