// preflight: each rule's edges on both sides give exactly the expected rule
// ids; the set rules see counts, totals, modes and models; the CLI's exit
// status and JSON say pass/fail.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "seedreel/preflight.hpp"
#include "seedreel/probe.hpp"
#include "support.hpp"

using namespace seedreel;
using seedreel::test::fixture;

namespace {

std::set<std::string> rules_of(const std::vector<Finding>& findings) {
  std::set<std::string> ids;
  for (const auto& f : findings) ids.insert(f.rule);
  return ids;
}

std::set<std::string> file_rules(const std::string& name, std::optional<Role> role = std::nullopt) {
  MediaInfo m = probe(fixture(name));
  return rules_of(check_file(m, role.value_or(default_role(m.kind))));
}

CheckItem item(const std::string& name, std::optional<Role> role = std::nullopt) {
  MediaInfo m = probe(fixture(name));
  Role r = role.value_or(default_role(m.kind));
  return {std::move(m), r};
}

using Rules = std::set<std::string>;

}  // namespace

TEST_CASE("image sides: 300 and 6000 pass, 299 and 6001 fail") {
  CHECK(file_rules("img_300x300.png") == Rules{});
  CHECK(file_rules("img_6000x3000.jpg") == Rules{});
  CHECK(file_rules("img_299x400.png") == Rules{"image.width"});
  CHECK(file_rules("img_400x299.png") == Rules{"image.height"});
  CHECK(file_rules("img_6001x3000.jpg") == Rules{"image.width"});
  CHECK(file_rules("img_3000x6001.jpg") == Rules{"image.height"});
}

TEST_CASE("image aspect: 0.4 and 2.5 pass, just outside fails") {
  CHECK(file_rules("img_aspect_0.4_400x1000.png") == Rules{});
  CHECK(file_rules("img_aspect_2.5_1000x400.png") == Rules{});
  CHECK(file_rules("img_aspect_0.399_399x1000.png") == Rules{"image.aspect"});
  CHECK(file_rules("img_aspect_2.503_1001x400.png") == Rules{"image.aspect"});
}

TEST_CASE("image formats and size cap; displayed size counts after EXIF rotation") {
  CHECK(file_rules("img_640x480.webp") == Rules{});
  CHECK(file_rules("img_640x480.bmp") == Rules{});
  CHECK(file_rules("img_640x480.tiff") == Rules{});
  CHECK(file_rules("img_anim_5frames_320x320.gif") == Rules{});
  CHECK(file_rules("img_cmyk_400x300.jpg") == Rules{});
  CHECK(file_rules("img_4000x3000_36MB.bmp") == Rules{"image.file_size"});
  CHECK(file_rules("img_exif6_800x400.jpg") == Rules{});  // 400x800 displayed: aspect 0.5
  CHECK(file_rules("img_bomb_100000x100000.png") == Rules{"image.width", "image.height"});
}

TEST_CASE("video duration: 2 and 15 s pass, 1.9 and 15.1 s fail") {
  CHECK(file_rules("vid_640x640_30fps_2s.mp4") == Rules{});
  CHECK(file_rules("vid_640x640_30fps_15s.mp4") == Rules{});
  CHECK(file_rules("vid_640x640_30fps_1.9s.mp4") == Rules{"video.duration"});
  CHECK(file_rules("vid_640x640_30fps_15.1s.mp4") == Rules{"video.duration"});
}

TEST_CASE("video fps: 24 and 60 pass, 23 and 61 fail") {
  CHECK(file_rules("vid_640x640_24fps_5s.mp4") == Rules{});
  CHECK(file_rules("vid_640x640_60fps_2s.mp4") == Rules{});
  CHECK(file_rules("vid_640x640_23fps_3s.mp4") == Rules{"video.fps"});
  CHECK(file_rules("vid_640x640_61fps_2s.mp4") == Rules{"video.fps"});
}

TEST_CASE("video pixel budget: 640x640 and 834x1112 pass, one row under or two columns over fail") {
  CHECK(file_rules("vid_834x1112_30fps_2s.mp4") == Rules{});
  CHECK(file_rules("vid_640x638_30fps_2s.mp4") == Rules{"video.pixels"});
  CHECK(file_rules("vid_836x1112_30fps_2s.mp4") == Rules{"video.pixels"});
}

TEST_CASE("video container, file size, rotation and the video stream's own duration") {
  CHECK(file_rules("vid_640x640_24fps_3s.mov") == Rules{});
  CHECK(file_rules("vid_640x640_24fps_3s.mkv") == Rules{"video.format"});
  CHECK(file_rules("vid_raw_74MB.mov") == Rules{"video.file_size"});
  CHECK(file_rules("vid_rot90_854x480_30fps_3s.mp4") == Rules{});  // 480x854 = 409 920 px
  CHECK(file_rules("vid_hevc_640x640_24fps_3s.mp4") == Rules{});
  CHECK(file_rules("vid_3s_audio_5s.mp4") == Rules{});
}

TEST_CASE("audio: wav/mp3 only, 2-15 s, 15 MB") {
  CHECK(file_rules("aud_2s.wav") == Rules{});
  CHECK(file_rules("aud_15s.wav") == Rules{});
  CHECK(file_rules("aud_5s.mp3") == Rules{});
  CHECK(file_rules("aud_5s_noxing.mp3") == Rules{});
  CHECK(file_rules("aud_1.9s.wav") == Rules{"audio.duration"});
  CHECK(file_rules("aud_15.1s.wav") == Rules{"audio.duration"});
  CHECK(file_rules("aud_5s.flac") == Rules{"audio.format"});
  CHECK(file_rules("aud_10s_23MB.wav") == Rules{"audio.file_size"});
}

TEST_CASE("a finding carries the actual value and the allowed range") {
  auto m = probe(fixture("img_6001x3000.jpg"));
  auto f = check_file(m, Role::reference_image);
  REQUIRE(f.size() == 1);
  CHECK(f[0].path == m.path);
  CHECK(f[0].actual == "6001 px");
  CHECK(f[0].allowed == "300–6000 px");
  auto d = check_file(probe(fixture("vid_640x640_30fps_15.1s.mp4")), Role::reference_video);
  REQUIRE(d.size() == 1);
  CHECK(d[0].actual == "15.100 s");
  CHECK(d[0].allowed == "2–15 s");
}

TEST_CASE("every violation is reported, not just the first") {
  auto m = probe(fixture("vid_640x640_23fps_3s.mp4"));
  m.format = "mkv";
  m.width = 6001;
  m.file_size = 60'000'000;
  CHECK(rules_of(check_file(m, Role::reference_video)) ==
        Rules{"video.format", "video.file_size", "video.fps", "video.pixels", "video.width", "video.aspect"});
}

TEST_CASE("a role must fit the file's kind") {
  CHECK(file_rules("vid_640x640_24fps_5s.mp4", Role::first_frame) == Rules{"role.kind"});
  CHECK(file_rules("img_300x300.png", Role::reference_audio) == Rules{"role.kind"});
  CHECK(file_rules("img_300x300.png", Role::first_frame) == Rules{});
}

TEST_CASE("set: counts per type and in total") {
  CheckOptions opts;
  std::vector<CheckItem> images(10, item("img_300x300.png"));
  CHECK(rules_of(check_set(images, opts)) == Rules{"set.images"});
  images.resize(9);
  CHECK(rules_of(check_set(images, opts)) == Rules{});

  std::vector<CheckItem> many(9, item("img_300x300.png"));
  for (int i = 0; i < 3; ++i) many.push_back(item("vid_640x640_30fps_2s.mp4"));
  CHECK(rules_of(check_set(many, opts)) == Rules{});
  many.push_back(item("aud_2s.wav"));
  CHECK(rules_of(check_set(many, opts)) == Rules{"set.files"});

  std::vector<CheckItem> videos(4, item("vid_640x640_30fps_2s.mp4"));
  CHECK(rules_of(check_set(videos, opts)) == Rules{"set.videos"});
  std::vector<CheckItem> audios(4, item("aud_2s.wav"));
  audios.push_back(item("img_300x300.png"));
  CHECK(rules_of(check_set(audios, opts)) == Rules{"set.audios"});
}

TEST_CASE("set: total video and total audio at most 15 s") {
  CheckOptions opts;
  std::vector<CheckItem> at_limit{item("vid_640x640_30fps_15s.mp4")};
  CHECK(rules_of(check_set(at_limit, opts)) == Rules{});
  std::vector<CheckItem> over{item("vid_640x640_30fps_15s.mp4"), item("vid_640x640_30fps_2s.mp4")};
  auto f = check_set(over, opts);
  CHECK(rules_of(f) == Rules{"set.video_total"});
  CHECK(f[0].actual == "17.000 s");

  std::vector<CheckItem> audio{item("aud_15s.wav"), item("aud_2s.wav"), item("img_300x300.png")};
  CHECK(rules_of(check_set(audio, opts)) == Rules{"set.audio_total"});
}

TEST_CASE("set: audio needs an image or a video") {
  CheckOptions opts;
  CHECK(rules_of(check_set({item("aud_5s.wav")}, opts)) == Rules{"set.audio_needs_visual"});
  CHECK(rules_of(check_set({item("aud_5s.wav"), item("vid_640x640_30fps_2s.mp4")}, opts)) == Rules{});
}

TEST_CASE("set: first/last frame mode does not mix with references") {
  CheckOptions opts;
  auto first = item("img_300x300.png", Role::first_frame);
  auto last = item("img_300x300.png", Role::last_frame);
  CHECK(rules_of(check_set({first, last}, opts)) == Rules{});
  CHECK(rules_of(check_set({last}, opts)) == Rules{"set.last_frame"});
  CHECK(rules_of(check_set({first, first}, opts)) == Rules{"set.first_frame"});
  CHECK(rules_of(check_set({first, item("img_300x300.png")}, opts)) == Rules{"set.mode_mix"});
}

TEST_CASE("model limits: Mini and fast stop at 720p; seedance_2_0 needs a reference video") {
  std::vector<CheckItem> one_image{item("img_300x300.png")};
  CheckOptions mini{"seedance-2.0-mini", "1080p"};
  CHECK(rules_of(check_set(one_image, mini)) == Rules{"model.resolution"});
  mini.resolution = "720p";
  CHECK(rules_of(check_set(one_image, mini)) == Rules{});
  CHECK(rules_of(check_set(one_image, {"seedance-2.0", "1080p"})) == Rules{});
  CHECK(rules_of(check_set(one_image, {"seedance_2_0_fast_pro", "1080p"})) == Rules{"model.resolution"});
  CHECK(rules_of(check_set(one_image, {"seedance_2_0", ""})) == Rules{"model.reference_video"});
  CHECK(rules_of(check_set(one_image, {"seedance_2_0_fast", ""})) == Rules{"model.reference_video"});
  CHECK(rules_of(check_set({item("vid_640x640_30fps_2s.mp4")}, {"seedance_2_0", ""})) == Rules{});
  CHECK(rules_of(check_set(one_image, {"seedance_2_0_pro", ""})) == Rules{});
  // One vocabulary: the family names carry their limits too.
  CHECK(rules_of(check_set(one_image, {"seedance-2.0-fast", "1080p"})) == Rules{"model.resolution"});
  CHECK(rules_of(check_set(one_image, {"seedance-2.0-pro", "1080p"})) == Rules{});
  // An id no table knows is judged by its name, not refused: a dated fast id stops at 720p,
  // a flat-style id without "pro" needs a reference video, anything else gets 2.0's limits.
  CHECK(rules_of(check_set(one_image, {"no-such-model", ""})) == Rules{});
  CHECK(rules_of(check_set(one_image, {"no-such-model", "1080p"})) == Rules{});
  CHECK(rules_of(check_set(one_image, {"dreamina-seedance-2-0-fast-261231", "1080p"})) == Rules{"model.resolution"});
  CHECK(rules_of(check_set(one_image, {"dreamina-seedance-2-0-fast-261231", "720p"})) == Rules{});
  CHECK(rules_of(check_set(one_image, {"seedance_2_0_fast_v2", ""})) == Rules{"model.reference_video"});
  CHECK(rules_of(check_set(one_image, {"seedance_2_0_pro_v2", "1080p"})) == Rules{});
  CHECK(rules_of(check_set(one_image, {"seedance-2.0", "4k"})) == Rules{"model.resolution"});
}

TEST_CASE("CLI check: exit 0 on pass, 1 on violations, 3 on unreadable, 2 on bad usage") {
  auto bin = test::program("seedreel");
  auto pass = test::run({bin, "check", fixture("img_640x480.webp"), fixture("vid_640x640_24fps_5s.mp4"),
                         fixture("aud_5s.wav")});
  CHECK(pass.status == 0);
  CHECK(pass.out.find("PASS") != std::string::npos);

  auto fail = test::run({bin, "check", "--json", "--model", "seedance-2.0-mini", "--resolution", "1080p",
                         fixture("img_6001x3000.jpg"), fixture("vid_640x640_30fps_15s.mp4"),
                         fixture("vid_640x640_23fps_3s.mp4"), fixture("aud_1.9s.wav")});
  CHECK(fail.status == 1);
  auto j = nlohmann::json::parse(fail.out);
  CHECK(j["ok"] == false);
  std::set<std::string> ids;
  for (const auto& f : j["findings"]) ids.insert(f["rule"].get<std::string>());
  CHECK(ids == Rules{"image.width", "video.fps", "audio.duration", "set.video_total", "model.resolution"});
  CHECK(j["files"][0]["findings"][0]["actual"] == "6001 px");
  CHECK(j["set"].size() == 2);

  auto bad = test::run({bin, "check", fixture("bad_text.mp4"), fixture("img_300x300.png")});
  CHECK(bad.status == 3);
  CHECK(bad.err.find("bad_text.mp4") != std::string::npos);
  CHECK(bad.out.find("img_300x300.png") != std::string::npos);  // the good file is still reported

  auto roles = test::run({bin, "check", "--json", "--as", "first_frame", "--as", "last_frame",
                          fixture("img_300x300.png"), fixture("img_640x480.webp")});
  CHECK(roles.status == 0);
  CHECK(nlohmann::json::parse(roles.out)["files"][1]["role"] == "last_frame");

  CHECK(test::run({bin, "check", "--as", "hero", fixture("img_300x300.png")}).status == 2);
  CHECK(test::run({bin, "check", "--as", "first_frame", "--as", "last_frame", "--as", "last_frame",
                   fixture("img_300x300.png"), fixture("img_640x480.webp")}).status == 2);
}
