#pragma once
// Copying a byte range from one file into another at given offsets, inside
// the kernel where it can (copy_file_range: the bytes never enter our
// memory, and a filesystem that shares blocks may not copy them at all).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace seedreel {

// pwrite of all `length` bytes at `at`, retried on short writes and EINTR;
// 0, or the errno of the failure.
int pwrite_all(int fd, const void* data, std::size_t length, std::int64_t at) noexcept;

class RangeCopier {
 public:
  // Copies `length` bytes at `from` in `in` to `to` in `out` (neither file
  // offset moves). Falls back to pread/pwrite for good once the kernel
  // refuses (files on different filesystems, a kernel or filesystem without
  // support). Error(io) naming the file at fault (`in_name`, `out_name`)
  // when it fails, or when `in` ends early.
  void copy(int in, std::int64_t from, int out, std::int64_t to, std::int64_t length, const std::string& in_name,
            const std::string& out_name);
  // Whether every copy so far stayed in the kernel.
  bool in_kernel() const noexcept { return kernel_; }

 private:
  void copy_through_memory(int in, std::int64_t from, int out, std::int64_t to, std::int64_t length,
                           const std::string& in_name, const std::string& out_name);
  bool kernel_ = true;
  std::vector<char> buffer_;
};

}  // namespace seedreel
