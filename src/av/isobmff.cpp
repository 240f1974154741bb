#include "av/isobmff.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <string>

namespace seedreel::av {

namespace {

std::uint64_t big_endian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

// Walks the boxes in [at, end) of a file of `size` bytes, into the
// containers that hold sample tables; false at the first implausible count.
// `budget` bounds the reads for a file of many tiny boxes.
bool plausible_in(int fd, std::uint64_t at, std::uint64_t end, std::uint64_t size, int depth, int& budget) {
  static constexpr const char* kContainers[] = {"moov", "trak", "mdia", "minf", "stbl", "moof", "traf"};
  while (end - at >= 8 && --budget > 0) {
    unsigned char h[28];
    const ssize_t got = ::pread(fd, h, sizeof h, off_t(at));
    if (got < 8) return true;
    std::uint64_t box = big_endian(h, 4), head = 8;
    if (box == 1) {
      if (got < 16) return true;
      box = big_endian(h + 8, 8);
      head = 16;
    } else if (box == 0) {
      box = end - at;
    }
    if (box < head || box > end - at) return true;  // a bad box: libavformat's to judge
    const std::string type(reinterpret_cast<const char*>(h + 4), 4);
    const unsigned char* body = h + head;
    const std::uint64_t have = std::uint64_t(got) - head;
    std::uint64_t count = 0;  // samples claimed
    if (type == "trun" && have >= 8) count = big_endian(body + 4, 4);
    if ((type == "stsz" || type == "stz2") && have >= 12) count = big_endian(body + 8, 4);
    if (count > size) return false;
    if (depth < 8 && std::find(std::begin(kContainers), std::end(kContainers), type) != std::end(kContainers) &&
        !plausible_in(fd, at + head, at + box, size, depth + 1, budget))
      return false;
    at += box;
  }
  return true;
}

}  // namespace

TopLevelBoxes top_level_boxes(int fd) {
  TopLevelBoxes out;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return out;
  const std::uint64_t size = std::uint64_t(st.st_size);
  std::uint64_t at = 0;
  while (at < size && out.boxes.size() < 4096) {
    unsigned char h[16];
    const ssize_t got = ::pread(fd, h, sizeof h, off_t(at));
    if (got < 8) return out;
    std::uint64_t box = big_endian(h, 4);
    if (box == 1) box = got < 16 ? 0 : big_endian(h + 8, 8);  // 64-bit size after the type
    else if (box == 0) box = size - at;                        // to the end of the file
    out.boxes.push_back({std::string(reinterpret_cast<const char*>(h + 4), 4), at, box});
    if (box < 8 || box > size - at) return out;  // a bad header, or cut off
    at += box;
  }
  out.whole = at == size;
  return out;
}

bool unfragmented_isobmff(int fd) {
  const TopLevelBoxes t = top_level_boxes(fd);
  auto count = [&](const char* type) {
    return std::count_if(t.boxes.begin(), t.boxes.end(), [&](const auto& b) { return b.type == type; });
  };
  return t.whole && count("moof") == 0 && count("moov") == 1;
}

bool sample_counts_plausible(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return true;
  unsigned char h[8];
  if (::pread(fd, h, sizeof h, 0) != 8 || std::string(reinterpret_cast<const char*>(h + 4), 4) != "ftyp") return true;
  int budget = 1 << 20;
  return plausible_in(fd, 0, std::uint64_t(st.st_size), std::uint64_t(st.st_size), 0, budget);
}

}  // namespace seedreel::av
