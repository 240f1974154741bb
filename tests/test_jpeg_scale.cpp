// JPEG -> JPEG downscaling in YCbCr (image/jpeg_scale.hpp): sizes, chroma
// layouts, EXIF orientations, and picture quality measured against the truth
// (the lossless source resampled by libvips) next to libvips' own path; and
// every file it must decline (left to libvips).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <vips/vips8>

#include "image/jpeg_scale.hpp"
#include "image/ops.hpp"
#include "image/vips.hpp"
#include "support.hpp"

using seedreel::image::JpegScale;
using seedreel::image::scale_jpeg;
using seedreel::test::fixture;
using seedreel::test::run;
namespace fs = std::filesystem;

namespace {

[[maybe_unused]] const bool kVipsStarted = (seedreel::image::init_vips(), true);

const std::string& dir() {
  static const std::string d = seedreel::test::temp_dir("jpeg_scale");
  return d;
}

// A lossless photo-like source (colour bars, gradients, text: sharp colour
// edges are the hard case for chroma) and JPEGs of it with a chroma layout.
std::string source_png(int w, int h) {
  std::string png = dir() + "/src_" + std::to_string(w) + "x" + std::to_string(h) + ".png";
  if (!fs::exists(png))
    REQUIRE(run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=" + std::to_string(w) + "x" + std::to_string(h),
                 "-frames:v", "1", png}).status == 0);
  return png;
}
std::string jpeg_of(const std::string& png, const std::string& pix_fmt, const std::vector<std::string>& extra = {}) {
  std::string out = fs::path(png).replace_extension("").string() + "_" + pix_fmt + (extra.empty() ? "" : "_x") + ".jpg";
  std::vector<std::string> argv{"ffmpeg", "-v", "error", "-y", "-i", png, "-pix_fmt", pix_fmt, "-q:v", "2"};
  // FFmpeg's encoder writes neither 4:4:0 (vertical-only subsampling) nor
  // one-component grey JPEGs; ImageMagick does.
  if (pix_fmt == "yuvj440p") argv = {"convert", png, "-sampling-factor", "1x2", "-quality", "95"};
  if (pix_fmt == "gray") argv = {"convert", png, "-colorspace", "Gray", "-quality", "95"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(out);
  REQUIRE(run(argv).status == 0);
  REQUIRE(seedreel::test::ffprobe(out, {"-show_entries", "stream=pix_fmt", "-of", "csv=p=0"}) == pix_fmt);
  return out;
}

double psnr(const vips::VImage& a, const vips::VImage& b) {
  vips::VImage d = a.cast(VIPS_FORMAT_FLOAT) - b.cast(VIPS_FORMAT_FLOAT);
  const double mse = (d * d).avg();
  return mse <= 1e-12 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}
vips::VImage rgb(const std::string& path) {
  vips::VImage v = vips::VImage::new_from_file(path.c_str());
  return v.bands() == 1 ? v.colourspace(VIPS_INTERPRETATION_sRGB) : v;
}
// The source resampled losslessly with libvips' Lanczos-3: what a perfect
// downscale looks like before JPEG's own loss.
vips::VImage truth(const std::string& source, int w, int h) {
  vips::VImage s = vips::VImage::new_from_file(source.c_str());
  return s.resize(double(w) / s.width(), vips::VImage::option()->set("vscale", double(h) / s.height())->set("kernel", VIPS_KERNEL_LANCZOS3));
}
// libvips' path for the same job (thumbnail shrink-on-load, then jpegsave).
std::string through_vips(const std::string& jpg, int w, int h, int quality) {
  std::string out = dir() + "/vips_" + fs::path(jpg).filename().string();
  seedreel::image::save(seedreel::image::to_srgb8(seedreel::image::load_scaled(jpg, w, h)), out, "jpeg", quality);
  return out;
}
std::string chroma_of(const std::string& jpg) {
  return vips::VImage::new_from_file(jpg.c_str()).get_string("jpeg-chroma-subsample");
}

}  // namespace

TEST_CASE("every chroma layout and grey: exact size, and as close to the truth as libvips' path") {
  const std::string png = source_png(2400, 1600);
  struct Case {
    std::string pix_fmt;
    int w, h;  // 1/16, 1/8 and 1/4 use the 1/8, 1/4 and 1/2 DCT scaling; 1/2.4 decodes in full
  };
  for (const Case& c : {Case{"yuvj420p", 150, 100}, Case{"yuvj420p", 300, 200}, Case{"yuvj420p", 600, 400},
                        Case{"yuvj420p", 1000, 667}, Case{"yuvj444p", 150, 100}, Case{"yuvj422p", 1000, 667},
                        Case{"yuvj440p", 1000, 667}, Case{"yuvj444p", 600, 400}, Case{"yuvj444p", 1000, 667},
                        Case{"gray", 1000, 667}}) {
    for (int quality : {90, 75}) {
      CAPTURE(c.pix_fmt);
      CAPTURE(c.w);
      CAPTURE(quality);
      const std::string src = jpeg_of(png, c.pix_fmt);
      const std::string out = dir() + "/out_" + c.pix_fmt + "_" + std::to_string(c.w) + "_" + std::to_string(quality) + ".jpg";
      auto bytes = scale_jpeg(src, out, JpegScale{c.w, c.h, 1, quality});
      REQUIRE(bytes.has_value());
      CHECK(*bytes == fs::file_size(out));
      vips::VImage ours = rgb(out);
      CHECK(ours.width() == c.w);
      CHECK(ours.height() == c.h);
      if (c.pix_fmt != "gray") CHECK(chroma_of(out) == (quality >= 90 ? "4:4:4" : "4:2:0"));
      // Grey: the truth is the grey JPEG itself, fully decoded (its grey is
      // ffmpeg's luma, which no RGB source here states).
      vips::VImage want = truth(c.pix_fmt == "gray" ? src : png, c.w, c.h);
      if (want.bands() == 1) want = want.colourspace(VIPS_INTERPRETATION_sRGB);
      const double p_ours = psnr(ours, want);
      const double p_vips = psnr(rgb(through_vips(src, c.w, c.h, quality)), want);
      MESSAGE(c.pix_fmt << " " << c.w << "x" << c.h << " Q" << quality << ": ours " << p_ours << " dB, libvips " << p_vips << " dB");
      // A floor that any broken pipeline falls through (a shift, swapped
      // planes, wrong siting); at quality 75 a small 4:2:0 picture of sharp
      // colour bars loses much to JPEG itself, whichever tool writes it.
      CHECK(p_ours > (quality >= 90 ? 32.0 : 20.0));
      CHECK(p_ours >= p_vips - 0.5);
    }
  }
}

TEST_CASE("EXIF orientations 2-8 come out upright, as libvips' autorotate shows them") {
  const std::string png = source_png(1200, 800);
  const std::string base = jpeg_of(png, "yuvj420p");
  for (int o = 1; o <= 8; ++o) {
    CAPTURE(o);
    vips::VImage stored = vips::VImage::new_from_file(base.c_str()).copy();
    stored.set("orientation", o);
    const std::string src = dir() + "/orient" + std::to_string(o) + ".jpg";
    stored.jpegsave(src.c_str(), vips::VImage::option()->set("Q", 95));
    const bool turned = o >= 5;
    const int w = turned ? 400 : 600, h = turned ? 600 : 400;  // upright size
    const std::string out = dir() + "/orient" + std::to_string(o) + "_out.jpg";
    REQUIRE(scale_jpeg(src, out, JpegScale{w, h, o, 95}).has_value());
    vips::VImage ours = rgb(out);
    REQUIRE(ours.width() == w);
    REQUIRE(ours.height() == h);
    // The output carries no orientation of its own: its pixels are upright.
    const bool tagged = ours.get_typeof("orientation") != 0 && ours.get_int("orientation") != 1;
    CHECK_FALSE(tagged);
    const double p = psnr(ours, rgb(through_vips(src, w, h, 95)));
    INFO("PSNR against libvips' upright copy: " << p);
    CHECK(p > 32.0);
  }
}

TEST_CASE("progressive and odd-sized JPEGs") {
  const std::string png = source_png(1001, 667);
  const std::string odd = jpeg_of(png, "yuvj420p");
  std::string progressive = dir() + "/progressive.jpg";
  vips::VImage::new_from_file(odd.c_str()).jpegsave(progressive.c_str(), vips::VImage::option()->set("interlace", true));
  REQUIRE(vips::VImage::new_from_file(progressive.c_str()).get_int("interlaced") == 1);
  for (const std::string& src : {odd, progressive}) {
    CAPTURE(src);
    const std::string out = dir() + "/odd_out.jpg";
    REQUIRE(scale_jpeg(src, out, JpegScale{333, 222, 1, 90}).has_value());
    vips::VImage ours = rgb(out);
    CHECK(ours.width() == 333);
    CHECK(ours.height() == 222);
    CHECK(psnr(ours, truth(png, 333, 222)) > 30.0);
  }
}

TEST_CASE("declined, so libvips takes over: ICC profile, CMYK, damaged data, upscaling, not a JPEG") {
  const std::string png = source_png(1200, 800);
  const std::string plain = jpeg_of(png, "yuvj420p");
  const std::string out = dir() + "/declined.jpg";

  std::string icc = dir() + "/icc.jpg";
  vips::VImage::new_from_file(plain.c_str()).jpegsave(icc.c_str(), vips::VImage::option()->set("profile", "srgb"));
  REQUIRE(vips::VImage::new_from_file(icc.c_str()).get_typeof("icc-profile-data") != 0);
  CHECK_FALSE(scale_jpeg(icc, out, JpegScale{600, 400, 1, 90}).has_value());

  CHECK_FALSE(scale_jpeg(fixture("cf_img_cmyk_640x480.jpg"), out, JpegScale{320, 240, 1, 90}).has_value());

  // Cut in the middle of the entropy-coded data: libjpeg warns, we decline.
  std::string cut = dir() + "/cut.jpg";
  {
    std::ifstream in(plain, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
  }
  CHECK_FALSE(scale_jpeg(cut, out, JpegScale{600, 400, 1, 90}).has_value());

  CHECK_FALSE(scale_jpeg(plain, out, JpegScale{2400, 1600, 1, 90}).has_value());
  CHECK_FALSE(scale_jpeg(png, out, JpegScale{600, 400, 1, 90}).has_value());
  CHECK_FALSE(scale_jpeg(dir() + "/missing.jpg", out, JpegScale{600, 400, 1, 90}).has_value());
  CHECK_FALSE(scale_jpeg(plain, out, JpegScale{0, 400, 1, 90}).has_value());
  CHECK_FALSE(scale_jpeg(plain, out, JpegScale{600, 400, 9, 90}).has_value());
}
