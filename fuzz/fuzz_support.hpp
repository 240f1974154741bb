#pragma once
// Shared by the fuzz targets: fuzz bytes turned into files, since most of the
// library takes paths. Each process gets its own scratch folder (libFuzzer
// runs one input at a time, so fixed names inside it are safe).
#include <cstddef>
#include <cstdint>
#include <string>

namespace seedreel::fuzz {

// A private folder, made on first use and removed when the process exits.
const std::string& scratch_dir();

// Writes `size` bytes to `name` in the scratch folder (replacing it) and returns its path.
std::string write_scratch(const std::string& name, const std::uint8_t* data, std::size_t size);

// The bytes in an anonymous memory file, named /proc/self/fd/N: no disk, and
// a new file (so a new name for libvips) for every input.
class MemFile {
 public:
  MemFile(const std::uint8_t* data, std::size_t size);
  ~MemFile();
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  int fd() const noexcept { return fd_; }
  const std::string& path() const noexcept { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Stops the process the way libFuzzer reports a crash, with a reason on stderr.
[[noreturn]] void fail(const char* what);

}  // namespace seedreel::fuzz
