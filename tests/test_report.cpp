// The review page, made from real runs against the emulator and loaded in a
// real browser (Debian's chromium, headless): one card per clip with the
// right status, filters that work from file://, posters on screen; hostile
// prompts escaped; missing videos reported without losing the page.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "report-test-key-5e7a21";
const std::string kCreate = "/contents/generations/tasks";

struct Env : CliSession {
  Env() : CliSession(kKey, "report", {"--task-seconds", "1"}) {}
  std::string jobs(const std::vector<std::string>& prompts) const {
    std::string path = work + "/jobs.jsonl";
    std::ofstream f(path);
    for (std::size_t i = 0; i < prompts.size(); ++i)
      f << json{{"prompt", prompts[i]}, {"output", "out/" + std::to_string(i + 1) + ".mp4"}, {"resolution", "480p"},
                {"duration", 4}, {"ratio", "16:9"}, {"audio", false}, {"provider", "ark-intl"}}
               .dump()
        << "\n";
    return path;
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

// chromium as root in a container: no sandbox, no /dev/shm, no GPU; a profile of its own.
std::vector<std::string> chromium(const std::string& profile) {
  return {"timeout", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=5000"};
}

std::string dump_dom(const std::string& page, const std::string& hash, const std::string& profile) {
  auto argv = chromium(profile);
  argv.insert(argv.end(), {"--dump-dom", "file://" + page + hash});
  Run r = run(argv);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return r.out;
}

double deviation(const std::string& image) {
  Run r = run({"vips", "deviate", image});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return std::stod(r.out);
}

std::string screenshot(const std::string& page, const std::string& hash, const std::string& png,
                       const std::string& profile) {
  auto argv = chromium(profile);
  argv.insert(argv.end(), {"--window-size=1400,900", "--screenshot=" + png, "file://" + page + hash});
  Run r = run(argv);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  REQUIRE(fs::exists(png));
  return png;
}

}  // namespace

TEST_CASE("batch --report: one card per line, right statuses, filters and posters in headless Chromium") {
  Env env;
  // The second create's task fails moderation; the rest succeed.
  env.emu.fault({{"method", "POST"}, {"path_prefix", kCreate}, {"kind", "moderation"}, {"count", 1}});
  auto file = env.jobs({"a lighthouse at dawn", "the fog lifts", "gulls circle the lamp", "night falls"});
  const std::string page = env.work + "/review.html";
  Run r = env.cli({"batch", file, "--concurrency", "1", "--report", page, "--json"});
  CHECK(r.status != 0);  // one line failed
  REQUIRE_MESSAGE(fs::exists(page), r.err);
  auto counts = json::parse(r.out)["counts"];
  CHECK(counts["downloaded"] == 3);
  CHECK(counts["failed"] == 1);

  std::ifstream in(page);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.size() < 64 * 1024);  // pictures are beside it, not inside
  CHECK(html.find("http://") == std::string::npos);  // nothing fetched from a network
  CHECK(html.find("https://") == std::string::npos);
  std::size_t pictures = 0;
  for (const auto& e : fs::directory_iterator(env.work + "/review_files")) {
    ++pictures;
    CHECK(run({"vipsheader", e.path().string()}).status == 0);  // each one a whole image
  }
  CHECK(pictures == 9);  // poster, last frame and sheet of the three videos

  const std::string profile = env.work + "/chromium";
  std::string dom = dump_dom(page, "", profile);
  CHECK(count(dom, "class=\"card\"") == 4);
  CHECK(count(dom, "data-status=\"succeeded\"") == 3);
  CHECK(count(dom, "data-status=\"failed\"") == 1);
  CHECK(dom.find("OutputVideoSensitiveContentDetected") != std::string::npos);  // the failure's reason
  CHECK(dom.find("the fog lifts") != std::string::npos);
  CHECK(count(dom, "class=\"poster\"") == 3);
  CHECK(dom.find("<span id=\"shown\">4</span>") != std::string::npos);
  // The filter, applied by the page's own script from the address.
  std::string failed = dump_dom(page, "#status=failed", profile);
  CHECK(failed.find("<span id=\"shown\">1</span>") != std::string::npos);
  std::size_t hidden = 0;
  const std::string tag = "<section class=\"card\" data-status=\"succeeded\"";
  for (std::size_t at = 0; (at = failed.find(tag, at)) != std::string::npos; at += tag.size())
    hidden += failed.substr(at, failed.find('>', at) - at).find("hidden") != std::string::npos;
  CHECK(hidden == 3);

  // On screen: the posters make the page far from blank; the failed-only view
  // (one card, no pictures) is much plainer.
  double all = deviation(screenshot(page, "", env.work + "/all.png", profile));
  double plain = deviation(screenshot(page, "#status=failed", env.work + "/failed.png", profile));
  CHECK(all > 30);
  CHECK(all > plain + 10);
}

TEST_CASE("report from a journal or a folder: hostile prompts escaped, a missing video noted, the page kept") {
  Env env;
  const std::string hostile = "<script>alert(1)</script> & \"quoted\" <img src=x onerror=alert(2)>";
  auto file = env.jobs({hostile, "a calm sea"});
  Run r = env.cli({"batch", file, "--concurrency", "2", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string journal = env.work + "/journal.db", page = env.work + "/j.html";
  fs::remove(env.work + "/out/2.mp4");

  Run rep = run({program("seedreel"), "report", journal, "-o", page, "--json"});
  CHECK(rep.status == 3);  // a finished clip's video is gone: said, and the page is still written
  REQUIRE_MESSAGE(fs::exists(page), rep.err);
  auto j = json::parse(rep.out);
  CHECK(j["clips"] == 2);
  CHECK(j["unreadable"] == 1);
  CHECK(j["pictures"] == 3);
  CHECK(j["usage_tokens"].get<long long>() > 0);
  std::ifstream in(page);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;") != std::string::npos);
  CHECK(html.find("the video is not there") != std::string::npos);
  CHECK(count(html, "<script>") == 1);  // the page's own

  // Again without --force: refused, naming the flag; the page is untouched.
  Run again = run({program("seedreel"), "report", journal, "-o", page});
  CHECK(again.status == 3);
  CHECK(again.err.find("--force") != std::string::npos);

  // A folder, described by the journal's tasks.
  Run folder = run({program("seedreel"), "report", env.work + "/out", "--journal", journal, "-o",
                    env.work + "/f.html", "--json"});
  REQUIRE_MESSAGE(folder.status == 0, folder.err);
  std::ifstream fin(env.work + "/f.html");
  const std::string fhtml((std::istreambuf_iterator<char>(fin)), std::istreambuf_iterator<char>());
  CHECK(count(fhtml, "class=\"card\"") == 1);
  CHECK(fhtml.find("&lt;script&gt;") != std::string::npos);  // the prompt of out/1.mp4's task
  CHECK(fhtml.find("ark-intl") != std::string::npos);

  // Something that is neither a journal, a folder nor a video.
  CHECK(run({program("seedreel"), "report", env.work + "/nope", "-o", env.work + "/x.html"}).status == 3);
}
