// thumb: the frame displayed at a time is exactly the one a full ffmpeg decode
// shows then (highest timestamp not after it); percentages, sizes, formats;
// --smart avoids black and flat frames; bad values are usage errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "post/grab.hpp"
#include "post_oracle.hpp"
#include "seedreel/frames.hpp"

using namespace seedreel;
using seedreel::test::fixture;
namespace fs = std::filesystem;

namespace {

std::string fx(const std::string& name) { return fixture("post/" + name); }

}  // namespace

TEST_CASE("a thumbnail at a time is the frame a full decode displays at that time, bit for bit") {
  for (const char* name : {"lf_bframes.mp4", "lf_vfr.mp4", "lf_hevc.mp4", "lf_open_gop.mp4", "lf_no_index.ts",
                           "lf_editlist_end.mp4"}) {
    CAPTURE(name);
    auto frames = test::oracle_frames(fx(name));
    auto times = test::oracle_times(fx(name));
    REQUIRE(frames.size() == times.size());
    for (double t : {0.0, 0.3, 1.0, 1.25, 1.3, 2.0, 2.49, 2.75, 2.999, 10.0}) {
      CAPTURE(t);
      const std::size_t want = test::displayed_at(times, t);
      auto g = post::grab_at(fx(name), t);
      CHECK(test::frame_md5(*g.frame) == frames[want].md5);
      CHECK(g.time == doctest::Approx(times[want]).epsilon(1e-6));
    }
  }
}

TEST_CASE("thumb CLI: percentage, size, format") {
  auto dir = test::temp_dir("thumb");
  auto r = test::run({test::program("seedreel"), "thumb", fx("lf_bframes.mp4"), "--at", "50%", "--size", "160x", "-o",
                      dir + "/half.jpg", "--exact", "--json"});
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["time"].get<double>() == doctest::Approx(1.5));
  CHECK(j["exact"] == true);
  CHECK(j["width"] == 160);
  CHECK(j["height"] == 120);
  CHECK(test::vipsheader("vips-loader", dir + "/half.jpg") == "jpegload");
  CHECK(test::vipsheader("width", dir + "/half.jpg") == "160");

  r = test::run({test::program("seedreel"), "thumb", fx("lf_rot90.mp4"), "--at", "1.5s", "--size", "x160", "-o",
                 dir + "/rot.png", "--json"});
  REQUIRE(r.status == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["width"] == 120);  // shown upright: 240x320 fitted into height 160
  CHECK(j["height"] == 160);
  r = test::run({test::program("seedreel"), "thumb", fx("lf_bframes.mp4"), "--at", "0:01.5", "-o", dir + "/full.webp", "--json"});
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["width"] == 320);
}

TEST_CASE("--smart skips the black and flat opening and picks a picture") {
  auto dir = test::temp_dir("thumb-smart");
  auto r = test::run({test::program("seedreel"), "thumb", fx("th_black_flat_pattern.mp4"), "--smart", "-o",
                      dir + "/smart.png", "--json"});
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["time"].get<double>() >= 3.0);  // 0-2 s black, 2-3 s grey, then the pattern
  // the picture has real content: a wide spread of values
  CHECK(std::stod(test::run({"vips", "deviate", dir + "/smart.png"}).out) > 40);
  // with a window starting in the black part, the window's first non-flat frames win
  r = test::run({test::program("seedreel"), "thumb", fx("th_black_flat_pattern.mp4"), "--smart", "--at", "1", "--window",
                 "72", "-o", dir + "/smart2.png", "--json"});
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["time"].get<double>() >= 3.0);
  // only black frames in the window: still a thumbnail, not an error
  r = test::run({test::program("seedreel"), "thumb", fx("th_black_flat_pattern.mp4"), "--smart", "--window", "10", "--at",
                 "0", "-o", dir + "/black.png"});
  CHECK(r.status == 0);
}

TEST_CASE("time and size parsing") {
  CHECK(parse_time_point("3.5").value == 3.5);
  CHECK(parse_time_point("3.5s").value == 3.5);
  CHECK(parse_time_point("1:02.5").value == 62.5);
  CHECK(parse_time_point("1:00:00").value == 3600);
  CHECK(parse_time_point("50%").fraction);
  CHECK(parse_time_point("50%").value == 0.5);
  for (const char* bad : {"", "abc", "-1", "101%", "1:60", "s", "%", "1::2", "nan", "inf"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_time_point(bad), Error);
  }
  CHECK(parse_size("320x") == std::pair{320, 0});
  CHECK(parse_size("x240") == std::pair{0, 240});
  CHECK(parse_size("320x240") == std::pair{320, 240});
  for (const char* bad : {"x", "320", "0x0", "-5x", "axb", "99999x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_size(bad), Error);
  }
}

TEST_CASE("thumb bad input") {
  auto dir = test::temp_dir("thumb-bad");
  auto out = dir + "/t.jpg";
  auto st = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{test::program("seedreel"), "thumb"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv).status;
  };
  CHECK(st({fx("lf_bframes.mp4"), "--at", "soon", "-o", out}) == 2);
  CHECK(st({fx("lf_bframes.mp4"), "--size", "big", "-o", out}) == 2);
  CHECK(st({fx("lf_bframes.mp4"), "-o", dir + "/t.txt"}) == 2);
  CHECK(st({fx("bad_text.mp4"), "-o", out}) == 3);
  CHECK(st({fx("bad_audio_only.m4a"), "-o", out}) == 3);
  CHECK(st({fx("bad_truncated.mp4"), "-o", out}) == 3);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a time far past the end (1e15 s) is the last frame, without overflow") {
  for (double t : {1e15, 1e300}) {
    CAPTURE(t);
    auto at = post::grab_at(fx("lf_bframes.mp4"), t);
    auto last = post::grab_last(fx("lf_bframes.mp4"));
    CHECK(test::frame_md5(*at.frame) == test::frame_md5(*last.frame));
  }
  auto dir = test::temp_dir("thumb-far");
  auto r = test::run({test::program("seedreel"), "thumb", fx("lf_bframes.mp4"), "--at", "1e15", "-o", dir + "/far.png",
                      "--exact", "--json"});
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["time"].get<double>() == doctest::Approx(2.958).epsilon(0.001));
}

namespace {

// Display times of the frames the decoder itself calls keyframes, in a full decode.
std::vector<double> oracle_key_times(const std::string& file) {
  auto times = test::oracle_times(file);
  auto flags = test::ffprobe(file, {"-select_streams", "v:0", "-show_entries", "frame=key_frame", "-of", "csv=p=0"});
  std::vector<double> keys;
  std::istringstream in(flags);
  std::string line;
  for (std::size_t i = 0; std::getline(in, line);)
    if (!line.empty()) {
      if (line[0] == '1' && i < times.size()) keys.push_back(times[i]);
      ++i;
    }
  return keys;
}

}  // namespace

TEST_CASE("the default thumbnail is the keyframe at or before the time, bit for bit, or the exact frame") {
  struct Case {
    std::string file;
    bool fast;  // the keyframe path must be taken at every time
  };
  const std::vector<Case> cases = {
      {fx("lf_bframes.mp4"), true},  {fx("lf_vfr.mp4"), true},         {fx("lf_hevc.mp4"), true},
      {fx("lf_open_gop.mp4"), false}, {fx("lf_editlist_end.mp4"), false},
      {fixture("fidelity/fi_h264_444_nonidr.mp4"), false}, {fixture("fidelity/fi_hevc_cra.mp4"), false},
      {fixture("fidelity/fi_h264_keyflags_intra.avi"), false}, {fixture("fidelity/fi_h264_keyflags_all.avi"), false},
      {fixture("fidelity/fi_h264_intra_refresh.mp4"), false}};
  for (const auto& c : cases) {
    CAPTURE(c.file);
    auto frames = test::oracle_frames(c.file);
    auto times = test::oracle_times(c.file);
    auto keys = oracle_key_times(c.file);
    REQUIRE(frames.size() == times.size());
    REQUIRE(!keys.empty());
    for (double t : {0.0, 0.7, 1.3, 2.0, 2.6, 100.0}) {
      CAPTURE(t);
      auto k = post::grab_key(c.file, t);
      if (c.fast) REQUIRE(k);
      if (!k) continue;
      auto at = std::find_if(times.begin(), times.end(), [&](double x) { return std::abs(x - k->time) < 1e-6; });
      REQUIRE(at != times.end());
      // The full decode's picture at that time, and one the decoder calls a keyframe.
      CHECK(test::frame_md5(*k->frame) == frames[std::size_t(at - times.begin())].md5);
      CHECK(std::any_of(keys.begin(), keys.end(), [&](double x) { return std::abs(x - k->time) < 1e-6; }));
      // At or before the time, and no keyframe between it and the time.
      CHECK(k->time <= t + 1e-6);
      if (c.fast)
        CHECK_FALSE(std::any_of(keys.begin(), keys.end(), [&](double x) { return x > k->time + 1e-6 && x <= t; }));
    }
  }
}

TEST_CASE("thumb, last-frame and sheet on many videos: a folder of outputs, one record each, bad files reported") {
  auto dir = test::temp_dir("thumb-many");
  fs::create_directories(dir + "/other");
  fs::copy_file(fx("lf_bframes.mp4"), dir + "/other/lf_bframes.mp4");
  const std::vector<std::string> videos = {fx("lf_bframes.mp4"), fx("lf_hevc.mp4"), fx("bad_text.mp4"),
                                           dir + "/other/lf_bframes.mp4"};
  auto cli = [&](const std::string& command, std::vector<std::string> extra) {
    std::vector<std::string> argv{test::program("seedreel"), command};
    argv.insert(argv.end(), videos.begin(), videos.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run(argv);
  };
  auto r = cli("thumb", {"--at", "50%", "--size", "160x", "-o", dir + "/thumbs", "--json"});
  CHECK(r.status == 3);  // the bad file's status; the others are written
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 4);
  CHECK(j[0]["path"] == dir + "/thumbs/lf_bframes.jpg");
  CHECK(j[0]["exact"] == false);
  CHECK(j[1]["path"] == dir + "/thumbs/lf_hevc.jpg");
  CHECK(j[2]["input"] == videos[2]);
  CHECK(j[2]["error"]["kind"] == "input");
  CHECK(j[3]["path"] == dir + "/thumbs/lf_bframes-2.jpg");
  for (const char* name : {"lf_bframes.jpg", "lf_hevc.jpg", "lf_bframes-2.jpg"}) {
    CAPTURE(name);
    CHECK(test::vipsheader("width", dir + "/thumbs/" + name) == "160");
  }
  CHECK_FALSE(fs::exists(dir + "/thumbs/bad_text.jpg"));
  CHECK(r.err.find("bad_text.mp4") != std::string::npos);

  // A rerun refuses what exists, item by item, unless --force.
  r = cli("thumb", {"--at", "50%", "-o", dir + "/thumbs/"});
  CHECK(r.status == 3);
  CHECK(r.err.find("--force") != std::string::npos);
  r = cli("thumb", {"--at", "50%", "-o", dir + "/thumbs/", "--force", "--jobs", "1"});
  CHECK(r.status == 3);  // only the bad file
  CHECK(r.out.find("lf_hevc.jpg") != std::string::npos);

  // Last frames in a folder are the same pictures one call each makes.
  r = cli("last-frame", {"-o", dir + "/last/", "--json"});
  CHECK(r.status == 3);
  j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 4);
  for (std::size_t i : {0u, 1u, 3u}) {
    CAPTURE(i);
    const std::string single = dir + "/single" + std::to_string(i) + ".png";
    REQUIRE(test::run({test::program("seedreel"), "last-frame", videos[i], "-o", single}).status == 0);
    CHECK(test::mean_abs_diff(j[i]["path"].get<std::string>(), single) == 0.0);
  }
  r = cli("sheet", {"--cols", "2", "--rows", "2", "--format", "png", "-o", dir + "/sheets", "--json"});
  CHECK(r.status == 3);
  j = nlohmann::json::parse(r.out);
  CHECK(j[1]["path"] == dir + "/sheets/lf_hevc.png");
  CHECK(j[1]["times"].size() == 4);
  CHECK(fs::exists(dir + "/sheets/lf_hevc.png"));

  // One video into a folder named with a slash; several videos into a file are refused.
  r = test::run({test::program("seedreel"), "thumb", videos[1], "-o", dir + "/one/"});
  CHECK(r.status == 0);
  CHECK(fs::exists(dir + "/one/lf_hevc.jpg"));
  r = test::run({test::program("seedreel"), "thumb", videos[0], videos[1], "-o", dir + "/one/lf_hevc.jpg"});
  CHECK(r.status == 2);
}
