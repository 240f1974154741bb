#pragma once
// Joining clips into one mp4: by stream copy when their codec parameters
// allow it, re-encoding only the track that must be, with audio kept in sync
// at every seam and one chapter per clip so the seams stay findable. Frames a
// clip repeats from the end of the clip before it (a chained clip's first
// frame, an extension's echo of its reference) can be left out.
//
//   seedreel::StitchOptions o;
//   o.drop_duplicate_seam_frames = true;  // chained clips start on the last frame of the one before
//   seedreel::StitchResult r = seedreel::stitch({"a.mp4", "b.mp4"}, "joined.mp4", o);
//   std::printf("%s by %s\n", r.path.c_str(), r.video_copied ? "stream copy" : "re-encoding");
#include <string>
#include <vector>

namespace seedreel {

enum class Reencode { auto_, always, never };
// "auto", "always", "never"; Error(invalid_argument, option "reencode") otherwise.
Reencode parse_reencode(const std::string& text);

// Whether each seam is searched for an echo: the next clip starting with a
// run of frames that repeats the end of the previous one.
enum class Overlap { off, auto_ };
// "auto", "off"; Error(invalid_argument) otherwise.
Overlap parse_overlap(const std::string& text);

struct StitchOptions {
  Reencode reencode = Reencode::auto_;
  bool drop_duplicate_seam_frames = false;
  // A repeated frame, or every frame of an echo, is at least this close to its
  // partner on the other side of the seam.
  double duplicate_psnr_db = 32.0;
  // auto: drop the echo found within overlap_window seconds on each side of
  // every seam (and the same span of that clip's audio). Off by default: the
  // search decodes both sides of every seam, and a chained clip's repeated
  // first frame would then turn a stream copy into a re-encode.
  Overlap overlap = Overlap::off;
  double overlap_window = 2.0;
  // When every track is copied and every clip allows it, the packets' bytes
  // go file to file (copy_file_range) instead of through the demuxer and
  // muxer; false always takes them through memory (the output is the same).
  bool file_to_file = true;
  // false: an existing output is refused (Error(io), output_exists_reason)
  // before any clip is read; true (the default) replaces it.
  bool overwrite = true;
};

struct SeamReport {
  int clip = 0;                  // index of the clip that starts here
  double video_start = 0;        // seconds in the output
  double audio_offset = 0;       // where its audio starts minus where its video starts, seconds
  bool dropped_duplicate = false;  // dropped_frames > 0
  int dropped_frames = 0;        // the clip's first frames left out: they repeat the previous clip's end
  double dropped_ms = 0;         // their span, from the clip's first frame to its first frame kept
  // When checked: the mean PSNR over the dropped run, or, with nothing
  // dropped, of the first frame against the previous clip's last.
  double psnr_db = 0;
};

struct StitchResult {
  std::string path;
  bool video_copied = false;     // every clip's video packets copied
  // Clips (0-based) whose video was decoded and encoded again: those that
  // differ from the first clip, each alone into the otherwise copied track,
  // or all of them when the track cannot mix the two (reasons say why).
  std::vector<int> video_reencoded_clips;
  bool video_mixed = false;      // copied, except video_reencoded_clips, each encoded alone
  bool audio_copied = false;     // every clip's audio frames copied (silence added for clips without)
  // The same for audio: the clips whose audio differs from the first audio
  // clip's, each encoded alone into the copied stream, or all that have audio.
  std::vector<int> audio_reencoded_clips;
  bool audio_mixed = false;
  bool has_audio = false;
  bool file_to_file = false;  // the copied packets' bytes went file to file (see StitchOptions)
  // Why a track was re-encoded, one line per clip and reason ("clip 3 (b.mp4): size 640x360, first clip 320x240").
  std::vector<std::string> reasons;
  std::vector<SeamReport> seams;
  double video_duration = 0;
  double audio_duration = 0;
};

// Joins `clips` (at least one) into `out`. Error(invalid_argument) for no clips or
// contradictory options, Error(input) for unreadable clips or one without
// video, Error(validation) when Reencode::never cannot be honoured.
StitchResult stitch(const std::vector<std::string>& clips, const std::string& out, const StitchOptions& options = {});

}  // namespace seedreel
