#pragma once
// The ffmpeg CLI as the oracle for decoded frames: framemd5 of a full decode
// (every frame, no rate conversion, no autorotation) against the MD5 of the
// frame our code picked, computed the same way framemd5 does (packed planes).
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
}

#include <vips/vips8>

#include "image/vips.hpp"
#include "support.hpp"

namespace seedreel::test {

struct OracleFrame {
  std::int64_t pts = 0;  // in framemd5's time base
  std::string md5;
};

// Every frame of a full decode of the first video stream, in output order.
inline std::vector<OracleFrame> oracle_frames(const std::string& file) {
  auto r = run({"ffmpeg", "-v", "error", "-noautorotate", "-i", file, "-map", "0:v:0", "-fps_mode", "passthrough",
                "-f", "framemd5", "-"});
  std::vector<OracleFrame> frames;
  std::size_t at = 0;
  while (at < r.out.size()) {
    auto nl = r.out.find('\n', at);
    std::string line = r.out.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? r.out.size() : nl + 1;
    if (line.empty() || line[0] == '#') continue;
    // stream, dts, pts, duration, size, md5
    std::vector<std::string> cols;
    std::size_t from = 0;
    for (;;) {
      auto comma = line.find(',', from);
      std::string c = line.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
      c.erase(0, c.find_first_not_of(' '));
      cols.push_back(c);
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    if (cols.size() == 6) frames.push_back({std::stoll(cols[2]), cols[5]});
  }
  return frames;
}

// Display times (seconds from the video stream's start) of every frame of a
// full decode, in output order, as ffprobe computes them. A frame without a
// timestamp (packed B-frames, a program stream's last frames) is shown when
// the one before it ends, as the ffmpeg CLI does.
inline std::vector<double> oracle_times(const std::string& file) {
  auto start_text =
      ffprobe(file, {"-select_streams", "v:0", "-show_entries", "stream=start_time", "-of", "csv=p=0"});
  double start = start_text.empty() || start_text == "N/A" ? 0.0 : std::stod(start_text);
  auto text = ffprobe(file, {"-select_streams", "v:0", "-show_entries",
                                   "frame=best_effort_timestamp_time,pkt_duration_time", "-of", "csv=p=0"});
  std::vector<double> times;
  std::istringstream in(text);
  std::string line;
  double next = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto comma = line.find(',');
    std::string t = line.substr(0, comma), d = comma == std::string::npos ? "N/A" : line.substr(comma + 1);
    double at = t == "N/A" ? next : std::stod(t) - start;
    times.push_back(at);
    next = at + (d == "N/A" || d.empty() ? 0.04 : std::stod(d));
  }
  return times;
}

// The index of the frame displayed at `t`: the last one whose time is not after it.
inline std::size_t displayed_at(const std::vector<double>& times, double t) {
  std::size_t want = 0;
  for (std::size_t i = 0; i < times.size(); ++i)
    if (times[i] <= t + 1e-9) want = i;
  return want;
}

inline std::string frame_md5(const AVFrame& f) {
  int size = av_image_get_buffer_size(AVPixelFormat(f.format), f.width, f.height, 1);
  std::vector<std::uint8_t> buf(std::size_t(size > 0 ? size : 0));
  av_image_copy_to_buffer(buf.data(), size, f.data, f.linesize, AVPixelFormat(f.format), f.width, f.height, 1);
  std::uint8_t digest[16];
  av_md5_sum(digest, buf.data(), size);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (auto b : digest) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

// Mean absolute difference per band value of two same-sized images (the
// first three bands), in 8-bit steps whatever their depth.
inline double mean_abs_diff(const std::string& a, const std::string& b) {
  image::init_vips();
  auto load = [](const std::string& file) {
    auto x = vips::VImage::new_from_file(file.c_str()).extract_band(0, vips::VImage::option()->set("n", 3));
    return x.cast(VIPS_FORMAT_FLOAT) / (x.format() == VIPS_FORMAT_USHORT ? 257.0 : 1.0);
  };
  auto x = load(a), y = load(b);
  if (x.width() != y.width() || x.height() != y.height()) return 1e9;
  return (x - y).abs().avg();
}

// ffmpeg's own last frame of a full decode, autorotated, as PNG, converted
// with an accurate scaler and (when given) a forced YUV matrix instead of
// the stream's tags; 16-bit samples with depth 16.
inline std::string ffmpeg_last_png(const std::string& video, const std::string& dir, const std::string& matrix = "",
                                   int depth = 8) {
  std::string out = dir + "/ffmpeg-last" + matrix + std::to_string(depth) + ".png";
  std::string flags = "flags=bicubic+accurate_rnd+full_chroma_int";
  std::string vf = matrix.empty() ? "scale=" + flags : "scale=in_color_matrix=" + matrix + ":" + flags;
  vf += depth == 16 ? ",format=rgb48be" : ",format=rgb24";
  auto r = run({"ffmpeg", "-v", "error", "-y", "-i", video, "-map", "0:v:0", "-fps_mode", "passthrough", "-update",
                "1", "-sws_flags", flags.substr(6), "-vf", vf, out});
  return r.status == 0 ? out : "";
}

// One header field of an image, from the vips CLI.
inline std::string vipsheader(const std::string& field, const std::string& file) {
  auto r = run({"vipsheader", "-f", field, file});
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

}  // namespace seedreel::test
