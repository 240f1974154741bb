// seedreel report JOURNAL|FOLDER|VIDEO... -o report.html : a review page of a run.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "report_page.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/report.hpp"

namespace seedreel::cli {

namespace fs = std::filesystem;

int print_report(const Context& ctx, const ReportResult& r) {
  if (ctx.json) {
    print_json({{"path", r.path}, {"clips", r.clips}, {"pictures", r.pictures}, {"unreadable", r.unreadable},
                {"usage_tokens", r.tokens}, {"estimated_tokens", r.estimated}});
  } else {
    fmt::print("{}: {} clip(s), {} picture(s), {} tokens used{}\n", r.path, r.clips, r.pictures, r.tokens,
               r.unreadable ? fmt::format("; {} video(s) could not be read", r.unreadable) : "");
  }
  return r.unreadable ? exit_code::bad_input : exit_code::ok;
}

namespace {

bool is_sqlite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[16] = {};
  return in.read(head, 16) && std::string(head, 16) == std::string("SQLite format 3\0", 16);
}

bool is_video_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".mp4" || ext == ".mov" || ext == ".m4v" || ext == ".mkv" || ext == ".webm";
}

const Registration reg{66, "report", "Write a review page of a run: every clip's poster, last frame, sheet and status",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Args {
    std::vector<std::string> sources;
    std::string out, title = "seedreel review", journal;
    int jobs = 0;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("sources", a->sources,
                 "A journal (every task in it), a folder (its videos) or video files; folders and videos are "
                 "matched to --journal's tasks by path")
      ->required();
  sub.add_option("-o,--output", a->out, "The page to write (.html); its pictures go to NAME_files/ beside it")->required();
  sub.add_option("--title", a->title, "The page's title");
  sub.add_option("--journal", a->journal, "Journal whose tasks describe the videos of a folder (default: none)");
  sub.add_option("--jobs", a->jobs, "Videos read at once (default: one per core)")->check(CLI::Range(1, 256));
  sub.add_flag("--force", a->force, "Replace an existing page");
  return [a, &ctx] {
    std::vector<ReportClip> clips;
    std::vector<std::string> videos;
    for (const auto& s : a->sources) {
      std::error_code ec;
      if (fs::is_directory(s, ec)) {
        std::vector<std::string> found;
        for (const auto& e : fs::directory_iterator(s, ec))
          if (e.is_regular_file() && is_video_name(e.path())) found.push_back(e.path().string());
        std::sort(found.begin(), found.end());
        videos.insert(videos.end(), found.begin(), found.end());
      } else if (fs::is_regular_file(s, ec) && is_sqlite(s)) {
        Journal journal(s);
        auto more = clips_from_journal(journal.all());
        clips.insert(clips.end(), more.begin(), more.end());
      } else if (fs::is_regular_file(s, ec)) {
        videos.push_back(s);
      } else {
        throw Error(ErrorKind::input, s, "is neither a journal, a folder nor a video file");
      }
    }
    if (!videos.empty()) {
      std::vector<JournalEntry> entries;
      if (!a->journal.empty()) {
        if (!fs::is_regular_file(a->journal)) throw Error(ErrorKind::input, a->journal, "no such journal");
        entries = Journal(a->journal).all();
      }
      auto more = clips_for_videos(videos, entries);
      clips.insert(clips.end(), more.begin(), more.end());
    }
    ReportOptions o;
    o.title = a->title;
    o.jobs = a->jobs;
    o.overwrite = a->force;
    return print_report(ctx, with_cli_terms([&] { return write_report(clips, a->out, o); }));
  };
}};

}  // namespace

std::vector<ReportClip> clips_for_videos(const std::vector<std::string>& videos, const std::vector<JournalEntry>& entries) {
  auto known = clips_from_journal(entries);
  std::map<std::string, const ReportClip*> by_path;
  for (const auto& c : known) by_path[fs::absolute(c.video).lexically_normal().string()] = &c;
  std::vector<ReportClip> clips;
  for (const auto& v : videos) {
    auto it = by_path.find(fs::absolute(v).lexically_normal().string());
    if (it != by_path.end()) {
      clips.push_back(*it->second);
      clips.back().video = v;
    } else {
      ReportClip c;
      c.video = v;
      c.status = "video";  // not from a task this journal knows
      clips.push_back(c);
    }
  }
  return clips;
}

}  // namespace seedreel::cli
