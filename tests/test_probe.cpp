// probe: exact values against ffprobe / vipsheader on the same files, and
// every bad input refused with a one-line reason while the rest are reported.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "seedreel/probe.hpp"
#include "support.hpp"

using namespace seedreel;
using seedreel::test::fixture;

namespace {

std::string vipsheader(const std::string& field, const std::string& file) {
  auto r = test::run({"vipsheader", "-f", field, file});
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

double ratio(const std::string& fraction) {
  auto slash = fraction.find('/');
  return std::stod(fraction.substr(0, slash)) / std::stod(fraction.substr(slash + 1));
}

std::string stream_field(const std::string& file, const char* stream, const char* field) {
  return test::ffprobe(file, {"-select_streams", stream, "-show_entries", std::string("stream=") + field, "-of",
                              "default=nw=1:nk=1"});
}

// Checks a video's probe against ffprobe's report of the same file.
void check_video_against_ffprobe(const std::string& name) {
  CAPTURE(name);
  auto file = fixture(name);
  MediaInfo m = probe(file);
  REQUIRE(m.kind == MediaKind::video);
  REQUIRE(m.video);
  CHECK(m.video->codec == stream_field(file, "v:0", "codec_name"));
  CHECK(m.video->pix_fmt == stream_field(file, "v:0", "pix_fmt"));
  CHECK(m.video->profile == stream_field(file, "v:0", "profile"));
  CHECK(m.video->coded_width == std::stoi(stream_field(file, "v:0", "width")));
  CHECK(m.video->coded_height == std::stoi(stream_field(file, "v:0", "height")));
  CHECK(m.video->fps == doctest::Approx(ratio(stream_field(file, "v:0", "avg_frame_rate"))).epsilon(1e-9));
  CHECK(m.video->duration == doctest::Approx(std::stod(stream_field(file, "v:0", "duration"))).epsilon(1e-6));
  CHECK(m.video->frames == std::stoll(stream_field(file, "v:0", "nb_frames")));
  CHECK(m.file_size == std::stoull(test::ffprobe(file, {"-show_entries", "format=size", "-of", "default=nw=1:nk=1"})));
  if (m.audio) {
    CHECK(m.audio->codec == stream_field(file, "a:0", "codec_name"));
    CHECK(m.audio->sample_rate == std::stoi(stream_field(file, "a:0", "sample_rate")));
    CHECK(m.audio->channels == std::stoi(stream_field(file, "a:0", "channels")));
  }
}

}  // namespace

TEST_CASE("images: dimensions, bands, depth and colour space match vipsheader") {
  for (const char* name : {"img_300x300.png", "img_6001x3000.jpg", "img_640x480.webp", "img_640x480.bmp",
                           "img_640x480.tiff", "img_cmyk_400x300.jpg", "img_16bit_alpha_400x300.png",
                           "img_anim_5frames_320x320.gif"}) {
    CAPTURE(name);
    auto file = fixture(name);
    MediaInfo m = probe(file);
    CHECK(m.kind == MediaKind::image);
    CHECK(m.width == std::stoi(vipsheader("width", file)));
    CHECK(m.height == std::stoi(vipsheader("height", file)));
    REQUIRE(m.image);
    CHECK(m.image->bands == std::stoi(vipsheader("bands", file)));
  }
  auto cmyk = probe(fixture("img_cmyk_400x300.jpg"));
  CHECK(cmyk.format == "jpeg");
  CHECK(cmyk.image->colour_space == "cmyk");
  CHECK(cmyk.image->bit_depth == 8);

  auto deep = probe(fixture("img_16bit_alpha_400x300.png"));
  CHECK(deep.format == "png");
  CHECK(deep.image->bit_depth == 16);
  CHECK(deep.image->alpha);
  CHECK(deep.image->colour_space == "rgb16");

  auto gif = probe(fixture("img_anim_5frames_320x320.gif"));
  CHECK(gif.format == "gif");
  CHECK(gif.image->pages == 5);
  CHECK(gif.height == 320);  // one page, not the whole strip

  CHECK(probe(fixture("img_640x480.bmp")).format == "bmp");
  CHECK(probe(fixture("img_640x480.tiff")).format == "tiff");
  CHECK(probe(fixture("img_640x480.webp")).format == "webp");
  CHECK(probe(fixture("img_640x480.webp")).file_size == std::filesystem::file_size(fixture("img_640x480.webp")));
}

TEST_CASE("EXIF orientation 6 swaps the displayed width and height") {
  auto file = fixture("img_exif6_800x400.jpg");
  REQUIRE(vipsheader("orientation", file) == "6");
  MediaInfo m = probe(file);
  CHECK(m.image->orientation == 6);
  CHECK(std::stoi(vipsheader("width", file)) == 800);
  CHECK(m.width == 400);
  CHECK(m.height == 800);
}

TEST_CASE("a 100000x100000 PNG header is described without decoding its pixels") {
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  MediaInfo m = probe(fixture("img_bomb_100000x100000.png"));
  getrusage(RUSAGE_SELF, &after);
  CHECK(m.width == 100000);
  CHECK(m.height == 100000);
  CHECK(m.file_size < 1024);
  // Decoding would need 10 GB; reading the header needs next to nothing.
  CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024);
}

TEST_CASE("videos match ffprobe: codec, profile, pixel format, size, fps, own duration, frames, audio") {
  for (const char* name : {"vid_640x640_24fps_5s.mp4", "vid_834x1112_30fps_2s.mp4", "vid_640x640_30fps_1.9s.mp4",
                           "vid_640x640_30fps_15.1s.mp4", "vid_640x640_23fps_3s.mp4", "vid_640x640_61fps_2s.mp4",
                           "vid_640x640_24fps_3s.mov", "vid_hevc_640x640_24fps_3s.mp4", "vid_3s_audio_5s.mp4",
                           "vid_rot90_854x480_30fps_3s.mp4"})
    check_video_against_ffprobe(name);
}

TEST_CASE("containers are named as the API names them") {
  CHECK(probe(fixture("vid_640x640_24fps_5s.mp4")).format == "mp4");
  CHECK(probe(fixture("vid_640x640_24fps_3s.mov")).format == "mov");
  CHECK(probe(fixture("vid_640x640_24fps_3s.mkv")).format == "mkv");
  CHECK(probe(fixture("aud_5s.wav")).format == "wav");
  CHECK(probe(fixture("aud_5s.mp3")).format == "mp3");
  CHECK(probe(fixture("aud_5s.flac")).format == "flac");
}

TEST_CASE("a 90-degree phone clip reports its displayed size and rotation") {
  auto file = fixture("vid_rot90_854x480_30fps_3s.mp4");
  MediaInfo m = probe(file);
  // ffprobe reports the display matrix as -90 (counter-clockwise); we say 90 clockwise.
  CHECK(test::ffprobe(file, {"-select_streams", "v:0", "-show_entries", "stream_side_data=rotation", "-of",
                             "default=nw=1:nk=1"}) == "-90");
  CHECK(m.video->rotation == 90);
  CHECK(m.video->coded_width == 854);
  CHECK(m.width == 480);
  CHECK(m.height == 854);
}

TEST_CASE("the video stream's own duration, not the container's, when audio runs longer") {
  MediaInfo m = probe(fixture("vid_3s_audio_5s.mp4"));
  CHECK(m.video->duration == doctest::Approx(3.0));
  CHECK(m.audio->duration == doctest::Approx(5.0).epsilon(0.01));
  CHECK(m.duration == doctest::Approx(5.0).epsilon(0.01));
  CHECK(m.media_duration() == doctest::Approx(3.0));
}

TEST_CASE("faststart is told from the order of moov and mdat") {
  CHECK(probe(fixture("vid_640x640_24fps_5s.mp4")).faststart == true);
  CHECK(probe(fixture("vid_640x640_30fps_2s.mp4")).faststart == false);
  CHECK_FALSE(probe(fixture("vid_640x640_24fps_3s.mkv")).faststart.has_value());
}

TEST_CASE("audio: sample rate, channels, duration; an mp3 without Xing is flagged as estimated") {
  for (const char* name : {"aud_5s.wav", "aud_5s.mp3", "aud_5s_noxing.mp3", "aud_5s.flac", "aud_10s_23MB.wav"}) {
    CAPTURE(name);
    auto file = fixture(name);
    MediaInfo m = probe(file);
    CHECK(m.kind == MediaKind::audio);
    REQUIRE(m.audio);
    CHECK(m.audio->sample_rate == std::stoi(stream_field(file, "a:0", "sample_rate")));
    CHECK(m.audio->channels == std::stoi(stream_field(file, "a:0", "channels")));
    CHECK(m.audio->duration == doctest::Approx(std::stod(stream_field(file, "a:0", "duration"))).epsilon(1e-6));
    CHECK(m.width == 0);
  }
  CHECK_FALSE(probe(fixture("aud_5s.mp3")).duration_estimated);
  CHECK(probe(fixture("aud_5s_noxing.mp3")).duration_estimated);
  CHECK(probe(fixture("aud_10s_23MB.wav")).audio->channels == 6);
}

TEST_CASE("bad input: one clear reason per file, kind input") {
  struct Case {
    std::string file;
    std::string reason;
  };
  std::vector<Case> cases{
      {fixture("does_not_exist.mp4"), "no such file"},
      {fixture("bad_directory.mp4"), "is a directory"},
      {fixture("bad_empty.mp4"), "empty file"},
      {fixture("bad_random.bin"), "not a recognised media file"},
      {fixture("bad_random.mp4"), "not a recognised media file"},
      {fixture("bad_text.mp4"), "not a recognised media file"},
      {fixture("bad_truncated.mp4"), "truncated"},
      {fixture("bad_nomoov.mp4"), "without a moov atom"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    try {
      probe(c.file);
      FAIL("probe accepted a bad file");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::input);
      CHECK(e.subject() == c.file);
      CHECK(e.reason().find(c.reason) != std::string::npos);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("probe_all keeps going past bad files and keeps their order") {
  std::vector<std::string> files{fixture("bad_empty.mp4"), fixture("img_300x300.png"), fixture("bad_random.bin"),
                                 fixture("aud_5s.wav"), fixture("bad_truncated.mp4"), fixture("vid_640x640_24fps_5s.mp4")};
  auto results = probe_all(files, 2);
  REQUIRE(results.size() == files.size());
  CHECK(std::holds_alternative<Error>(results[0]));
  CHECK(std::get<MediaInfo>(results[1]).kind == MediaKind::image);
  CHECK(std::holds_alternative<Error>(results[2]));
  CHECK(std::get<MediaInfo>(results[3]).kind == MediaKind::audio);
  CHECK(std::holds_alternative<Error>(results[4]));
  CHECK(std::get<MediaInfo>(results[5]).path == files[5]);
}

TEST_CASE("CLI: table for people, --json for programs, exit 3 when any file is unreadable") {
  auto bin = test::program("seedreel");
  auto ok = test::run({bin, "probe", fixture("img_300x300.png"), fixture("aud_5s.mp3")});
  CHECK(ok.status == 0);
  CHECK(ok.err.empty());
  CHECK(ok.out.find("img_300x300.png") != std::string::npos);
  CHECK(ok.out.find("300x300") != std::string::npos);

  auto mixed = test::run({bin, "probe", "--json", fixture("bad_text.mp4"), fixture("vid_rot90_854x480_30fps_3s.mp4"),
                          fixture("bad_nomoov.mp4")});
  CHECK(mixed.status == 3);
  auto j = nlohmann::json::parse(mixed.out);
  REQUIRE(j.size() == 3);
  CHECK(j[0]["error"]["kind"] == "input");
  CHECK(j[1]["width"] == 480);
  CHECK(j[1]["video"]["rotation"] == 90);
  CHECK(j[2]["path"] == fixture("bad_nomoov.mp4"));
  // one line per bad file on stderr, naming it
  CHECK(std::count(mixed.err.begin(), mixed.err.end(), '\n') == 2);
  CHECK(mixed.err.find("bad_text.mp4: not a recognised media file") != std::string::npos);

  CHECK(test::run({bin, "probe"}).status == 2);
  CHECK(test::run({bin, "probe", "--no-such-flag", fixture("aud_5s.wav")}).status == 2);
}

TEST_CASE("libvips' modules and libavfilter are loaded only when needed") {
  // The dynamic loader names every library it maps (LD_DEBUG=files, on stderr).
  auto bin = test::program("seedreel");
  auto builtin = test::run({"env", "LD_DEBUG=files", bin, "probe", fixture("img_300x300.png"), fixture("aud_5s.mp3")});
  CHECK(builtin.status == 0);
  REQUIRE(builtin.err.find("libvips") != std::string::npos);  // the loader's log is there
  CHECK(builtin.err.find("vips-modules") == std::string::npos);
  // Filters are for conform and a re-encoding stitch only (test_conform covers their loading).
  CHECK(builtin.err.find("libavfilter") == std::string::npos);
  // libvips reads BMP through its ImageMagick module only.
  auto bmp = test::run({"env", "LD_DEBUG=files", bin, "probe", fixture("img_640x480.bmp")});
  CHECK(bmp.status == 0);
  CHECK(bmp.err.find("vips-magick") != std::string::npos);
  CHECK(bmp.out.find("640x480") != std::string::npos);
}
