// Request model: every validation rule fires on exactly the bad input and not
// on the good; each dialect's body is checked field by field; local images
// and audio inline as data URIs that decode back to the file's bytes.
#include <doctest/doctest.h>
// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <fstream>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"
#include "support.hpp"
#include "util/base64.hpp"

using namespace seedreel;
using seedreel::test::fixture;
using Rules = std::set<std::string>;
using json = nlohmann::json;

namespace {

const Provider& provider(std::string_view name) {
  for (const auto& p : builtin_providers())
    if (p.name == name) return p;
  throw std::runtime_error("no provider");
}

Rules rules(const Request& r, std::string_view prov = "anyfast") {
  auto local = probe_local_media(r);
  Rules ids;
  for (const auto& f : validate(r, provider(prov), local)) ids.insert(f.rule);
  return ids;
}

json body(const Request& r, std::string_view prov) {
  auto p = prepare(r, provider(prov));
  REQUIRE_MESSAGE(p.findings.empty(), (p.findings.empty() ? "" : p.findings.front().message));
  return json::parse(p.body);
}

MediaItem url(const std::string& u, Role role) { return {u, role}; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("source kinds are read off the spelling") {
  CHECK(source_kind("https://x/a.png") == SourceKind::url);
  CHECK(source_kind("HTTP://x/a.png") == SourceKind::url);
  CHECK(source_kind("ftp://x/a.png") == SourceKind::url);  // rejected by validation, not read from disk
  CHECK(source_kind("asset://asset-1") == SourceKind::asset);
  CHECK(source_kind("data:image/png;base64,AAAA") == SourceKind::data_uri);
  CHECK(source_kind("pics/a.png") == SourceKind::local);
  CHECK(source_kind("/tmp/odd:name.png") == SourceKind::local);
}

TEST_CASE("modes follow the roles") {
  Request r{.prompt = "a cat"};
  CHECK(infer_mode(r) == Mode::text_to_video);
  r.media = {url("https://x/a.png", Role::first_frame)};
  CHECK(infer_mode(r) == Mode::image_to_video);
  r.media.push_back(url("https://x/b.png", Role::last_frame));
  CHECK(infer_mode(r) == Mode::first_last_frame);
  r.media = {url("https://x/a.mp4", Role::reference_video)};
  CHECK(infer_mode(r) == Mode::video_extension);
  r.media = {url("https://x/a.png", Role::reference_image), url("https://x/a.mp4", Role::reference_video)};
  CHECK(infer_mode(r) == Mode::video_edit);
  r.media.push_back(url("https://x/a.mp3", Role::reference_audio));
  CHECK(infer_mode(r) == Mode::reference);
}

TEST_CASE("valid requests of every mode pass on every provider that can carry them") {
  std::vector<Request> ok = {
      {.prompt = "a cat"},
      {.prompt = "go", .media = {url("https://x/a.png", Role::first_frame)}},
      {.prompt = "", .media = {url("https://x/a.png", Role::first_frame), url("https://x/b.png", Role::last_frame)}},
      {.prompt = "@image1 in @video1 with @audio1",
       .media = {url("https://x/a.png", Role::reference_image), url("https://x/v.mp4", Role::reference_video),
                 url("https://x/a.mp3", Role::reference_audio)}},
      {.prompt = "swap in @image1", .media = {url("asset://asset-1", Role::reference_image), url("asset://asset-2", Role::reference_video)}},
      {.prompt = "extend", .media = {url("https://x/v.mp4", Role::reference_video)}},
  };
  for (const auto& r : ok) {
    CAPTURE(to_string(infer_mode(r)));
    CHECK(rules(r, "anyfast") == Rules{});
    CHECK(rules(r, "starrise") == Rules{});
    CHECK(rules(r, "ark-cn") == Rules{});
    CHECK(rules(r, "ark-intl") == Rules{});
  }
  // flat needs a prompt always
  for (std::size_t i = 0; i < ok.size(); ++i)
    CHECK(rules(ok[i], "xingchaoyiqing") == (ok[i].prompt.empty() ? Rules{"request.prompt"} : Rules{}));
}

TEST_CASE("mode table and mutual exclusions") {
  CHECK(rules(Request{}) == Rules{"request.prompt"});
  CHECK(rules(Request{.prompt = " \n"}) == Rules{"request.prompt"});
  CHECK(rules({.prompt = "", .media = {url("https://x/v.mp4", Role::reference_video)}}) == Rules{"request.prompt"});
  CHECK(rules({.prompt = "x", .media = {url("https://x/a.png", Role::first_frame), url("https://x/b.png", Role::reference_image)}}) ==
        Rules{"set.mode_mix"});
  CHECK(rules({.prompt = "x", .media = {url("https://x/a.png", Role::last_frame)}}) == Rules{"set.last_frame"});
  CHECK(rules({.prompt = "x", .media = {url("https://x/a.png", Role::first_frame), url("https://x/b.png", Role::first_frame)}}) ==
        Rules{"set.first_frame"});
  CHECK(rules({.prompt = "x", .media = {url("https://x/a.mp3", Role::reference_audio)}}) == Rules{"set.audio_needs_visual"});
}

TEST_CASE("content order is text, images, videos, audio") {
  Request r{.prompt = "x",
            .media = {url("https://x/v.mp4", Role::reference_video), url("https://x/a.png", Role::reference_image)}};
  CHECK(rules(r) == Rules{"request.order"});
  r.media = {url("https://x/a.png", Role::reference_image), url("https://x/a.mp3", Role::reference_audio),
             url("https://x/v.mp4", Role::reference_video)};
  CHECK(rules(r) == Rules{"request.order"});
  r.media = {url("https://x/b.png", Role::last_frame), url("https://x/a.png", Role::first_frame)};
  CHECK(rules(r) == Rules{"request.order"});
}

TEST_CASE("counts: 9 images, 3 videos, 3 audio, 12 files") {
  Request r{.prompt = "x"};
  for (int i = 0; i < 9; ++i) r.media.push_back(url("https://x/i.png", Role::reference_image));
  CHECK(rules(r) == Rules{});
  r.media.push_back(url("https://x/i.png", Role::reference_image));
  CHECK(rules(r) == Rules{"set.images"});
  r.media.pop_back();
  for (int i = 0; i < 4; ++i) r.media.push_back(url("https://x/v.mp4", Role::reference_video));
  CHECK(rules(r) == Rules{"set.videos", "set.files"});
  r.media.pop_back();
  for (int i = 0; i < 3; ++i) r.media.push_back(url("https://x/a.mp3", Role::reference_audio));
  CHECK(rules(r) == Rules{"set.files"});  // 9 + 3 + 3 = 15 > 12
  r.media.erase(r.media.begin(), r.media.begin() + 3);
  CHECK(rules(r) == Rules{});  // 6 + 3 + 3 = 12
}

TEST_CASE("@references must name existing items, numbered per type") {
  Request r{.prompt = "@image1 and @image2 in @video1",
            .media = {url("https://x/a.png", Role::reference_image), url("https://x/v.mp4", Role::reference_video)}};
  auto p = prepare(r, provider("anyfast"));
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].rule == "request.prompt_ref");
  CHECK(p.findings[0].actual == "@image2");
  CHECK(p.findings[0].message.find("has 1 image") != std::string::npos);
  CHECK(rules({.prompt = "@audio1 over @Image1", .media = {url("https://x/a.png", Role::reference_image)}}) ==
        Rules{"request.prompt_ref"});
  CHECK(rules({.prompt = "@image0", .media = {url("https://x/a.png", Role::reference_image)}}) == Rules{"request.prompt_ref"});
  CHECK(rules({.prompt = "mail me@images.example or @imagery", .media = {url("https://x/a.png", Role::reference_image)}}) ==
        Rules{});
}

TEST_CASE("web search is text-to-video only; prompt length limits") {
  CHECK(rules({.prompt = "x", .web_search = true}) == Rules{});
  CHECK(rules({.prompt = "x", .media = {url("https://x/a.png", Role::first_frame)}, .web_search = true}) ==
        Rules{"request.web_search"});
  std::string words;
  for (int i = 0; i < 1000; ++i) words += "word ";
  CHECK(rules({.prompt = words}) == Rules{});
  CHECK(rules({.prompt = words + "more"}) == Rules{"request.prompt_length"});
  std::string cjk;
  for (int i = 0; i < 500; ++i) cjk += "猫";
  CHECK(rules({.prompt = cjk}) == Rules{});
  CHECK(rules({.prompt = cjk + "狗"}) == Rules{"request.prompt_length"});
}

TEST_CASE("output parameters and model limits") {
  CHECK(rules({.prompt = "x", .resolution = "1080p", .ratio = "21:9", .duration = 15}) == Rules{});
  CHECK(rules({.prompt = "x", .resolution = "4k"}) == Rules{"request.resolution"});
  CHECK(rules({.prompt = "x", .ratio = "2:1"}) == Rules{"request.ratio"});
  CHECK(rules({.prompt = "x", .duration = 3}) == Rules{"request.duration"});
  CHECK(rules({.prompt = "x", .duration = 16}) == Rules{"request.duration"});
  CHECK(rules({.model = "seedance-2.0-mini", .prompt = "x", .resolution = "1080p"}) == Rules{"model.resolution"});
  CHECK(rules({.model = "seedance-2.0-mini", .prompt = "x", .resolution = "720p"}) == Rules{});
  CHECK(rules({.model = "nope", .prompt = "x"}) == Rules{});  // passed through (see the vocabulary case)
  CHECK(rules({.model = "seedance_2_0", .prompt = "x"}, "xingchaoyiqing") == Rules{"model.reference_video"});
  CHECK(rules({.model = "seedance_2_0", .prompt = "x @video1", .media = {url("https://x/v.mp4", Role::reference_video)}},
              "xingchaoyiqing") == Rules{});
  CHECK(rules({.model = "doubao-seedance-2-0-fast-260128", .prompt = "x", .resolution = "1080p"}, "ark-cn") ==
        Rules{"model.resolution"});
  CHECK(rules({.model = "seedance-2.0-mini", .prompt = "x"}, "ark-intl") == Rules{"model.unknown"});
}

TEST_CASE("one model vocabulary: each family goes out as the provider's own id") {
  auto sent = [](std::string model, std::string_view prov) { return choose_model(provider(prov), model); };
  const std::vector<std::tuple<std::string, std::string, std::string>> map{
      {"seedance-2.0", "ark-intl", "dreamina-seedance-2-0-260128"},
      {"seedance-2.0-fast", "ark-intl", "dreamina-seedance-2-0-fast-260128"},
      {"seedance-2.0", "ark-cn", "doubao-seedance-2-0-260128"},
      {"seedance-2.0-fast", "ark-cn", "doubao-seedance-2-0-fast-260128"},
      {"seedance-2.0", "xingchaoyiqing", "seedance_2_0"},
      {"seedance-2.0-fast", "xingchaoyiqing", "seedance_2_0_fast"},
      {"seedance-2.0-pro", "xingchaoyiqing", "seedance_2_0_pro"},
      {"seedance-2.0-fast-pro", "xingchaoyiqing", "seedance_2_0_fast_pro"},
      {"seedance-2.0", "anyfast", "seedance-2.0"},
      {"seedance-2.0-mini", "anyfast", "seedance-2.0-mini"},
      {"seedance-2.0-mini", "starrise", "seedance-2.0-mini"},
      // A provider's own id goes as it is; no model at all is its default.
      {"dreamina-seedance-2-0-fast-260128", "ark-intl", "dreamina-seedance-2-0-fast-260128"},
      {"", "ark-intl", "dreamina-seedance-2-0-260128"},
      {"", "xingchaoyiqing", "seedance_2_0_pro"},
  };
  for (const auto& [model, prov, id] : map) {
    CAPTURE(model);
    CAPTURE(prov);
    auto c = sent(model, prov);
    CHECK(c.id == id);
    CHECK(c.known);
    CHECK(c.note.empty());
    CHECK(c.refusal.empty());
  }
  // The body carries the provider's id, in every dialect.
  CHECK(body({.model = "seedance-2.0", .prompt = "x"}, "ark-intl")["model"] == "dreamina-seedance-2-0-260128");
  CHECK(body({.model = "seedance-2.0-pro", .prompt = "x"}, "xingchaoyiqing")["model"] == "seedance_2_0_pro");
  // Family limits follow the mapping: fast stops at 720p on Ark too.
  CHECK(rules({.model = "seedance-2.0-fast", .prompt = "x", .resolution = "1080p"}, "ark-intl") == Rules{"model.resolution"});
  CHECK(rules({.model = "seedance-2.0", .prompt = "x"}, "xingchaoyiqing") == Rules{"model.reference_video"});

  // Another provider's id of a family this one offers is translated, with a note.
  auto other = sent("doubao-seedance-2-0-260128", "ark-intl");
  CHECK(other.id == "dreamina-seedance-2-0-260128");
  CHECK(other.note.find("another provider") != std::string::npos);
  CHECK(sent("seedance", "ark-cn").id == "doubao-seedance-2-0-260128");

  // Known to be wrong: a family the provider does not offer is refused, naming what it offers.
  for (auto [model, prov] : std::vector<std::pair<std::string, std::string_view>>{
           {"seedance-2.0-mini", "ark-intl"}, {"seedance-2.0-pro", "anyfast"}, {"seedance-2.0-mini", "xingchaoyiqing"},
           {"seedance-2.0-fast", "starrise"}, {"dreamina-seedance-2-0-fast-260128", "anyfast"}}) {
    CAPTURE(model);
    auto c = sent(model, prov);
    CHECK(c.refusal.find("does not offer") != std::string::npos);
    CHECK(rules({.model = model, .prompt = "x"}, prov) == Rules{"model.unknown"});
  }
  CHECK(sent("seedance-2.0-mini", "ark-intl").refusal.find("dreamina-seedance-2-0-260128") != std::string::npos);
}

TEST_CASE("an id no table knows passes through with a note and its family's limits") {
  auto fast = choose_model(provider("ark-intl"), "dreamina-seedance-2-0-fast-261231");
  CHECK(fast.id == "dreamina-seedance-2-0-fast-261231");
  CHECK_FALSE(fast.known);
  CHECK(fast.refusal.empty());
  CHECK(fast.profile.max_resolution == "720p");
  CHECK(fast.profile.family == "seedance-2.0-fast");
  CHECK(fast.note.find("not in seedreel's tables") != std::string::npos);
  CHECK(rules({.model = fast.id, .prompt = "x", .resolution = "1080p"}, "ark-intl") == Rules{"model.resolution"});
  CHECK(rules({.model = fast.id, .prompt = "x", .resolution = "720p"}, "ark-intl") == Rules{});
  auto p = prepare({.model = fast.id, .prompt = "x"}, provider("ark-intl"));
  CHECK(p.findings.empty());
  REQUIRE(p.notes.size() == 1);
  CHECK(json::parse(p.body)["model"] == fast.id);
  // The flat dialect's naming: without "pro" a reference video is needed.
  CHECK(rules({.model = "seedance_2_0_fast_270101", .prompt = "x"}, "xingchaoyiqing") == Rules{"model.reference_video"});
  CHECK(rules({.model = "seedance_2_0_pro_270101", .prompt = "x"}, "xingchaoyiqing") == Rules{});
  // Not Seedance 2.0 at all: still sent, checked against 2.0's limits.
  auto other = choose_model(provider("anyfast"), "vendor-video-x");
  CHECK_FALSE(other.known);
  CHECK(other.profile.max_resolution == "1080p");
  CHECK(other.profile.family.empty());
  // Known names of the vocabulary carry no note.
  CHECK(prepare({.model = "seedance-2.0", .prompt = "x"}, provider("ark-intl")).notes.empty());
}

TEST_CASE("the library's findings name fields, never the CLI's flags") {
  Request r{.prompt = "x", .resolution = "720p", .seed = 7, .return_last_frame = true, .service_tier = "flex",
            .execution_expires_after = 7200, .camera_fixed = true, .frames = 121, .safety_identifier = "u1"};
  r.media = {{fixture("vid_640x640_24fps_5s.mp4"), Role::reference_video}};
  auto findings = validate(r, provider("xingchaoyiqing"), probe_local_media(r));
  CHECK(findings.size() >= 8);
  for (const auto& f : findings) {
    CAPTURE(f.message);
    CHECK(f.message.find("--") == std::string::npos);
    CHECK(f.message.find("seedreel ") == std::string::npos);
  }
}

TEST_CASE("the flat dialect refuses what it cannot carry") {
  CHECK(rules({.prompt = "x", .resolution = "720p"}, "xingchaoyiqing") == Rules{"provider.param"});
  CHECK(rules({.prompt = "x", .web_search = true}, "xingchaoyiqing") == Rules{"provider.param"});
  CHECK(rules({.prompt = "x", .seed = 7}, "xingchaoyiqing") == Rules{"provider.param"});
  CHECK(rules({.prompt = "x", .seed = 7}, "anyfast") == Rules{"provider.param"});
  CHECK(rules({.prompt = "x", .seed = 7}, "ark-cn") == Rules{});
  CHECK(rules({.prompt = "x", .media = {{fixture("img_300x300.png"), Role::first_frame}}}, "xingchaoyiqing") ==
        Rules{"provider.data_uri"});
  CHECK(rules({.prompt = "x", .media = {url("data:image/png;base64,AAAA", Role::first_frame)}}, "xingchaoyiqing") ==
        Rules{"provider.data_uri"});
}

TEST_CASE("sources: schemes, data URIs of the wrong kind, local video") {
  CHECK(rules({.prompt = "x", .media = {url("ftp://x/a.png", Role::first_frame)}}) == Rules{"media.source"});
  CHECK(rules({.prompt = "x", .media = {url("asset://", Role::first_frame)}}) == Rules{"media.source"});
  CHECK(rules({.prompt = "x", .media = {url("data:audio/wav;base64,AAAA", Role::first_frame)}}) == Rules{"media.data_uri"});
  CHECK(rules({.prompt = "x", .media = {url("data:video/mp4;base64,AAAA", Role::reference_video)}}) ==
        Rules{"media.inline_video"});
  auto p = prepare({.prompt = "x", .media = {{fixture("vid_640x640_24fps_5s.mp4"), Role::reference_video}}}, provider("anyfast"));
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].rule == "media.local_video");
  CHECK(p.findings[0].path == fixture("vid_640x640_24fps_5s.mp4"));
  CHECK(p.findings[0].message.find("asset") != std::string::npos);
  CHECK(p.findings[0].message.find("URL") != std::string::npos);
}

TEST_CASE("local files are judged by preflight's rules in their role") {
  CHECK(rules({.prompt = "x", .media = {{fixture("img_299x400.png"), Role::first_frame}}}) == Rules{"image.width"});
  CHECK(rules({.prompt = "x", .media = {{fixture("aud_5s.wav"), Role::first_frame}}}) == Rules{"role.kind"});
  CHECK(rules({.prompt = "x",
               .media = {{fixture("img_300x300.png"), Role::reference_image}, {fixture("aud_15s.wav"), Role::reference_audio},
                         {fixture("aud_5s.wav"), Role::reference_audio}}}) == Rules{"set.audio_total"});
  CHECK_THROWS_AS(rules({.prompt = "x", .media = {{fixture("no-such-file.png"), Role::first_frame}}}), Error);
  try {
    rules({.prompt = "x", .media = {{fixture("bad_random.mp4"), Role::reference_image}}});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.subject() == fixture("bad_random.mp4"));
  }
}

TEST_CASE("every violation is listed, not just the first") {
  Request r{.model = "seedance-2.0-mini", .prompt = "@video2",
            .media = {url("https://x/v.mp4", Role::reference_video), url("https://x/a.png", Role::first_frame)},
            .resolution = "1080p", .duration = 99, .web_search = true};
  CHECK(rules(r) == Rules{"request.order", "set.mode_mix", "request.prompt_ref", "model.resolution", "request.duration",
                          "request.web_search"});
}

TEST_CASE("content-array body, field by field, with inlined local image and audio") {
  Request r{.prompt = "@image1 dances to @audio1 in @video1",
            .media = {{fixture("img_300x300.png"), Role::reference_image},
                      url("https://example.com/clip.mp4", Role::reference_video),
                      {fixture("aud_5s.mp3"), Role::reference_audio}},
            .resolution = "720p", .ratio = "16:9", .duration = 8, .generate_audio = false, .watermark = true};
  for (auto prov : {"anyfast", "starrise", "ark-cn"}) {
    CAPTURE(prov);
    auto b = body(r, prov);
    CHECK(b["model"] == provider(prov).default_model);
    REQUIRE(b["content"].size() == 4);
    CHECK(b["content"][0] == json{{"type", "text"}, {"text", r.prompt}});
    CHECK(b["content"][1]["type"] == "image_url");
    CHECK(b["content"][1]["role"] == "reference_image");
    std::string img = b["content"][1]["image_url"]["url"];
    REQUIRE(img.rfind("data:image/png;base64,", 0) == 0);
    CHECK(base64_decode(img.substr(22)) == slurp(fixture("img_300x300.png")));
    CHECK(b["content"][2] == json{{"type", "video_url"}, {"video_url", {{"url", "https://example.com/clip.mp4"}}}, {"role", "reference_video"}});
    std::string aud = b["content"][3]["audio_url"]["url"];
    REQUIRE(aud.rfind("data:audio/mpeg;base64,", 0) == 0);
    CHECK(base64_decode(aud.substr(23)) == slurp(fixture("aud_5s.mp3")));
    CHECK(b["content"][3]["role"] == "reference_audio");
    CHECK(b["resolution"] == "720p");
    CHECK(b["ratio"] == "16:9");
    CHECK(b["duration"] == 8);
    CHECK(b["generate_audio"] == false);
    CHECK(b["watermark"] == true);
    CHECK_FALSE(b.contains("tools"));
    CHECK_FALSE(b.contains("seed"));
    CHECK(b.size() == 7);
  }
}

TEST_CASE("text-to-video with web search, seed and last frame on Ark") {
  auto b = body({.prompt = "cherry blossoms", .web_search = true, .seed = 42, .return_last_frame = true}, "ark-intl");
  CHECK(b == json{{"model", "dreamina-seedance-2-0-260128"},
                  {"content", {{{"type", "text"}, {"text", "cherry blossoms"}}}},
                  {"generate_audio", true},
                  {"tools", {{{"type", "web_search"}}}},
                  {"seed", 42},
                  {"return_last_frame", true}});
}

TEST_CASE("first and last frame on the content array keep their roles") {
  auto b = body({.media = {url("https://x/a.png", Role::first_frame), url("asset://asset-9", Role::last_frame)}}, "anyfast");
  CHECK(b["content"] == json{{{"type", "image_url"}, {"image_url", {{"url", "https://x/a.png"}}}, {"role", "first_frame"}},
                             {{"type", "image_url"}, {"image_url", {{"url", "asset://asset-9"}}}, {"role", "last_frame"}}});
}

TEST_CASE("flat body, field by field") {
  auto b = body({.prompt = "go", .media = {url("https://x/a.png", Role::first_frame), url("https://x/b.png", Role::last_frame)},
                 .ratio = "9:16", .duration = 6, .generate_audio = false},
                "xingchaoyiqing");
  CHECK(b == json{{"model", "seedance_2_0_pro"}, {"prompt", "go"}, {"duration", 6}, {"aspect_ratio", "9:16"},
                  {"generateAudio", false}, {"first_image", "https://x/a.png"}, {"last_image", "https://x/b.png"}});
  b = body({.model = "seedance_2_0_fast", .prompt = "@image1 @video1 @audio1",
            .media = {url("https://x/a.png", Role::reference_image), url("asset://asset-2", Role::reference_image),
                      url("https://x/v.mp4", Role::reference_video), url("https://x/a.mp3", Role::reference_audio)}},
           "xingchaoyiqing");
  CHECK(b == json{{"model", "seedance_2_0_fast"}, {"prompt", "@image1 @video1 @audio1"}, {"generateAudio", true},
                  {"referenceImages", {"https://x/a.png", "asset://asset-2"}},
                  {"referenceVideos", {"https://x/v.mp4"}}, {"referenceAudios", {"https://x/a.mp3"}}});
}

TEST_CASE("build_body refuses an invalid request") {
  CHECK_THROWS_AS(build_body(Request{}, provider("anyfast"), {}), Error);
}
