// The fidelity matrix: for every class of stream in testdata/make-fidelity-
// fixtures.sh (H.264 profiles with non-IDR I-frames, interlacing, intra
// refresh, open GOP, HEVC CRA/RASL, VP8/VP9 alt-refs, AV1, packed B-frames in
// AVI, all-intra codecs, fragments, edit lists, VFR, rotation...), the frame
// we pick is bit-identical to the one a full decode by the ffmpeg CLI shows:
// the last frame, the N-th from the end, and the frame displayed at a time.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
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

// The ffmpeg CLI's full decode of a cell, once per run: every test case reads it.
const std::vector<test::OracleFrame>& oracle(const std::string& name) {
  static std::map<std::string, std::vector<test::OracleFrame>> cache;
  auto [at, fresh] = cache.try_emplace(name);
  if (fresh) at->second = test::oracle_frames(fx(name));
  return at->second;
}

}  // namespace

TEST_CASE("the matrix is there: every class of stream was generated") {
  auto names = matrix();
  CHECK(names.size() >= 35);
  for (const char* must : {"fi_h264_444_nonidr.mp4", "fi_h264_high10.mp4", "fi_h264_422.mp4", "fi_h264_mbaff.mp4",
                           "fi_h264_paff_es.h264",
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
    const auto& frames = oracle(name);
    REQUIRE(!frames.empty());
    auto g = post::grab_last(fx(name));
    CHECK(test::frame_md5(*g.frame) == frames.back().md5);
  }
}

TEST_CASE("N-th frame from the end: bit-identical on every cell") {
  for (const auto& name : matrix()) {
    CAPTURE(name);
    const auto& frames = oracle(name);
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
    const auto& frames = oracle(name);
    auto times = test::oracle_times(fx(name));
    REQUIRE(frames.size() == times.size());
    const double end = times.back();
    // Between frames (never on a boundary, where rounding would decide), near
    // the start, the middle, just before the last frame, and past the end.
    std::vector<double> at = {0.0, end * 0.37, end * 0.5, end * 0.81, end + 5.0};
    if (times.size() > 2) at.push_back((times[times.size() - 2] + end) / 2);
    for (double t : at) {
      CAPTURE(t);
      const std::size_t want = test::displayed_at(times, t);
      auto g = post::grab_at(fx(name), t);
      CHECK(test::frame_md5(*g.frame) == frames[want].md5);
    }
  }
}

TEST_CASE("colour: untagged SD is BT.601, untagged HD BT.709, tagged streams follow their tags and range") {
  auto dir = test::temp_dir("fidelity-colour");
  // file, the matrix ffmpeg must be told to match us (empty: its own reading of the tags), the wrong one
  const std::tuple<const char*, const char*, const char*> cases[] = {
      {"fi_colour_untagged_sd.mp4", "bt601", "bt709"},
      {"fi_colour_untagged_hd.mp4", "bt709", "bt601"},
      {"fi_colour_hd_bt601_full.mp4", "", "bt709"},
      {"fi_colour_sd_bt709_tv.mp4", "", "bt601"},
      {"fi_colour_10bit.mp4", "", "bt601"},
      {"fi_h264_high10.mp4", "bt601", "bt709"},
      {"fi_prores4444.mov", "bt601", "bt709"},
  };
  for (auto [file, matrix, wrong] : cases) {
    const std::string name = file;
    CAPTURE(name);
    const std::string out = dir + "/" + name + ".png";
    auto r = test::run({test::program("seedreel"), "last-frame", fx(name), "-o", out});
    REQUIRE(r.status == 0);
    CHECK(test::vipsheader("format", out).find("UCHAR") != std::string::npos);  // 8-bit by default, whatever the source depth
    const std::string ref = test::ffmpeg_last_png(fx(name), dir, matrix);
    REQUIRE(!ref.empty());
    CHECK(test::mean_abs_diff(out, ref) < 0.5);
    CHECK(test::mean_abs_diff(out, test::ffmpeg_last_png(fx(name), dir, wrong)) > 2.0);
  }
}

TEST_CASE("colour: --depth 16 keeps a 10-bit source's precision in a 16-bit PNG") {
  auto dir = test::temp_dir("fidelity-depth");
  for (std::string name : {"fi_colour_10bit.mp4", "fi_hevc_main10.mp4", "fi_h264_high10.mp4"}) {
    CAPTURE(name);
    const std::string out16 = dir + "/" + name + ".16.png", out8 = dir + "/" + name + ".8.png";
    REQUIRE(test::run({test::program("seedreel"), "last-frame", fx(name), "-o", out16, "--depth", "16"}).status == 0);
    REQUIRE(test::run({test::program("seedreel"), "last-frame", fx(name), "-o", out8}).status == 0);
    CHECK(test::vipsheader("format", out16).find("USHORT") != std::string::npos);
    CHECK(test::vipsheader("bands", out16) == "3");
    const std::string matrix = name == "fi_colour_10bit.mp4" ? "" : "bt601";
    const std::string ref16 = test::ffmpeg_last_png(fx(name), dir, matrix, 16);
    REQUIRE(!ref16.empty());
    CHECK(test::mean_abs_diff(out16, ref16) < 0.5);
    CHECK(test::mean_abs_diff(out16, out8) < 0.6);  // the same picture, finer steps
    // More than 256 levels are used: the low byte carries information.
    image::init_vips();
    auto px = vips::VImage::new_from_file(out16.c_str());
    CHECK((px & 255).max() > 0);
  }
  // 16 bits only for PNG; any other depth is a usage error, and nothing is written.
  auto bad = test::run({test::program("seedreel"), "last-frame", fx("fi_colour_10bit.mp4"), "-o", dir + "/x.jpg",
                        "--depth", "16"});
  CHECK(bad.status == 2);
  CHECK_FALSE(fs::exists(dir + "/x.jpg"));
  CHECK(test::run({test::program("seedreel"), "last-frame", fx("fi_colour_10bit.mp4"), "-o", dir + "/x.png",
                   "--depth", "12"}).status == 2);
}

TEST_CASE("rotation: 90 and 270 degrees show the picture as ffmpeg's autorotation does") {
  auto dir = test::temp_dir("fidelity-rotation");
  for (std::string name : {"fi_rot90.mp4", "fi_rot270.mp4"}) {
    CAPTURE(name);
    const std::string out = dir + "/" + name + ".png";
    auto r = test::run({test::program("seedreel"), "last-frame", fx(name), "-o", out, "--json"});
    REQUIRE(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["width"] == 240);
    CHECK(j["height"] == 320);
    CHECK(test::mean_abs_diff(out, test::ffmpeg_last_png(fx(name), dir, "bt601")) < 0.5);
  }
}

TEST_CASE("the path taken is stated: tail, an earlier random-access point, or a full decode") {
  auto dir = test::temp_dir("fidelity-path");
  auto path_of = [&](const std::string& name) {
    auto r = test::run({test::program("seedreel"), "last-frame", fx(name), "-o", dir + "/p.png", "--force", "--json"});
    REQUIRE(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["full_decode"] == (j["decode_path"] == "full_decode"));
    return j["decode_path"].get<std::string>();
  };
  CHECK(path_of("fi_h264_444_nonidr.mp4") == "tail");
  CHECK(path_of("fi_hevc_cra.mp4") == "tail");
  // An index that calls every I-frame (or every frame) a keyframe: the seek
  // lands where later frames refer back past it, so the tail is not trusted.
  CHECK(path_of("fi_h264_keyflags_intra.avi") != "tail");
  CHECK(path_of("fi_h264_keyflags_all.avi") != "tail");
  // Intra refresh has recovery points only: no frame after a seek is a
  // keyframe, but the H.264 decoder holds pictures back until recovered.
  CHECK(path_of("fi_h264_intra_refresh.mp4") == "tail");
  // The human output says it too.
  auto human = test::run({test::program("seedreel"), "last-frame", fx("fi_h264_keyflags_all.avi"), "-o", dir + "/h.png"});
  CHECK(human.out.find("decoded from") != std::string::npos);
}

TEST_CASE("a clip whose last packet is cut short: the last decodable frame, stated as such") {
  const std::string file = test::fixture("fidelity/tr_last_packet_cut.mp4");
  // 2 s at 25 fps whose last packet (1.96 s) lost half its bytes; the ffmpeg
  // CLI, too, drops a packet the demuxer could only read in part.
  auto frames = test::oracle_frames(file);
  REQUIRE(frames.size() == 49);
  auto g = post::grab_last(file);
  CHECK(g.truncated);
  CHECK(g.time == doctest::Approx(1.92));
  CHECK(test::frame_md5(*g.frame) == frames.back().md5);
  auto dir = test::temp_dir("fidelity-truncated");
  auto r = test::run({test::program("seedreel"), "last-frame", file, "-o", dir + "/t.png", "--json"});
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["truncated"] == true);
  auto human = test::run({test::program("seedreel"), "last-frame", file, "-o", dir + "/h.png"});
  CHECK(human.out.find("cut short") != std::string::npos);
}

TEST_CASE("a damaged stream: no picture the decoder could not reconstruct is written, by any command") {
  const std::string file = test::fixture("fidelity/dm_damaged_last_gop.mp4");
  auto dir = test::temp_dir("fidelity-damaged");
  const std::vector<std::vector<std::string>> commands = {
      {"last-frame", file, "-o", dir + "/last.png"},
      {"last-frame", file, "-o", dir + "/last2.png", "--index", "-3"},
      {"thumb", file, "--at", "1.9", "-o", dir + "/thumb.png", "--exact"},
      {"thumb", file, "--at", "100%", "-o", dir + "/thumb100.jpg", "--exact"},
      {"sheet", file, "--cols", "2", "--rows", "2", "-o", dir + "/sheet.png"},
  };
  for (auto argv : commands) {
    CAPTURE(argv[0]);
    const auto o = std::find(argv.begin(), argv.end(), "-o");
    const std::string out = *(o + 1);
    argv.insert(argv.begin(), test::program("seedreel"));
    auto r = test::run(argv);
    CHECK(r.status == 3);
    CHECK(r.err.find("damaged") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
  // Before the damage the stream is fine: a thumbnail there is exact.
  auto frames = test::oracle_frames(file);
  auto g = post::grab_at(file, 0.5);
  CHECK(test::frame_md5(*g.frame) == frames[12].md5);
  // The default thumbnail is a keyframe: it is written only when that
  // picture itself is clean, and then it is the full decode's picture.
  auto times = test::oracle_times(file);
  for (double t : {0.5, 1.9, 100.0}) {
    CAPTURE(t);
    if (auto k = post::grab_key(file, t)) {
      auto at = std::find_if(times.begin(), times.end(), [&](double x) { return std::abs(x - k->time) < 1e-6; });
      REQUIRE(at != times.end());
      CHECK(test::frame_md5(*k->frame) == frames[std::size_t(at - times.begin())].md5);
    }
  }
}

TEST_CASE("headers that give no duration: measured from the packets, and every frame decodes") {
  const std::string file = fx("fi_mpeg1_es.m1v");  // 24 frames at 24 fps; the header's guess says 0.0005 s
  auto dir = test::temp_dir("fidelity-noduration");
  auto probe = test::run({test::program("seedreel"), "probe", file, "--json"});
  REQUIRE(probe.status == 0);
  auto j = nlohmann::json::parse(probe.out);
  if (j.is_array()) j = j[0];
  CHECK(j["duration"].get<double>() == doctest::Approx(1.0).epsilon(0.05));
  CHECK(j["duration_estimated"] == false);
  // A thumbnail half way is half way, not the first frame.
  auto thumb = test::run({test::program("seedreel"), "thumb", file, "--at", "50%", "-o", dir + "/half.png", "--exact", "--json"});
  REQUIRE(thumb.status == 0);
  CHECK(nlohmann::json::parse(thumb.out)["time"].get<double>() == doctest::Approx(0.5).epsilon(0.1));
  // Conform decodes all 24 frames (held to the 2 s minimum, not built from one).
  auto conform = test::run({test::program("seedreel"), "conform", file, "-o", dir + "/out", "--json"});
  REQUIRE(conform.status == 0);
  CHECK(nlohmann::json::parse(conform.out)["files"][0]["action"] == "re-encoded");
  const std::string out = dir + "/out/fi_mpeg1_es.mp4";
  REQUIRE(fs::exists(out));
  auto distinct = test::run({"ffmpeg", "-v", "error", "-i", out, "-vf", "mpdecimate=hi=1:lo=1:frac=0,setpts=N/TB",
                             "-fps_mode", "passthrough", "-f", "framemd5", "-"});
  std::size_t frames = 0;
  for (std::size_t at = 0; (at = distinct.out.find("\n0,", at)) != std::string::npos; ++at) ++frames;
  CHECK(frames >= 20);  // the 24 source pictures survive as distinct frames
}

TEST_CASE("an animated AVIF with alpha, which libvips cannot read: its first frame, alpha kept") {
  const std::string file = fx("st_animated_alpha.avif");
  auto dir = test::temp_dir("fidelity-avif");
  auto probe = test::run({test::program("seedreel"), "probe", file, "--json"});
  REQUIRE(probe.status == 0);
  auto conform = test::run({test::program("seedreel"), "conform", file, "-o", dir, "--json"});
  INFO(conform.err);
  REQUIRE(conform.status == 0);
  auto j = nlohmann::json::parse(conform.out)["files"][0];
  const std::string out = j["output"];
  CHECK(fs::path(out).extension() == ".png");
  bool first_frame = false;
  for (const auto& c : j["changes"]) first_frame = first_frame || c["what"] == "first_frame";
  CHECK(first_frame);
  // The colour matches ffmpeg's own first frame; the alpha is the track's.
  auto ref = dir + "/ref.png";
  REQUIRE(test::run({"ffmpeg", "-v", "error", "-y", "-i", file, "-map", "0:v:0", "-frames:v", "1", "-sws_flags",
                     "bicubic+accurate_rnd+full_chroma_int", "-pix_fmt", "rgb24", ref}).status == 0);
  CHECK(test::mean_abs_diff(out, ref) < 1.0);
  image::init_vips();
  auto px = vips::VImage::new_from_file(out.c_str());
  REQUIRE(px.bands() == 4);
  auto alpha = px.extract_band(3);
  CHECK(alpha.crop(0, 0, 180, 300).avg() == doctest::Approx(255).epsilon(0.01));
  CHECK(alpha.crop(220, 0, 180, 300).avg() == doctest::Approx(80).epsilon(0.05));
  // No temporary picture is left beside the output.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 2);  // the output and ref.png
}

TEST_CASE("a FIFO or a device is refused before it is opened, by every command that reads frames") {
  auto dir = test::temp_dir("fidelity-fifo");
  const std::string fifo = dir + "/clip.mp4";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opening a FIFO with no writer would block for ever (and Ctrl-C with it).
  const std::vector<std::vector<std::string>> commands = {
      {"last-frame", fifo, "-o", dir + "/a.png"},
      {"thumb", fifo, "--at", "1", "-o", dir + "/b.png"},
      {"sheet", fifo, "-o", dir + "/c.png"},
      {"stitch", fx("fi_vfr.mp4"), fifo, "-o", dir + "/d.mp4"},
      {"last-frame", "/dev/zero", "-o", dir + "/e.png"},
  };
  for (auto argv : commands) {
    CAPTURE(argv[0]);
    argv.insert(argv.begin(), test::program("seedreel"));
    auto r = test::run(argv);
    CHECK(r.status == 3);
    CHECK(r.err.find("not a regular file") != std::string::npos);
  }
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);  // only the FIFO
}
