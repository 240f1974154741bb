#pragma once
// Finding one decoded frame in a video exactly (the N-th from the end, or the
// one displayed at a time) while decoding as little as possible. Shared by
// last-frame, thumbnails, contact sheets and stitch's seam comparison.
#include <optional>
#include <string>
#include <vector>

#include <vips/vips8>

#include "av/decode.hpp"
#include "av/demux.hpp"
#include "av/picture.hpp"
#include "seedreel/frames.hpp"

namespace seedreel::post {

struct Grab {
  av::FramePtr frame;         // as decoded: the stream's own pixel format, not rotated
  std::int64_t pts = 0;       // stream time base
  double time = 0;            // seconds from the stream's first timestamp
  int rotation = 0;           // clockwise degrees to show it upright
  DecodePath decode_path = DecodePath::tail;  // how the frame was reached
  bool full_decode = false;   // decode_path == full_decode: the seek could not be trusted; decoded from the start
  bool truncated = false;     // the file ends in a packet cut short: this is the last decodable frame
};

// A decode from the very start proves a frame by the keyframes before it:
// nothing may show damage (av::Decoder::damage) after the last frame the
// decoder itself called a keyframe at or before the one picked; concealment
// before that point, as in a stream cut mid-GOP, cannot reach it.
class KeyLedger {
 public:
  explicit KeyLedger(const av::Decoder& dec) : dec_(dec) {}
  // Every frame the decoder delivers, in order.
  void seen(const AVFrame& f);
  // Error(input) unless the frame at `pts` was decoded without damage so far.
  void check_clean(const std::string& path, std::int64_t pts) const;

 private:
  struct Key {
    std::int64_t pts, damage;
  };
  const av::Decoder& dec_;
  std::vector<Key> keys_;
  std::vector<std::int64_t> flagged_;
};

// The video stream of `in`, or Error(input) when there is none.
int video_stream(const av::Input& in);
// First presentation timestamp of a stream (0 when unstated).
std::int64_t stream_start(const AVStream* st);
// End of a stream's own duration in its time base, from the container's when
// unstated; AV_NOPTS_VALUE when neither is known.
std::int64_t stream_end(const av::Input& in, const AVStream* st);
// One frame's duration in the stream's time base (av/demux.hpp).
using av::frame_ticks;

// The `from_end`-th displayed frame counted from the end (1 = last).
Grab grab_last(const std::string& path, int from_end = 1);
// The frame displayed `seconds` after the stream's start: the highest
// timestamp not after it (the first frame before it, the last beyond the end).
Grab grab_at(const std::string& path, double seconds);

// The keyframe displayed at or before `seconds` (the first frame before the
// first keyframe), as ffmpegthumbnailer takes it: one seek, one picture.
// nullopt when that picture cannot be proven clean (the index calls a frame a
// keyframe the decoder does not, or it shows damage): take grab_at then.
std::optional<Grab> grab_key(const std::string& path, double seconds);

// Error(input) unless `path` is a regular file: a FIFO or device would block
// the open (and Ctrl-C with it) or never end, so it is refused before opening.
void check_regular_input(const std::string& path);

// Error(invalid_argument) when `out` is not .png/.jpg/.jpeg/.webp or names one of `inputs`.
void check_image_output(const std::string& out, const std::vector<std::string>& inputs);
// Error(invalid_argument) when `options` cannot be written to `out` (quality outside
// 1-100, a depth other than 8 or 16, 16 bits for anything but PNG).
void check_save_options(const std::string& out, const ImageSaveOptions& options);
// Error(io) with output_exists_reason when `out` exists and is not to be replaced.
void check_replaceable(const std::string& out, bool overwrite);
// Error(invalid_argument) when `out` names one of `inputs` (outputs never replace inputs).
void check_not_an_input(const std::string& out, const std::vector<std::string>& inputs);

// Saves an sRGB image to `out` (format from the extension), atomically.
// Error(invalid_argument) for an extension we do not write, Error(io) when it cannot be written.
// PNG goes through pixel::write_png, the rest through libvips.
void save_image(const vips::VImage& image, const std::string& out, const ImageSaveOptions& options);
// The same for converted frame pixels; PNG needs no libvips at all.
void save_rgb(av::PackedRgb rgb, const std::string& out, const ImageSaveOptions& options);

// Fits an image inside width x height (0 = free) keeping its aspect.
vips::VImage fit(const vips::VImage& image, int width, int height);

}  // namespace seedreel::post
