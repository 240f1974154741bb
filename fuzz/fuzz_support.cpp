#include "fuzz_support.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace seedreel::fuzz {

namespace {

struct Scratch {
  std::string path;
  Scratch() {
    // tmpfs when there is one: the journal and batch targets write a file per input.
    std::string base = "/dev/shm";
    if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
    if (::access(base.c_str(), W_OK) != 0) base = "/tmp";
    std::string templ = base + "/seedreel-fuzz-XXXXXX";
    if (!::mkdtemp(templ.data())) throw std::runtime_error("cannot make a scratch folder in " + base);
    path = templ;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

const std::string& scratch_dir() {
  static Scratch s;
  return s.path;
}

std::string write_scratch(const std::string& name, const std::uint8_t* data, std::size_t size) {
  std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  if (!out) fail("cannot write a scratch file");
  return path;
}

MemFile::MemFile(const std::uint8_t* data, std::size_t size) {
  fd_ = ::memfd_create("seedreel-fuzz", MFD_CLOEXEC);
  if (fd_ < 0) fail("memfd_create failed");
  for (std::size_t at = 0; at < size;) {
    ssize_t n = ::write(fd_, data + at, size - at);
    if (n <= 0) fail("cannot fill the memory file");
    at += std::size_t(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemFile::~MemFile() { ::close(fd_); }

void fail(const char* what) {
  std::fprintf(stderr, "seedreel fuzz: %s\n", what);
  std::abort();
}

}  // namespace seedreel::fuzz
