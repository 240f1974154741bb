#pragma once
// The review page as the commands offer it: `report`, and --report on batch,
// chain and extend.
#include <string>
#include <vector>

#include "command.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/report.hpp"

namespace seedreel::cli {

// Clips for video files: each described by its newest journal entry when
// one wrote it, else shown with status "video".
std::vector<ReportClip> clips_for_videos(const std::vector<std::string>& videos,
                                         const std::vector<JournalEntry>& entries);
// Prints what write_report made; the exit status (3 when a finished clip's video could not be read).
int print_report(const Context& ctx, const ReportResult& result);

}  // namespace seedreel::cli
