#pragma once
// An output written under a temporary name in its final folder and renamed
// into place on commit(), so nobody ever sees a half-written file under the
// final name. Without commit() (an exception, Ctrl-C) the temporary is removed.
#include <filesystem>
#include <string>

namespace seedreel {

class AtomicFile {
 public:
  enum class Existing { overwrite, refuse };

  // Checks at once that the folder is writable (Error io) and, with
  // Existing::refuse, that the target does not exist yet (Error io).
  explicit AtomicFile(std::filesystem::path target, Existing existing = Existing::overwrite);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  const std::filesystem::path& target() const noexcept { return target_; }
  // Same folder and extension as the target, so libraries that pick a format
  // from the extension (libvips savers, FFmpeg muxers) still pick the right one.
  const std::string& temp_path() const noexcept { return temp_; }
  // Flushes the temporary to disk and renames it to the target. Error(io) on failure.
  void commit();

 private:
  std::filesystem::path target_;
  std::string temp_;
  Existing existing_;
  int slot_ = -1;  // interrupt-cleanup registration
  bool committed_ = false;
};

}  // namespace seedreel
