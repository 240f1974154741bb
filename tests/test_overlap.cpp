// stitch --overlap auto: a clip that starts by echoing the end of the clip
// before it (testdata/make-overlap-fixtures.sh: ov_a's last 1.2 s or 0.5 s,
// decoded and encoded again, then new content) loses exactly that head, video
// and audio; a clip without an echo is left as it is, a stream copy.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <regex>

#include <nlohmann/json.hpp>

#include "post/overlap.hpp"
#include "stitch_oracle.hpp"
#include "support.hpp"

using namespace seedreel;
using nlohmann::json;
using seedreel::test::stitch::run_stitch;

namespace {

constexpr double kFrame = 1.0 / 30;  // every fixture runs at 30 fps

std::string fx(const std::string& name) { return test::fixture("overlap/" + name); }

double seconds_of(const std::string& file, const char* stream) {
  return std::stod(test::ffprobe(file, {"-select_streams", stream, "-show_entries", "stream=duration", "-of", "csv=p=0"}));
}
int frame_count(const std::string& file) {
  return std::stoi(test::ffprobe(file, {"-count_frames", "-select_streams", "v:0", "-show_entries",
                                        "stream=nb_read_frames", "-of", "csv=p=0"}));
}


void decodes_silently(const std::string& file) {
  auto r = test::run({"ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"});
  CHECK(r.status == 0);
  CHECK_MESSAGE(r.err.empty(), r.err);
}

// PSNR (dB) of frame `i` of video a against frame `j` of video b, by the ffmpeg
// CLI, in RGB (the re-encoded output is tagged BT.709, the fixtures are untagged SD).
double frame_psnr(const std::string& a, int i, const std::string& b, int j) {
  auto r = test::run({"ffmpeg", "-v", "info", "-nostats", "-i", a, "-i", b, "-filter_complex",
                      "[0:v]select=eq(n\\," + std::to_string(i) + "),setpts=PTS-STARTPTS,format=rgb24[x];"
                      "[1:v]select=eq(n\\," + std::to_string(j) + "),setpts=PTS-STARTPTS,format=rgb24[y];[x][y]psnr",
                      "-frames:v", "1", "-f", "null", "-"});
  std::smatch m;
  static const std::regex avg(R"(average:([0-9.]+|inf))");
  REQUIRE_MESSAGE(std::regex_search(r.err, m, avg), r.err);
  return m[1] == "inf" ? 100.0 : std::stod(m[1]);
}

// Power of a tone in the output's decoded audio (mono 48 kHz) over [from, from + 0.1 s), Goertzel.
double tone_power(const std::string& file, double from, double hz) {
  auto r = test::run({"ffmpeg", "-v", "error", "-i", file, "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"});
  std::vector<float> s(r.out.size() / sizeof(float));
  std::memcpy(s.data(), r.out.data(), s.size() * sizeof(float));
  const double w = 2 * M_PI * hz / 48000.0, c = 2 * std::cos(w);
  double a = 0, b = 0;
  for (auto i = std::size_t(from * 48000); i < std::size_t((from + 0.1) * 48000) && i < s.size(); ++i) {
    const double x = s[i] + c * a - b;
    b = a;
    a = x;
  }
  return a * a + b * b - c * a * b;
}

// Joins ov_a with an echo clip and checks the cut against the truth.
void check_echo_cut(const std::string& echo, int frames, int tone, const std::string& out) {
  const int a = frame_count(fx("ov_a.mp4")), b = frame_count(fx(echo));
  auto j = run_stitch({fx("ov_a.mp4"), fx(echo)}, out, {"--overlap", "auto"});
  REQUIRE(j["seams"].size() == 1);
  const auto& seam = j["seams"][0];
  CHECK(std::abs(seam["dropped_ms"].get<double>() - frames * 1000.0 * kFrame) <= 1000.0 * kFrame);
  CHECK(std::abs(seam["dropped_frames"].get<int>() - frames) <= 1);
  CHECK(seam["psnr_db"].get<double>() >= 32);
  CHECK(j["video_copied"] == false);  // frames cannot be dropped inside a copied track
  const int kept = b - seam["dropped_frames"].get<int>();
  CHECK(frame_count(out) == a + kept);
  CHECK(seconds_of(out, "v:0") == doctest::Approx((a + b - frames) * kFrame).epsilon(kFrame / 2));
  CHECK(std::abs(seconds_of(out, "a:0") - seconds_of(out, "v:0")) <= kFrame);
  decodes_silently(out);
  // ov_a ends as it did, and what follows the seam is the echo clip's first
  // new frame, not a repeat of ov_a's end.
  CHECK(frame_psnr(out, a - 1, fx("ov_a.mp4"), a - 1) > 30);
  CHECK(frame_psnr(out, a, fx(echo), b - kept) > 35);
  CHECK(frame_psnr(out, a, fx("ov_a.mp4"), a - 1) < 20);
  // The echoed span's audio (550 Hz) went with it: after the seam the new tone leads.
  const double seam_at = seam["video_start"].get<double>();
  CHECK(tone_power(out, seam_at + 0.05, tone) > 10 * tone_power(out, seam_at + 0.05, 550));
}

}  // namespace

TEST_CASE("--overlap auto cuts a 1.2 s echo: video, audio and duration") {
  check_echo_cut("ov_echo_1200.mp4", 36, 660, test::temp_dir("overlap-1200") + "/out.mp4");
}

TEST_CASE("--overlap auto cuts a 0.5 s echo") {
  check_echo_cut("ov_echo_500.mp4", 15, 770, test::temp_dir("overlap-500") + "/out.mp4");
}

TEST_CASE("a clip without an echo stays unchanged: nothing dropped, still a stream copy") {
  auto dir = test::temp_dir("overlap-none");
  const int a = frame_count(fx("ov_a.mp4")), b = frame_count(fx("ov_fresh.mp4"));
  auto j = run_stitch({fx("ov_a.mp4"), fx("ov_fresh.mp4")}, dir + "/out.mp4", {"--overlap", "auto"});
  CHECK(j["video_copied"] == true);
  CHECK(j["audio_copied"] == true);
  CHECK(j["seams"][0]["dropped_frames"] == 0);
  CHECK(j["seams"][0]["dropped_ms"] == 0);
  CHECK(j["seams"][0]["psnr_db"].get<double>() < 25);  // checked, and unlike
  CHECK(frame_count(dir + "/out.mp4") == a + b);
  decodes_silently(dir + "/out.mp4");
  // Packet for packet what the join without the search writes.
  auto off = run_stitch({fx("ov_a.mp4"), fx("ov_fresh.mp4")}, dir + "/off.mp4", {});
  auto md5 = [](const std::string& f) {
    return test::run({"ffmpeg", "-v", "error", "-i", f, "-map", "0", "-c", "copy", "-f", "framemd5", "-"}).out;
  };
  CHECK(md5(dir + "/out.mp4") == md5(dir + "/off.mp4"));
  CHECK(off["seams"][0]["psnr_db"] == 0);  // not searched when off
}

TEST_CASE("the window bounds the search: a 1.2 s echo is not cut within 1 s, and the seam is left alone") {
  auto dir = test::temp_dir("overlap-window");
  auto j = run_stitch({fx("ov_a.mp4"), fx("ov_echo_1200.mp4")}, dir + "/out.mp4",
                      {"--overlap", "auto", "--overlap-window", "1"});
  CHECK(j["seams"][0]["dropped_frames"] == 0);
  CHECK(frame_count(dir + "/out.mp4") == frame_count(fx("ov_a.mp4")) + frame_count(fx("ov_echo_1200.mp4")));
}

TEST_CASE("find_echo matches the whole run, in order, whatever the seam's single best pair") {
  post::EchoSearch search;
  post::Echo e = post::find_echo(fx("ov_a.mp4"), fx("ov_echo_1200.mp4"), search);
  CHECK(e.frames == 36);
  CHECK(e.seconds == doctest::Approx(1.2).epsilon(0.01));
  CHECK(e.psnr_db > 35);
  // Reversed there is no echo: ov_a does not start with ov_echo_1200's end.
  post::Echo none = post::find_echo(fx("ov_echo_1200.mp4"), fx("ov_a.mp4"), search);
  CHECK(none.frames == 0);
  CHECK(none.seconds == 0);
  // One frame at most (--drop-duplicate-seam-frames): b's first frame is not a's last, so nothing.
  search.max_frames = 1;
  search.window = 0;
  CHECK(post::find_echo(fx("ov_a.mp4"), fx("ov_echo_1200.mp4"), search).frames == 0);
}

TEST_CASE("damage the decoder shows inside the window: nothing is cut, even where an echo matched") {
  auto dir = test::temp_dir("overlap-damaged");
  REQUIRE_FALSE(test::run({"ffmpeg", "-v", "error", "-i", fx("ov_echo_damaged.mp4"), "-f", "null", "-"}).err.empty());
  auto j = run_stitch({fx("ov_a.mp4"), fx("ov_echo_damaged.mp4")}, dir + "/out.mp4", {"--overlap", "auto"});
  CHECK(j["seams"][0]["dropped_frames"] == 0);
  CHECK(frame_count(dir + "/out.mp4") == frame_count(fx("ov_a.mp4")) + frame_count(fx("ov_echo_damaged.mp4")));
}

TEST_CASE("--overlap takes auto or off") {
  auto r = test::run({test::program("seedreel"), "stitch", fx("ov_a.mp4"), fx("ov_fresh.mp4"), "-o",
                      test::temp_dir("overlap-usage") + "/out.mp4", "--overlap", "maybe"});
  CHECK(r.status == 2);
  CHECK(r.err.find("seedreel: --overlap: takes auto or off, not 'maybe'") != std::string::npos);
}
