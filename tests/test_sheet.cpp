// sheet: grid geometry, evenly spaced frame times, and seams read from the
// chapters `stitch` writes, marked on the first tile after each seam.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>
#include <vips/vips8>

#include "image/vips.hpp"
#include "post_oracle.hpp"

using namespace seedreel;
using seedreel::test::fixture;
namespace fs = std::filesystem;

namespace {
std::string fx(const std::string& name) { return fixture("post/" + name); }

nlohmann::json sheet(const std::vector<std::string>& args) {
  std::vector<std::string> argv{test::program("seedreel"), "sheet", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run(argv);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}
}  // namespace

TEST_CASE("a 4x4 sheet: size, evenly spaced times, labels drawn") {
  auto dir = test::temp_dir("sheet");
  auto j = sheet({fx("lf_bframes.mp4"), "-o", dir + "/s.png"});
  // 320x240 tiles, 4 px between them
  CHECK(j["width"] == 4 * 320 + 3 * 4);
  CHECK(j["height"] == 4 * 240 + 3 * 4);
  CHECK(test::vipsheader("width", dir + "/s.png") == std::to_string(4 * 320 + 3 * 4));
  CHECK(test::vipsheader("height", dir + "/s.png") == std::to_string(4 * 240 + 3 * 4));
  REQUIRE(j["times"].size() == 16);
  for (int i = 0; i < 16; ++i) {
    double want = 3.0 * (i + 0.5) / 16;
    double got = j["times"][std::size_t(i)];
    CHECK(got <= want + 1e-9);          // the frame displayed at that moment...
    CHECK(got > want - 1.0 / 24 - 1e-9);  // ...so at most one frame earlier
  }
  CHECK(j["seams"].empty());
  // other grids and tile widths; a rotated clip keeps its upright shape
  auto k = sheet({fx("lf_rot90.mp4"), "-o", dir + "/r.jpg", "--cols", "3", "--rows", "2", "--width", "120"});
  CHECK(k["width"] == 3 * 120 + 2 * 4);
  CHECK(k["height"] == 2 * 160 + 1 * 4);
}

TEST_CASE("the seams of a stitched video are read from its chapters and marked") {
  auto dir = test::temp_dir("sheet-seams");
  auto joined = dir + "/joined.mp4";
  std::vector<std::string> argv{test::program("seedreel"), "stitch", fx("st_00.mp4"), fx("st_01.mp4"), fx("st_02.mp4"),
                                "-o", joined};
  REQUIRE(test::run(argv).status == 0);
  auto j = sheet({joined, "-o", dir + "/s.png", "--cols", "4", "--rows", "3", "--width", "160"});
  REQUIRE(j["seams"].size() == 2);
  CHECK(j["seams"][0].get<double>() == doctest::Approx(1.5).epsilon(1e-3));
  CHECK(j["seams"][1].get<double>() == doctest::Approx(3.5).epsilon(1e-3));
  // The first tile at or after each seam has the red bar down its left edge; others do not.
  image::init_vips();
  auto img = vips::VImage::new_from_file((dir + "/s.png").c_str());
  const int tw = 160, th = 120;
  int marked = 0;
  for (int i = 0; i < 12; ++i) {
    double t = j["times"][std::size_t(i)];
    bool first_after = false;
    for (double s : {1.5, 3.5})
      if (t >= s - 1e-6 && (i == 0 || j["times"][std::size_t(i - 1)].get<double>() < s - 1e-6)) first_after = true;
    auto px = img.getpoint((i % 4) * (tw + 4) + 2, (i / 4) * (th + 4) + th / 2);
    bool red = px[0] == 230 && px[1] == 30 && px[2] == 30;
    CAPTURE(i);
    CHECK(red == first_after);
    marked += red;
  }
  CHECK(marked == 2);
}

TEST_CASE("sheet bad input") {
  auto dir = test::temp_dir("sheet-bad");
  auto st = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{test::program("seedreel"), "sheet"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv).status;
  };
  CHECK(st({fx("lf_bframes.mp4"), "-o", dir + "/s.png", "--cols", "0"}) == 2);
  CHECK(st({fx("lf_bframes.mp4"), "-o", dir + "/s.bmp"}) == 2);
  CHECK(st({fx("bad_text.mp4"), "-o", dir + "/s.png"}) == 3);
  CHECK(st({fx("bad_empty.mp4"), "-o", dir + "/s.png"}) == 3);
  CHECK(st({fx("bad_audio_only.m4a"), "-o", dir + "/s.png"}) == 3);
  CHECK(fs::is_empty(dir));
}
