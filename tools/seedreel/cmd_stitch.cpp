// seedreel stitch A.mp4 B.mp4... -o OUT.mp4 [--drop-duplicate-seam-frames] [--overlap auto|off]
//                 [--reencode auto|always|never]
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "output.hpp"
#include "seedreel/stitch.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{63, "stitch", "Join clips into one +faststart mp4: stream copy when possible, audio in sync at every seam",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Args {
    std::vector<std::string> clips;
    std::string out, reencode = "auto", overlap = "off";
    StitchOptions o;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("clips", a->clips, "Clips in order")->required();
  sub.add_option("-o,--output", a->out, "The joined video (.mp4, .mov)")->required();
  sub.add_flag("--drop-duplicate-seam-frames", a->o.drop_duplicate_seam_frames,
               "Drop a clip's first frame when it repeats the previous clip's last (chained generations)");
  sub.add_option("--overlap", a->overlap,
                 "auto: drop the frames a clip repeats from the end of the one before (an extension's echo); "
                 "off (default)");
  sub.add_option("--overlap-window", a->o.overlap_window, "Seconds searched on each side of a seam (default 2)")
      ->check(CLI::Range(0.01, 15.0));
  sub.add_option("--seam-psnr", a->o.duplicate_psnr_db,
                 "PSNR (dB) from which a seam frame, or each frame of an echo, counts as repeated (default 32)")
      ->check(CLI::Range(10.0, 100.0));
  sub.add_option("--reencode", a->reencode, "auto: copy what can be copied (default); always; never: fail instead");
  sub.add_flag("--force", a->force, "Replace an existing output");
  return [a, &ctx] {
    a->o.reencode = parse_reencode(a->reencode);
    a->o.overlap = parse_overlap(a->overlap);
    a->o.overwrite = a->force;
    StitchResult r = with_cli_terms([&] { return stitch(a->clips, a->out, a->o); });
    if (ctx.json) {
      nlohmann::json seams = nlohmann::json::array();
      for (const auto& s : r.seams)
        seams.push_back({{"clip", s.clip + 1}, {"video_start", s.video_start}, {"audio_offset", s.audio_offset},
                         {"dropped_duplicate", s.dropped_duplicate}, {"dropped_frames", s.dropped_frames},
                         {"dropped_ms", s.dropped_ms}, {"psnr_db", s.psnr_db}});
      auto numbers = [](const std::vector<int>& clips) {
        nlohmann::json n = nlohmann::json::array();
        for (int i : clips) n.push_back(i + 1);
        return n;
      };
      nlohmann::json j{{"path", r.path},           {"video_copied", r.video_copied}, {"audio_copied", r.audio_copied},
                       {"video_reencoded_clips", numbers(r.video_reencoded_clips)},
                       {"audio_reencoded_clips", numbers(r.audio_reencoded_clips)},
                       {"has_audio", r.has_audio}, {"file_to_file", r.file_to_file}, {"video_duration", r.video_duration},
                       {"audio_duration", r.audio_duration}, {"reasons", r.reasons}, {"seams", seams}};
      print_json(j);
    } else {
      // "copied", "re-encoded", or "copied, clips 2, 5 re-encoded" when only those were.
      auto track = [](bool copied, bool mixed, const std::vector<int>& redone) -> std::string {
        if (copied) return "copied";
        if (!mixed) return "re-encoded";
        std::vector<int> numbers;
        for (int i : redone) numbers.push_back(i + 1);
        return fmt::format("copied, clip{} {} re-encoded", numbers.size() > 1 ? "s" : "", fmt::join(numbers, ", "));
      };
      fmt::print("{}: {} clips, {:.3f} s; video {}, audio {}\n", r.path, r.seams.size() + 1, r.video_duration,
                 track(r.video_copied, r.video_mixed, r.video_reencoded_clips),
                 !r.has_audio ? "none" : track(r.audio_copied, r.audio_mixed, r.audio_reencoded_clips));
      for (const auto& w : r.reasons) fmt::print("  {}\n", w);
      for (const auto& s : r.seams) {
        if (s.dropped_frames == 1)
          fmt::print("  clip {}: repeated first frame dropped ({:.0f} ms, PSNR {:.1f} dB)\n", s.clip + 1, s.dropped_ms,
                     s.psnr_db);
        else if (s.dropped_frames > 1)
          fmt::print("  clip {}: echo of the previous clip's end dropped: {} frames, {:.0f} ms (PSNR {:.1f} dB)\n",
                     s.clip + 1, s.dropped_frames, s.dropped_ms, s.psnr_db);
        else if (a->o.overlap == Overlap::auto_)
          fmt::print("  clip {}: no echo (first frame against the previous last: PSNR {:.1f} dB)\n", s.clip + 1, s.psnr_db);
      }
    }
    return 0;
  };
}};

}  // namespace
}  // namespace seedreel::cli
