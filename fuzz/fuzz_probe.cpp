// probe on arbitrary bytes: the magic sniffing, libvips' header readers for
// images and libavformat's for video and audio, then what a probe feeds
// (preflight in every role, the --json form).
#include <cmath>

#include <nlohmann/json.hpp>

#include "av/ffmpeg.hpp"
#include "fuzz_support.hpp"
#include "seedreel/preflight.hpp"
#include "seedreel/probe.hpp"

using namespace seedreel;

namespace {

void check_info(const MediaInfo& m) {
  if (m.width < 0 || m.height < 0) fuzz::fail("negative size");
  if (!std::isfinite(m.duration) || m.duration < 0) fuzz::fail("duration not finite or negative");
  if (m.kind == MediaKind::image && !m.image) fuzz::fail("an image without image properties");
  if (m.kind == MediaKind::video && !m.video) fuzz::fail("a video without a video stream");
  if (m.kind == MediaKind::audio && !m.audio) fuzz::fail("audio without an audio stream");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (av::quiet_logging(), true);
  (void)quiet;
  fuzz::MemFile f(data, size);
  MediaInfo info;
  try {
    info = probe(f.path());
  } catch (const Error&) {
    return 0;  // unreadable input is reported, not a crash
  }
  check_info(info);
  // The same file judged in every role, each kind's rules on each kind.
  for (Role r : {Role::first_frame, Role::last_frame, Role::reference_image, Role::reference_video, Role::reference_audio})
    (void)check_file(info, r);
  nlohmann::json j = info;
  (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
