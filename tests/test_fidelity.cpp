// The fidelity matrix: for every class of stream in testdata/make-fidelity-
// fixtures.sh (H.264 profiles with non-IDR I-frames, interlacing, intra
// refresh, open GOP, HEVC CRA/RASL, VP8/VP9 alt-refs, AV1, packed B-frames in
// AVI, all-intra codecs, fragments, edit lists, VFR, rotation...), the frame
// we pick is bit-identical to the one a full decode by the ffmpeg CLI shows:
// the last frame, the N-th from the end, and the frame displayed at a time.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "post/grab.hpp"
#include "post_oracle.hpp"

using namespace seedreel;
namespace fs = std::filesystem;

namespace {

std::string fx(const std::string& name) { return test::fixture("fidelity/" + name); }

// Every matrix cell: the fi_* files the fixture script made.
std::vector<std::string> matrix() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(test::fixture("fidelity")))
    if (e.path().filename().string().rfind("fi_", 0) == 0) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Display times (seconds from the video stream's start) of every frame of a
// full decode, in output order, as ffprobe computes them. A frame without a
// timestamp (packed B-frames, a program stream's last frames) is shown when
// the one before it ends, as the ffmpeg CLI does.
std::vector<double> oracle_times(const std::string& file) {
  auto start_text =
      test::ffprobe(file, {"-select_streams", "v:0", "-show_entries", "stream=start_time", "-of", "csv=p=0"});
  double start = start_text.empty() || start_text == "N/A" ? 0.0 : std::stod(start_text);
  auto text = test::ffprobe(file, {"-select_streams", "v:0", "-show_entries",
                                   "frame=best_effort_timestamp_time,pkt_duration_time", "-of", "csv=p=0"});
  std::vector<double> times;
  std::istringstream in(text);
  std::string line;
  double next = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto comma = line.find(',');
    std::string t = line.substr(0, comma), d = comma == std::string::npos ? "N/A" : line.substr(comma + 1);
    double at = t == "N/A" ? next : std::stod(t) - start;
    times.push_back(at);
    next = at + (d == "N/A" || d.empty() ? 0.04 : std::stod(d));
  }
  return times;
}

}  // namespace

TEST_CASE("the matrix is there: every class of stream was generated") {
  auto names = matrix();
  CHECK(names.size() >= 35);
  for (const char* must : {"fi_h264_444_nonidr.mp4", "fi_h264_high10.mp4", "fi_h264_422.mp4", "fi_h264_mbaff.mp4",
                           "fi_h264_intra_refresh.mp4", "fi_h264_open_gop.ts", "fi_hevc_cra.mp4",
                           "fi_hevc_main10.mp4", "fi_vp9_altref.webm", "fi_av1.mp4", "fi_xvid_packed.avi",
                           "fi_mjpeg.avi", "fi_prores.mov", "fi_fragmented.mp4", "fi_editlist_negative.mp4",
                           "fi_one_frame.mp4", "fi_audio_longer.mp4", "fi_rot90.mp4", "fi_rot270.mp4", "fi_vfr.mp4",
                           "fi_mpeg1.mpg"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), must) != names.end(), must);
}

TEST_CASE("last frame: bit-identical to the last frame of a full decode, on every cell") {
  for (const auto& name : matrix()) {
    CAPTURE(name);
    auto frames = test::oracle_frames(fx(name));
    REQUIRE(!frames.empty());
    auto g = post::grab_last(fx(name));
    CHECK(test::frame_md5(*g.frame) == frames.back().md5);
  }
}

TEST_CASE("N-th frame from the end: bit-identical on every cell") {
  for (const auto& name : matrix()) {
    CAPTURE(name);
    auto frames = test::oracle_frames(fx(name));
    for (int n : {2, 5, 13}) {
      if (frames.size() < std::size_t(n)) continue;
      CAPTURE(n);
      auto g = post::grab_last(fx(name), n);
      CHECK(test::frame_md5(*g.frame) == frames[frames.size() - std::size_t(n)].md5);
    }
  }
}

TEST_CASE("frame at a time: the frame a full decode displays then, on every cell") {
  for (const auto& name : matrix()) {
    CAPTURE(name);
    auto frames = test::oracle_frames(fx(name));
    auto times = oracle_times(fx(name));
    REQUIRE(frames.size() == times.size());
    const double end = times.back();
    // Between frames (never on a boundary, where rounding would decide), near
    // the start, the middle, just before the last frame, and past the end.
    std::vector<double> at = {0.0, end * 0.37, end * 0.5, end * 0.81, end + 5.0};
    if (times.size() > 2) at.push_back((times[times.size() - 2] + end) / 2);
    for (double t : at) {
      CAPTURE(t);
      std::size_t want = 0;
      for (std::size_t i = 0; i < times.size(); ++i)
        if (times[i] <= t + 1e-9) want = i;
      auto g = post::grab_at(fx(name), t);
      CHECK(test::frame_md5(*g.frame) == frames[want].md5);
    }
  }
}
