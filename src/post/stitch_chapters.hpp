#pragma once
// The chapters of a stitch: they are how its seams are found again (the
// contact sheet marks chapter starts), so a clip that is itself a stitched
// video brings its own chapters along and every seam stays marked however
// often results are joined again (extend joins its newest clip onto the
// previous join).
#include <vector>

#include "post/stitch_tracks.hpp"

namespace seedreel::post {

// Adds each clip's chapters at its place in the output: its own chapters
// when it has any (moved by the frames left out of its start, the first one
// starting at the seam), else one titled with its file name. durations:
// each clip's span in the output; dropped: seconds left out of each clip's start.
// Returns how many chapters were added.
int add_chapters(AVFormatContext* out, const std::vector<Clip>& clips, const std::vector<double>& durations,
                 const std::vector<double>& dropped);

}  // namespace seedreel::post
