// The client end to end against the real emulator: every mode through every
// dialect with the sent bodies checked field by field, every injected fault
// with its message and exit status, download resume and expired-URL refresh,
// the journal, the asset API, and the API key never appearing anywhere.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "emulator_harness.hpp"
#include "http/http.hpp"
#include "seedreel/client.hpp"
#include "seedreel/probe.hpp"
#include "seedreel/provider.hpp"
#include "support.hpp"

using namespace seedreel::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "sk-test-SECRET-8d2f41c7e9";
const std::string kWork = temp_dir("client");

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct Cli {
  const EmuProcess& emu;
  std::string key = kKey;
  std::string journal = kWork + "/journal.db";

  Run operator()(std::vector<std::string> args, std::vector<std::string> env = {}) const {
    std::vector<std::string> argv{"env", "-u", "SEEDREEL_PROVIDER", "-u", "SEEDREEL_BASE_URL", "HOME=" + kWork,
                                  "XDG_CONFIG_HOME=" + kWork + "/config", "SEEDREEL_API_KEY=" + key,
                                  "SEEDREEL_JOURNAL=" + journal, "SEEDREEL_RETRY_BASE=0.05"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(program("seedreel"));
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--base-url", emu.base, "--poll-interval", "0.2"});
    Run r = run(argv);
    CHECK_MESSAGE(!contains(r.out, kKey), "key on stdout");
    CHECK_MESSAGE(!contains(r.err, kKey), "key on stderr");
    return r;
  }
};

// Most tests get an emulator of their own with quick tasks: stopped when the
// test ends, so that its clean exit is checked in the test that used it.
class WithEmu {
 protected:
  const EmuProcess& emu() const { return emu_; }

  json last_create(const std::string& prefix) const {
    auto posts = emu_.requests("POST", prefix);
    REQUIRE_FALSE(posts.empty());
    return posts.back();
  }

 private:
  EmuProcess emu_{{"--task-seconds", "1", "--api-key", kKey, "--data-dir", kWork + "/emu-data"}};
};

std::string out_file(const std::string& name) { return kWork + "/" + name; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ProviderCase {
  std::string name, create_prefix, model;
  bool flat;
  bool emulated = true;  // false: checked from --dry-run only
};
const std::vector<ProviderCase> kProviders = {
    {"anyfast", "/v1/video/generations", "seedance", false},
    {"starrise", "/v1/video/generations", "seedance-2.0", false},
    {"xingchaoyiqing", "/v1/kyyvideo2/videos", "seedance_2_0_pro", true},
    {"ark-cn", "/contents/generations/tasks", "doubao-seedance-2-0-260128", false},
    {"ark-intl", "/contents/generations/tasks", "dreamina-seedance-2-0-260128", false},
};

}  // namespace

TEST_CASE_FIXTURE(WithEmu, "every mode through every dialect, bodies checked field by field") {
  const std::string png = fixture("img_300x300.png"), webp = fixture("img_640x480.webp"), mp3 = fixture("aud_5s.mp3");
  const std::string png_b64_prefix = "data:image/png;base64,", video_url = "https://example.com/clip.mp4";
  for (const auto& p : kProviders) {
    CAPTURE(p.name);
    // Image sources: local files inline on the content array; the flat dialect takes URLs only.
    std::string img1 = p.flat ? "https://example.com/a.png" : png;
    std::string img2 = p.flat ? "https://example.com/b.webp" : webp;
    std::string aud = p.flat ? "https://example.com/a.mp3" : mp3;
    struct ModeCase {
      std::string mode;
      std::vector<std::string> args;
    };
    std::vector<ModeCase> modes = {
        {"text-to-video", {"--prompt", "a cat at a piano", "--duration", "4", "--ratio", "16:9"}},
        {"image-to-video", {"--prompt", "she turns", "--first-frame", img1, "--duration", "4"}},
        {"first-last-frame", {"--prompt", "morph", "--first-frame", img1, "--last-frame", img2, "--duration", "4"}},
        {"multimodal-reference",
         {"--prompt", "@image1 dances in @video1 to @audio1", "--ref-image", img1, "--ref-video", video_url, "--ref-audio", aud,
          "--duration", "4"}},
        {"video-edit", {"--prompt", "put @image1 into @video1", "--ref-image", img1, "--ref-video", video_url, "--duration", "4"}},
        {"video-extension", {"--prompt", "continue @video1", "--ref-video", video_url, "--duration", "4", "--no-audio"}},
    };
    for (const auto& m : modes) {
      CAPTURE(m.mode);
      emu().reset();
      std::string out = out_file(p.name + "-" + m.mode + ".mp4");
      auto args = m.args;
      args.insert(args.begin(), {"generate", "--provider", p.name, "--json", "-o", out});
      if (!p.emulated) args.push_back("--dry-run");
      Run r = Cli{emu()}(args);
      REQUIRE_MESSAGE(r.status == 0, r.err);
      json res = json::parse(r.out);
      json b;
      if (p.emulated) {
        CHECK(res["ok"] == true);
        CHECK(res["mode"] == m.mode);
        CHECK(res["task"]["status"] == "succeeded");
        CHECK(res["bytes"] == fs::file_size(out));
        CHECK(ffprobe(out, {"-show_entries", "format=format_name", "-of", "csv=p=0"}).find("mp4") != std::string::npos);
        json sent = last_create(p.create_prefix);
        CHECK(sent["auth_ok"] == true);
        b = sent["body"];
      } else {
        CHECK(res["mode"] == m.mode);
        CHECK(res["url"] == emu().base + p.create_prefix);
        b = res["body"];
      }
      CHECK(b["model"] == p.model);
      CHECK(b["duration"] == 4);
      if (p.flat) {
        CHECK(b["prompt"] == m.args[1]);
        CHECK(b["generateAudio"] == (m.mode != "video-extension"));
        CHECK_FALSE(b.contains("content"));
        if (m.mode == "image-to-video") CHECK(b["first_image"] == img1);
        if (m.mode == "first-last-frame") CHECK((b["first_image"] == img1 && b["last_image"] == img2));
        if (m.mode == "multimodal-reference") {
          CHECK(b["referenceImages"] == json{img1});
          CHECK(b["referenceVideos"] == json{video_url});
          CHECK(b["referenceAudios"] == json{aud});
        }
        if (m.mode == "text-to-video") CHECK(b["aspect_ratio"] == "16:9");
        continue;
      }
      CHECK(b["generate_audio"] == (m.mode != "video-extension"));
      auto& c = b["content"];
      REQUIRE(c.is_array());
      CHECK(c[0] == json{{"type", "text"}, {"text", m.args[1]}});
      auto url_of = [](const json& item) { return item[item["type"].get<std::string>()]["url"].get<std::string>(); };
      if (m.mode == "text-to-video") {
        CHECK(c.size() == 1);
        CHECK(b["ratio"] == "16:9");
      } else if (m.mode == "image-to-video") {
        REQUIRE(c.size() == 2);
        CHECK(c[1]["role"] == "first_frame");
        CHECK(url_of(c[1]).rfind(png_b64_prefix, 0) == 0);
      } else if (m.mode == "first-last-frame") {
        REQUIRE(c.size() == 3);
        CHECK(c[1]["role"] == "first_frame");
        CHECK(c[2]["role"] == "last_frame");
        CHECK(url_of(c[2]).rfind("data:image/webp;base64,", 0) == 0);
      } else if (m.mode == "multimodal-reference") {
        REQUIRE(c.size() == 4);
        CHECK((c[1]["type"] == "image_url" && c[1]["role"] == "reference_image"));
        CHECK(c[2] == json{{"type", "video_url"}, {"video_url", {{"url", video_url}}}, {"role", "reference_video"}});
        CHECK((c[3]["type"] == "audio_url" && c[3]["role"] == "reference_audio"));
        CHECK(url_of(c[3]).rfind("data:audio/mpeg;base64,", 0) == 0);
      } else if (m.mode == "video-edit") {
        REQUIRE(c.size() == 3);
        CHECK(c[1]["role"] == "reference_image");
        CHECK(c[2]["role"] == "reference_video");
      } else {
        REQUIRE(c.size() == 2);
        CHECK(c[1] == json{{"type", "video_url"}, {"video_url", {{"url", video_url}}}, {"role", "reference_video"}});
      }
    }
  }
}

TEST_CASE_FIXTURE(WithEmu, "the downloaded video has the requested size and duration") {
  std::string out = out_file("t2v-720p-9x16.mp4");
  Run r = Cli{emu()}({"generate", "--prompt", "rain", "--resolution", "720p", "--ratio", "9:16", "--duration", "5", "-o", out});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(ffprobe(out, {"-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0"}) == "720,1280");
  double d = std::stod(ffprobe(out, {"-show_entries", "format=duration", "-of", "csv=p=0"}));
  CHECK(d == doctest::Approx(5).epsilon(0.05));
}

TEST_CASE_FIXTURE(WithEmu, "validation errors stop the request before anything is sent") {
  struct Bad {
    std::vector<std::string> args;
    std::string rule;
  };
  std::vector<Bad> cases = {
      {{"--prompt", ""}, "request.prompt"},
      {{"--prompt", "x", "--first-frame", fixture("img_300x300.png"), "--ref-image", fixture("img_300x300.png")}, "set.mode_mix"},
      {{"--prompt", "x", "--last-frame", fixture("img_300x300.png")}, "set.last_frame"},
      {{"--prompt", "@image2", "--ref-image", fixture("img_300x300.png")}, "request.prompt_ref"},
      {{"--prompt", "x", "--ref-audio", fixture("aud_5s.wav")}, "set.audio_needs_visual"},
      {{"--prompt", "x", "--first-frame", fixture("img_300x300.png"), "--web-search"}, "request.web_search"},
      {{"--prompt", "x", "--duration", "3"}, "request.duration"},
      {{"--prompt", "x", "--resolution", "1080p", "--model", "seedance-2.0-mini"}, "model.resolution"},
      {{"--prompt", "x", "--ref-video", fixture("vid_640x640_24fps_5s.mp4")}, "media.local_video"},
      {{"--prompt", "x", "--first-frame", fixture("img_299x400.png"), "--no-conform"}, "image.width"},
      {{"--prompt", "x", "--model", "seedance-2.0-pro"}, "model.unknown"},
      {{"--prompt", "x", "--provider", "xingchaoyiqing", "--resolution", "720p"}, "provider.param"},
      {{"--prompt", "x", "--provider", "xingchaoyiqing", "--first-frame", fixture("img_300x300.png")}, "provider.data_uri"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.rule);
    auto args = c.args;
    args.insert(args.begin(), {"generate", "--json", "-o", out_file("never.mp4")});
    Run r = Cli{emu()}(args);
    CHECK(r.status == 1);
    json j = json::parse(r.out);
    bool found = false;
    for (const auto& f : j["findings"]) found |= f["rule"] == c.rule;
    CHECK_MESSAGE(found, r.out);
  }
  CHECK(emu().requests().empty());
  CHECK_FALSE(fs::exists(out_file("never.mp4")));
  // Unreadable input is exit 3, naming the file.
  Run r = Cli{emu()}({"generate", "--prompt", "x", "--first-frame", fixture("bad_random.mp4"), "-o", out_file("never.mp4")});
  CHECK(r.status == 3);
  CHECK(contains(r.err, "bad_random.mp4"));
  r = Cli{emu()}({"generate", "--prompt", "x"});
  CHECK(r.status == 2);
}

TEST_CASE_FIXTURE(WithEmu, "dry run prints the exact body and redacts the key") {
  Run r = Cli{emu()}({"generate", "--prompt", "@image1 waves", "--ref-image", fixture("img_300x300.png"), "--seed", "3",
                      "--provider", "ark-intl", "--dry-run", "--json"});
  REQUIRE(r.status == 0);
  json j = json::parse(r.out);
  CHECK(j["method"] == "POST");
  CHECK(j["url"] == emu().base + "/contents/generations/tasks");
  CHECK(j["headers"]["Authorization"] == "Bearer ***");
  CHECK(j["body"]["seed"] == 3);
  CHECK(j["body"]["content"][1]["image_url"]["url"].get<std::string>().rfind("data:image/png;base64,", 0) == 0);
  CHECK(emu().requests().empty());
  r = Cli{emu()}({"generate", "--prompt", "hi", "--dry-run"});
  CHECK(r.status == 0);
  CHECK(contains(r.out, "Authorization: Bearer ***"));
}

TEST_CASE_FIXTURE(WithEmu, "429 with Retry-After, 500 and 503 on create are retried and the run completes") {
  for (std::string kind : {"429", "500", "503"}) {
    CAPTURE(kind);
    emu().reset();
    emu().fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", kind}, {"count", 2}, {"retry_after", 1}});
    Run r = Cli{emu()}({"generate", "--prompt", "x", "--duration", "4", "-o", out_file("retry-" + kind + ".mp4")});
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.err, "HTTP " + kind));
    CHECK(contains(r.err, "retrying"));
    if (kind == "429") CHECK(contains(r.err, "retrying in 1.0 s"));
    CHECK(emu().requests("POST", "/v1/video/generations").size() == 3);
    CHECK(fs::file_size(out_file("retry-" + kind + ".mp4")) > 0);
  }
}

TEST_CASE_FIXTURE(WithEmu, "persistent 429 gives up with advice and exit 4") {
  emu().fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "429"}, {"count", 10}, {"retry_after", 0}});
  Run r = Cli{emu()}({"generate", "--prompt", "x", "--retries", "2", "-o", out_file("never.mp4")});
  CHECK(r.status == 4);
  CHECK(contains(r.err, "gave up after 3 attempts"));
  CHECK(contains(r.err, "HTTP 429"));
  CHECK_FALSE(fs::exists(out_file("never.mp4")));
}

TEST_CASE_FIXTURE(WithEmu, "poll faults: 500, 502, 503, 504, malformed JSON and a hang are retried") {
  for (std::string kind : {"500", "502", "503", "504", "malformed_json", "hang"}) {
    CAPTURE(kind);
    emu().reset();
    emu().fault({{"method", "GET"}, {"path_prefix", "/contents/generations/tasks/"}, {"kind", kind}, {"count", 2}});
    Run r = Cli{emu()}({"generate", "--provider", "ark-cn", "--prompt", "x", "--request-timeout", "1", "-o",
                        out_file("poll-" + kind + ".mp4")});
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.err, "retrying"));
    CHECK(fs::exists(out_file("poll-" + kind + ".mp4")));
  }
}

TEST_CASE_FIXTURE(WithEmu, "a create that may have reached the server is not retried, and is journaled as unknown") {
  // A gateway's 502/504 may come after it forwarded the create upstream.
  // malformed_json first: a hung request is only logged once the emulator lets it go.
  for (std::string kind : {"502", "504", "malformed_json", "hang"}) {
    CAPTURE(kind);
    emu().reset();
    emu().fault({{"method", "POST"}, {"path_prefix", "/v1/kyyvideo2/videos"}, {"kind", kind}, {"count", 1}});
    std::string journal = kWork + "/journal-" + kind + ".db";
    Cli cli{emu()};
    cli.journal = journal;
    Run r = cli({"generate", "--provider", "xingchaoyiqing", "--prompt", "x", "--request-timeout", "1", "-o", out_file("never.mp4")});
    CHECK(r.status == 4);
    CHECK(contains(r.err, "may have reached the server"));
    CHECK_FALSE(contains(r.err, "retrying"));
    CHECK(emu().requests("POST", "/v1/kyyvideo2/videos").size() <= 1);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(journal.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT state, provider FROM tasks", -1, &st, nullptr);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "unknown");
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) == "xingchaoyiqing");
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
}

TEST_CASE_FIXTURE(WithEmu, "moderation at 100%: exit 5 with advice; --retry-without-audio resubmits once without audio") {
  emu().fault({{"method", "POST"}, {"path_prefix", "/v1/video/generations"}, {"kind", "moderation"}, {"count", 1},
               {"code", "OutputAudioSensitiveContentDetected"}, {"message", "the audio may contain sensitive content"}});
  Run r = Cli{emu()}({"generate", "--prompt", "x", "-o", out_file("never.mp4")});
  CHECK(r.status == 5);
  CHECK(contains(r.err, "OutputAudioSensitiveContentDetected"));
  CHECK(contains(r.err, "--no-audio"));
  CHECK_FALSE(fs::exists(out_file("never.mp4")));

  emu().reset();
  emu().fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "moderation"}, {"count", 1},
               {"code", "OutputAudioSensitiveContentDetected"}, {"message", "audio flagged"}});
  r = Cli{emu()}({"generate", "--provider", "ark-cn", "--prompt", "x", "--retry-without-audio", "--json", "-o",
                  out_file("no-audio.mp4")});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(json::parse(r.out)["audio_dropped"] == true);
  CHECK(contains(r.err, "without audio"));
  auto posts = emu().requests("POST", "/contents/generations/tasks");
  REQUIRE(posts.size() == 2);
  CHECK(posts[0]["body"]["generate_audio"] == true);
  CHECK(posts[1]["body"]["generate_audio"] == false);

  for (const auto& [prov, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"anyfast", "/v1/video/generations"}, {"xingchaoyiqing", "/v1/kyyvideo2/videos"}, {"ark-cn", "/contents/generations/tasks"}}) {
    CAPTURE(prov);
    emu().reset();
    emu().fault({{"method", "POST"}, {"path_prefix", prefix}, {"kind", "moderation"}, {"count", 1},
                 {"code", "InputImageSensitiveContentDetected.PrivacyInformation"}, {"message", "real person"}});
    r = Cli{emu()}({"generate", "--provider", prov, "--prompt", "x", "-o", out_file("never.mp4")});
    CHECK(r.status == 5);
    CHECK(contains(r.err, "moderation"));
  }

  // Only the audio class retries: a real face (privacy) or a flagged input is never resubmitted,
  // even with --retry-without-audio, and the privacy advice names the asset route.
  for (const std::string code : {"InputImageSensitiveContentDetected.PrivacyInformation", "InputTextSensitiveContentDetected",
                                 "OutputVideoSensitiveContentDetected"}) {
    CAPTURE(code);
    emu().reset();
    emu().fault({{"method", "POST"}, {"path_prefix", "/contents/generations/tasks"}, {"kind", "moderation"}, {"count", 1},
                 {"code", code}, {"message", "flagged"}});
    r = Cli{emu()}({"generate", "--provider", "ark-cn", "--prompt", "x", "--retry-without-audio", "-o", out_file("never.mp4")});
    CHECK(r.status == 5);
    CHECK(emu().requests("POST", "/contents/generations/tasks").size() == 1);
    CHECK_FALSE(fs::exists(out_file("never.mp4")));
    if (code.find("Privacy") != std::string::npos) {
      CHECK(contains(r.err, "asset"));
      CHECK(contains(r.err, "face verification"));
    }
  }
}

TEST_CASE_FIXTURE(WithEmu, "an unknown status word fails clearly with the field") {
  emu().fault({{"method", "GET"}, {"path_prefix", "/v1/video/generations/"}, {"kind", "unknown_status"}, {"count", 1}});
  Run r = Cli{emu()}({"generate", "--prompt", "x", "-o", out_file("never.mp4")});
  CHECK(r.status == 4);
  CHECK(contains(r.err, "unknown task status"));
  CHECK(contains(r.err, "data.status"));
}

TEST_CASE_FIXTURE(WithEmu, "a download cut at 50% resumes with Range and yields the whole file") {
  Cli cli{emu()};
  Run r = cli({"generate", "--prompt", "x", "--no-wait", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string id = json::parse(r.out)["id"];
  r = cli({"download", id, "-o", out_file("clean.mp4")});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  emu().fault({{"method", "GET"}, {"path_prefix", "/files/"}, {"kind", "drop"}, {"count", 1}});
  r = cli({"download", id, "-o", out_file("resumed.mp4"), "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(contains(r.err, "download cut at"));
  CHECK(json::parse(r.out)["stats"]["resumes"] == 1);
  // "download cut at N of M bytes": the emulator closes after half the file.
  auto at = r.err.find("download cut at ");
  REQUIRE(at != std::string::npos);
  std::istringstream words(r.err.substr(at + 16));
  double got = 0, total = 0;
  std::string of;
  words >> got >> of >> total;
  CHECK(total == fs::file_size(out_file("clean.mp4")));
  CHECK(got / total == doctest::Approx(0.5).epsilon(0.1));
  CHECK(slurp(out_file("resumed.mp4")) == slurp(out_file("clean.mp4")));
  for (const auto& e : fs::directory_iterator(kWork)) CHECK_FALSE(contains(e.path().filename().string(), ".tmp"));
}

TEST_CASE_FIXTURE(WithEmu, "a download URL that redirects to itself stops at the redirect limit, exit 4, no file") {
  Cli cli{emu()};
  Run r = cli({"generate", "--prompt", "x", "--no-wait", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string id = json::parse(r.out)["id"];
  emu().fault({{"method", "GET"}, {"path_prefix", "/files/"}, {"kind", "redirect_loop"}, {"count", 1000}});
  r = cli({"download", id, "-o", out_file("looping.mp4")});
  CHECK(r.status == 4);
  CHECK(contains(r.err, "redirect"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') >= 1);
  CHECK_FALSE(fs::exists(out_file("looping.mp4")));
  // Each attempt followed the limit's 5 redirects and no more.
  auto gets = emu().requests("GET", "/files/").size();
  CHECK(gets > 0);
  CHECK(gets % 6 == 0);
  for (const auto& e : fs::directory_iterator(kWork)) CHECK_FALSE(contains(e.path().filename().string(), ".tmp"));
}

TEST_CASE_FIXTURE(WithEmu, "an expired download URL triggers one re-poll for a fresh one") {
  seedreel::Provider p = seedreel::resolve_provider("starrise", emu().base);
  seedreel::ClientOptions o;
  o.poll_interval = 0.2;
  std::vector<std::string> notices;
  o.on_notice = [&](const std::string& n) { notices.push_back(n); };
  seedreel::Client client(p, kKey, o);
  seedreel::Request req;
  req.prompt = "x";
  std::string id = client.create(seedreel::prepare(req, p).body);
  seedreel::Task t = client.wait(id);
  REQUIRE(t.status == seedreel::TaskStatus::succeeded);
  std::string first_url = t.video_url;
  client.download(t, out_file("warm.mp4"));
  emu().fault({{"method", "*"}, {"path_prefix", "/files/"}, {"kind", "expire"}, {"count", 1}});
  auto bytes = client.download(t, out_file("refreshed.mp4"));
  CHECK(client.stats().refreshes == 1);
  CHECK(t.video_url != first_url);
  REQUIRE_FALSE(notices.empty());
  CHECK(contains(notices.back(), "expired"));
  CHECK(bytes == fs::file_size(out_file("warm.mp4")));
  CHECK(slurp(out_file("refreshed.mp4")) == slurp(out_file("warm.mp4")));
  // The refreshed URL is used by the CLI too: status shows a live one.
  Run r = Cli{emu()}({"status", id, "--provider", "starrise", "--json"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["status"] == "succeeded");
}

TEST_CASE("status, journal lookup, cancel on Ark, and the asset API") {
  // Tasks stay queued for the first 20% of --task-seconds: long enough to cancel, even under sanitizers.
  EmuProcess slow({"--task-seconds", "300", "--api-key", kKey, "--data-dir", kWork + "/emu-slow"});
  Cli cli{slow};
  Run r = cli({"generate", "--provider", "ark-cn", "--prompt", "slow", "--no-wait"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string id = r.out.substr(0, r.out.find('\n'));
  CHECK(id.rfind("cgt-", 0) == 0);
  r = cli({"status", id, "--json"});  // provider from the journal
  REQUIRE_MESSAGE(r.status == 0, r.err);
  json s = json::parse(r.out);
  CHECK(s["provider"] == "ark-cn");
  CHECK((s["status"] == "queued" || s["status"] == "running"));
  r = cli({"cancel", id, "--json"});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(slow.requests("DELETE", "/contents/generations/tasks/").size() == 1);
  r = cli({"status", id, "--json"});
  CHECK(json::parse(r.out)["status"] == "cancelled");
  r = cli({"download", id, "-o", out_file("never.mp4")});
  CHECK(r.status == 5);
  r = cli({"cancel", id, "--provider", "anyfast"});
  CHECK(r.status == 2);  // gateways offer no cancel

  r = cli({"asset", "group", "characters", "--provider", "anyfast", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string group = json::parse(r.out)["id"];
  CHECK(slow.requests("POST", "/volc/asset/CreateAssetGroup").back()["body"] == json{{"model", "volc-asset"}, {"Name", "characters"}});
  r = cli({"asset", "create", "--group", group, "--type", "Image", "--url", "https://example.com/face.png", "--provider", "anyfast"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(r.out.rfind("asset://", 0) == 0);
  CHECK(slow.requests("POST", "/volc/asset/CreateAsset").back()["body"] ==
        json{{"model", "volc-asset"}, {"GroupId", group}, {"Name", "face.png"}, {"AssetType", "Image"}, {"URL", "https://example.com/face.png"}});
}

TEST_CASE_FIXTURE(WithEmu, "a wrong key is an authentication error; key files must be private") {
  Cli wrong{emu()};
  wrong.key = "sk-wrong-key-0000";
  Run r = wrong({"generate", "--prompt", "x", "-o", out_file("never.mp4")});
  CHECK(r.status == 4);
  CHECK(contains(r.err, "authentication failed"));
  CHECK_FALSE(contains(r.err, "sk-wrong-key-0000"));

  std::string keyfile = kWork + "/api-key";
  std::ofstream(keyfile) << kKey << "\n";
  chmod(keyfile.c_str(), 0644);
  Cli none{emu()};
  none.key = "";
  r = none({"status", "asyn-x", "--provider", "anyfast"}, {"SEEDREEL_API_KEY_FILE=" + keyfile});
  CHECK(r.status == 2);
  CHECK(contains(r.err, "chmod 600"));
  chmod(keyfile.c_str(), 0600);
  r = none({"generate", "--prompt", "x", "--duration", "4", "-o", out_file("keyfile.mp4")}, {"SEEDREEL_API_KEY_FILE=" + keyfile});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(emu().requests("POST", "/v1/video/generations").back()["auth_ok"] == true);
}

TEST_CASE("Ctrl-C while waiting exits 130, keeps the task in the journal, leaves no file; --timeout likewise") {
  EmuProcess slow({"--task-seconds", "60", "--api-key", kKey, "--data-dir", kWork + "/emu-ctrlc"});
  std::string dir = kWork + "/ctrlc";
  fs::create_directories(dir);
  std::string journal = dir + "/journal.db", out = dir + "/never.mp4";
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<std::string> argv{"env", "SEEDREEL_API_KEY=" + kKey, "SEEDREEL_JOURNAL=" + journal, program("seedreel"),
                                  "generate", "--prompt", "x", "--base-url", slow.base, "--poll-interval", "0.2", "-o", out};
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execvp(c[0], c.data());
    _exit(127);
  }
  // Wait until the create reached the emulator, then a little more for the journal write.
  for (int i = 0; i < 100 && slow.requests("GET", "/v1/video/generations/").empty(); ++i) usleep(50000);
  kill(pid, SIGINT);
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 130);
  CHECK(fs::is_empty(dir) == false);  // the journal is there
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename().string().rfind("journal.db", 0) == 0);

  Cli cli{slow};
  cli.journal = journal;
  Run r = cli({"generate", "--prompt", "y", "--timeout", "1", "-o", out});
  CHECK(r.status == 4);
  CHECK(contains(r.err, "keeps running"));
  CHECK(contains(r.err, "is journaled"));
  CHECK(contains(r.err, "seedreel status ID"));  // the CLI's advice for the library's "task_id"
  CHECK_FALSE(fs::exists(out));

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(journal.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT state, task_id FROM tasks ORDER BY id", -1, &q, nullptr);
  int rows = 0;
  while (sqlite3_step(q) == SQLITE_ROW) {
    ++rows;
    // In flight as the last poll saw it: the lifecycle journals every move.
    std::string state = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    CHECK((state == "created" || state == "queued" || state == "running"));
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 1))).rfind("asyn", 0) == 0);
  }
  CHECK(rows == 2);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_CASE_FIXTURE(WithEmu, "the HTTP layer refuses non-http schemes and caps answer sizes") {
  seedreel::Provider p = seedreel::resolve_provider("anyfast", emu().base);
  seedreel::ClientOptions o;
  o.max_attempts = 1;
  seedreel::Client client(p, kKey, o);
  seedreel::Task t;
  t.id = "x";
  t.status = seedreel::TaskStatus::succeeded;
  t.video_url = "file:///etc/passwd";
  CHECK_THROWS_AS(client.download(t, out_file("passwd.mp4")), seedreel::Error);
  CHECK_FALSE(fs::exists(out_file("passwd.mp4")));

  // A result file fetched as if it were an API answer passes the 1 kB cap.
  emu().reset();
  Run r = Cli{emu()}({"generate", "--prompt", "x", "--json", "-o", out_file("cap.mp4")});
  REQUIRE(r.status == 0);
  std::string url = json::parse(r.out)["task"]["video_url"];
  seedreel::http::Limits small;
  small.max_response = 1024;
  CHECK_THROWS_AS(seedreel::http::perform({"GET", url, {}, ""}, small), seedreel::http::TransportError);
}

TEST_CASE("the key appears in no file we wrote") {
  // Runs last: every output, journal and temporary left under the work folder.
  for (const auto& e : fs::recursive_directory_iterator(kWork)) {
    if (!e.is_regular_file() || e.path().filename() == "api-key") continue;
    CHECK_MESSAGE(!contains(slurp(e.path().string()), kKey), e.path().string());
  }
}

namespace {
// A picture far under the 300 px minimum side, made for the test.
std::string tiny_image() {
  std::string path = kWork + "/tiny_70x50.jpg";
  if (!fs::exists(path)) {
    Run r = run({"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=70x50", "-frames:v", "1", path});
    REQUIRE_MESSAGE(r.status == 0, r.err);
  }
  return path;
}
}  // namespace

TEST_CASE_FIXTURE(WithEmu, "one model vocabulary: each provider gets its own id, an unknown dated id passes with a warning") {
  Cli cli{emu()};
  for (const auto& [prov, prefix, id] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ark-intl", "/contents/generations/tasks", "dreamina-seedance-2-0-fast-260128"},
           {"ark-cn", "/contents/generations/tasks", "doubao-seedance-2-0-fast-260128"},
           {"xingchaoyiqing", "/v1/kyyvideo2/videos", "seedance_2_0_fast_pro"}}) {
    CAPTURE(prov);
    std::string model = prov == "xingchaoyiqing" ? "seedance-2.0-fast-pro" : "seedance-2.0-fast";
    // --dry-run shows the id that will be sent ...
    Run dry = cli({"generate", "--provider", prov, "--model", model, "--prompt", "a kite", "--dry-run", "--json"});
    REQUIRE_MESSAGE(dry.status == 0, dry.err);
    CHECK(json::parse(dry.out)["body"]["model"] == id);
    CHECK(json::parse(dry.out)["model"] == id);
    // ... and the provider receives exactly it.
    Run r = cli({"generate", "--provider", prov, "--model", model, "--prompt", "a kite", "--json", "-o",
                 out_file("vocab-" + prov + ".mp4")});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(last_create(prefix)["body"]["model"] == id);
    CHECK(json::parse(r.out)["warnings"].empty());
  }
  // A family the provider does not offer is known to be wrong: refused before anything is sent.
  auto before = emu().requests("POST", "/contents/generations/tasks").size();
  Run mini = cli({"generate", "--provider", "ark-intl", "--model", "seedance-2.0-mini", "--prompt", "x", "-o", out_file("never.mp4")});
  CHECK(mini.status == 1);
  CHECK(contains(mini.out + mini.err, "does not offer"));
  CHECK(emu().requests("POST", "/contents/generations/tasks").size() == before);

  // A dated id the tables do not know goes through with a warning, judged by its family (fast: 720p at most).
  const std::string dated = "dreamina-seedance-2-0-fast-261231";
  Run r = cli({"generate", "--provider", "ark-intl", "--model", dated, "--prompt", "a kite", "--json", "-o", out_file("dated.mp4")});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(contains(r.err, "warning: model '" + dated + "' is not in seedreel's tables"));
  CHECK(json::parse(r.out)["warnings"].size() == 1);
  CHECK(last_create("/contents/generations/tasks")["body"]["model"] == dated);
  Run high = cli({"generate", "--provider", "ark-intl", "--model", dated, "--resolution", "1080p", "--prompt", "x", "-o",
                  out_file("never.mp4")});
  CHECK(high.status == 1);
  CHECK(contains(high.out, "model.resolution"));

  // batch says it once for the file, with the first line that uses it; the provider gets the id.
  std::ofstream(kWork + "/dated.jsonl") << json{{"prompt", "a"}, {"model", dated}, {"output", "dated-a.mp4"}}.dump() << "\n"
                                        << json{{"prompt", "b"}, {"model", dated}, {"output", "dated-b.mp4"}}.dump() << "\n";
  Run b = cli({"batch", kWork + "/dated.jsonl", "--provider", "ark-intl"});
  REQUIRE_MESSAGE(b.status == 0, b.err);
  std::size_t warnings = 0;
  for (auto at = b.err.find("warning: "); at != std::string::npos; at = b.err.find("warning: ", at + 1)) ++warnings;
  CHECK(warnings == 1);
  CHECK(contains(b.err, "line 1: model '" + dated + "'"));
  CHECK(last_create("/contents/generations/tasks")["body"]["model"] == dated);
}

TEST_CASE_FIXTURE(WithEmu, "generate conforms a failing local file before sending, says so; --no-conform refuses it") {
  Cli cli{emu()};
  std::string tiny = tiny_image();
  Run refused = cli({"generate", "--prompt", "it grows", "--first-frame", tiny, "--no-conform", "-o", out_file("never.mp4")});
  CHECK(refused.status == 1);
  CHECK(contains(refused.out, "image.width"));
  CHECK(emu().requests("POST", "/v1/video/generations").empty());

  Run r = cli({"generate", "--prompt", "it grows", "--first-frame", tiny, "--json", "-o", out_file("grown.mp4")});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto out = json::parse(r.out);
  REQUIRE(out["conformed"].size() == 1);
  CHECK(out["conformed"][0]["info"]["width"] == 420);
  CHECK(out["conformed"][0]["info"]["height"] == 300);
  // The copy lives in the work folder beside the output; the input is untouched.
  std::string copy = out["conformed"][0]["output"];
  CHECK(copy.find(out_file("grown.mp4.parts/conformed/")) == 0);
  CHECK(fs::exists(copy));
  CHECK(seedreel::probe(tiny).width == 70);
  // What was sent is the conformed picture, inlined.
  std::string url = last_create("/v1/video/generations")["body"]["content"][1]["image_url"]["url"];
  CHECK(url.rfind("data:image/jpeg;base64,", 0) == 0);
  // A person reads what changed.
  Run text = cli({"generate", "--prompt", "it grows", "--first-frame", tiny, "-o", out_file("grown2.mp4")});
  REQUIRE_MESSAGE(text.status == 0, text.err);
  CHECK(contains(text.err, "conformed first_frame " + tiny));
  CHECK(contains(text.err, "70x50"));
  // A dry run conforms in a scratch folder and leaves nothing behind.
  Run dry = cli({"generate", "--prompt", "it grows", "--first-frame", tiny, "--dry-run", "--json"});
  REQUIRE_MESSAGE(dry.status == 0, dry.err);
  std::string scratch = json::parse(dry.out)["conformed"][0]["output"];
  CHECK_FALSE(fs::exists(scratch));
}

TEST_CASE_FIXTURE(WithEmu, "every upstream field: typed flags checked and sent, --extra merged, the last frame saved") {
  Cli cli{emu()};
  std::vector<std::string> fields{"generate", "--provider", "ark-cn", "--prompt", "a kite", "--camera-fixed", "--frames", "121",
                                  "--callback-url", "https://hooks.example.com/seedance", "--safety-identifier", "user-4f1c",
                                  "--seed", "7", "--watermark", "--tier", "flex", "--expires-after", "7200",
                                  "--extra", R"({"draft": false, "priority": {"level": 2}})"};
  auto dry_args = fields;
  dry_args.insert(dry_args.end(), {"--dry-run", "--json"});
  Run dry = cli(dry_args);
  REQUIRE_MESSAGE(dry.status == 0, dry.err);
  auto body = json::parse(dry.out)["body"];
  CHECK(body["camera_fixed"] == true);
  CHECK(body["frames"] == 121);
  CHECK(body["callback_url"] == "https://hooks.example.com/seedance");
  CHECK(body["safety_identifier"] == "user-4f1c");
  CHECK(body["seed"] == 7);
  CHECK(body["service_tier"] == "flex");
  CHECK(body["draft"] == false);
  CHECK(body["priority"]["level"] == 2);

  auto run_args = fields;
  run_args.insert(run_args.end(), {"--return-last-frame", "--json", "-o", out_file("kite.mp4")});
  Run r = cli(run_args);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto sent = last_create("/contents/generations/tasks")["body"];
  CHECK(sent["frames"] == 121);
  CHECK(sent["return_last_frame"] == true);
  CHECK(sent["priority"]["level"] == 2);
  // The provider's last frame is saved beside the video, and it is a picture.
  std::string frame = json::parse(r.out)["last_frame"];
  CHECK(frame == out_file("kite.last-frame.png"));
  auto info = seedreel::probe(frame);
  CHECK(info.kind == seedreel::MediaKind::image);
  CHECK(info.format == "png");

  // Rules: the frame count's form, one length only, an http(s) callback, a short identifier, and
  // --extra may not replace a field seedreel checks. None of these sends anything.
  auto before = emu().requests("POST", "/contents/generations/tasks").size();
  for (const auto& [args, rule] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--frames", "30"}, "request.frames"},
           {{"--frames", "121", "--duration", "5"}, "request.frames"},
           {{"--callback-url", "ftp://x/y"}, "request.callback_url"},
           {{"--safety-identifier", std::string(65, 'a')}, "request.safety_identifier"},
           {{"--extra", R"({"model": "other"})"}, "request.extra"},
           {{"--extra", "[1, 2]"}, "request.extra"},
           {{"--extra", "{broken"}, "request.extra"}}) {
    CAPTURE(rule);
    std::vector<std::string> a{"generate", "--provider", "ark-cn", "--prompt", "x", "-o", out_file("never.mp4")};
    a.insert(a.end(), args.begin(), args.end());
    Run bad = cli(a);
    CHECK(bad.status == 1);
    CHECK(contains(bad.out, rule));
  }
  // A field the dialect cannot carry is refused, not dropped.
  Run gateway = cli({"generate", "--prompt", "x", "--camera-fixed", "-o", out_file("never.mp4")});
  CHECK(gateway.status == 1);
  CHECK(contains(gateway.out, "provider.param"));
  CHECK(emu().requests("POST", "/contents/generations/tasks").size() == before);
  CHECK_FALSE(fs::exists(out_file("never.mp4")));
}

TEST_CASE_FIXTURE(WithEmu, "every workflow from local files, on every dialect") {
  Cli cli{emu()};
  const std::string upload = "put:" + emu().base + "/uploads/{sha256}.{ext}";
  const std::string video = fixture("vid_640x640_24fps_5s.mp4"), audio = fixture("aud_5s.wav"), tiny = tiny_image();
  for (const auto& prov : kProviders) {
    if (!prov.emulated || prov.name == "starrise") continue;
    CAPTURE(prov.name);
    std::string tag = prov.name;
    // generate: a too-small image (conformed), a local reference video and audio, all from disk.
    Run g = cli({"generate", "--provider", prov.name, "--prompt", "@image1 walks through @video1 to @audio1", "--ref-image",
                 tiny, "--ref-video", video, "--ref-audio", audio, "--upload", upload, "--json", "-o",
                 out_file(tag + "-local.mp4")});
    REQUIRE_MESSAGE(g.status == 0, g.err);
    CHECK(json::parse(g.out)["conformed"].size() == 1);
    // chain: a local first frame (conformed) and the clips' own last frames.
    std::ofstream(kWork + "/story.txt") << "it wakes\nit walks\n";
    Run c = cli({"chain", "--provider", prov.name, "--first-frame", tiny, "--prompt-file", kWork + "/story.txt", "--duration",
                 "4", "--upload", upload, "-o", out_file(tag + "-chain.mp4")});
    REQUIRE_MESSAGE(c.status == 0, c.err);
    CHECK(seedreel::probe(out_file(tag + "-chain.mp4")).media_duration() > 7);
    // extend: a local video's tail goes back as the reference.
    Run x = cli({"extend", video, "--provider", prov.name, "--prompt", "@video1 keeps going", "--tail", "3", "--upload",
                 upload, "-o", out_file(tag + "-extend.mp4")});
    REQUIRE_MESSAGE(x.status == 0, x.err);
    CHECK(seedreel::probe(out_file(tag + "-extend.mp4")).media_duration() > 5);
    // batch: a line with a local image and a local video.
    std::ofstream(kWork + "/jobs-" + tag + ".jsonl")
        << json{{"prompt", "@image1 and @video1"}, {"ref_images", {tiny}}, {"ref_videos", {video}},
                {"provider", prov.name}, {"output", tag + "-batch.mp4"}}.dump()
        << "\n";
    Run b = cli({"batch", kWork + "/jobs-" + tag + ".jsonl", "--upload", upload});
    REQUIRE_MESSAGE(b.status == 0, b.err);
    CHECK(fs::exists(out_file(tag + "-batch.mp4")));
  }
}
