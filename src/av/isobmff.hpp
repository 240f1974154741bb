#pragma once
// A look at an ISO-BMFF (mp4/mov) file's top-level boxes, without libavformat.
#include <cstdint>
#include <string>
#include <vector>

namespace seedreel::av {

struct TopLevelBoxes {
  struct Box {
    std::string type;
    std::uint64_t at = 0, size = 0;
  };
  std::vector<Box> boxes;  // in file order, up to the first bad or cut-off header
  bool whole = false;      // the boxes run from the first byte to the end of the file
};

// Reads only the box headers of the file open on `fd` (at most 4096 boxes).
// A box whose header is bad or that runs past the end is listed last.
TopLevelBoxes top_level_boxes(int fd);

// True when the file open on `fd` is a chain of top-level boxes from its
// first byte to its end with one `moov` and no `moof`: all its samples are
// indexed in the moov, none in movie fragments.
bool unfragmented_isobmff(int fd);

// False when a sample table of the ISO-BMFF file open on `fd` (a moov's
// stsz/stz2, a fragment's trun) claims more samples than the file has bytes,
// which no whole file does (a sample takes at least one byte). libavformat
// 5.1 believes the count: a 1.6 kB file whose trun claims 83 million samples
// made it build a 2.7 GB index for 23 s. True for anything else, including
// files that are not ISO-BMFF.
bool sample_counts_plausible(int fd);

}  // namespace seedreel::av
