#include "av/isobmff.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace seedreel::av {

namespace {

std::uint64_t big_endian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
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

}  // namespace seedreel::av
