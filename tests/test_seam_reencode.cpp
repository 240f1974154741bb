// stitch re-encodes only what must be: a clip whose video differs from the
// first clip's (size, frame rate, pixel format, profile, rotation) or whose
// audio does (sample rate, channels) is encoded alone into the copied track,
// and every other clip's packets stay the clips' own bytes. Checked with the
// ffmpeg CLI: a silent (and strict) decode, the packets' MD5s, every decoded
// frame's format, the re-encoded clip's pictures against its source (PSNR)
// and the way up they are shown, frame counts and audio sync over ten seams;
// and the whole-track fallback where a track cannot mix (HEVC).
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "stitch_oracle.hpp"
#include "support.hpp"

using namespace seedreel::test::stitch;
namespace test = seedreel::test;
using nlohmann::json;

namespace {

std::string post(const std::string& name) { return test::fixture("post/" + name); }
std::string seam(const std::string& name) { return test::fixture("seam/" + name); }
std::string st(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "st_%02d.mp4", i);
  return post(name);
}

// A strict decode: any bitstream damage the decoder notices fails it.
void decodes_strictly(const std::string& file) {
  auto r = test::run({"ffmpeg", "-v", "error", "-err_detect", "+crccheck+bitstream+buffer+explode", "-i", file, "-f",
                      "null", "-"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
}

// Every decoded video frame's "width,height,pix_fmt", from ffprobe.
std::vector<std::string> frame_formats(const std::string& file) {
  auto text = test::ffprobe(file, {"-select_streams", "v:0", "-show_entries", "frame=width,height,pix_fmt", "-of", "csv=p=0"});
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && line.back() == ',') line.pop_back();  // an empty side-data column
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Mean PSNR (dB) of `frames` output frames from `first` on against the
// source clip brought to the output's format the way stitch does (fitted,
// padded, frame rate).
double psnr_against_source(const std::string& out, int first, int frames, const std::string& source, int w, int h,
                           const std::string& rate) {
  const std::string graph = fmt::format(
      "[0:v]trim=start_frame={}:end_frame={},setpts=PTS-STARTPTS[a];"
      "[1:v]scale={}:{}:force_original_aspect_ratio=decrease,pad={}:{}:(ow-iw)/2:(oh-ih)/2,fps={},format=yuv420p,"
      "setpts=PTS-STARTPTS[b];[a]format=yuv420p[c];[c][b]psnr",
      first, first + frames, w, h, w, h, rate);
  auto r = test::run({"ffmpeg", "-hide_banner", "-nostdin", "-i", out, "-i", source, "-filter_complex", graph, "-f", "null", "-"});
  std::smatch m;
  const std::regex average("PSNR .* average:([0-9.]+|inf)");
  if (r.status != 0 || !std::regex_search(r.err, m, average)) return 0;
  return m[1] == "inf" ? 100 : std::stod(m[1]);
}

struct Expect {
  std::vector<std::string> clips;
  std::set<std::size_t> redone;  // 0-based
  std::string rate = "24";       // the first clip's
};

// The output's video packets are the copied clips' own, in order, and the
// re-encoded clips' frames (as many as their span holds at the first clip's
// rate) are new packets, none of them their source's. Returns each clip's
// first frame in the output.
std::vector<int> copies_are_byte_identical(const std::string& out, const Expect& e) {
  auto got = packet_hashes(out, "v");
  const double rate = e.rate == "24" ? 24 : 30;
  std::vector<int> starts;
  std::size_t at = 0;
  for (std::size_t i = 0; i < e.clips.size(); ++i) {
    CAPTURE(i);
    starts.push_back(int(at));
    auto theirs = packet_hashes(e.clips[i], "v");
    if (e.redone.count(i)) {
      const auto n = std::size_t(std::lround(video_seconds(e.clips[i]) * rate));
      REQUIRE(at + n <= got.size());
      for (std::size_t k = at; k < at + n; ++k) CHECK(std::find(theirs.begin(), theirs.end(), got[k]) == theirs.end());
      at += n;
    } else {
      REQUIRE(at + theirs.size() <= got.size());
      for (std::size_t k = 0; k < theirs.size(); ++k) CHECK(got[at + k] == theirs[k]);
      at += theirs.size();
    }
  }
  CHECK(at == got.size());
  return starts;
}

// Every video packet is the clips' own, in order.
void video_bytes_in_order(const std::string& out, const std::vector<std::string>& clips) {
  std::vector<std::string> expected;
  for (const auto& c : clips)
    for (auto& h : packet_hashes(c, "v")) expected.push_back(h);
  CHECK(packet_hashes(out, "v") == expected);
}

void check_join(const std::string& out, const json& j, const Expect& e) {
  std::vector<int> redone;
  for (auto i : e.redone) redone.push_back(int(i) + 1);
  CHECK(j["video_reencoded_clips"].get<std::vector<int>>() == redone);
  CHECK(j["video_copied"] == false);
  CHECK(test::ffprobe(out, {"-select_streams", "v:0", "-show_entries", "stream=codec_tag_string", "-of", "csv=p=0"}) == "avc3");
  decodes_silently(out);
  decodes_strictly(out);
  const auto starts = copies_are_byte_identical(out, e);
  // A second reading, frame by frame: every frame in the first clip's format, none missing.
  const std::string format = test::ffprobe(e.clips[0], {"-select_streams", "v:0", "-show_entries",
                                                        "stream=width,height,pix_fmt", "-of", "csv=p=0"});
  auto frames = frame_formats(out);
  int expected = 0;
  for (std::size_t i = 0; i < e.clips.size(); ++i)
    expected += e.redone.count(i) ? int(std::lround(video_seconds(e.clips[i]) * (e.rate == "24" ? 24 : 30)))
                                  : frame_count(e.clips[i]);
  CHECK(int(frames.size()) == expected);
  CHECK(frame_count(out) == expected);
  for (const auto& f : frames) CHECK(f == format);
  // The re-encoded clips show their own pictures, in their place.
  const int w = std::stoi(format), h = std::stoi(format.substr(format.find(',') + 1));
  for (auto i : e.redone) {
    const int n = (i + 1 < starts.size() ? starts[i + 1] : expected) - starts[i];
    const double db = psnr_against_source(out, starts[i], n, e.clips[i], w, h, e.rate);
    CAPTURE(i);
    CHECK(db > 35);
  }
  CHECK(std::abs(audio_seconds(out) - video_seconds(out)) <= 1.0 / std::stod(e.rate));
}

}  // namespace

TEST_CASE("a clip whose video differs is re-encoded alone; the others' packets stay byte for byte") {
  struct Case {
    const char* name;
    Expect e;
    const char* why;
  };
  const std::vector<Case> cases{
      {"size", {{st(0), seam("sm_size.mp4"), st(1)}, {1}}, "size 640x360, first clip 320x240"},
      {"pixel format", {{st(0), seam("sm_yuv444.mp4"), st(1)}, {1}}, "pixel format yuv444p, first clip yuv420p"},
      {"profile", {{st(0), seam("sm_main.mp4"), st(1)}, {1}}, "profile Main, first clip High"},
      {"fps 29.97 among 30", {{seam("sm_30_a.mp4"), seam("sm_2997.mp4"), seam("sm_30_b.mp4")}, {1}, "30"},
       "frame rate 29.970 fps, first clip 30 fps"},
  };
  auto dir = test::temp_dir("seam-reencode");
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::string out = dir + "/" + c.name + ".mp4";
      std::replace(out.begin(), out.end(), ' ', '_');
      auto j = run_stitch(c.e.clips, out);
      CAPTURE(j.dump());
      CHECK(j["audio_copied"] == true);
      const std::string reasons = j["reasons"].dump();
      CHECK(reasons.find(std::string("video re-encoded for this clip only: clip 2 (")) != std::string::npos);
      CHECK(reasons.find(c.why) != std::string::npos);
      check_join(out, j, c.e);
    }
  }
}

TEST_CASE("audio of another rate or channel count is re-encoded alone; the other clips' AAC frames stay theirs") {
  auto dir = test::temp_dir("seam-audio");
  const std::vector<std::string> clips{st(0), seam("sm_44k.mp4"), st(1), seam("sm_stereo.mp4"), post("st_noaudio.mp4"), st(2)};
  const std::string out = dir + "/audio.mp4";
  auto j = run_stitch(clips, out);
  CAPTURE(j.dump());
  CHECK(j["video_copied"] == true);
  CHECK(j["audio_copied"] == false);
  CHECK(j["audio_reencoded_clips"].get<std::vector<int>>() == std::vector<int>{2, 4});
  const std::string reasons = j["reasons"].dump();
  CHECK(reasons.find("audio re-encoded for this clip only: clip 2 (sm_44k.mp4): 44100 Hz audio") != std::string::npos);
  CHECK(reasons.find("audio re-encoded for this clip only: clip 4 (sm_stereo.mp4): 2 audio channels") != std::string::npos);
  CHECK(reasons.find("clip 5 (st_noaudio.mp4): no audio, filled with silence") != std::string::npos);
  decodes_silently(out);
  decodes_strictly(out);
  CHECK(test::ffprobe(out, {"-select_streams", "a:0", "-show_entries", "stream=sample_rate,channels", "-of", "csv=p=0"}) ==
        "48000,1");
  // Copied clips: every AAC frame of theirs is in the output, in order, but
  // the priming and a last frame overshooting the video; none of the
  // re-encoded clips' own frames is.
  auto got = packet_hashes(out, "a");
  for (std::size_t i : {0u, 2u, 5u}) {
    auto theirs = packet_hashes(clips[i], "a");
    std::size_t found = 0, at = 0;
    for (const auto& h : theirs) {
      auto it = std::find(got.begin() + std::ptrdiff_t(at), got.end(), h);
      if (it != got.end()) {
        ++found;
        at = std::size_t(it - got.begin()) + 1;
      }
    }
    CAPTURE(i);
    CHECK(found + 2 >= theirs.size());
  }
  for (std::size_t i : {1u, 3u})
    for (const auto& h : packet_hashes(clips[i], "a")) CHECK(std::find(got.begin(), got.end(), h) == got.end());
  // Each clip's tone starts within a frame of its video (silence for the clip without audio).
  const std::vector<double> tones{300, 700, 350, 700, 0, 400};
  auto samples = pcm(out);
  double seam = 0;
  for (std::size_t i = 0; i + 1 < clips.size(); ++i) {
    seam += video_seconds(clips[i]);
    const double heard = tone_switch(samples, seam, tones[i], tones[i + 1]);
    CAPTURE(i);
    CAPTURE(heard);
    CHECK(std::abs(heard - seam) <= 1.0 / 24);
  }
  CHECK(std::abs(audio_seconds(out) - video_seconds(out)) <= 1.0 / 24);
  video_bytes_in_order(out, clips);
}

TEST_CASE("ten seams, three clips' video and two clips' audio re-encoded alone: in sync at every seam") {
  auto dir = test::temp_dir("seam-ten");
  Expect e;
  e.clips = {st(0),        seam("sm_size.mp4"),   st(2), seam("sm_44k.mp4"), st(4),  seam("sm_yuv444.mp4"),
             st(6),        seam("sm_stereo.mp4"), post("st_noaudio.mp4"),     seam("sm_main.mp4"), st(10)};
  e.redone = {1, 5, 9};
  const std::vector<double> tones{300, 700, 400, 700, 500, 700, 600, 700, 0, 700, 800};
  const std::string out = dir + "/ten.mp4";
  auto j = run_stitch(e.clips, out);
  CAPTURE(j.dump());
  CHECK(j["audio_reencoded_clips"].get<std::vector<int>>() == std::vector<int>{4, 8});
  REQUIRE(j["seams"].size() == 10);
  check_join(out, j, e);

  // Video decode order strictly rising across every seam.
  auto dts = test::ffprobe(out, {"-select_streams", "v:0", "-show_entries", "packet=dts", "-of", "csv=p=0"});
  std::istringstream in(dts);
  long long last = LLONG_MIN;
  int packets = 0;
  for (std::string line; std::getline(in, line); ++packets) {
    const long long d = std::stoll(line);
    CHECK(d > last);
    last = d;
  }
  CHECK(packets > 300);
  // Each seam where the output says, and the audio's tone changes within a frame of it.
  auto samples = pcm(out);
  double seam = 0;
  for (std::size_t k = 0; k < 10; ++k) {
    seam += e.redone.count(k) ? std::round(video_seconds(e.clips[k]) * 24) / 24 : video_seconds(e.clips[k]);
    CAPTURE(k);
    CHECK(j["seams"][k]["video_start"].get<double>() == doctest::Approx(seam).epsilon(1e-6));
    const double heard = tone_switch(samples, seam, tones[k], tones[k + 1]);
    CAPTURE(heard);
    CHECK(std::abs(heard - seam) <= 1.0 / 24);
  }
  CHECK(video_seconds(out) == doctest::Approx(seam + video_seconds(e.clips[10])).epsilon(1e-6));
}

TEST_CASE("HEVC cannot mix copied and re-encoded clips here: the whole track is re-encoded, and the output says why") {
  auto dir = test::temp_dir("seam-hevc");
  std::vector<std::string> clips;
  for (const char* size : {"320x240", "640x360"}) {
    clips.push_back(dir + "/hevc_" + size + ".mp4");
    auto r = test::run({"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        std::string("testsrc2=size=") + size + ":rate=24:duration=1", "-c:v", "libx265", "-preset",
                        "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", clips.back()});
    REQUIRE(r.status == 0);
  }
  auto j = run_stitch(clips, dir + "/out.mp4");
  CHECK(j["video_copied"] == false);
  CHECK(j["video_reencoded_clips"].get<std::vector<int>>() == std::vector<int>{1, 2});
  const std::string reasons = j["reasons"].dump();
  CHECK(reasons.find("video re-encoded as one track: copied and re-encoded clips share an mp4 track only for H.264") !=
        std::string::npos);
  CHECK(reasons.find("video re-encoded: clip 2 (hevc_640x360.mp4): size 640x360") != std::string::npos);
  decodes_silently(dir + "/out.mp4");
  CHECK(frame_count(dir + "/out.mp4") == 48);
}

TEST_CASE("the human output names the clips re-encoded alone, per track") {
  auto dir = test::temp_dir("seam-human");
  auto r = test::run({test::program("seedreel"), "stitch", st(0), seam("sm_size.mp4"), seam("sm_44k.mp4"), "-o",
                      dir + "/out.mp4"});
  CHECK(r.status == 0);
  CHECK(r.out.find("video copied, clip 2 re-encoded, audio copied, clip 3 re-encoded") != std::string::npos);
  CHECK(r.out.find("video re-encoded for this clip only: clip 2 (sm_size.mp4): size 640x360, first clip 320x240") !=
        std::string::npos);
}

TEST_CASE("a rotated clip among unrotated ones is turned upright alone; a rotated first clip keeps its rotation") {
  auto dir = test::temp_dir("seam-rotation");
  // Stored 320x240 and shown turned 90°, 30 fps, no audio (see make-post-fixtures.sh).
  const std::string turned = post("lf_rot90.mp4");
  for (const bool first_turned : {false, true}) {
    CAPTURE(first_turned);
    Expect e;
    e.clips = first_turned ? std::vector<std::string>{turned, st(0), st(1)} : std::vector<std::string>{st(0), turned, st(1)};
    e.rate = first_turned ? "30" : "24";
    e.redone = first_turned ? std::set<std::size_t>{1, 2} : std::set<std::size_t>{1};
    const std::string out = dir + (first_turned ? "/turned_first.mp4" : "/turned_second.mp4");
    auto j = run_stitch(e.clips, out);
    CAPTURE(j.dump());
    CHECK(j["reasons"].dump().find("rotated") != std::string::npos);
    // The track keeps the first clip's display matrix.
    CHECK(test::ffprobe(out, {"-select_streams", "v:0", "-show_entries", "stream_side_data=rotation", "-of", "csv=p=0"}) ==
          (first_turned ? "-90" : ""));
    decodes_strictly(out);
    copies_are_byte_identical(out, e);
    // The re-encoded clip's picture, as the ffmpeg CLI shows it (the track's
    // rotation applied): upright, fitted inside the first clip's shape, the
    // rest black: bars left and right of the portrait clip, above and below
    // the landscape one.
    const std::string pgm = test::run({"ffmpeg", "-v", "error", "-ss", "2.5", "-i", out, "-frames:v", "1", "-f",
                                       "image2pipe", "-c:v", "pgm", "-"}).out;
    int w = 0, h = 0, header = 0;
    REQUIRE(std::sscanf(pgm.c_str(), "P5 %d %d 255%n", &w, &h, &header) == 2);
    CHECK(w == (first_turned ? 240 : 320));
    CHECK(h == (first_turned ? 320 : 240));
    auto mean = [&](int x0, int y0, int x1, int y1) {
      double sum = 0;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) sum += std::uint8_t(pgm[std::size_t(header + 1 + y * w + x)]);
      return sum / ((x1 - x0) * (y1 - y0));
    };
    const double bar = first_turned ? mean(0, 0, w, 50) : mean(0, 0, 50, h);
    const double picture = mean(w / 2 - 40, h / 2 - 40, w / 2 + 40, h / 2 + 40);
    CHECK(bar < 20);
    CHECK(picture > 40);
  }
}
