// last-frame: the frame we pick is bit-identical to the last frame of a full
// ffmpeg decode on every fixture that trips naive "seek to the end" code; the
// saved picture is rotated and colour-converted like ffmpeg shows it; bad
// input fails with the documented status and leaves no output behind.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>
#include <vips/vips8>

#include "av/picture.hpp"
#include "image/vips.hpp"
#include "post/grab.hpp"
#include "post_oracle.hpp"
#include "seedreel/frames.hpp"

using namespace seedreel;
using seedreel::test::fixture;
namespace fs = std::filesystem;

namespace {

const char* kExact[] = {"lf_bframes.mp4",      "lf_open_gop.mp4",    "lf_hevc.mp4",       "lf_vfr.mp4",
                        "lf_audio_longer.mp4", "lf_editlist_end.mp4", "lf_rot90.mp4",      "lf_one_frame.mp4",
                        "lf_single_keyframe.mp4", "lf_no_index.ts",  "lf_bt601_full.mp4", "lf_bt709_tv.mp4"};

std::string fx(const std::string& name) { return fixture("post/" + name); }

}  // namespace

TEST_CASE("the last frame equals the last frame of a full decode, bit for bit") {
  for (const char* name : kExact) {
    CAPTURE(name);
    auto frames = test::oracle_frames(fx(name));
    REQUIRE(!frames.empty());
    auto g = post::grab_last(fx(name));
    CHECK(test::frame_md5(*g.frame) == frames.back().md5);
  }
}

TEST_CASE("--index -N is the N-th frame from the end of a full decode") {
  for (const char* name : {"lf_bframes.mp4", "lf_open_gop.mp4", "lf_hevc.mp4", "lf_vfr.mp4", "lf_editlist_end.mp4"}) {
    CAPTURE(name);
    auto frames = test::oracle_frames(fx(name));
    for (int n : {2, 3, 7, 31}) {
      CAPTURE(n);
      REQUIRE(frames.size() >= std::size_t(n));
      auto g = post::grab_last(fx(name), n);
      CHECK(test::frame_md5(*g.frame) == frames[frames.size() - std::size_t(n)].md5);
    }
  }
  // More frames than the video has: a usage error, not a wrong frame.
  CHECK_THROWS_AS(post::grab_last(fx("lf_one_frame.mp4"), 2), Error);
}

TEST_CASE("only the tail is decoded when the file allows it; the rest falls back to a full decode") {
  CHECK_FALSE(post::grab_last(fx("lf_bframes.mp4")).full_decode);
  CHECK_FALSE(post::grab_last(fx("lf_single_keyframe.mp4")).full_decode);  // one GOP: seeking lands on frame 0
  CHECK(post::grab_last(fx("lf_one_frame.mp4")).full_decode);
}

TEST_CASE("the saved picture: rotated, colour-converted from the stream's tags, PNG by default") {
  auto dir = test::temp_dir("last-frame");
  for (const char* name : {"lf_bframes.mp4", "lf_rot90.mp4", "lf_bt601_full.mp4", "lf_bt709_tv.mp4", "lf_hevc.mp4"}) {
    CAPTURE(name);
    auto out = dir + "/" + name + ".png";
    auto r = test::run({test::program("seedreel"), "last-frame", fx(name), "-o", out, "--json"});
    REQUIRE(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    auto ref = test::ffmpeg_last_png(fx(name), dir);
    CHECK(j["width"] == std::stoi(test::vipsheader("width", ref)));
    CHECK(j["height"] == std::stoi(test::vipsheader("height", ref)));
    CHECK(test::vipsheader("vips-loader", out) == "pngload");
    // Same conversion as ffmpeg's accurate scaler reading the stream's tags;
    // the other matrix is visibly off, so the tags really were used.
    CHECK(test::mean_abs_diff(out, ref) < 0.5);
    std::string other = std::string(name) == "lf_bt709_tv.mp4" ? "bt601" : "bt709";
    CHECK(test::mean_abs_diff(out, test::ffmpeg_last_png(fx(name), dir, other)) > 3.0);
  }
  auto rot = nlohmann::json::parse(
      test::run({test::program("seedreel"), "last-frame", fx("lf_rot90.mp4"), "-o", dir + "/r.png", "--json"}).out);
  CHECK(rot["rotation"] == 90);
  CHECK(rot["width"] == 240);
  CHECK(rot["height"] == 320);
}

TEST_CASE("frames turned by 90, 180 and 270 degrees match libvips' rotation of the upright pixels") {
  image::init_vips();
  auto g = post::grab_last(fx("lf_bframes.mp4"));
  av::PackedRgb upright = av::to_rgb(*g.frame);
  vips::VImage ref = vips::VImage::new_from_memory(upright.pixels.get(), upright.size(), upright.width, upright.height,
                                                   upright.bands, VIPS_FORMAT_UCHAR);
  const std::pair<int, VipsAngle> turns[] = {{90, VIPS_ANGLE_D90}, {180, VIPS_ANGLE_D180}, {270, VIPS_ANGLE_D270}};
  for (auto [degrees, angle] : turns) {
    CAPTURE(degrees);
    av::PackedRgb turned = av::to_rgb(*g.frame, degrees);
    vips::VImage want = ref.rot(angle);
    REQUIRE(turned.width == want.width());
    REQUIRE(turned.height == want.height());
    std::size_t size = 0;
    std::unique_ptr<void, void (*)(void*)> pixels(want.write_to_memory(&size), g_free);
    REQUIRE(size == turned.size());
    CHECK(std::memcmp(pixels.get(), turned.pixels.get(), size) == 0);
  }
}

TEST_CASE("the RGB conversion on every core gives the one-thread conversion's pixels") {
  // Slice threads must see the stream's matrix and range too: BT.601 full
  // range, BT.709 limited, HEVC, and a width whose rows are not a multiple of 16 bytes.
  const std::string odd = test::temp_dir("last-frame-rgb") + "/854x480.mp4";
  REQUIRE(test::run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=24:duration=1",
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", odd})
              .status == 0);
  for (const std::string& path : {fx("lf_bt601_full.mp4"), fx("lf_bt709_tv.mp4"), fx("lf_hevc.mp4"), odd}) {
    CAPTURE(path);
    auto g = post::grab_last(path);
    av::PackedRgb threaded = av::to_rgb(*g.frame);
    av::Scaler one(g.frame->width, g.frame->height, AV_PIX_FMT_RGB24);
    av::FramePtr single = one.convert(*g.frame);
    REQUIRE(threaded.bands == 3);
    const std::size_t row = std::size_t(threaded.width) * 3;
    bool same = true;
    for (int y = 0; y < threaded.height; ++y)
      same = same && std::memcmp(threaded.pixels.get() + std::size_t(y) * row,
                                 single->data[0] + std::ptrdiff_t(y) * single->linesize[0], row) == 0;
    CHECK(same);
  }
}

TEST_CASE("JPEG and WebP with a quality, chosen by extension") {
  auto dir = test::temp_dir("last-frame-formats");
  auto v = fx("lf_bframes.mp4");
  REQUIRE(test::run({test::program("seedreel"), "last-frame", v, "-o", dir + "/a.jpg", "--quality", "95"}).status == 0);
  REQUIRE(test::run({test::program("seedreel"), "last-frame", v, "-o", dir + "/lo.jpg", "--quality", "20"}).status == 0);
  REQUIRE(test::run({test::program("seedreel"), "last-frame", v, "-o", dir + "/a.webp", "--quality", "80"}).status == 0);
  CHECK(test::vipsheader("vips-loader", dir + "/a.jpg") == "jpegload");
  CHECK(test::vipsheader("vips-loader", dir + "/a.webp") == "webpload");
  CHECK(fs::file_size(dir + "/lo.jpg") < fs::file_size(dir + "/a.jpg"));
  CHECK(test::run({test::program("seedreel"), "last-frame", "--index", "-2", v, "-o", dir + "/b.png"}).status == 0);
}

TEST_CASE("bad input: documented status, one-line reason, no output file") {
  auto dir = test::temp_dir("last-frame-bad");
  struct Case {
    std::string input;
    std::vector<std::string> extra;
    int status;
  };
  std::vector<Case> cases{
      {fx("bad_text.mp4"), {}, 3},       {fx("bad_empty.mp4"), {}, 3},
      {fx("bad_truncated.mp4"), {}, 3},  {fx("bad_truncated_faststart.mp4"), {}, 3},  {fx("bad_audio_only.m4a"), {}, 3},
      {dir + "/missing.mp4", {}, 3},       {fx("lf_one_frame.mp4"), {"--index", "-2"}, 2},
      {fx("lf_bframes.mp4"), {"--index", "0"}, 2},
  };
  int i = 0;
  for (const auto& c : cases) {
    CAPTURE(c.input);
    auto out = dir + "/out" + std::to_string(i++) + ".png";
    std::vector<std::string> argv{test::program("seedreel"), "last-frame", c.input, "-o", out};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    auto r = test::run(argv);
    CHECK(r.status == c.status);
    if (c.status == 3) CHECK(r.err.find("seedreel: ") == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 2);
    CHECK_FALSE(fs::exists(out));
  }
  // An output that would replace the input, or a format we cannot tell, is a usage error.
  auto copy = dir + "/clip.png";
  fs::copy_file(fx("lf_bframes.mp4"), copy);
  CHECK(test::run({test::program("seedreel"), "last-frame", copy, "-o", copy}).status == 2);
  CHECK(fs::file_size(copy) == fs::file_size(fx("lf_bframes.mp4")));
  CHECK(test::run({test::program("seedreel"), "last-frame", fx("lf_bframes.mp4"), "-o", dir + "/x.gif"}).status == 2);
  CHECK(test::run({test::program("seedreel"), "last-frame", fx("lf_bframes.mp4"), "-o", dir + "/no/such/dir/x.png"})
            .status == 3);
  // nothing but the copied input is left in the folder
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
}
