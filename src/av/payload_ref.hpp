#pragma once
// Packet payloads that stay in their files. A stream copy only moves bytes:
// the demuxer knows each packet's file position and size, and the muxer needs
// only the size to lay out its file, so the bytes can go file to file inside
// the kernel afterwards (copy_file_range) instead of through our memory twice.
//
// A packet "by reference" points into a reserved, read-only address range
// with no memory behind it (it reads as zeros), in which address
// base + start(source) + pos stands for byte `pos` of source file `source`.
// FileWriter recognises those addresses, leaves holes instead of writing, and
// fills them from the sources as the muxer moves on.
#include <cstdint>
#include <string>
#include <vector>

#include "av/ffmpeg.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::av {

class PayloadSources {
 public:
  struct File {
    int fd;            // duplicated: the caller's descriptor may be closed
    std::string path;  // for messages
  };
  explicit PayloadSources(const std::vector<File>& files);
  PayloadSources(const PayloadSources&) = delete;
  PayloadSources& operator=(const PayloadSources&) = delete;
  ~PayloadSources();

  // Replaces the payload of `packet` (its buffer is released) by a reference
  // to its `size` bytes at `packet.pos` in source `source`. Error(input) when
  // the packet has no position or lies outside the file.
  void refer(AVPacket& packet, int source) const;

  enum class Lookup { not_a_reference, reference, invalid };
  struct Origin {
    Lookup lookup = Lookup::not_a_reference;
    int source = -1;
    std::int64_t pos = 0;
  };
  // Where [data, data + size) comes from: invalid when it starts inside the
  // range but does not lie within one source (a muxer that split or moved a
  // payload). noexcept: called from FFmpeg's write callback.
  Origin origin(const std::uint8_t* data, std::int64_t size) const noexcept;

  // Error(input) naming the first source whose size, modification or change
  // time differs from when these sources were made: a clip still being written
  // (a download), or rewritten in place, while its bytes were being copied.
  // The copy follows the index read before, so it may no longer match the file.
  void check_unchanged() const;

  int fd(int source) const noexcept { return files_[std::size_t(source)].get(); }
  const std::string& path(int source) const noexcept { return paths_[std::size_t(source)]; }

 private:
  std::vector<UniqueFd> files_;
  std::vector<std::string> paths_;
  std::vector<std::int64_t> starts_;  // each source's offset in the range; one more: the total
  struct Stamp {
    std::int64_t size, mtime_ns, ctime_ns;
    bool operator==(const Stamp&) const = default;
  };
  std::vector<Stamp> stamps_;
  std::uint8_t* base_ = nullptr;
  std::size_t length_ = 0;
  BufferPtr buffer_;  // one reference-counted buffer over the whole range
};

}  // namespace seedreel::av
