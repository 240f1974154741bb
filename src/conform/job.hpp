#pragma once
// One file's conform job, shared by the image, video and audio steps.
#include <filesystem>
#include <functional>
#include <string>

#include "seedreel/conform.hpp"
#include "util/atomic_file.hpp"

namespace seedreel::conform_detail {

struct Job {
  const MediaInfo& info;
  Role role;
  std::vector<Finding> findings;  // preflight on the input in its role
  double duration = 0;            // videos/audio: what the file may last (its budget share)
  const ConformOptions& options;
  // The output path for an extension ("jpg", "mp4" ...): OUTDIR/<input stem>.<ext>,
  // made unique within the run.
  std::function<std::filesystem::path(const std::string& ext)> target;

  AtomicFile::Existing existing() const noexcept {
    return options.force ? AtomicFile::Existing::overwrite : AtomicFile::Existing::refuse;
  }
};

// The input copied byte for byte to its output (its own extension).
Conformed copy_unchanged(const Job& job);

Conformed conform_image(const Job& job);
Conformed conform_video(const Job& job);
Conformed conform_audio(const Job& job);

// Seconds an mp3 that must be extended may come out longer than asked (it is
// read in whole frames); 0 for anything else. The shared total leaves room for it.
double mp3_overshoot(const MediaInfo& m);

// "1920x1080"
std::string dims(int width, int height);
// "12.345 s"
std::string seconds(double s);
bool has_rule(const std::vector<Finding>& findings, std::string_view rule);

}  // namespace seedreel::conform_detail
