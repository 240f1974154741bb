#pragma once
// Whether clips can share a stream-copied track: what each clip's video and
// audio differ in from the first clip's, said in words for the report.
#include <string>
#include <vector>

#include "post/stitch_tracks.hpp"

namespace seedreel::post {

// "clip 3 (b.mp4)"
std::string name_of(const Clip& c, std::size_t i);
// Whether two streams' decoder configurations (extradata) are byte-identical.
bool same_bytes(const AVCodecParameters* a, const AVCodecParameters* b);

// Per clip, why its video packets cannot be copied into a track configured
// by clip 0's (empty for a clip that can be copied; clip 0's own only when
// its edit list hides frames). Each reason starts with the clip's name.
std::vector<std::vector<std::string>> video_differences(const std::vector<Clip>& clips);

// Per clip, why its audio cannot be copied into a stream configured by the
// first audio clip's (that clip's own only when its codec is not AAC); all
// empty when every clip's can (or when no clip has audio).
std::vector<std::vector<std::string>> audio_differences(const std::vector<Clip>& clips);

}  // namespace seedreel::post
