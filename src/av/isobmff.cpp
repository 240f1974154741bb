#include "av/isobmff.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace seedreel::av {

namespace {

std::uint64_t big_endian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

bool unfragmented_isobmff(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  const std::uint64_t size = std::uint64_t(st.st_size);
  std::uint64_t at = 0;
  int moov = 0;
  while (at < size) {
    unsigned char h[16];
    const ssize_t got = ::pread(fd, h, 16, off_t(at));
    if (got < 8) return false;
    std::uint64_t box = big_endian(h, 4);
    if (box == 1) {  // 64-bit size after the type
      if (got < 16) return false;
      box = big_endian(h + 8, 8);
      if (box < 16) return false;
    } else if (box == 0) {  // to the end of the file
      box = size - at;
    } else if (box < 8) {
      return false;
    }
    if (std::memcmp(h + 4, "moof", 4) == 0) return false;
    if (std::memcmp(h + 4, "moov", 4) == 0) ++moov;
    if (box > size - at) return false;  // runs past the end: truncated
    at += box;
  }
  return moov == 1;
}

}  // namespace seedreel::av
