#pragma once
// conform: turn images, videos and audio into files the API accepts, with the
// smallest change that passes preflight, and say what changed. Inputs are
// never modified; every output is written atomically into an output folder,
// then re-probed and re-checked.
//
//   seedreel::ConformOptions o;
//   o.outdir = "conformed";
//   for (const auto& outcome : seedreel::conform({{"photo.heic", seedreel::Role::first_frame}}, o))
//     if (const auto* c = std::get_if<seedreel::Conformed>(&outcome))
//       std::printf("%s -> %s (%s)\n", c->input.c_str(), c->output.c_str(), seedreel::to_string(c->action));
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"
#include "seedreel/media.hpp"
#include "seedreel/preflight.hpp"

namespace seedreel {

// How an image or video whose aspect is outside the band (or that must take an
// exact frame size) is fitted: letterbox it, or cut the overflow from the centre.
enum class Fit { pad, crop };
std::optional<Fit> parse_fit(std::string_view text);

// What fills the padding: a plain colour, or a blurred, enlarged copy of the picture.
struct PadFill {
  bool blur = false;
  std::array<std::uint8_t, 3> rgb{0, 0, 0};
};
// "blur", "black", "white", "grey", "RRGGBB" or "#RRGGBB".
std::optional<PadFill> parse_pad_fill(std::string_view text);

// How several reference videos (or audio files) share the 15 s total.
enum class TotalBudget {
  proportional,  // every file is trimmed by the same factor
  first_n,       // every file keeps its first N seconds, the same N for all (longer files lose more)
};
std::optional<TotalBudget> parse_total_budget(std::string_view text);

struct ConformOptions {
  std::string outdir;
  std::string model{default_model};
  Fit fit = Fit::pad;
  PadFill pad;
  // With both set (and a fixed ratio), first_frame/last_frame images are fitted
  // to the exact output size of that ratio and resolution (seeds' table).
  std::string ratio;
  std::string resolution;
  TotalBudget total_budget = TotalBudget::proportional;
  bool force = false;     // replace existing outputs
  int jpeg_quality = 90;  // JPEG/WebP quality when an image is re-encoded
  int image_max_side = 0;  // > 0: shrink images whose longest side is over this (300-6000)
  // > 0: videos last at most this many seconds (on top of the API's limits),
  // e.g. the tail of a video fed back as a reference to extend it.
  double video_max_seconds = 0;
  bool keep_end = false;  // a trimmed video keeps its end instead of its start
  int jobs = 0;           // files conformed at once (0 = one per core)
};

// unchanged: copied as is · remuxed: same streams, new container ·
// reencoded: decoded and encoded again (video, audio) · rewritten: image saved anew.
enum class Action { unchanged, remuxed, reencoded, rewritten };
const char* to_string(Action action) noexcept;

// One change, e.g. {"resized", "6000x4000", "1920x1280"}. Names: resized,
// padded, cropped, trimmed, extended, oriented, rotated, converted, flattened,
// colour, first_frame, frame_rate, resampled, downmixed, bitrate.
struct Change {
  std::string what;
  std::string before;
  std::string after;
};

struct Conformed {
  std::string input;
  std::string output;
  Role role = Role::reference_image;
  Action action = Action::unchanged;
  std::vector<Change> changes;
  std::vector<Finding> before;  // what preflight found on the input
  std::vector<Finding> after;   // what preflight finds on the output: empty when it passes
  MediaInfo info;               // the output, re-probed
  bool ok() const noexcept { return after.empty(); }
};
void to_json(nlohmann::json& j, const Conformed& c);

struct ConformInput {
  std::string path;
  std::optional<Role> role;  // none: reference_<kind>
};
using ConformOutcome = std::variant<Conformed, Error>;

// Conforms every file; one that cannot be read or written is an Error in its
// slot and the others go on. Throws Error(invalid_argument) for bad options and Error(io)
// when the output folder cannot be created or written. Ctrl-C: Error(cancelled).
std::vector<ConformOutcome> conform(const std::vector<ConformInput>& inputs, const ConformOptions& options);

// The longest each file may last so that, together, they fit `total`
// (each also capped at `each.max`); durations already within both come back
// unchanged. Shares never drop below `each.min` while the files allow it.
std::vector<double> share_duration(const std::vector<double>& durations, double total, Range each,
                                   TotalBudget policy);

struct Request;
struct Provider;
// A request's local files that fail their own rules, conformed into
// `options.outdir` with the request pointed at the copies (and `local`, the
// probe of each media item, at the copies' probes). The model, and with a
// fixed ratio and a resolution the exact frame size, come from the request;
// fit, padding and the folder from `options`. A local video is left alone
// when it cannot be sent anyway (`can_publish` false: nowhere to upload it).
// A file conform cannot fix stays as it is (validation then names its rules);
// one it cannot read or write is an Error in `errors`, and the rest go on.
struct RequestConform {
  std::vector<Conformed> done;
  std::vector<Error> errors;
};
RequestConform conform_request(Request& request, std::vector<std::optional<MediaInfo>>& local, const Provider& provider,
                               ConformOptions options, bool can_publish);

// Geometry helpers, exposed for tests and the benchmark.
struct Size {
  int width = 0;
  int height = 0;
};
// Where an image goes: `canvas` is the output size, `content` the uniformly
// scaled picture inside it (pad: content fits inside; crop: content covers the
// canvas and the overflow is cut from the centre).
struct Placement {
  Size canvas;
  Size content;
  bool pads = false;
  bool crops = false;
};
// An image of `source` size into the side and aspect limits; `max_side` > 0
// lowers the longest-side cap (kept within the API's side range).
Placement place_image(Size source, Fit fit, int max_side = 0);
// An image of `source` size onto exactly `target`.
Placement place_exact(Size source, Size target, Fit fit);
// A video frame of `source` size into the pixel budget, sides and aspect band,
// even dimensions for 4:2:0.
Placement place_video(Size source, Fit fit);

}  // namespace seedreel
