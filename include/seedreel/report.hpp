#pragma once
// A review page: one self-contained HTML file that shows every clip of a run
// at a glance -- poster, last frame, a contact sheet with the seams marked,
// prompt, provider, model, task, status, duration, resolution, tokens, and a
// failure's message -- with filters by status and a total cost line. It
// works from file:// with no network: its pictures are small JPEGs in a
// folder beside it (<name>_files/), so the page stays small for 1000 clips.
//
//   seedreel::Journal journal(path);
//   auto clips = seedreel::clips_from_journal(journal.all());
//   seedreel::write_report(clips, "review.html");
#include <cstdint>
#include <string>
#include <vector>

#include "seedreel/journal.hpp"

namespace seedreel {

struct ReportClip {
  std::string video;     // the output video ("" or missing: no pictures)
  std::string status;    // succeeded, failed, cancelled, expired, pending, skipped, ...
  std::string prompt;
  std::string provider;
  std::string model;
  std::string task_id;
  std::string message;   // why it failed, with the provider's advice
  std::int64_t tokens = -1;    // used, from the provider's usage; -1 unknown
  std::int64_t estimate = -1;  // estimated before the create; -1 unknown
};

// One clip per journal entry, newest entry per output only (a retried output
// shows its last attempt). Status: succeeded (downloaded, done), failed,
// cancelled, expired, or pending (anything unfinished).
std::vector<ReportClip> clips_from_journal(const std::vector<JournalEntry>& entries);
// The text prompt of a journaled request body, in any dialect ("" when none).
std::string prompt_of_request(const std::string& body);

struct ReportOptions {
  std::string title = "seedreel review";
  int thumb_width = 320;  // poster and last-frame width in pixels
  int jobs = 0;           // videos read at once (0 = one per core)
  bool overwrite = true;  // false: Error(io) when the page exists
};

struct ReportResult {
  std::string path;
  std::size_t clips = 0;
  std::size_t pictures = 0;     // images written beside the page
  std::size_t unreadable = 0;   // clips whose video is missing or could not be read
  std::int64_t tokens = 0;      // sum of known usage
  std::int64_t estimated = 0;   // sum of estimates where usage is unknown
};

// Writes the page (atomically) and its pictures. A video that is missing or
// unreadable gets a card without pictures and a note; it never stops the page.
ReportResult write_report(const std::vector<ReportClip>& clips, const std::string& out,
                          const ReportOptions& options = {});

}  // namespace seedreel
