#pragma once
// Joining clips into one mp4: by stream copy when their codec parameters
// allow it, re-encoding only the track that must be, with audio kept in sync
// at every seam and one chapter per clip so the seams stay findable.
#include <string>
#include <vector>

namespace seedreel {

enum class Reencode { auto_, always, never };
// "auto", "always", "never"; Error(usage) otherwise.
Reencode parse_reencode(const std::string& text);

struct StitchOptions {
  Reencode reencode = Reencode::auto_;
  bool drop_duplicate_seam_frames = false;
  double duplicate_psnr_db = 32.0;  // a clip's first frame at least this close to the previous last frame is a duplicate
  // When every track is copied and every clip allows it, the packets' bytes
  // go file to file (copy_file_range) instead of through the demuxer and
  // muxer; false always takes them through memory (the output is the same).
  bool file_to_file = true;
};

struct SeamReport {
  int clip = 0;                  // index of the clip that starts here
  double video_start = 0;        // seconds in the output
  double audio_offset = 0;       // where its audio starts minus where its video starts, seconds
  bool dropped_duplicate = false;
  double psnr_db = 0;            // first frame vs the previous clip's last frame (when checked)
};

struct StitchResult {
  std::string path;
  bool video_copied = false;
  bool audio_copied = false;
  bool has_audio = false;
  bool file_to_file = false;  // the copied packets' bytes went file to file (see StitchOptions)
  // Why a track was re-encoded, one line per clip and reason ("clip 3 (b.mp4): size 640x360, first clip 320x240").
  std::vector<std::string> reasons;
  std::vector<SeamReport> seams;
  double video_duration = 0;
  double audio_duration = 0;
};

// Joins `clips` (at least one) into `out`. Error(usage) for no clips or
// contradictory options, Error(input) for unreadable clips or one without
// video, Error(validation) when --reencode never cannot be honoured.
StitchResult stitch(const std::vector<std::string>& clips, const std::string& out, const StitchOptions& options = {});

}  // namespace seedreel
