// A program outside seedreel's tree, built against the installed package by
// tests/package/check (with find_package and with pkg-config) and shown in
// docs/library.md: probe a video, then save its exact last frame.
#include <cstdio>
#include <exception>

#include <seedreel/frames.hpp>
#include <seedreel/probe.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VIDEO OUT.png\n", argv[0]);
    return 2;
  }
  try {
    const seedreel::MediaInfo info = seedreel::probe(argv[1]);
    std::printf("%s: %s %dx%d, %.3f s\n", argv[1], info.format.c_str(), info.width, info.height,
                info.media_duration());

    const seedreel::FrameResult last = seedreel::last_frame(argv[1], argv[2]);
    std::printf("last frame at %.3f s -> %s (%dx%d)\n", last.time, last.path.c_str(), last.width, last.height);
  } catch (const seedreel::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
