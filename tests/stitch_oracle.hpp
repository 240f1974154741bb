#pragma once
// Oracles for stitch outputs, from the ffmpeg CLI: durations and frame
// counts, a silent decode, the decoded audio and where its tone changes, and
// every packet's size and MD5.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace seedreel::test::stitch {

using nlohmann::json;

inline double video_seconds(const std::string& file) {
  return std::stod(test::ffprobe(file, {"-select_streams", "v:0", "-show_entries", "stream=duration", "-of", "csv=p=0"}));
}
inline double audio_seconds(const std::string& file) {
  return std::stod(test::ffprobe(file, {"-select_streams", "a:0", "-show_entries", "stream=duration", "-of", "csv=p=0"}));
}
inline int frame_count(const std::string& file) {
  return std::stoi(test::ffprobe(
      file, {"-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"}));
}

// `seedreel stitch CLIPS -o OUT --json EXTRA`, which must succeed; its JSON.
inline json run_stitch(const std::vector<std::string>& clips, const std::string& out,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{test::program("seedreel"), "stitch"};
  argv.insert(argv.end(), clips.begin(), clips.end());
  argv.insert(argv.end(), {"-o", out, "--json"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = test::run(argv);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

// `ffmpeg -v error` decodes the whole file without a word.
inline void decodes_silently(const std::string& file) {
  auto r = test::run({"ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
}

// Decoded output audio, mono 48 kHz float.
inline std::vector<float> pcm(const std::string& file) {
  auto r = test::run({"ffmpeg", "-v", "error", "-i", file, "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"});
  std::vector<float> s(r.out.size() / sizeof(float));
  std::memcpy(s.data(), r.out.data(), s.size() * sizeof(float));
  return s;
}

// Power of one frequency in samples [at, at + n) (Goertzel).
inline double power(const std::vector<float>& s, std::size_t at, std::size_t n, double hz) {
  const double w = 2 * M_PI * hz / 48000.0, c = 2 * std::cos(w);
  double a = 0, b = 0;
  for (std::size_t i = at; i < at + n && i < s.size(); ++i) {
    double x = s[i] + c * a - b;
    b = a;
    a = x;
  }
  return a * a + b * b - c * a * b;
}

// Where, near `expected` seconds, the output's audio switches from tone f0 to
// tone f1: the centre of the first 20 ms window (whole cycles of both tones,
// so they do not leak into each other) where f1 dominates.
inline double tone_switch(const std::vector<float>& s, double expected, double f0, double f1) {
  const std::size_t n = 960;
  const auto from = std::size_t(std::max(0.0, (expected - 0.1) * 48000));
  for (std::size_t at = from; at + n < s.size() && at < from + 9600; at += 24)
    if (power(s, at, n, f1) > power(s, at, n, f0)) return (double(at) + n / 2.0) / 48000.0;
  return -1;
}

// "size,md5" of every packet of a stream ("v" or "a"), in file order: ffmpeg's
// framemd5 of a stream copy hashes each packet's bytes.
inline std::vector<std::string> packet_hashes(const std::string& file, const std::string& stream) {
  auto r = test::run({"ffmpeg", "-v", "error", "-i", file, "-map", "0:" + stream + ":0", "-c", "copy", "-f", "framemd5", "-"});
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // stream, dts, pts, duration, size, hash[, side data]
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x.substr(x.find_first_not_of(' ')));
    REQUIRE(f.size() >= 6);
    out.push_back(f[4] + "," + f[5]);
  }
  return out;
}

}  // namespace seedreel::test::stitch
