// The review page. Pictures are made with the folder-scale frame functions
// (keyframe poster, exact last frame, a one-row contact sheet), all at
// thumbnail size: measured on 480p clips, about 70 kB of pictures and under
// 1 kB of HTML per clip. Every text from a journal or a server is escaped.
#include "seedreel/report.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"
#include "seedreel/frames.hpp"
#include "seedreel/lifecycle.hpp"
#include "seedreel/probe.hpp"
#include "util/atomic_file.hpp"
#include "util/json_guard.hpp"
#include "util/parallel.hpp"

namespace seedreel {

namespace fs = std::filesystem;

namespace {

std::string status_of(TaskState s) {
  switch (s) {
    case TaskState::downloaded:
    case TaskState::done: return "succeeded";
    case TaskState::failed: return "failed";
    case TaskState::cancelled: return "cancelled";
    case TaskState::expired: return "expired";
    default: return "pending";
  }
}

std::string html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// A path relative to the page, each segment percent-encoded for a URL.
std::string href(const fs::path& rel) {
  std::string out;
  for (const auto& part : rel) {
    if (!out.empty()) out += '/';
    for (unsigned char c : part.string()) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += char(c);
      else out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

struct Pictures {
  std::string poster, last, sheet;  // hrefs, "" when not made
  int width = 0, height = 0;
  double duration = 0;
  int seams = 0;
  std::string problem;  // why there are none
};

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#15171a;color:#e8e8e8}
header{padding:16px 24px;background:#1f2226;position:sticky;top:0;z-index:1}
h1{font-size:18px;margin:0 0 6px}
.total{color:#b9c0c8}
nav a{display:inline-block;margin:8px 8px 0 0;padding:3px 10px;border-radius:12px;background:#2c3036;color:#e8e8e8;text-decoration:none}
nav a.on{background:#4a7bd0}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(680px,1fr));gap:16px;padding:16px 24px}
.card{background:#1f2226;border-radius:8px;padding:12px;border-left:4px solid #555}
.card[data-status=succeeded]{border-color:#3aa55d}.card[data-status=failed]{border-color:#d04a4a}
.card[data-status=expired],.card[data-status=cancelled]{border-color:#c9a03a}
.card[hidden]{display:none}
.frames{display:flex;gap:8px}.frames figure{margin:0}.frames img{width:320px;height:auto;background:#000}
figcaption{font-size:12px;color:#9aa3ad}
.sheet img{width:100%;margin-top:8px}
dl{display:grid;grid-template-columns:110px 1fr;gap:2px 8px;margin:8px 0 0}dt{color:#9aa3ad}dd{margin:0;overflow-wrap:anywhere}
.prompt{white-space:pre-wrap}.message{color:#ff9c9c;white-space:pre-wrap}
)";

// Filters live in the URL's hash (#status=failed), so they work from file://
// and a link or a headless browser can open the page filtered.
constexpr const char* kScript = R"(
function applyFilter(){
  var m=/status=([a-z_]+)/.exec(location.hash), want=m?m[1]:'all', shown=0;
  document.querySelectorAll('.card').forEach(function(c){
    var on=want==='all'||c.dataset.status===want; c.hidden=!on; if(on)shown++;});
  document.querySelectorAll('nav a').forEach(function(a){
    a.className=a.dataset.filter===want?'on':'';});
  document.getElementById('shown').textContent=shown;
}
window.addEventListener('hashchange',applyFilter);
applyFilter();
)";

std::string human_duration(double s) { return s > 0 ? fmt::format("{:.2f} s", s) : "-"; }

}  // namespace

std::string prompt_of_request(const std::string& body) {
  if (body.empty() || !json_within(body, 64, 16u << 20)) return "";
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  if (auto p = j.find("prompt"); p != j.end() && p->is_string()) return p->get<std::string>();
  std::string text;
  if (auto c = j.find("content"); c != j.end() && c->is_array())
    for (const auto& item : *c)
      if (item.is_object() && item.value("type", "") == "text" && item.contains("text") && item["text"].is_string())
        text += (text.empty() ? "" : "\n") + item["text"].get<std::string>();
  return text;
}

std::vector<ReportClip> clips_from_journal(const std::vector<JournalEntry>& entries) {
  std::map<std::string, std::size_t> newest;  // output -> index of its newest entry
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (!entries[i].output.empty()) newest[entries[i].output] = i;
  std::vector<ReportClip> clips;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (!e.output.empty() && newest[e.output] != i) continue;
    ReportClip c;
    c.video = e.output;
    c.status = status_of(e.state);
    c.prompt = prompt_of_request(e.request);
    c.provider = e.provider;
    c.model = e.model;
    c.task_id = e.task_id;
    if (c.status != "succeeded") c.message = e.message;
    c.tokens = e.usage.empty() ? -1 : usage_tokens(e.usage).value_or(-1);
    c.estimate = e.estimate;
    clips.push_back(std::move(c));
  }
  return clips;
}

ReportResult write_report(const std::vector<ReportClip>& clips, const std::string& out, const ReportOptions& o) {
  if (o.thumb_width < 16 || o.thumb_width > 1920)
    throw Error(ErrorKind::invalid_argument, "", "the picture width must be 16-1920 pixels");
  const fs::path page = fs::absolute(out);
  AtomicFile file(page, o.overwrite ? AtomicFile::Existing::overwrite : AtomicFile::Existing::refuse);
  const fs::path dir = page.parent_path() / (page.stem().string() + "_files");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, dir.string(), "cannot make the pictures folder: " + ec.message());

  // Pictures, a clip per worker; names by position, so a rerun replaces its own.
  std::vector<Pictures> pics(clips.size());
  parallel_for(clips.size(), o.jobs, [&](std::size_t i) {
    Pictures& p = pics[i];
    const std::string& video = clips[i].video;
    std::error_code e;
    if (video.empty() || !fs::is_regular_file(video, e)) {
      p.problem = video.empty() ? "no video" : "the video is not there";
      return;
    }
    const std::string stem = fmt::format("clip{:04}", i + 1);
    try {
      MediaInfo m = probe(video);
      p.width = m.width, p.height = m.height, p.duration = m.media_duration();
      ThumbOptions poster;
      poster.at = TimePoint{0.5, true};
      poster.width = o.thumb_width;
      FrameResult r = thumbnail(video, (dir / (stem + "-poster.jpg")).string(), poster);
      p.poster = href(fs::path(dir.filename()) / fs::path(r.path).filename());
      // The exact last frame, at thumbnail size: the frame a chain continues from.
      ThumbOptions last = poster;
      last.at = TimePoint{1e15, false};
      last.exact = true;
      r = thumbnail(video, (dir / (stem + "-last.jpg")).string(), last);
      p.last = href(fs::path(dir.filename()) / fs::path(r.path).filename());
      SheetOptions sheet;
      sheet.cols = 6, sheet.rows = 1, sheet.tile_width = 160;
      SheetResult s = contact_sheet(video, (dir / (stem + "-sheet.jpg")).string(), sheet);
      p.sheet = href(fs::path(dir.filename()) / fs::path(s.path).filename());
      p.seams = int(s.seams.size());
    } catch (const Error& err) {
      p.problem = err.reason();
    } catch (const std::exception& err) {
      p.problem = err.what();
    }
  });
  throw_if_interrupted();

  ReportResult result;
  result.path = page.string();
  result.clips = clips.size();
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    ++counts[clips[i].status];
    if (clips[i].tokens >= 0) result.tokens += clips[i].tokens;
    else if (clips[i].estimate >= 0) result.estimated += clips[i].estimate;
    result.pictures += !pics[i].poster.empty() + !pics[i].last.empty() + !pics[i].sheet.empty();
    if (!pics[i].problem.empty() && clips[i].status == "succeeded") ++result.unreadable;
  }

  std::string body;
  body += fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n"
                      "<meta name=\"viewport\" content=\"width=device-width\">\n<style>{}</style></head><body>\n",
                      html(o.title), kStyle);
  std::string tally;
  for (const auto& [name, n] : counts) tally += fmt::format("{}{} {}", tally.empty() ? "" : " · ", n, html(name));
  body += fmt::format("<header><h1>{}</h1>\n<div class=\"total\" id=\"total\">{} clips ({}) · "
                      "<span id=\"tokens\">{}</span> tokens used{} · showing <span id=\"shown\">{}</span></div>\n<nav>",
                      html(o.title), clips.size(), tally.empty() ? "none" : tally, result.tokens,
                      result.estimated ? fmt::format(" + {} estimated for clips without usage", result.estimated) : "",
                      clips.size());
  body += "<a href=\"#status=all\" data-filter=\"all\">all</a>";
  for (const auto& [name, n] : counts)
    body += fmt::format("<a href=\"#status={0}\" data-filter=\"{0}\">{0} ({1})</a>", html(name), n);
  body += "</nav></header>\n<main>\n";
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const ReportClip& c = clips[i];
    const Pictures& p = pics[i];
    body += fmt::format("<section class=\"card\" data-status=\"{}\" id=\"clip{}\">\n", html(c.status), i + 1);
    if (!p.poster.empty())
      body += fmt::format("<div class=\"frames\"><figure><img class=\"poster\" src=\"{}\" alt=\"poster\" loading=\"lazy\">"
                          "<figcaption>poster (50 %)</figcaption></figure><figure><img class=\"last\" src=\"{}\" "
                          "alt=\"last frame\" loading=\"lazy\"><figcaption>last frame</figcaption></figure></div>\n",
                          p.poster, p.last);
    if (!p.sheet.empty())
      body += fmt::format("<div class=\"sheet\"><img src=\"{}\" alt=\"contact sheet\" loading=\"lazy\"></div>\n", p.sheet);
    body += "<dl>";
    auto row = [&](const char* name, const std::string& value, const char* cls = "") {
      if (!value.empty())
        body += fmt::format("<dt>{}</dt><dd class=\"{}\">{}</dd>", name, cls, html(value));
    };
    row("status", c.status, "status");
    row("file", c.video.empty() ? "" : fs::path(c.video).filename().string());
    row("prompt", c.prompt, "prompt");
    row("provider", c.provider);
    row("model", c.model);
    row("task", c.task_id, "task");
    if (p.width) row("video", fmt::format("{}x{}, {}", p.width, p.height, human_duration(p.duration)));
    if (p.seams) row("seams", std::to_string(p.seams));
    row("tokens", c.tokens >= 0 ? std::to_string(c.tokens)
                  : c.estimate >= 0 ? fmt::format("~{} (estimate)", c.estimate) : "");
    row("message", c.message, "message");
    if (!p.problem.empty() && c.status == "succeeded") row("pictures", p.problem, "message");
    body += "</dl></section>\n";
  }
  body += fmt::format("</main>\n<script>{}</script>\n</body></html>\n", kScript);

  {
    std::ofstream f(file.temp_path(), std::ios::binary);
    f << body;
    if (!f.flush()) throw Error(ErrorKind::io, out, "cannot write the page");
  }
  file.commit();
  return result;
}

}  // namespace seedreel
