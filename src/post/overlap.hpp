#pragma once
// Where a clip starts by repeating the end of the clip before it. Extension
// models often begin a new clip by echoing the tail of their reference, and a
// clip chained from the previous clip's last frame repeats that one frame;
// joined as they are, the video shows those frames twice. Found by comparing
// small pictures of both sides of the seam, so any codec or size compares.
#include <string>

namespace seedreel::post {

struct EchoSearch {
  double window = 2.0;        // seconds looked at, at the end of the first clip and at the start of the second
  int max_frames = 0;         // at most this many frames form an echo (0: as many as the window holds)
  double min_psnr_db = 32.0;  // every frame of the run must match its partner at least this well
};

struct Echo {
  int frames = 0;       // the second clip's first `frames` displayed frames repeat the first clip's end; 0: no echo
  double seconds = 0;   // from the second clip's first frame to its first frame that is kept
  double psnr_db = 0;   // mean over the run; with no echo, the second clip's first frame against the first's last
};

// Clip b's echo of clip a's end. The echo is a run: b's frames from its
// first on match a's frames up to its last, in order and at the same pace,
// and every pair must reach min_psnr_db. Among the runs that do, the best
// mean wins; runs within 1 dB of it are treated as equally good and the
// shortest is taken, so a still picture on both sides never costs more than
// one frame. At least one frame of b is always kept, and nothing is cut
// when the decoder showed damage on either side (concealment, corrupt
// frames): a broken picture must not decide what is dropped.
// Error(input) when either clip cannot be read.
Echo find_echo(const std::string& a, const std::string& b, const EchoSearch& search);

}  // namespace seedreel::post
