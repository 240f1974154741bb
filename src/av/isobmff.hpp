#pragma once
// A look at an ISO-BMFF (mp4/mov) file's top-level boxes, without libavformat.

namespace seedreel::av {

// True when the file open on `fd` is a chain of top-level boxes from its
// first byte to its end with one `moov` and no `moof`: all its samples are
// indexed in the moov, none in movie fragments. Reads only box headers.
bool unfragmented_isobmff(int fd);

}  // namespace seedreel::av
