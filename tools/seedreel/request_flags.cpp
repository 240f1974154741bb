#include "request_flags.hpp"

#include <fstream>
#include <iterator>

#include "seedreel/error.hpp"

namespace seedreel::cli {

void add_upstream_flags(CLI::App& sub, UpstreamFlags& f) {
  sub.add_option("--tier", f.service_tier,
                 "Ark service tier: flex runs when capacity is free, for less, and may expire unrun (default: default)");
  sub.add_option("--expires-after", f.expires_after, "Ark: seconds a task may wait to run before it expires (3600-259200)");
  sub.add_flag("--return-last-frame", f.return_last_frame,
               "Ask the provider for the last frame too; it is saved beside the video as OUT.last-frame.png");
  sub.add_option("--callback-url", f.callback_url, "Ark: an http(s) URL told of each status change");
  sub.add_flag("--camera-fixed", f.camera_fixed, "Ark: hold the camera still");
  sub.add_option("--frames", f.frames, "Ark: length in frames instead of --duration (29-289, 25 + 4n)");
  sub.add_option("--safety-identifier", f.safety_identifier,
                 "Ark: a stable, opaque id of your end user (at most 64 characters; hash personal data)");
  sub.add_option("--extra", f.extra,
                 "More body fields as a JSON object, or @FILE holding one; merged into the body (shown by --dry-run)");
}

void apply_upstream_flags(const UpstreamFlags& f, Request& r) {
  r.service_tier = f.service_tier;
  r.execution_expires_after = f.expires_after;
  r.return_last_frame = f.return_last_frame;
  r.callback_url = f.callback_url;
  if (f.camera_fixed) r.camera_fixed = true;
  r.frames = f.frames;
  r.safety_identifier = f.safety_identifier;
  r.extra = f.extra;
  if (r.extra.starts_with("@")) {
    std::ifstream in(r.extra.substr(1), std::ios::binary);
    if (!in) throw Error(ErrorKind::input, r.extra.substr(1), "cannot open the extra fields file");
    r.extra.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
}

}  // namespace seedreel::cli
