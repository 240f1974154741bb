// The emulator, run as a real process on loopback: every dialect's shapes and
// status words, validation errors in each provider's error shape, real mp4
// results checked with ffprobe/ffmpeg, ranged and expiring downloads, faults.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "emulator_harness.hpp"
#include "util/base64.hpp"

using namespace seedreel;
using namespace seedreel::test;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string data_uri(const std::string& fixture_name, const std::string& mime) {
  return "data:" + mime + ";base64," + base64_encode(read_file(fixture("emu/" + fixture_name)));
}

json text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }
json media(const std::string& type, const std::string& url, const std::string& role = "") {
  json j{{"type", type}, {type, {{"url", url}}}};
  if (!role.empty()) j["role"] = role;
  return j;
}
json image(const std::string& url, const std::string& role = "") { return media("image_url", url, role); }
json video(const std::string& url) { return media("video_url", url, "reference_video"); }
json audio(const std::string& url) { return media("audio_url", url, "reference_audio"); }

// Polls `path` every 50 ms until `done(body)`; returns every body seen.
std::vector<json> poll_until(const EmuProcess& emu, const std::string& path,
                             const std::function<bool(const json&)>& done, double timeout_s = 120) {
  std::vector<json> seen;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto r = emu.get(path);
    REQUIRE(r.status == 200);
    seen.push_back(r.json());
    if (done(seen.back())) return seen;
    REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::duration<double>(timeout_s));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string download(const std::string& url, const std::string& path) {
  auto r = http({"GET", url});
  REQUIRE(r.status == 200);
  write_file(path, r.body);
  return path;
}

std::string probe_stream(const std::string& file, const char* stream, const char* fields) {
  return ffprobe(file, {"-select_streams", stream, "-show_entries", std::string("stream=") + fields, "-of", "csv=p=0"});
}

// Checks an mp4 the emulator made: H.264 at w x h, 24 fps, `seconds` long, AAC iff `with_audio`.
void check_video(const std::string& file, int w, int h, int seconds, bool with_audio) {
  CAPTURE(file);
  CHECK(probe_stream(file, "v:0", "codec_name,width,height,r_frame_rate") ==
        "h264," + std::to_string(w) + "," + std::to_string(h) + ",24/1");
  CHECK(ffprobe(file, {"-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of",
                       "csv=p=0"}) == std::to_string(24 * seconds));
  CHECK(std::stod(probe_stream(file, "v:0", "duration")) == doctest::Approx(seconds).epsilon(0.001));
  if (with_audio) {
    CHECK(probe_stream(file, "a:0", "codec_name") == "aac");
    CHECK(std::stod(probe_stream(file, "a:0", "duration")) == doctest::Approx(seconds).epsilon(0.03));
  } else {
    CHECK(probe_stream(file, "a", "codec_name").empty());
  }
}

// PSNR (average, dB) between frame `n` of `video` (-1: the last) and `image`
// brought to the video's size by `fit` (an ffmpeg filter chain, "" for none).
double psnr(const std::string& video, int n, const std::string& image, const std::string& fit) {
  std::string select = n >= 0 ? "select=eq(n\\," + std::to_string(n) + ")" : "reverse";
  // The reference goes to yuv420p with the video's BT.709 limited-range matrix.
  std::string graph = "[0:v]" + select + ",trim=end_frame=1,format=yuv420p[a];[1:v]" + (fit.empty() ? "" : fit + ",") +
                      "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[b];[a][b]psnr";
  auto r = run(
      {"ffmpeg", "-nostdin", "-hide_banner", "-i", video, "-i", image, "-filter_complex", graph, "-f", "null", "-"});
  std::smatch m;
  static const std::regex avg(R"(average:([0-9.]+|inf))");
  REQUIRE_MESSAGE(std::regex_search(r.err, m, avg), r.err);
  return m[1] == "inf" ? 100.0 : std::stod(m[1]);
}

const std::set<std::string> kGatewayStatus{"NOT_START", "QUEUED", "IN_PROGRESS", "SUCCESS", "FAILURE"};

int percent(const json& progress) { return std::stoi(progress.get<std::string>()); }

}  // namespace

TEST_CASE("starts on a free port with one line on stdout, --help, clean stop on SIGTERM and SIGINT") {
  auto help = run({program("seedance-emu"), "--help"});
  CHECK(help.status == 0);
  for (const char* flag : {"--port", "--task-seconds", "--url-ttl", "--api-key", "--data-dir"})
    CHECK(help.out.find(flag) != std::string::npos);
  CHECK(run({program("seedance-emu"), "--bogus"}).status != 0);

  for (int sig : {SIGTERM, SIGINT}) {
    auto dir = temp_dir("emu-start");
    EmuProcess emu({"--data-dir", dir});
    CHECK(std::regex_match(emu.first_line_, std::regex(R"(listening on http://127\.0\.0\.1:[0-9]+\n)")));
    CHECK(emu.get("/_emu/requests").body == "[]");
    CHECK(emu.stop(sig) == 0);
    CHECK(emu.stdout_rest.empty());
  }
  // Two at once get different ports.
  EmuProcess a, b;
  CHECK(a.base != b.base);
}

TEST_CASE("gateway: text-to-video, NOT_START/QUEUED -> IN_PROGRESS -> SUCCESS with the fail_reason quirk") {
  EmuProcess emu({"--task-seconds", "3"});
  json req{{"model", "seedance-2.0"},
           {"content", {text("A cat playing piano")}},
           {"ratio", "16:9"},
           {"duration", 4},
           {"generate_audio", true}};
  auto created = emu.post("/v1/video/generations", req);
  REQUIRE(created.status == 200);
  json c = created.json();
  std::string id = c["task_id"];
  CHECK(id.starts_with("asyn"));
  CHECK(c["id"] == id);
  CHECK(c["object"] == "video");
  CHECK(c["model"] == "seedance-2.0");
  CHECK(c["status"] == "queued");
  CHECK(c["progress"] == 0);
  CHECK(c["created_at"].is_number_integer());

  auto seen =
      poll_until(emu, "/v1/video/generations/" + id, [](const json& j) { return j["data"]["status"] == "SUCCESS"; });
  // Status words only from the gateway's set, in order, with progress never going back.
  std::vector<std::string> order;
  int last_progress = -1;
  for (const auto& j : seen) {
    CHECK(j["code"] == "success");
    CHECK(j["message"] == "");
    std::string s = j["data"]["status"];
    CHECK(kGatewayStatus.count(s) == 1);
    if (order.empty() || order.back() != s) order.push_back(s);
    int p = percent(j["data"]["progress"]);
    CHECK(p >= last_progress);
    last_progress = p;
    if (s != "SUCCESS") CHECK(j["data"]["result_url"] == "");
  }
  REQUIRE(order.size() >= 3);
  CHECK((order[0] == "NOT_START" || order[0] == "QUEUED"));
  CHECK(std::find(order.begin(), order.end(), "IN_PROGRESS") != order.end());
  CHECK(order.back() == "SUCCESS");

  const json& d = seen.back()["data"];
  CHECK(d["task_id"] == id);
  CHECK(d["progress"] == "100%");
  std::string url = d["result_url"];
  CHECK(url.starts_with(emu.base + "/files/"));
  CHECK(d["fail_reason"] == url);  // the quirk: a copy of the URL on SUCCESS
  CHECK(d["data"]["content"]["video_url"] == url);
  CHECK(d["data"]["status"] == "succeeded");
  CHECK(d["data"]["framespersecond"] == 24);
  CHECK(d["data"]["usage"]["total_tokens"] == 1280 * 720 * 24 * 4 / 1024);

  auto file = download(url, temp_dir("emu-gw") + "/out.mp4");
  check_video(file, 1280, 720, 4, true);
}

TEST_CASE("xingchaoyiqing: flat fields, queued -> processing -> completed, first_image continuity, no audio") {
  EmuProcess emu({"--task-seconds", "2"});
  json req{{"model", "seedance_2_0_pro"},
           {"prompt", "The scene comes alive"},
           {"first_image", data_uri("first_1280x720.png", "image/png")},
           {"aspect_ratio", "16:9"},
           {"duration", 5},
           {"generateAudio", false}};
  auto created = emu.post("/v1/kyyvideo2/videos", req);
  REQUIRE(created.status == 200);
  json c = created.json();
  std::string id = c["id"];
  CHECK(id.starts_with("video_"));
  CHECK(c["object"] == "video");
  CHECK(c["model"] == "seedance_2_0_pro");
  CHECK(c["status"] == "queued");
  CHECK(c["created"].is_number_integer());

  auto seen = poll_until(emu, "/v1/result/" + id, [](const json& j) { return j["status"] == "completed"; });
  std::vector<std::string> order;
  for (const auto& j : seen) {
    std::string s = j["status"];
    CHECK((s == "queued" || s == "processing" || s == "completed"));
    if (order.empty() || order.back() != s) order.push_back(s);
    CHECK(j["error"].is_null());
  }
  CHECK(order == std::vector<std::string>{"queued", "processing", "completed"});
  const json& done = seen.back();
  CHECK(done["id"] == id);
  CHECK(done["actualDuration"] == 5);
  CHECK(done["totalTokens"] == 1280 * 720 * 24 * 5 / 1024);
  auto file = download(done["video_url"], temp_dir("emu-flat") + "/out.mp4");
  check_video(file, 1280, 720, 5, false);
  // Frame 0 is the image itself (same size: no scaling); later frames move.
  CHECK(psnr(file, 0, fixture("emu/first_1280x720.png"), "") > 38);
  CHECK(psnr(file, 60, fixture("emu/first_1280x720.png"), "") < 25);
}

TEST_CASE("Ark: first+last frame at 480p, queued -> running -> succeeded, return_last_frame PNG") {
  EmuProcess emu({"--task-seconds", "2"});
  json req{{"model", "doubao-seedance-2-0-260128"},
           {"content",
            {text("From @image1 to @image2"), image(data_uri("first_1280x720.png", "image/png"), "first_frame"),
             image(data_uri("last_1280x720.png", "image/png"), "last_frame")}},
           {"resolution", "480p"},
           {"ratio", "16:9"},
           {"duration", 4},
           {"generate_audio", false},
           {"return_last_frame", true},
           {"seed", 42}};
  auto created = emu.post("/contents/generations/tasks", req);
  REQUIRE(created.status == 200);
  json c = created.json();
  CHECK(c.size() == 1);
  std::string id = c["id"];
  CHECK(std::regex_match(id, std::regex(R"(cgt-[0-9]{14}-[0-9a-f]{5})")));

  auto seen =
      poll_until(emu, "/contents/generations/tasks/" + id, [](const json& j) { return j["status"] == "succeeded"; });
  std::vector<std::string> order;
  for (const auto& j : seen)
    if (order.empty() || order.back() != j["status"]) order.push_back(j["status"]);
  CHECK(order == std::vector<std::string>{"queued", "running", "succeeded"});
  const json& t = seen.back();
  CHECK(t["id"] == id);
  CHECK(t["model"] == "doubao-seedance-2-0-260128");
  CHECK(t["error"].is_null());
  CHECK(t["seed"] == 42);
  CHECK(t["resolution"] == "480p");
  CHECK(t["ratio"] == "16:9");
  CHECK(t["duration"] == 4);
  CHECK(t["framespersecond"] == 24);
  CHECK(t["generate_audio"] == false);
  CHECK(t["usage"]["completion_tokens"] == 864 * 496 * 24 * 4 / 1024);
  CHECK(t["updated_at"].get<std::int64_t>() >= t["created_at"].get<std::int64_t>());

  auto dir = temp_dir("emu-ark");
  auto file = download(t["content"]["video_url"], dir + "/out.mp4");
  check_video(file, 864, 496, 4, false);
  // 1280x720 is not exactly 16:9 at 864x496: cover-scale and centre-crop, as the service does.
  const std::string cover = "scale=882:496,crop=864:496";
  CHECK(psnr(file, 0, fixture("emu/first_1280x720.png"), cover) > 28);
  CHECK(psnr(file, -1, fixture("emu/last_1280x720.png"), cover) > 24);
  CHECK(psnr(file, -1, fixture("emu/first_1280x720.png"), cover) < 20);

  auto png = download(t["content"]["last_frame_url"], dir + "/last.png");
  CHECK(ffprobe(png, {"-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0"}) == "png,864,496");
}

TEST_CASE("Ark: DELETE cancels a queued task, refuses a running one, deletes a finished one") {
  EmuProcess slow({"--task-seconds", "60"});
  json req{{"model", "doubao-seedance-2-0-fast-260128"}, {"content", {text("waves")}}, {"duration", 4}};
  std::string id = slow.post("/contents/generations/tasks", req).json()["id"];
  CHECK(slow.get("/contents/generations/tasks/" + id).json()["status"] == "queued");
  auto del = slow.del("/contents/generations/tasks/" + id);
  CHECK(del.status == 200);
  CHECK(del.json() == json::object());
  json t = slow.get("/contents/generations/tasks/" + id).json();
  CHECK(t["status"] == "cancelled");
  CHECK(!t.contains("content"));
  // A cancelled task is finished: deleting again removes the record.
  CHECK(slow.del("/contents/generations/tasks/" + id).status == 200);
  auto gone = slow.get("/contents/generations/tasks/" + id);
  CHECK(gone.status == 404);
  CHECK(gone.json()["error"]["code"] == "ResourceNotFound");
  CHECK(slow.del("/contents/generations/tasks/cgt-nope").status == 404);

  EmuProcess emu({"--task-seconds", "4"});
  std::string running = emu.post("/contents/generations/tasks", req).json()["id"];
  poll_until(emu, "/contents/generations/tasks/" + running, [](const json& j) { return j["status"] == "running"; });
  auto refused = emu.del("/contents/generations/tasks/" + running);
  CHECK(refused.status == 409);
  CHECK(refused.json()["error"]["type"] == "Conflict");
  poll_until(emu, "/contents/generations/tasks/" + running, [](const json& j) { return j["status"] == "succeeded"; });
  CHECK(emu.del("/contents/generations/tasks/" + running).status == 200);
  CHECK(emu.get("/contents/generations/tasks/" + running).status == 404);
}

TEST_CASE("assets: groups and assets, asset:// as an adaptive first frame picks 4:3 and starts from the image") {
  EmuProcess emu({"--task-seconds", "0"});
  auto g = emu.post("/volc/asset/CreateAssetGroup", {{"model", "volc-asset"}, {"Name", "faces"}});
  REQUIRE(g.status == 200);
  std::string group = g.json()["Id"];
  CHECK(std::regex_match(group, std::regex(R"(group-[0-9]{14}-[0-9a-f]{5})")));
  auto a = emu.post("/volc/asset/CreateAsset", {{"model", "volc-asset"},
                                                {"GroupId", group},
                                                {"Name", "hero"},
                                                {"AssetType", "Image"},
                                                {"URL", data_uri("photo_1000x800.jpg", "image/jpeg")}});
  REQUIRE(a.status == 200);
  std::string asset = a.json()["Id"];
  CHECK(std::regex_match(asset, std::regex(R"(asset-[0-9]{14}-[0-9a-f]{5})")));
  auto v = emu.post("/volc/asset/CreateAsset", {{"model", "volc-asset"},
                                                {"GroupId", group},
                                                {"Name", "clip"},
                                                {"AssetType", "Video"},
                                                {"URL", "https://example.com/clip.mp4"}});
  REQUIRE(v.status == 200);
  std::string video_asset = v.json()["Id"];

  // The asset API's own errors.
  auto bad = [&](const json& body, const std::string& param) {
    auto r = emu.post(body.contains("GroupId") ? "/volc/asset/CreateAsset" : "/volc/asset/CreateAssetGroup", body);
    CAPTURE(body.dump());
    CHECK(r.status == 400);
    CHECK(r.json()["data"].is_null());
    CHECK(r.json()["message"].get<std::string>().find(param) != std::string::npos);
  };
  bad({{"model", "other"}, {"Name", "x"}}, "model");
  bad({{"model", "volc-asset"}}, "Name");
  bad({{"model", "volc-asset"},
       {"GroupId", "group-nope"},
       {"Name", "n"},
       {"AssetType", "Image"},
       {"URL", "https://x/y.png"}},
      "GroupId");
  bad({{"model", "volc-asset"},
       {"GroupId", group},
       {"Name", "n"},
       {"AssetType", "Picture"},
       {"URL", "https://x/y.png"}},
      "AssetType");
  bad({{"model", "volc-asset"}, {"GroupId", group}, {"Name", "n"}, {"AssetType", "Image"}, {"URL", "ftp://x/y.png"}},
      "URL");

  // Using it: adaptive ratio from a 5:4 image is 4:3 (1112x834 at 720p).
  auto created =
      emu.post("/v1/video/generations", {{"model", "seedance"},
                                         {"content", {text("@image1 walks"), image("asset://" + asset, "first_frame")}},
                                         {"duration", 4},
                                         {"generate_audio", false}});
  REQUIRE(created.status == 200);
  auto seen = poll_until(emu, "/v1/video/generations/" + created.json()["task_id"].get<std::string>(),
                         [](const json& j) { return j["data"]["status"] == "SUCCESS"; });
  CHECK(seen.back()["data"]["data"]["ratio"] == "4:3");
  auto file = download(seen.back()["data"]["result_url"], temp_dir("emu-asset") + "/out.mp4");
  check_video(file, 1112, 834, 4, false);
  CHECK(psnr(file, 0, fixture("emu/photo_1000x800.jpg"), "scale=1112:890,crop=1112:834") > 28);

  // An unknown asset, and an asset of the wrong type, are request errors.
  auto unknown =
      emu.post("/v1/video/generations",
               {{"model", "seedance"}, {"content", {text("x"), image("asset://asset-nope", "first_frame")}}});
  CHECK(unknown.status == 400);
  CHECK(unknown.json()["code"] == "InvalidParameter");
  auto wrong =
      emu.post("/v1/video/generations",
               {{"model", "seedance"}, {"content", {text("x"), image("asset://" + video_asset, "reference_image")}}});
  CHECK(wrong.status == 400);
  CHECK(wrong.json()["message"].get<std::string>().find("type video") != std::string::npos);
  // A video asset is fine as a reference video.
  CHECK(emu.post("/v1/video/generations",
                 {{"model", "seedance"}, {"content", {text("extend @video1"), video("asset://" + video_asset)}}})
            .status == 200);
}

namespace {

struct Case {
  std::string name;
  std::function<void(json&)> edit;
  std::string param;
  std::string code = "InvalidParameter";
  long status = 400;
};

json ref_images(int n, const std::string& url = "https://example.com/a.png") {
  json items = json::array();
  for (int i = 0; i < n; ++i) items.push_back(image(url, "reference_image"));
  return items;
}

// Content-array cases, valid for the gateway and Ark alike; `model_cap` is a
// model of the dialect that stops at 720p.
std::vector<Case> content_cases(const std::string& model_cap) {
  const std::string png = "https://example.com/a.png", mp4 = "https://example.com/a.mp4",
                    mp3 = "https://example.com/a.mp3";
  auto with = [](std::vector<json> items) { return [items](json& b) { b["content"] = items; }; };
  std::string long_words, long_cjk;
  for (int i = 0; i < 1001; ++i) long_words += "word ";
  for (int i = 0; i < 501; ++i) long_cjk += "\xe7\x8c\xab";  // 猫
  return {
      {"model missing", [](json& b) { b.erase("model"); }, "model", "MissingParameter"},
      {"model unknown", [](json& b) { b["model"] = "seedance-9"; }, "model", "InvalidEndpointOrModel.NotFound", 404},
      {"content missing", [](json& b) { b.erase("content"); }, "content", "MissingParameter"},
      {"content empty", [](json& b) { b["content"] = json::array(); }, "content"},
      {"item type unknown", with({text("x"), media("file_url", png)}), "content[1].type"},
      {"image after video", with({text("x"), video(mp4), image(png, "reference_image")}), "content"},
      {"text after image", with({image(png, "first_frame"), text("x")}), "content"},
      {"two texts", with({text("x"), text("y")}), "content[1]"},
      {"text empty", with({text("")}), "content[0].text"},
      {"image without url", with({text("x"), json{{"type", "image_url"}, {"image_url", json::object()}}}),
       "content[1].image_url.url", "MissingParameter"},
      {"image with a video role", with({text("x"), image(png, "reference_video")}), "content[1].role"},
      {"video with first_frame role", with({text("x"), media("video_url", mp4, "first_frame")}), "content[1].role"},
      {"first_frame + reference_image", with({text("x"), image(png, "first_frame"), image(png, "reference_image")}),
       "content"},
      {"first_frame + reference_video", with({text("x"), image(png, "first_frame"), video(mp4)}), "content"},
      {"last_frame alone", with({text("x"), image(png, "last_frame")}), "content"},
      {"two first frames", with({text("x"), image(png, "first_frame"), image(png, "first_frame")}), "content"},
      {"last before first", with({text("x"), image(png, "last_frame"), image(png, "first_frame")}), "content"},
      {"image without role beside a video", with({text("x"), image(png), video(mp4)}), "content"},
      {"10 reference images",
       [=](json& b) {
         b["content"] = ref_images(10);
         b["content"].insert(b["content"].begin(), text("x"));
       },
       "content"},
      {"4 reference videos", with({text("x"), video(mp4), video(mp4), video(mp4), video(mp4)}), "content"},
      {"4 reference audios",
       with({text("x"), image(png, "reference_image"), audio(mp3), audio(mp3), audio(mp3), audio(mp3)}), "content"},
      {"13 media files",
       [=](json& b) {
         b["content"] = ref_images(9);
         b["content"].insert(b["content"].begin(), text("x"));
         for (int i = 0; i < 3; ++i) b["content"].push_back(video(mp4));
         b["content"].push_back(audio(mp3));
       },
       "content"},
      {"audio without a visual", with({text("x"), audio(mp3)}), "content"},
      {"video as a data URI", with({text("x"), media("video_url", "data:video/mp4;base64,AAAA", "reference_video")}),
       "content[1].video_url.url"},
      {"data URI with bad base64", with({text("x"), image("data:image/png;base64,@@@@", "first_frame")}),
       "content[1].image_url.url"},
      {"data URI without ;base64", with({text("x"), image("data:image/png,abcd", "first_frame")}),
       "content[1].image_url.url"},
      {"data URI of a non-image MIME", with({text("x"), image("data:text/plain;base64,aGVsbG8=", "first_frame")}),
       "content[1].image_url.url"},
      {"data URI that is no image", with({text("x"), image("data:image/png;base64,aGVsbG8gd29ybGQ=", "first_frame")}),
       "content[1].image_url.url"},
      {"image below 300 px", with({text("x"), image(data_uri("tiny_200x200.png", "image/png"), "first_frame")}),
       "content[1].image_url.url"},
      {"image aspect 3.0", with({text("x"), image(data_uri("wide_1200x400.png", "image/png"), "first_frame")}),
       "content[1].image_url.url"},
      {"ftp URL", with({text("x"), image("ftp://example.com/a.png", "first_frame")}), "content[1].image_url.url"},
      {"@image2 with one image", with({text("@image1 meets @image2"), image(png, "reference_image")}),
       "content[0].text"},
      {"@audio1 without audio", with({text("sing @audio1"), image(png, "reference_image")}), "content[0].text"},
      {"1001 words", with({text(long_words)}), "content[0].text"},
      {"501 Chinese characters", with({text(long_cjk)}), "content[0].text"},
      {"web_search with an image",
       [=](json& b) {
         b["content"] = {text("x"), image(png, "first_frame")};
         b["tools"] = {{{"type", "web_search"}}};
       },
       "tools"},
      {"unknown tool",
       [](json& b) {
         b["tools"] = {{{"type", "code_interpreter"}}};
       },
       "tools[0]"},
      {"duration 3", [](json& b) { b["duration"] = 3; }, "duration"},
      {"duration 16", [](json& b) { b["duration"] = 16; }, "duration"},
      {"duration 5.5", [](json& b) { b["duration"] = 5.5; }, "duration"},
      {"duration as text", [](json& b) { b["duration"] = "5"; }, "duration"},
      {"resolution 2160p", [](json& b) { b["resolution"] = "2160p"; }, "resolution"},
      {"1080p on a 720p model",
       [=](json& b) {
         b["model"] = model_cap;
         b["resolution"] = "1080p";
       },
       "resolution"},
      {"ratio 2:1", [](json& b) { b["ratio"] = "2:1"; }, "ratio"},
      {"generate_audio as text", [](json& b) { b["generate_audio"] = "yes"; }, "generate_audio"},
      {"watermark as number", [](json& b) { b["watermark"] = 1; }, "watermark"},
      {"seed -2", [](json& b) { b["seed"] = -2; }, "seed"},
  };
}

// Runs every case against one endpoint; `check_shape` checks the provider's error shape.
void run_cases(const EmuProcess& emu, const std::string& path, const json& base, const std::vector<Case>& cases,
               const std::function<void(const json&, const Case&)>& check_shape) {
  for (const auto& c : cases) {
    CAPTURE(c.name);
    json body = base;
    c.edit(body);
    auto r = emu.post(path, body);
    CHECK(r.status == c.status);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    check_shape(j, c);
  }
}

void gateway_shape(const json& j, const Case& c) {
  CHECK(j.size() == 3);
  CHECK(j["code"] == c.code);
  CHECK(j["data"].is_null());
  CHECK(j["message"].get<std::string>().find("`" + c.param + "`") != std::string::npos);
}

void ark_shape(const json& j, const Case& c) {
  CHECK(j.size() == 1);
  const json& e = j["error"];
  CHECK(e["code"] == c.code);
  CHECK(e["param"] == c.param);
  CHECK(e["type"] == (c.status == 404 ? "NotFound" : "BadRequest"));
  CHECK(!e["message"].get<std::string>().empty());
}

void flat_shape(const json& j, const Case& c) {
  CHECK(j["object"] == "video");
  CHECK(j["status"] == "failed");
  CHECK(j["code"] == c.code);
  REQUIRE(j["error"].is_string());
  CHECK(j["error"].get<std::string>().find("`" + c.param + "`") != std::string::npos);
}

}  // namespace

TEST_CASE("gateway and Ark: every validation rule answered in the provider's error shape") {
  EmuProcess emu({"--task-seconds", "60"});
  json gw{{"model", "seedance"}, {"content", {text("a cat")}}};
  run_cases(emu, "/v1/video/generations", gw, content_cases("seedance-2.0-mini"), gateway_shape);
  json ark{{"model", "doubao-seedance-2-0-260128"}, {"content", {text("a cat")}}};
  run_cases(emu, "/contents/generations/tasks", ark, content_cases("doubao-seedance-2-0-fast-260128"), ark_shape);

  // Not JSON, and not an object.
  for (const auto& [path, shape] : std::vector<std::pair<std::string, decltype(&gateway_shape)>>{
           {"/v1/video/generations", gateway_shape}, {"/contents/generations/tasks", ark_shape}}) {
    auto r = http({"POST", emu.base + path, "{\"model\": "});
    CHECK(r.status == 400);
    shape(r.json(), Case{"not json", {}, "body"});
    r = http({"POST", emu.base + path, "[1,2]"});
    CHECK(r.status == 400);
    shape(r.json(), Case{"not an object", {}, "body"});
  }
  // Gateway model names are not Ark's and the other way round.
  CHECK(emu.post("/contents/generations/tasks", gw).status == 404);
  CHECK(emu.post("/v1/video/generations", ark).status == 404);
  // Nothing invalid became a task.
  for (const auto& e : emu.get("/_emu/requests").json()) CHECK(e["method"] == "POST");
}

TEST_CASE("gateway: every mode of the mode table is accepted") {
  EmuProcess emu({"--task-seconds", "60"});
  const std::string png = "https://example.com/a.png", mp4 = "https://example.com/a.mp4";
  const std::string wav = data_uri("tone_2s.wav", "audio/wav");
  std::vector<std::pair<std::string, json>> modes{
      {"text-to-video", json::array({text("a cat")})},
      {"first frame, role omitted", {text("go"), image(png)}},
      {"first frame, no text", json::array({image(png, "first_frame")})},
      {"first + last frame", {text("go"), image(png, "first_frame"), image(png, "last_frame")}},
      {"multimodal reference",
       {text("@image1 in @video1 with @audio1"), image(png, "reference_image"), video(mp4), audio(wav)}},
      {"video editing", {text("swap @image1 into @video1"), image(png, "reference_image"), video(mp4)}},
      {"video extension", {text("extend"), video(mp4), video(mp4), video(mp4)}},
      {"nine reference images", ref_images(9)},
  };
  for (const auto& [name, content] : modes) {
    CAPTURE(name);
    auto r =
        emu.post("/v1/video/generations", {{"model", "seedance-2.0"}, {"content", content}, {"resolution", "480p"}});
    CHECK(r.status == 200);
    CHECK(r.json()["task_id"].get<std::string>().starts_with("asyn"));
  }
  auto web = emu.post("/v1/video/generations", {{"model", "seedance-2.0-mini"},
                                                {"content", {text("blossoms")}},
                                                {"resolution", "720p"},
                                                {"tools", {{{"type", "web_search"}}}}});
  CHECK(web.status == 200);
}

TEST_CASE("xingchaoyiqing: every validation rule answered in its flat error shape") {
  EmuProcess emu({"--task-seconds", "60"});
  const std::string png = "https://example.com/a.png", mp4 = "https://example.com/a.mp4",
                    mp3 = "https://example.com/a.mp3";
  json base{{"model", "seedance_2_0_pro"}, {"prompt", "a cat"}};
  std::vector<Case> cases{
      {"model missing", [](json& b) { b.erase("model"); }, "model", "MissingParameter"},
      {"gateway model name", [](json& b) { b["model"] = "seedance-2.0"; }, "model", "InvalidEndpointOrModel.NotFound",
       404},
      {"seedance_2_0 without a reference video", [](json& b) { b["model"] = "seedance_2_0"; }, "referenceVideos"},
      {"seedance_2_0_fast without a reference video",
       [&](json& b) {
         b["model"] = "seedance_2_0_fast";
         b["referenceImages"] = json::array({png});
       },
       "referenceVideos"},
      {"last_image alone", [&](json& b) { b["last_image"] = png; }, "last_image"},
      {"first_image + referenceImages",
       [&](json& b) {
         b["first_image"] = png;
         b["referenceImages"] = json::array({png});
       },
       "first_image"},
      {"referenceAudios alone", [&](json& b) { b["referenceAudios"] = json::array({mp3}); }, "referenceAudios"},
      {"10 reference images", [=](json& b) { b["referenceImages"] = std::vector<std::string>(10, png); },
       "referenceImages"},
      {"4 reference videos", [&](json& b) { b["referenceVideos"] = std::vector<std::string>(4, mp4); },
       "referenceVideos"},
      {"reference video as base64",
       [&](json& b) { b["referenceVideos"] = json::array({"data:video/mp4;base64,AAAA"}); }, "referenceVideos[0]"},
      {"referenceImages not a list", [&](json& b) { b["referenceImages"] = png; }, "referenceImages"},
      {"first_image not an image", [&](json& b) { b["first_image"] = "data:image/png;base64,aGVsbG8="; },
       "first_image"},
      {"duration 16", [](json& b) { b["duration"] = 16; }, "duration"},
      {"aspect_ratio 2:1", [](json& b) { b["aspect_ratio"] = "2:1"; }, "aspect_ratio"},
      {"generateAudio as text", [](json& b) { b["generateAudio"] = "no"; }, "generateAudio"},
      {"nothing to generate from", [](json& b) { b.erase("prompt"); }, "prompt", "MissingParameter"},
      {"prompt not a string", [](json& b) { b["prompt"] = 5; }, "prompt"},
      {"@video1 without a video", [](json& b) { b["prompt"] = "dance like @video1"; }, "prompt"},
  };
  run_cases(emu, "/v1/kyyvideo2/videos", base, cases, flat_shape);

  // And the accepted combinations.
  for (json extra :
       {json{{"referenceVideos", json::array({mp4})}, {"model", "seedance_2_0"}},
        json{{"referenceVideos", {mp4, mp4}}, {"referenceAudios", json::array({mp3})}, {"model", "seedance_2_0_fast"}},
        json{{"first_image", png}, {"last_image", png}},
        json{{"referenceImages", std::vector<std::string>(9, png)}, {"model", "seedance_2_0_fast_pro"}}}) {
    json body = base;
    body.update(extra);
    CAPTURE(body.dump());
    auto r = emu.post("/v1/kyyvideo2/videos", body);
    CHECK(r.status == 200);
  }
}

TEST_CASE("a body over 64 MB is refused in the dialect's shape") {
  EmuProcess emu;
  std::string big(65 * 1024 * 1024, 'a');
  json body{{"model", "seedance"}, {"content", {text(big)}}};
  auto r = http({"POST", emu.base + "/v1/video/generations", body.dump()});
  CHECK(r.status == 413);
  CHECK(r.json()["code"] == "InvalidParameter");
  CHECK(r.json()["data"].is_null());
  auto a = http({"POST", emu.base + "/contents/generations/tasks", body.dump()});
  CHECK(a.status == 413);
  CHECK(a.json()["error"]["param"] == "body");
}

namespace {

// Creates a short text-to-video task through the gateway and waits for its URL.
std::string finished_gateway_url(const EmuProcess& emu, std::string* id_out = nullptr) {
  auto created = emu.post(
      "/v1/video/generations",
      {{"model", "seedance"}, {"content", json::array({text("clouds")})}, {"resolution", "480p"}, {"duration", 4}});
  REQUIRE(created.status == 200);
  std::string id = created.json()["task_id"];
  if (id_out) *id_out = id;
  auto seen =
      poll_until(emu, "/v1/video/generations/" + id, [](const json& j) { return j["data"]["status"] == "SUCCESS"; });
  return seen.back()["data"]["result_url"];
}

}  // namespace

TEST_CASE("downloads: whole, byte ranges (206), suffix, unsatisfiable (416), resume after a cut at 50%") {
  EmuProcess emu({"--task-seconds", "0"});
  std::string url = finished_gateway_url(emu);
  auto whole = http({"GET", url});
  REQUIRE(whole.status == 200);
  const std::string& full = whole.body;
  const auto size = full.size();
  CHECK(whole.headers["content-length"] == std::to_string(size));
  CHECK(whole.headers["accept-ranges"] == "bytes");
  CHECK(whole.headers["content-type"] == "video/mp4");

  auto ranged = [&](const std::string& range) {
    HttpRequest rq("GET", url);
    rq.range = range;
    return http(rq);
  };
  auto mid = ranged("100-199");
  CHECK(mid.status == 206);
  CHECK(mid.body == full.substr(100, 100));
  CHECK(mid.headers["content-range"] == "bytes 100-199/" + std::to_string(size));
  auto tail = ranged(std::to_string(size - 10) + "-");
  CHECK(tail.status == 206);
  CHECK(tail.body == full.substr(size - 10));
  auto suffix = ranged("-50");
  CHECK(suffix.status == 206);
  CHECK(suffix.body == full.substr(size - 50));
  auto past_end = ranged("1000-" + std::to_string(size + 5000));
  CHECK(past_end.status == 206);
  CHECK(past_end.body == full.substr(1000));
  auto beyond = ranged(std::to_string(size) + "-");
  CHECK(beyond.status == 416);
  CHECK(beyond.headers["content-range"] == "bytes */" + std::to_string(size));
  CHECK(ranged("0-1,5-6").status == 200);  // several ranges: the whole object, as S3 does

  // A connection dropped halfway, then resumed with a Range from where it stopped.
  emu.fault({{"kind", "drop"}, {"path_prefix", "/files/"}});
  auto cut = http({"GET", url});
  CHECK(cut.curl == CURLE_PARTIAL_FILE);
  CHECK(cut.body.size() == size / 2);
  CHECK(cut.body == full.substr(0, size / 2));
  auto rest = ranged(std::to_string(cut.body.size()) + "-");
  CHECK(rest.status == 206);
  CHECK(cut.body + rest.body == full);
  // Unknown file tokens.
  CHECK(http({"GET", emu.base + "/files/0123abcd/x.mp4"}).status == 404);
}

TEST_CASE("download URLs expire after --url-ttl and polling again gives a fresh one") {
  EmuProcess emu({"--task-seconds", "0", "--url-ttl", "1"});
  std::string id;
  std::string url = finished_gateway_url(emu, &id);
  CHECK(http({"GET", url}).status == 200);
  // Polling again while it is valid keeps the same URL, so a resumed download stays on it.
  CHECK(emu.get("/v1/video/generations/" + id).json()["data"]["result_url"] == url);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto expired = http({"GET", url});
  CHECK(expired.status == 403);
  CHECK(expired.body.find("<Code>AccessDenied</Code>") != std::string::npos);
  std::string fresh = emu.get("/v1/video/generations/" + id).json()["data"]["result_url"];
  CHECK(fresh != url);
  CHECK(http({"GET", fresh}).status == 200);
}

TEST_CASE("faults: 429 with Retry-After, 500 and 503 in each dialect's shape, counted and matched") {
  EmuProcess emu({"--task-seconds", "60"});
  json gw{{"model", "seedance"}, {"content", json::array({text("x")})}};
  emu.fault({{"kind", "429"}, {"method", "POST"}, {"path_prefix", "/v1/video/"}, {"count", 2}, {"retry_after", 3}});
  CHECK(emu.get("/v1/video/generations/asyn-none").status == 404);  // a GET does not match
  for (int i = 0; i < 2; ++i) {
    auto r = emu.post("/v1/video/generations", gw);
    CHECK(r.status == 429);
    CHECK(r.headers["retry-after"] == "3");
    CHECK(r.json()["code"] == "RateLimitExceeded");
    CHECK(r.json()["data"].is_null());
  }
  CHECK(emu.post("/v1/video/generations", gw).status == 200);  // count used up

  emu.fault({{"kind", "500"}, {"path_prefix", "/contents/"}, {"code", "InternalServiceError"}, {"message", "boom"}});
  auto ark = emu.get("/contents/generations/tasks/cgt-x");
  CHECK(ark.status == 500);
  CHECK(ark.json()["error"] ==
        json{{"code", "InternalServiceError"}, {"message", "boom"}, {"param", ""}, {"type", "InternalServerError"}});
  CHECK(!ark.headers.count("retry-after"));

  emu.fault({{"kind", "503"}, {"path_prefix", "/v1/result/"}, {"retry_after", 1}});
  auto flat = emu.get("/v1/result/video_x");
  CHECK(flat.status == 503);
  CHECK(flat.headers["retry-after"] == "1");
  CHECK(flat.json()["code"] == "ServerOverloaded");
  CHECK(flat.json()["status"] == "failed");
  CHECK(flat.json()["error"].is_string());

  // Bad fault requests are refused.
  CHECK(emu.post("/_emu/fault", {{"kind", "teapot"}}).status == 400);
  CHECK(emu.post("/_emu/fault", {{"kind", "500"}, {"count", 0}}).status == 400);
  CHECK(emu.post("/_emu/fault", {{"kind", "500"}, {"method", "PATCH"}}).status == 400);
  // reset forgets queued faults.
  emu.fault({{"kind", "500"}});
  CHECK(emu.post("/_emu/reset", json::object()).status == 200);
  CHECK(emu.get("/v1/result/video_x").status == 404);
}

TEST_CASE("faults: hang holds a request without answering (others still served), reset lets it go") {
  EmuProcess emu({"--hang-seconds", "60"});
  emu.fault({{"kind", "hang"}, {"method", "GET"}, {"path_prefix", "/v1/result/"}});
  HttpRequest rq("GET", emu.base + "/v1/result/video_x");
  rq.timeout_ms = 1500;
  auto start = std::chrono::steady_clock::now();
  HttpResponse held;
  std::thread t([&] { held = http(rq); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(emu.get("/v1/result/video_y").status == 404);  // served while the other hangs
  t.join();
  CHECK(held.curl == CURLE_OPERATION_TIMEDOUT);
  CHECK(held.status == 0);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1400));
  CHECK(held.body.empty());

  // A held request is released by reset (answered 504), not after the full minute.
  emu.fault({{"kind", "hang"}, {"path_prefix", "/contents/"}});
  HttpResponse released;
  std::thread t2([&] { released = http({"GET", emu.base + "/contents/generations/tasks/cgt-x"}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  emu.post("/_emu/reset", json::object());
  t2.join();
  CHECK(released.status == 504);
}

TEST_CASE("faults: drop cuts a JSON answer in half, malformed_json answers broken JSON") {
  EmuProcess emu;
  auto normal = emu.get("/contents/generations/tasks/cgt-x");
  emu.fault({{"kind", "drop"}, {"path_prefix", "/contents/"}});
  auto cut = emu.get("/contents/generations/tasks/cgt-x");
  CHECK(cut.curl == CURLE_PARTIAL_FILE);
  CHECK(cut.body == normal.body.substr(0, normal.body.size() / 2));

  emu.fault({{"kind", "malformed_json"}, {"method", "POST"}});
  auto bad = emu.post("/v1/video/generations", {{"model", "seedance"}, {"content", json::array({text("x")})}});
  CHECK(bad.status == 200);
  CHECK(json::parse(bad.body, nullptr, false).is_discarded());
}

TEST_CASE("faults: moderation fails the next task at 100% in each dialect; unknown_status; expire") {
  EmuProcess emu({"--task-seconds", "1"});
  // Gateway: FAILURE at 100%, fail_reason is the message (not a URL), upstream error kept.
  emu.fault({{"kind", "moderation"}, {"path_prefix", "/v1/video/"}});
  std::string id = emu.post("/v1/video/generations", {{"model", "seedance"}, {"content", json::array({text("x")})}})
                       .json()["task_id"];
  auto seen =
      poll_until(emu, "/v1/video/generations/" + id, [](const json& j) { return j["data"]["status"] == "FAILURE"; });
  bool ran = false;
  for (const auto& j : seen) ran = ran || j["data"]["status"] == "IN_PROGRESS";
  CHECK(ran);
  const json& d = seen.back()["data"];
  CHECK(d["progress"] == "100%");
  CHECK(d["result_url"] == "");
  CHECK(d["fail_reason"].get<std::string>().find("sensitive") != std::string::npos);
  CHECK(d["data"]["status"] == "failed");
  CHECK(d["data"]["error"]["code"] == "OutputVideoSensitiveContentDetected");
  CHECK(!d["data"].contains("content"));
  // The next task is not affected.
  std::string ok = emu.post("/v1/video/generations", {{"model", "seedance"}, {"content", json::array({text("x")})}})
                       .json()["task_id"];
  poll_until(emu, "/v1/video/generations/" + ok, [](const json& j) { return j["data"]["status"] == "SUCCESS"; });

  // Flat: failed, error is a string naming the code.
  emu.fault({{"kind", "moderation"}, {"code", "OutputAudioSensitiveContentDetected"}, {"message", "audio refused"}});
  std::string fid = emu.post("/v1/kyyvideo2/videos", {{"model", "seedance_2_0_pro"}, {"prompt", "x"}}).json()["id"];
  auto f = poll_until(emu, "/v1/result/" + fid, [](const json& j) { return j["status"] == "failed"; }).back();
  CHECK(f["error"] == "OutputAudioSensitiveContentDetected: audio refused");
  CHECK(f["video_url"].is_null());
  CHECK(f["progress"] == 100);

  // Ark: failed with error {code, message}.
  emu.fault({{"kind", "moderation"}, {"code", "InputImageSensitiveContentDetected.PrivacyInformation"}});
  std::string aid = emu.post("/contents/generations/tasks",
                             {{"model", "doubao-seedance-2-0-260128"}, {"content", json::array({text("x")})}})
                        .json()["id"];
  auto a = poll_until(emu, "/contents/generations/tasks/" + aid, [](const json& j) {
             return j["status"] == "failed";
           }).back();
  CHECK(a["error"]["code"] == "InputImageSensitiveContentDetected.PrivacyInformation");

  // unknown_status: one poll answers a word no dialect has, the next is normal again.
  emu.fault({{"kind", "unknown_status"}, {"method", "GET"}, {"count", 3}});
  CHECK(emu.get("/v1/video/generations/" + ok).json()["data"]["status"] == "SUSPENDED");
  CHECK(emu.get("/v1/result/" + fid).json()["status"] == "suspended");
  CHECK(emu.get("/contents/generations/tasks/" + aid).json()["status"] == "suspended");
  CHECK(emu.get("/v1/video/generations/" + ok).json()["data"]["status"] == "SUCCESS");

  // expire: every URL handed out stops working at once; a new poll gives a fresh one.
  std::string url = emu.get("/v1/video/generations/" + ok).json()["data"]["result_url"];
  CHECK(http({"GET", url}).status == 200);
  emu.fault({{"kind", "expire"}});
  CHECK(http({"GET", url}).status == 403);
  std::string fresh = emu.get("/v1/video/generations/" + ok).json()["data"]["result_url"];
  CHECK(fresh != url);
  CHECK(http({"GET", fresh}).status == 200);
}

TEST_CASE("--api-key: 401 in each dialect's shape without the right Bearer key; the key is never echoed") {
  const std::string key = "sk-emu-test-5f3a9c";
  EmuProcess emu({"--api-key", key, "--task-seconds", "0"});
  json gw{{"model", "seedance"}, {"content", json::array({text("x")})}};
  auto none = emu.post("/v1/video/generations", gw);
  CHECK(none.status == 401);
  CHECK(none.json()["code"] == "AuthenticationError");
  auto wrong = emu.post("/contents/generations/tasks", gw, {"Authorization: Bearer sk-wrong"});
  CHECK(wrong.status == 401);
  CHECK(wrong.json()["error"]["type"] == "Unauthorized");
  auto flat = emu.get("/v1/result/video_x", {"Authorization: " + key});  // no "Bearer "
  CHECK(flat.status == 401);
  CHECK(flat.json()["status"] == "failed");
  CHECK(emu.post("/volc/asset/CreateAssetGroup", {{"model", "volc-asset"}, {"Name", "g"}}).status == 401);

  const std::string auth = "Authorization: Bearer " + key;
  auto ok = emu.post("/v1/video/generations", gw, {auth});
  REQUIRE(ok.status == 200);
  std::string id = ok.json()["task_id"];
  std::string url;
  for (int i = 0; i < 2400 && url.empty(); ++i) {
    auto r = emu.get("/v1/video/generations/" + id + "?show_raw=true", {auth});
    REQUIRE(r.status == 200);
    if (r.json()["data"]["status"] == "SUCCESS")
      url = r.json()["data"]["result_url"];
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(!url.empty());
  CHECK(http({"GET", url}).status == 200);  // presigned: no key needed

  // The request log: what was sent, whether the key matched, never the key itself.
  json log = emu.get("/_emu/requests").json();
  REQUIRE(log.size() >= 7);
  // Each entry carries its arrival time; the rest is compared whole.
  CHECK(log[0]["at"].is_number());
  log[0].erase("at");
  CHECK(log[0] == json{{"method", "POST"},
                       {"path", "/v1/video/generations"},
                       {"query", json::object()},
                       {"body", gw},
                       {"auth_ok", false}});
  CHECK(log[1]["auth_ok"] == false);
  CHECK(log[2]["auth_ok"] == false);
  CHECK(log[2]["body"].is_null());
  CHECK(log[4]["auth_ok"] == true);
  CHECK(log[5]["query"] == json{{"show_raw", "true"}});
  CHECK(log[5]["path"] == "/v1/video/generations/" + id);
  CHECK(log.dump().find(key) == std::string::npos);
  CHECK(emu.stop() == 0);
  CHECK(emu.stdout_rest.find(key) == std::string::npos);
  CHECK(emu.stderr_all.find(key) == std::string::npos);
  CHECK(emu.first_line_.find(key) == std::string::npos);
}
