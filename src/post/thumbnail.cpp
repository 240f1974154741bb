// thumbnail: the frame displayed at a time, or the most representative frame
// of a window (colour histogram closest to the window's average, the idea of
// ffmpeg's `thumbnail` filter and ffmpegthumbnailer), skipping black and flat
// frames that make useless thumbnails.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "av/decode.hpp"
#include "av/picture.hpp"
#include "image/vips.hpp"
#include "post/grab.hpp"
#include "seedreel/frames.hpp"
#include "util/interrupt.hpp"

namespace seedreel {

namespace {

constexpr int kHistWidth = 160, kHistHeight = 90;
// Luma spread below this (0-255 scale) means black, a fade or a flat colour.
constexpr double kFlatStddev = 12.0;

struct Sample {
  std::int64_t pts = 0;
  std::array<float, 3 * 256> hist{};
  bool flat = false;
};

Sample measure(const AVFrame& rgb, std::int64_t pts) {
  Sample s;
  s.pts = pts;
  std::array<std::uint32_t, 3 * 256> counts{};
  double sum = 0, sum2 = 0;
  for (int y = 0; y < rgb.height; ++y) {
    const std::uint8_t* p = rgb.data[0] + std::ptrdiff_t(y) * rgb.linesize[0];
    for (int x = 0; x < rgb.width; ++x, p += 3) {
      ++counts[p[0]];
      ++counts[256 + p[1]];
      ++counts[512 + p[2]];
      double luma = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
      sum += luma;
      sum2 += luma * luma;
    }
  }
  const double n = double(rgb.width) * rgb.height;
  for (std::size_t i = 0; i < counts.size(); ++i) s.hist[i] = float(counts[i] / n);
  const double mean = sum / n;
  s.flat = std::sqrt(std::max(0.0, sum2 / n - mean * mean)) < kFlatStddev;
  return s;
}

// Histograms of the window's frames: `window` consecutive frames from `from`
// seconds, or (from < 0) up to `window` frames spread over the whole video.
std::vector<Sample> sample_window(const std::string& path, double from, int window) {
  av::Input in(path);
  int v = post::video_stream(in);
  const AVStream* st = in->streams[v];
  for (unsigned i = 0; i < in->nb_streams; ++i)
    if (int(i) != v) in->streams[i]->discard = AVDISCARD_ALL;
  av::Decoder dec(in, v);
  std::int64_t every = 1;
  if (from < 0) {
    const std::int64_t end = post::stream_end(in, st);
    if (end != AV_NOPTS_VALUE)
      every = std::max<std::int64_t>(1, (end - post::stream_start(st)) / post::frame_ticks(in, st) / window);
  } else if (from > 0) {
    std::int64_t ts = post::stream_start(st) + std::int64_t(from / av_q2d(st->time_base));
    if (av_seek_frame(in.get(), v, ts, AVSEEK_FLAG_BACKWARD) >= 0) dec.flush();
  }
  const std::int64_t first = from > 0 ? post::stream_start(st) + std::int64_t(from / av_q2d(st->time_base)) : INT64_MIN;
  av::Scaler scaler(kHistWidth, kHistHeight, AV_PIX_FMT_RGB24);
  std::vector<Sample> samples;
  std::int64_t index = 0;
  av::decode_frames(in, dec, [&](AVFrame& f) {
    if (f.pts < first) return true;
    if (index++ % every != 0) return true;
    samples.push_back(measure(*scaler.convert(f), f.pts));
    return int(samples.size()) < window;
  });
  if (samples.empty()) throw Error(ErrorKind::input, path, "no decodable video frame");
  return samples;
}

// Seconds from the stream's start of the sample closest to the average histogram.
double representative_time(const std::string& path, const std::vector<Sample>& samples) {
  std::vector<const Sample*> pool;
  for (const auto& s : samples)
    if (!s.flat) pool.push_back(&s);
  if (pool.empty())  // nothing but black or flat frames: any is as good
    for (const auto& s : samples) pool.push_back(&s);
  std::array<double, 3 * 256> avg{};
  for (const Sample* s : pool)
    for (std::size_t i = 0; i < avg.size(); ++i) avg[i] += s->hist[i] / double(pool.size());
  const Sample* best = pool.front();
  double best_err = std::numeric_limits<double>::infinity();
  for (const Sample* s : pool) {
    double err = 0;
    for (std::size_t i = 0; i < avg.size(); ++i) err += (s->hist[i] - avg[i]) * (s->hist[i] - avg[i]);
    if (err < best_err) best_err = err, best = s;
  }
  av::Input in(path);
  const AVStream* st = in->streams[post::video_stream(in)];
  return double(best->pts - post::stream_start(st)) * av_q2d(st->time_base);
}

double seconds_of(const std::string& path, const TimePoint& at) {
  if (!at.fraction) return at.value;
  av::Input in(path);
  const AVStream* st = in->streams[post::video_stream(in)];
  const std::int64_t end = post::stream_end(in, st);
  if (end == AV_NOPTS_VALUE) throw Error(ErrorKind::input, path, "duration unknown: give the time in seconds");
  return at.value * double(end - post::stream_start(st)) * av_q2d(st->time_base);
}

// The picture at the asked size. A thumbnail smaller than the frame is scaled
// by swscale straight from the decoded planes (its filter widens with the
// shrink, as a low-pass must), so no full-size RGB copy is made for libvips
// to shrink: at 1080p -> 320 px that copy and its resize were most of the work.
vips::VImage sized_picture(const AVFrame& frame, int rotation, int width, int height) {
  const bool turned = rotation == 90 || rotation == 270;
  const int shown_w = turned ? frame.height : frame.width, shown_h = turned ? frame.width : frame.height;
  const double sx = width > 0 ? double(width) / shown_w : 1e9, sy = height > 0 ? double(height) / shown_h : 1e9;
  const double scale = std::min(sx, sy);
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(AVPixelFormat(frame.format));
  const bool alpha = desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA);
  if ((width <= 0 && height <= 0) || scale >= 1 || alpha)
    return post::fit(av::to_image(frame, rotation), width, height);
  const int w = std::max(1, int(std::lround(shown_w * scale))), h = std::max(1, int(std::lround(shown_h * scale)));
  av::Scaler scaler(turned ? h : w, turned ? w : h, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT);
  av::FramePtr small = scaler.convert(frame);
  return av::to_image(*small, rotation);
}

}  // namespace

FrameResult thumbnail(const std::string& video, const std::string& out, const ThumbOptions& options) {
  post::check_image_output(out, {video});
  post::check_save_options(out, options.save);
  post::check_regular_input(video);
  if (options.window < 1) throw Error(ErrorKind::invalid_argument, "", "the smart window needs at least one frame");
  image::init_vips();
  double seconds = options.at ? seconds_of(video, *options.at) : 0;
  if (options.smart) seconds = representative_time(video, sample_window(video, options.at ? seconds : -1, options.window));
  // --smart picks an exact frame; otherwise the keyframe at or before the
  // time when one can be proven, unless the exact frame is asked for.
  std::optional<post::Grab> key;
  if (!options.exact && !options.smart) key = post::grab_key(video, seconds);
  post::Grab g = key ? std::move(*key) : post::grab_at(video, seconds);
  vips::VImage picture = sized_picture(*g.frame, g.rotation, options.width, options.height);
  post::save_image(picture, out, options.save);
  FrameResult r{out, g.time, g.pts, picture.width(), picture.height(), g.rotation, g.full_decode, g.decode_path, g.truncated};
  r.exact = !key;
  return r;
}

}  // namespace seedreel
