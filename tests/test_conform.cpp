// conform: every file of a corpus that breaks each rule in each direction
// comes out passing preflight, with the picture undistorted (measured from
// the conformed pixels), audio in sync, the report saying what changed, and
// bad input refused file by file with nothing partial left behind.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <vips/vips8>

#include "seedreel/conform.hpp"
#include "seedreel/preflight.hpp"
#include "seedreel/probe.hpp"
#include "image/vips.hpp"
#include "support.hpp"

using namespace seedreel;
using seedreel::test::fixture;
using seedreel::test::program;
using seedreel::test::run;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Result {
  int status = -1;
  json out;
  std::string err;
  std::string dir;
  // The report entry for an input file name.
  const json& file(const std::string& name) const {
    for (const auto& f : out["files"])
      if (fs::path(f["path"].get<std::string>()).filename() == name) return f;
    FAIL("no report for " << name);
    static json none;
    return none;
  }
};

Result conform_cli(const std::vector<std::string>& files, const std::vector<std::string>& flags = {},
                   const std::string& dir = "") {
  Result r;
  r.dir = dir.empty() ? seedreel::test::temp_dir("conform") : dir;
  std::vector<std::string> argv{program("seedreel"), "conform", "--json", "-o", r.dir};
  for (const auto& f : files) argv.push_back(fs::path(f).is_absolute() ? f : fixture(f));
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto p = run(argv);
  r.status = p.status;
  r.err = p.err;
  INFO("stderr: " << p.err);
  if (!p.out.empty()) r.out = json::parse(p.out);
  return r;
}

std::set<std::string> changes_of(const json& f) {
  std::set<std::string> s;
  for (const auto& c : f["changes"]) s.insert(c["what"].get<std::string>());
  return s;
}

// libvips does not start itself, and several checks read pixels in this
// process: started here, a test case also runs on its own (-tc).
[[maybe_unused]] const bool kVipsStarted = (seedreel::image::init_vips(), true);

// Bounding box of the pixels where `band` is over `level`: the white square
// (band 0, red: white 255, blue field 48, black pad 0) or the picture's content
// area (band 2, blue: field 176, square 255, black pad 0).
struct Box {
  int left = 0, top = 0, width = 0, height = 0;
  double aspect() const { return double(width) / height; }
};
Box box_over(const std::string& image_path, int band, double level) {
  vips::VImage img = vips::VImage::new_from_file(image_path.c_str());
  if (img.bands() < 3) img = img.colourspace(VIPS_INTERPRETATION_sRGB);
  vips::VImage mask = (img.extract_band(band) > level).ifthenelse(255, 0).cast(VIPS_FORMAT_UCHAR);
  Box b;
  b.left = mask.find_trim(&b.top, &b.width, &b.height,
                          vips::VImage::option()->set("background", std::vector<double>{0})->set("threshold", 128));
  return b;
}
Box square(const std::string& p) { return box_over(p, 0, 200); }
Box content(const std::string& p) { return box_over(p, 2, 90); }

// A frame of a video as PNG, by the ffmpeg CLI (the oracle decoder).
std::string frame_png(const std::string& video, double at = 0.5) {
  std::string png = video + ".png";
  auto r = run({"ffmpeg", "-v", "error", "-y", "-ss", std::to_string(at), "-i", video, "-frames:v", "1", png});
  REQUIRE(r.status == 0);
  return png;
}

void passes_preflight(const std::string& path, Role role) {
  MediaInfo m = probe(path);
  auto f = check_file(m, role);
  INFO(path << ": " << (f.empty() ? "" : f[0].message));
  CHECK(f.empty());
}

std::string ffprobe_stream(const std::string& file, const std::string& sel, const std::string& entries) {
  return seedreel::test::ffprobe(file, {"-select_streams", sel, "-show_entries", "stream=" + entries, "-of",
                                        "default=nw=1:nk=1"});
}

std::size_t files_in(const std::string& dir) {
  return std::size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
}

}  // namespace

// --- the arithmetic ---------------------------------------------------------------

TEST_CASE("shared duration: proportional trims by one factor, first-n keeps the same first seconds") {
  const auto& L = media_limits();
  CHECK(share_duration({5, 6}, 15, L.video_duration, TotalBudget::proportional) == std::vector<double>{5, 6});
  CHECK(share_duration({8, 8, 8}, 15, L.video_duration, TotalBudget::proportional) == std::vector<double>{5, 5, 5});
  CHECK(share_duration({12, 6}, 15, L.video_duration, TotalBudget::proportional) == std::vector<double>{10, 5});
  CHECK(share_duration({12, 6}, 15, L.video_duration, TotalBudget::first_n) == std::vector<double>{9, 6});
  // One file alone is capped at 15 s; a short one counts as the 2 s it will be extended to.
  CHECK(share_duration({40}, 15, L.video_duration, TotalBudget::proportional) == std::vector<double>{15});
  CHECK(share_duration({1}, 15, L.video_duration, TotalBudget::proportional) == std::vector<double>{2});
  // Nobody is cut under the 2 s minimum; the others share what is left.
  auto s = share_duration({2.5, 30}, 15, L.video_duration, TotalBudget::proportional);
  CHECK(s[0] >= 2);
  CHECK(s[0] + s[1] <= 15);
  auto t = share_duration({2.1, 14, 14}, 15, L.video_duration, TotalBudget::proportional);
  CHECK(t[0] >= 2);
  CHECK(t[0] + t[1] + t[2] <= 15.0 + 1e-9);
}

TEST_CASE("placement: uniform scale, pad or crop into the band, exact frame sizes") {
  auto p = place_image({3000, 1000}, Fit::pad);
  CHECK(p.canvas.width == 3000);
  CHECK(p.canvas.height == 1200);
  CHECK(p.pads);
  auto c = place_image({3000, 1000}, Fit::crop);
  CHECK(c.canvas.width == 2500);
  CHECK(c.canvas.height == 1000);
  CHECK(c.crops);
  auto big = place_image({12000, 1000}, Fit::pad);  // too wide and too large at once
  CHECK(big.canvas.width == 6000);
  CHECK(big.canvas.height == 2400);
  CHECK(big.content.width == 6000);
  CHECK(big.content.height == 500);
  auto small = place_image({200, 150}, Fit::pad);
  CHECK(small.canvas.width == 400);
  CHECK(small.canvas.height == 300);
  auto edge = place_image({1000, 400}, Fit::pad);  // exactly 2.5: untouched
  CHECK(edge.canvas.width == 1000);
  CHECK_FALSE(edge.pads);
  auto exact = place_exact({4000, 3000}, {720, 1280}, Fit::pad);
  CHECK(exact.content.width == 720);
  CHECK(exact.content.height == 540);
  auto cover = place_exact({4000, 3000}, {720, 1280}, Fit::crop);
  CHECK(cover.content.height == 1280);
  CHECK(cover.crops);
  const auto& L = media_limits();
  for (Size s : {Size{1920, 1080}, Size{3840, 2160}, Size{320, 240}, Size{1920, 600}, Size{600, 1920}, Size{853, 480},
                 Size{641, 639}, Size{7000, 2800}}) {
    for (Fit f : {Fit::pad, Fit::crop}) {
      auto v = place_video(s, f);
      INFO(s.width << "x" << s.height);
      CHECK(L.video_pixels.contains(double(v.canvas.width) * v.canvas.height));
      CHECK(L.aspect.contains(double(v.canvas.width) / v.canvas.height));
      CHECK(v.canvas.width % 2 == 0);
      CHECK(v.canvas.height % 2 == 0);
      // the content keeps the source's aspect within 1 %
      CHECK(std::abs(double(v.content.width) / v.content.height / (double(s.width) / s.height) - 1) < 0.01);
    }
  }
}

TEST_CASE("option parsing") {
  CHECK(parse_pad_fill("#3070b0")->rgb == std::array<std::uint8_t, 3>{0x30, 0x70, 0xb0});
  CHECK(parse_pad_fill("blur")->blur);
  CHECK_FALSE(parse_pad_fill("#12345"));
  CHECK(parse_total_budget("first-n") == TotalBudget::first_n);
  CHECK_FALSE(parse_fit("stretch"));
}

// --- images ---------------------------------------------------------------------

TEST_CASE("images: each rule fixed with the smallest change, content undistorted") {
  auto r = conform_cli({"cf_img_small_200x150.png", "cf_img_large_8000x6000.jpg", "cf_img_wide_3000x1000.png",
                        "cf_img_tall_500x2000.png", "cf_img_panorama_12000x1000.jpg", "cf_img_ok_1200x800.jpg"});
  REQUIRE(r.status == 0);
  CHECK(r.out["ok"] == true);
  struct Want {
    std::string name;
    int w, h;
    std::set<std::string> changes;
    double source_aspect;
  };
  for (const auto& w : std::vector<Want>{
           {"cf_img_small_200x150.png", 400, 300, {"resized"}, 200.0 / 150},
           {"cf_img_large_8000x6000.jpg", 6000, 4500, {"resized"}, 8000.0 / 6000},
           {"cf_img_wide_3000x1000.png", 3000, 1200, {"padded"}, 3.0},
           {"cf_img_tall_500x2000.png", 800, 2000, {"padded"}, 0.25},
           {"cf_img_panorama_12000x1000.jpg", 6000, 2400, {"resized", "padded"}, 12.0},
           {"cf_img_ok_1200x800.jpg", 1200, 800, {}, 1.5},
       }) {
    INFO(w.name);
    const json& f = r.file(w.name);
    CHECK(f["ok"] == true);
    CHECK(changes_of(f) == w.changes);
    std::string out = f["output"];
    passes_preflight(out, Role::reference_image);
    auto info = probe(out);
    CHECK(info.width == w.w);
    CHECK(info.height == w.h);
    // the picture's content area and the square inside it keep their aspect
    CHECK(std::abs(content(out).aspect() / w.source_aspect - 1) < 0.01);
    CHECK(std::abs(square(out).aspect() - 1) < 0.01);
  }
  // a conformant file is copied byte for byte
  const json& ok = r.file("cf_img_ok_1200x800.jpg");
  CHECK(ok["action"] == "unchanged");
  std::ifstream a(fixture("cf_img_ok_1200x800.jpg"), std::ios::binary), b(ok["output"].get<std::string>(), std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(a), {}) == std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST_CASE("images: crop cuts the overflow from the centre; pad can be a colour or blurred") {
  auto crop = conform_cli({"cf_img_wide_3000x1000.png", "cf_img_tall_500x2000.png"}, {"--fit", "crop"});
  REQUIRE(crop.status == 0);
  auto wide = probe(crop.file("cf_img_wide_3000x1000.png")["output"]);
  CHECK(wide.width == 2500);
  CHECK(wide.height == 1000);
  CHECK(changes_of(crop.file("cf_img_wide_3000x1000.png")) == std::set<std::string>{"cropped"});
  Box sq = square(crop.file("cf_img_wide_3000x1000.png")["output"]);
  CHECK(std::abs(sq.aspect() - 1) < 0.01);
  CHECK(std::abs(sq.left + sq.width / 2.0 - 1250) <= 2);  // still centred
  auto tall = probe(crop.file("cf_img_tall_500x2000.png")["output"]);
  CHECK(tall.width == 500);
  CHECK(tall.height == 1250);

  auto blur = conform_cli({"cf_img_wide_3000x1000.png"}, {"--pad", "blur"});
  REQUIRE(blur.status == 0);
  std::string out = blur.file("cf_img_wide_3000x1000.png")["output"];
  CHECK(std::abs(square(out).aspect() - 1) < 0.01);
  // the bars are the blurred blue picture, not black
  vips::VImage img = vips::VImage::new_from_file(out.c_str());
  CHECK(img.extract_area(0, 0, 3000, 50).extract_band(2).avg() > 120);

  auto white = conform_cli({"cf_img_wide_3000x1000.png"}, {"--pad", "ffffff"});
  REQUIRE(white.status == 0);
  vips::VImage w = vips::VImage::new_from_file(white.file("cf_img_wide_3000x1000.png")["output"].get<std::string>().c_str());
  CHECK(w.extract_area(0, 0, 3000, 50).avg() > 250);
}

TEST_CASE("images: first/last frame fitted to the exact output size of --ratio and --resolution") {
  for (std::string fit : {"pad", "crop"}) {
    auto r = conform_cli({"cf_img_photo_1600x1200.png", "cf_img_wide_3000x1000.png"},
                         {"--as", "first_frame", "--as", "last_frame", "--ratio", "9:16", "--resolution", "720p", "--fit", fit});
    REQUIRE(r.status == 0);
    for (std::string name : {"cf_img_photo_1600x1200.png", "cf_img_wide_3000x1000.png"}) {
      std::string out = r.file(name)["output"];
      auto m = probe(out);
      CHECK(m.width == 720);
      CHECK(m.height == 1280);
      CHECK(std::abs(square(out).aspect() - 1) < 0.01);
      passes_preflight(out, Role::first_frame);
    }
    if (fit == "pad") CHECK(std::abs(content(r.file("cf_img_photo_1600x1200.png")["output"]).aspect() - 4.0 / 3) < 0.0134);
  }
  // 21:9 at 1080p is 2208x944 in the seeds' table
  auto r = conform_cli({"cf_img_photo_1600x1200.png"}, {"--as", "first_frame", "--ratio", "21:9", "--resolution", "1080p"});
  auto m = probe(r.file("cf_img_photo_1600x1200.png")["output"]);
  CHECK(m.width == 2208);
  CHECK(m.height == 944);
  // a reference image is not a frame: no exact size
  auto ref = conform_cli({"cf_img_photo_1600x1200.png"}, {"--ratio", "9:16", "--resolution", "720p"});
  CHECK(ref.file("cf_img_photo_1600x1200.png")["action"] == "unchanged");
}

TEST_CASE("images: orientation, colour, depth, alpha, formats, animation, size cap") {
  auto r = conform_cli({"cf_img_exif6_1200x600.jpg", "cf_img_cmyk_640x480.jpg", "cf_img_16bit_1600x1200.tif",
                        "cf_img_alpha_1600x1200.heic", "cf_img_opaque_alpha_1600x1200.heic", "cf_img_photo_1600x1200.heic",
                        "cf_img_anim_400x400.gif", "cf_img_noise_4800x3200_big.jpg"});
  REQUIRE(r.status == 0);
  for (const auto& f : r.out["files"]) {
    CHECK(f["ok"] == true);
    passes_preflight(f["output"], Role::reference_image);
  }
  // EXIF 6: stored 1200x600 with the square top-left; upright it is 600x1200 with the square top-right
  std::string upright = r.file("cf_img_exif6_1200x600.jpg")["output"];
  auto m = probe(upright);
  CHECK(m.width == 600);
  CHECK(m.height == 1200);
  CHECK(m.image->orientation == 1);
  Box sq = square(upright);
  CHECK(sq.left > 300);
  CHECK(sq.top < 300);
  CHECK(changes_of(r.file("cf_img_exif6_1200x600.jpg")) == std::set<std::string>{"oriented"});

  // CMYK -> sRGB: the same colour as the vips CLI's conversion, within JPEG tolerance
  std::string rgb = r.file("cf_img_cmyk_640x480.jpg")["output"];
  CHECK(probe(rgb).image->colour_space == "srgb");
  std::string oracle = r.dir + "/oracle-cmyk.png";
  REQUIRE(run({"vips", "colourspace", fixture("cf_img_cmyk_640x480.jpg"), oracle, "srgb"}).status == 0);
  vips::VImage px = vips::VImage::new_from_file(rgb.c_str()), want = vips::VImage::new_from_file(oracle.c_str());
  for (int b = 0; b < 3; ++b) CHECK(std::abs(px.extract_band(b).avg() - want.extract_band(b).avg()) < 4);
  fs::remove(oracle);

  auto deep = probe(r.file("cf_img_16bit_1600x1200.tif")["output"]);
  CHECK(deep.format == "tiff");
  CHECK(deep.image->bit_depth == 8);

  auto alpha = probe(r.file("cf_img_alpha_1600x1200.heic")["output"]);
  CHECK(alpha.format == "png");
  CHECK(alpha.image->alpha);
  const json& opaque = r.file("cf_img_opaque_alpha_1600x1200.heic");
  CHECK(probe(opaque["output"]).format == "jpeg");
  CHECK(changes_of(opaque) == std::set<std::string>{"converted", "flattened"});
  CHECK(probe(r.file("cf_img_photo_1600x1200.heic")["output"]).format == "jpeg");

  const json& anim = r.file("cf_img_anim_400x400.gif");
  CHECK(changes_of(anim).count("first_frame") == 1);
  CHECK(probe(anim["output"]).image->pages == 1);

  const json& big = r.file("cf_img_noise_4800x3200_big.jpg");
  CHECK(probe(big["output"]).file_size < media_limits().image_max_bytes);
  CHECK(changes_of(big) == std::set<std::string>{"recompressed"});
}

// --- video ----------------------------------------------------------------------

TEST_CASE("video: 4K 60 fps, too small, too wide, rotated, wrong codec, too big: all re-encoded to H.264 that passes") {
  auto r = conform_cli({"cf_vid_4k_60fps_3s.mp4", "cf_vid_small_320x240_30fps_3s.mp4", "cf_vid_wide_1920x600_30fps_3s.mp4"});
  REQUIRE(r.status == 0);
  auto r2 = conform_cli({"cf_vid_rot90_1920x1080.mp4", "cf_vid_mpeg4_640x480.avi", "cf_vid_raw_74MB.mov"});
  REQUIRE(r2.status == 0);
  for (const auto* res : {&r, &r2})
    for (const auto& f : res->out["files"]) {
      std::string out = f["output"];
      INFO(out);
      CHECK(f["ok"] == true);
      CHECK(f["action"] == "re-encoded");
      passes_preflight(out, Role::reference_video);
      CHECK(ffprobe_stream(out, "v:0", "codec_name,pix_fmt,color_primaries,color_transfer,color_space") ==
            "h264\nyuv420p\nbt709\nbt709\nbt709");
      CHECK(probe(out).faststart == true);
      // every source is 3 s: nothing trimmed when a file is alone
      CHECK(probe(out).media_duration() == doctest::Approx(3.0).epsilon(0.02));
    }
  auto k4 = probe(r.file("cf_vid_4k_60fps_3s.mp4")["output"]);
  CHECK(k4.video->fps == doctest::Approx(60));
  CHECK(std::abs(k4.aspect() / (16.0 / 9) - 1) < 0.01);
  CHECK(changes_of(r.file("cf_vid_4k_60fps_3s.mp4")) == std::set<std::string>{"resized"});
  CHECK(std::abs(square(frame_png(r.file("cf_vid_4k_60fps_3s.mp4")["output"])).aspect() - 1) < 0.01);

  auto small = probe(r.file("cf_vid_small_320x240_30fps_3s.mp4")["output"]);
  CHECK(std::abs(small.aspect() / (4.0 / 3) - 1) < 0.01);

  std::string wide = r.file("cf_vid_wide_1920x600_30fps_3s.mp4")["output"];
  std::string wide_png = frame_png(wide);
  CHECK(std::abs(content(wide_png).aspect() / 3.2 - 1) < 0.01);
  CHECK(std::abs(square(wide_png).aspect() - 1) < 0.01);
  CHECK(changes_of(r.file("cf_vid_wide_1920x600_30fps_3s.mp4")) == std::set<std::string>{"resized", "padded"});

  // the display matrix is applied to the pixels and cleared
  std::string rot = r2.file("cf_vid_rot90_1920x1080.mp4")["output"];
  auto rm = probe(rot);
  CHECK(rm.video->rotation == 0);
  CHECK(rm.width < rm.height);
  Box sq = square(frame_png(rot));
  CHECK(sq.left > rm.width / 2);  // stored top-left turns to top-right
  CHECK(sq.top < rm.height / 4);
  CHECK(std::abs(sq.aspect() - 1) < 0.02);
  CHECK(changes_of(r2.file("cf_vid_rot90_1920x1080.mp4")).count("rotated") == 1);

  CHECK(probe(r2.file("cf_vid_raw_74MB.mov")["output"]).file_size <= media_limits().video_max_bytes);
  CHECK(changes_of(r2.file("cf_vid_mpeg4_640x480.avi")).count("converted") == 1);
}

TEST_CASE("video: conformant is left alone, wrong container only is remuxed without re-encoding") {
  auto r = conform_cli({"cf_vid_ok_640x640_24fps_3s.mp4", "cf_vid_ok_640x640_3s.mkv"});
  REQUIRE(r.status == 0);
  CHECK(r.file("cf_vid_ok_640x640_24fps_3s.mp4")["action"] == "unchanged");
  CHECK(fs::file_size(r.file("cf_vid_ok_640x640_24fps_3s.mp4")["output"].get<std::string>()) ==
        fs::file_size(fixture("cf_vid_ok_640x640_24fps_3s.mp4")));
  const json& mkv = r.file("cf_vid_ok_640x640_3s.mkv");
  CHECK(mkv["action"] == "remuxed");
  std::string out = mkv["output"];
  CHECK(fs::path(out).extension() == ".mp4");
  passes_preflight(out, Role::reference_video);
  // the same packets: counted and summed by ffprobe on both sides
  auto packets = [](const std::string& f) {
    return seedreel::test::ffprobe(f, {"-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets",
                                       "-of", "default=nw=1:nk=1"});
  };
  CHECK(packets(out) == packets(fixture("cf_vid_ok_640x640_3s.mkv")));
  CHECK(ffprobe_stream(out, "a:0", "codec_name") == "aac");
}

TEST_CASE("video: wrong container with audio mp4 cannot carry: video copied, only the audio re-encoded") {
  auto r = conform_cli({"cf_vid_opus_640x640_3s.mkv"});
  REQUIRE(r.status == 0);
  const json& f = r.file("cf_vid_opus_640x640_3s.mkv");
  CHECK(f["action"] == "remuxed");
  CHECK(changes_of(f).count("audio") == 1);
  std::string out = f["output"];
  passes_preflight(out, Role::reference_video);
  // The video packets are the source's, byte for byte.
  auto video_md5 = [](const std::string& file) {
    auto run = seedreel::test::run({"ffmpeg", "-v", "error", "-i", file, "-map", "0:v", "-c", "copy", "-f", "md5", "-"});
    REQUIRE(run.status == 0);
    return run.out;
  };
  CHECK(video_md5(out) == video_md5(fixture("cf_vid_opus_640x640_3s.mkv")));
  CHECK(ffprobe_stream(out, "a:0", "codec_name") == "aac");
  // The audio keeps its length (within one AAC frame) and starts with the video.
  auto duration = [](const std::string& file, const char* stream) {
    return std::stod(seedreel::test::ffprobe(file, {"-select_streams", stream, "-show_entries", "stream=duration",
                                                    "-of", "default=nw=1:nk=1"}));
  };
  CHECK(std::abs(duration(out, "a:0") - 3.0) < 0.03);
  CHECK(std::stod(seedreel::test::ffprobe(out, {"-select_streams", "a:0", "-show_entries", "stream=start_time", "-of",
                                                "default=nw=1:nk=1"})) < 0.001);
}

TEST_CASE("video: HLG from a phone comes out as SDR BT.709 with its colours, not grey") {
  auto r = conform_cli({"cf_vid_hlg_640x640_20fps.mp4"});
  REQUIRE(r.status == 0);
  const json& f = r.file("cf_vid_hlg_640x640_20fps.mp4");
  CHECK(changes_of(f).count("tone_mapped") == 1);
  std::string out = f["output"];
  passes_preflight(out, Role::reference_video);
  CHECK(ffprobe_stream(out, "v:0", "color_transfer") == "bt709");
  // The fixture was made from blue 48,112,176 and white; only re-tagging the
  // matrix gives 53,70,113 and a grey 159 square.
  auto rgb = seedreel::test::run({"ffmpeg", "-v", "error", "-i", out, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                                  "rgb24", "-"});
  REQUIRE(rgb.status == 0);
  REQUIRE(rgb.out.size() == 640u * 640u * 3u);
  auto px = [&](int x, int y, int c) { return int(static_cast<unsigned char>(rgb.out[(std::size_t(y) * 640 + x) * 3 + c])); };
  const int blue[3] = {48, 112, 176};
  for (int c = 0; c < 3; ++c) CHECK(std::abs(px(40, 40, c) - blue[c]) <= 15);
  for (int c = 0; c < 3; ++c) CHECK(px(320, 320, c) >= 190);
}

TEST_CASE("video: too long is trimmed, too short held on its last frame, references share 15 s") {
  auto r = conform_cli({"cf_vid_40s_640x640.mp4"});
  REQUIRE(r.status == 0);
  auto long_one = probe(r.file("cf_vid_40s_640x640.mp4")["output"]);
  CHECK(long_one.media_duration() <= 15.0);
  CHECK(long_one.media_duration() > 14.9);
  CHECK(changes_of(r.file("cf_vid_40s_640x640.mp4")) == std::set<std::string>{"trimmed"});

  auto s = conform_cli({"cf_vid_short_1s.mp4"});
  REQUIRE(s.status == 0);
  auto short_one = probe(s.file("cf_vid_short_1s.mp4")["output"]);
  CHECK(short_one.media_duration() >= 2.0);
  CHECK(short_one.media_duration() < 2.1);
  CHECK(short_one.audio->duration >= 1.99);  // silence added under the held frame
  CHECK(changes_of(s.file("cf_vid_short_1s.mp4")) == std::set<std::string>{"extended"});

  auto three = conform_cli({"cf_vid_8s_a.mp4", "cf_vid_8s_b.mp4", "cf_vid_8s_c.mp4"});
  REQUIRE(three.status == 0);
  CHECK(three.out["set"].empty());
  double total = 0;
  for (const auto& f : three.out["files"]) {
    double d = probe(f["output"]).media_duration();
    CHECK(d == doctest::Approx(5.0).epsilon(0.01));
    total += d;
  }
  CHECK(total <= 15.0);

  auto prop = conform_cli({"cf_vid_12s.mp4", "cf_vid_6s.mp4"});
  auto first = conform_cli({"cf_vid_12s.mp4", "cf_vid_6s.mp4"}, {"--total-budget", "first-n"});
  REQUIRE(prop.status == 0);
  REQUIRE(first.status == 0);
  CHECK(probe(prop.file("cf_vid_12s.mp4")["output"]).media_duration() == doctest::Approx(10).epsilon(0.01));
  CHECK(probe(prop.file("cf_vid_6s.mp4")["output"]).media_duration() == doctest::Approx(5).epsilon(0.01));
  CHECK(probe(first.file("cf_vid_12s.mp4")["output"]).media_duration() == doctest::Approx(9).epsilon(0.01));
  CHECK(first.file("cf_vid_6s.mp4")["action"] == "unchanged");
}

TEST_CASE("video: audio stays in sync through a frame-rate change and resampling") {
  auto r = conform_cli({"cf_vid_sync_120fps.mp4"});
  REQUIRE(r.status == 0);
  std::string out = r.file("cf_vid_sync_120fps.mp4")["output"];
  CHECK(probe(out).video->fps == doctest::Approx(60));
  // Video onset: the first frame that turns white, read by ffmpeg's signalstats.
  auto v = run({"ffmpeg", "-v", "error", "-i", out, "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
                "-f", "null", "-"});
  double video_onset = -1, t = 0;
  std::istringstream lines(v.out);
  for (std::string line; std::getline(lines, line);) {
    if (auto p = line.find("pts_time:"); p != std::string::npos) t = std::stod(line.substr(p + 9));
    if (auto p = line.find("YAVG="); p != std::string::npos && std::stod(line.substr(p + 5)) > 128) {
      video_onset = t;
      break;
    }
  }
  // Audio onset: the first loud sample, decoded by ffmpeg to 48 kHz mono.
  auto a = run({"ffmpeg", "-v", "error", "-i", out, "-f", "s16le", "-ac", "1", "-ar", "48000", "-"});
  double audio_onset = -1;
  for (std::size_t i = 0; i + 1 < a.out.size(); i += 2) {
    auto s = std::int16_t(std::uint8_t(a.out[i]) | (std::uint8_t(a.out[i + 1]) << 8));
    if (std::abs(int(s)) > 8000) {
      audio_onset = double(i / 2) / 48000;
      break;
    }
  }
  INFO("video " << video_onset << " audio " << audio_onset);
  CHECK(video_onset == doctest::Approx(1.0).epsilon(0.02));
  CHECK(std::abs(audio_onset - video_onset) <= 1.0 / 60 + 0.005);
}

TEST_CASE("video: a file with no video stream cannot be reference_video; the others still go through") {
  auto r = conform_cli({"cf_audio_only.m4a", "cf_vid_ok_640x640_24fps_3s.mp4"}, {"--as", "reference_video"});
  CHECK(r.status == 3);
  CHECK(r.err.find("cf_audio_only.m4a: has no video stream") != std::string::npos);
  CHECK(r.file("cf_vid_ok_640x640_24fps_3s.mp4")["ok"] == true);
}

// --- audio ----------------------------------------------------------------------

TEST_CASE("audio: wav/mp3 out, extended with silence, trimmed, resampled and downmixed, 15 s shared") {
  auto r = conform_cli({"cf_aud_1s.wav", "cf_aud_ok_5s.wav"});
  REQUIRE(r.status == 0);
  auto one = probe(r.file("cf_aud_1s.wav")["output"]);
  CHECK(one.format == "wav");
  CHECK(one.media_duration() == doctest::Approx(2.0));
  CHECK(changes_of(r.file("cf_aud_1s.wav")) == std::set<std::string>{"extended"});
  CHECK(r.file("cf_aud_ok_5s.wav")["action"] == "unchanged");

  auto mp3 = conform_cli({"cf_aud_1s.mp3"});
  REQUIRE(mp3.status == 0);
  auto m = probe(mp3.file("cf_aud_1s.mp3")["output"]);
  CHECK(m.format == "mp3");
  CHECK(m.media_duration() >= 2.0);

  auto flac = conform_cli({"cf_aud_20s.flac", "cf_aud_10s_23MB.wav"}, {"--total-budget", "first-n"});
  REQUIRE(flac.status == 0);
  auto f = probe(flac.file("cf_aud_20s.flac")["output"]);
  CHECK(f.format == "wav");
  auto big = probe(flac.file("cf_aud_10s_23MB.wav")["output"]);
  CHECK(big.audio->sample_rate == 48000);
  CHECK(big.audio->channels == 2);
  CHECK(ffprobe_stream(flac.file("cf_aud_10s_23MB.wav")["output"], "a:0", "codec_name") == "pcm_s16le");
  CHECK(f.media_duration() + big.media_duration() <= 15.0);
  CHECK(f.media_duration() == doctest::Approx(7.5).epsilon(0.01));  // first 7.5 s of each
  CHECK(changes_of(flac.file("cf_aud_10s_23MB.wav")) ==
        std::set<std::string>{"resampled", "downmixed", "recompressed", "trimmed"});

  auto three = conform_cli({"cf_aud_8s_a.wav", "cf_aud_8s_b.wav", "cf_aud_8s_c.wav", "cf_aud_20s.mp3"});
  REQUIRE(three.status == 0);
  double total = 0;
  for (const auto& x : three.out["files"]) {
    passes_preflight(x["output"], Role::reference_audio);
    total += probe(x["output"]).media_duration();
  }
  CHECK(total <= 15.0);
  CHECK(total > 14.8);
}

// --- bad input, outputs, usage --------------------------------------------------------

TEST_CASE("bad input: one clear line each, exit 3, the good file still conformed, nothing partial") {
  auto r = conform_cli({"bad_empty.mp4", "bad_random.mp4", "img_bomb_100000x100000.png", "cf_img_zero_0x0.gif",
                        "cf_img_truncated.jpg", "missing.png", "cf_img_small_200x150.png"});
  CHECK(r.status == 3);
  CHECK(r.file("cf_img_small_200x150.png")["ok"] == true);
  CHECK(r.err.find("img_bomb_100000x100000.png: header claims 100000x100000") != std::string::npos);
  CHECK(r.err.find("decode limit") != std::string::npos);
  CHECK(r.err.find("cf_img_truncated.jpg: unreadable: cut short or corrupt image data") != std::string::npos);
  CHECK(r.err.find("cf_img_zero_0x0.gif:") != std::string::npos);
  // one line per bad file, each naming it
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 6);
  // only the good output, no temporary files
  CHECK(files_in(r.dir) == 1);
}

TEST_CASE("outputs: never overwritten without --force; an unwritable folder is refused") {
  auto r = conform_cli({"cf_img_small_200x150.png"});
  REQUIRE(r.status == 0);
  std::string out = r.file("cf_img_small_200x150.png")["output"];
  { std::ofstream(out, std::ios::trunc) << "mine"; }
  auto again = conform_cli({"cf_img_small_200x150.png"}, {}, r.dir);
  CHECK(again.status == 3);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(fs::file_size(out) == 4);
  auto forced = conform_cli({"cf_img_small_200x150.png"}, {"--force"}, r.dir);
  CHECK(forced.status == 0);
  CHECK(probe(out).width == 400);
  CHECK(files_in(r.dir) == 1);

  // a folder below a regular file can never be created
  auto bad = conform_cli({"cf_img_small_200x150.png"}, {}, out + "/sub");
  CHECK(bad.status == 3);
  CHECK(bad.err.find("cannot create output folder") != std::string::npos);
}

TEST_CASE("usage errors and model limits") {
  CHECK(conform_cli({"cf_img_small_200x150.png"}, {"--fit", "stretch"}).status == 2);
  // The library names the option ("ratio"); the CLI says which flag it was.
  auto alone = conform_cli({"cf_img_small_200x150.png"}, {"--ratio", "9:16"});
  CHECK(alone.status == 2);
  CHECK(alone.err.find("seedreel: --ratio: ratio and resolution go together") != std::string::npos);
  CHECK(conform_cli({"cf_img_small_200x150.png"}, {"--pad", "mauve-ish"}).status == 2);
  CHECK(conform_cli({"cf_img_small_200x150.png"}, {"--total-budget", "random"}).status == 2);
  auto mini = conform_cli({"cf_img_small_200x150.png"},
                          {"--model", "seedance-2.0-mini", "--ratio", "16:9", "--resolution", "1080p"});
  CHECK(mini.status == 1);
  CHECK(mini.err.find("720p") != std::string::npos);
}

TEST_CASE("images: --max-side asks for a smaller cap than the API's") {
  auto r = conform_cli({"cf_img_photo_1600x1200.png"}, {"--max-side", "800"});
  REQUIRE(r.status == 0);
  auto m = probe(r.file("cf_img_photo_1600x1200.png")["output"]);
  CHECK(m.width == 800);
  CHECK(m.height == 600);
  auto small = conform_cli({"cf_img_photo_1600x1200.png"}, {"--max-side", "100"});
  CHECK(small.status == 2);
  CHECK(small.err.find("seedreel: --max-side: must be 300-6000") != std::string::npos);
}

TEST_CASE("the library's errors name options, never flags") {
  ConformOptions o;
  o.outdir = test::temp_dir("conform-options");
  o.ratio = "5:4";
  o.resolution = "720p";
  try {
    conform({{fixture("cf_img_small_200x150.png"), Role::first_frame}}, o);
    FAIL("an unknown ratio was taken");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_argument);
    CHECK(e.option() == "ratio");
    CHECK(e.subject().empty());
    CHECK(std::string(e.what()).starts_with("ratio: unknown ratio '5:4'"));
  }
  o.ratio = "16:9";
  o.image_max_side = 10;
  try {
    conform({{fixture("cf_img_small_200x150.png"), Role::first_frame}}, o);
    FAIL("a 10 px cap was taken");
  } catch (const Error& e) {
    CHECK(e.option() == "image_max_side");
    CHECK(std::string(e.what()).find("--") == std::string::npos);
  }
}

TEST_CASE("Ctrl-C during a re-encode: exit 130 and no file left in OUTDIR") {
  std::string dir = seedreel::test::temp_dir("conform-int");
  // Waits for the temporary output to exist (work has begun), then interrupts.
  std::string script = "\"$0\" conform -o \"$1\" \"$2\" >/dev/null 2>&1 & pid=$!; "
                       "for i in $(seq 600); do ls -A \"$1\" | grep -q tmp && break; sleep 0.05; done; "
                       "kill -INT $pid; wait $pid; echo $?";
  auto r = run({"bash", "-c", script, program("seedreel"), dir, fixture("cf_vid_40s_640x640.mp4")});
  CHECK(r.out == "130\n");
  CHECK(files_in(dir) == 0);
}
