// Echo search: small upright RGB copies of the last frames of one clip and of
// the first frames of the next, compared pair by pair (PSNR) along every run
// the window allows.
#include "post/overlap.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <tuple>
#include <vector>

#include "av/decode.hpp"
#include "av/picture.hpp"
#include "pixel/orient.hpp"
#include "post/grab.hpp"
#include "util/interrupt.hpp"

namespace seedreel::post {

namespace {

// Wide enough that motion shows, small enough that a comparison costs
// little and that coding noise averages out (the pictures are area-averaged).
constexpr int kWidth = 128;
constexpr double kIdenticalDb = 99.0;
constexpr double kTieDb = 1.0;

struct Picture {
  double time = 0;                 // seconds from the stream's first timestamp
  std::vector<std::uint8_t> rgb;   // upright, packed
};

struct Side {
  std::vector<Picture> pictures;   // display order
  double frame = 0;                // one frame's duration, seconds
  int width = 0, height = 0;       // of the pictures
  bool clean = true;               // decoded without any sign of damage
};

// An mp4/mov header states all the decoder needs; other containers are
// probed (avformat_find_stream_info decodes a few frames to learn them).
std::unique_ptr<av::Input> open_probed(const std::string& path) {
  av::OpenOptions header_only;
  header_only.find_stream_info = false;
  auto in = std::make_unique<av::Input>(path, header_only);
  const int v = in->best_stream(AVMEDIA_TYPE_VIDEO);
  if (std::string((*in)->iformat->name).find("mp4") == std::string::npos || v < 0 ||
      (*in)->streams[v]->codecpar->width <= 0)
    in->find_stream_info();
  return in;
}

// One clip's video, opened for decoding; other streams are not read.
struct Video {
  explicit Video(const std::string& path) : in_(open_probed(path)), in(*in_), index(video_stream(in)), dec(in, index) {
    for (unsigned i = 0; i < in->nb_streams; ++i)
      if (int(i) != index) in->streams[i]->discard = AVDISCARD_ALL;
    st = in->streams[index];
    rotation = av::rotation_of(st);
    frame = double(frame_ticks(in, st)) * av_q2d(st->time_base);
  }
  double seconds(std::int64_t pts) const { return double(pts - stream_start(st)) * av_q2d(st->time_base); }

  std::unique_ptr<av::Input> in_;  // the demuxer's interrupt callback knows its address: it never moves
  av::Input& in;
  int index;
  av::Decoder dec;
  const AVStream* st = nullptr;
  int rotation = 0;
  double frame = 0;
};

// Decoded frames as upright w x h RGB pictures.
class Miniature {
 public:
  Miniature(int w, int h, int rotation)
      : w_(w), h_(h), turned_(rotation == 90 || rotation == 270),
        orientation_(pixel::orientation_of_rotation(rotation)),
        scaler_(turned_ ? h : w, turned_ ? w : h, AV_PIX_FMT_RGB24, SWS_AREA) {}

  std::vector<std::uint8_t> operator()(const AVFrame& f) {
    const int sw = turned_ ? h_ : w_, sh = turned_ ? w_ : h_;
    stored_.resize(std::size_t(sw) * std::size_t(sh) * 3);
    std::uint8_t* planes[4] = {stored_.data(), nullptr, nullptr, nullptr};
    const int lines[4] = {sw * 3, 0, 0, 0};
    scaler_.convert_into(f, planes, lines);
    std::vector<std::uint8_t> upright(stored_.size());
    pixel::orient(stored_.data(), sw, sh, sw * 3, 3, orientation_, upright.data(), std::ptrdiff_t(w_) * 3);
    return upright;
  }

 private:
  int w_, h_;
  bool turned_;
  int orientation_;
  av::Scaler scaler_;
  std::vector<std::uint8_t> stored_;
};

// Decodes from the current position to the end. Packets displayed before
// `skip_before` are decoded with non-reference pictures skipped: nothing
// after them depends on those, and they lie before the window.
void decode_to_end(Video& v, std::int64_t skip_before, const std::function<void(AVFrame&)>& on_frame) {
  av::PacketPtr packet = av::make_packet();
  av::FramePtr frame = av::make_frame();
  auto drain = [&] {
    while (v.dec.receive(frame.get())) {
      on_frame(*frame);
      av_frame_unref(frame.get());
    }
  };
  for (;;) {
    throw_if_interrupted(v.in.path());
    v.in.rearm();
    const int ret = av_read_frame(v.in.get(), packet.get());
    if (ret == AVERROR_EOF) break;
    av::check(ret, ErrorKind::input, v.in.path(), "read failed");
    if (packet->stream_index == v.index) {
      const bool early = packet->pts != AV_NOPTS_VALUE && packet->pts < skip_before;
      v.dec->skip_frame = early ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
      v.dec.send(packet.get());
      drain();
    }
    av_packet_unref(packet.get());
  }
  v.dec->skip_frame = AVDISCARD_DEFAULT;
  v.dec.send(nullptr);
  drain();
}

// The pictures of the last `window` seconds (at least the last frame). With
// `after_seek`, only what a clean random-access point proves: nothing before
// the first frame the decoder calls a keyframe, nothing displayed before it
// (an open GOP's leading pictures), no damage after it, and the window
// covered; otherwise false, and the caller decodes from the start.
bool collect_tail(Video& v, double window, std::int64_t skip_before, Miniature& mini, bool after_seek, Side& side) {
  std::deque<Picture> kept;
  bool keyed = !after_seek, damaged = false, pruned = false;
  std::int64_t key_pts = std::numeric_limits<std::int64_t>::min(), damage_base = 0;
  decode_to_end(v, skip_before, [&](AVFrame& f) {
    if (!keyed) {
      if (!f.key_frame) return;
      keyed = true;
      key_pts = f.pts;
      damage_base = v.dec.damage();
    }
    if (f.pts < key_pts || f.pts < skip_before) return;
    if (av::Decoder::flagged(f)) damaged = true;
    kept.push_back({v.seconds(f.pts), mini(f)});
    // Frames that start before the window (the end of the newest frame minus window).
    while (kept.size() > 1 && kept.front().time < kept.back().time + v.frame - window - 1e-6) {
      kept.pop_front();
      pruned = true;
    }
  });
  if (after_seek && (!keyed || damaged || v.dec.damage() > damage_base || kept.empty())) return false;
  if (after_seek && !pruned && kept.front().time > kept.back().time + v.frame - window + v.frame / 2) return false;
  side.clean = !damaged && v.dec.damage() == damage_base;
  side.pictures.assign(std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()));
  std::stable_sort(side.pictures.begin(), side.pictures.end(),
                   [](const Picture& x, const Picture& y) { return x.time < y.time; });
  return true;
}

std::pair<int, int> picture_size(const Video& v) {
  const AVCodecParameters* p = v.st->codecpar;
  const bool turned = v.rotation == 90 || v.rotation == 270;
  const int w = turned ? p->height : p->width, h = turned ? p->width : p->height;
  if (w <= 0 || h <= 0) throw Error(ErrorKind::input, v.in.path(), "the video states no picture size");
  return {kWidth, std::clamp(int(std::lround(double(kWidth) * h / w)), 2, 4 * kWidth)};
}

Side read_tail(const std::string& path, double window) {
  Side side;
  auto v = std::make_unique<Video>(path);
  std::tie(side.width, side.height) = picture_size(*v);
  side.frame = v->frame;
  Miniature mini(side.width, side.height, v->rotation);
  const std::int64_t end = stream_end(v->in, v->st);
  // Two frames early, so the frame that starts right at the window's edge is decoded too.
  const std::int64_t from = end == AV_NOPTS_VALUE ? std::numeric_limits<std::int64_t>::min()
                                                  : end - std::int64_t(std::ceil(window / av_q2d(v->st->time_base))) -
                                                        2 * frame_ticks(v->in, v->st);
  if (from > stream_start(v->st) && av_seek_frame(v->in.get(), v->index, from, AVSEEK_FLAG_BACKWARD) >= 0) {
    v->dec.flush();
    if (collect_tail(*v, window, from, mini, true, side)) return side;
    v = std::make_unique<Video>(path);
  }
  collect_tail(*v, window, from, mini, false, side);
  return side;
}

// The first pictures up to `window` seconds, plus the one after them (where a
// run that fills the window would end); at most max_frames + 1 when max_frames > 0.
Side read_head(const std::string& path, double window, int max_frames, int width, int height) {
  Video v(path);
  Side side;
  side.width = width;
  side.height = height;
  side.frame = v.frame;
  Miniature mini(width, height, v.rotation);
  av::decode_frames(v.in, v.dec, [&](AVFrame& f) {
    side.pictures.push_back({v.seconds(f.pts), mini(f)});
    const double since = side.pictures.back().time - side.pictures.front().time;
    if (max_frames > 0 && side.pictures.size() > std::size_t(max_frames)) return false;
    return side.pictures.size() < 2 || since < window - 1e-6;
  });
  side.clean = v.dec.damage() == 0;
  return side;
}

double psnr(const std::vector<std::uint8_t>& x, const std::vector<std::uint8_t>& y) {
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = double(x[i]) - double(y[i]);
    sum += d * d;
  }
  const double mse = sum / double(std::max<std::size_t>(x.size(), 1));
  return mse <= 1e-10 ? kIdenticalDb : std::min(kIdenticalDb, 10.0 * std::log10(255.0 * 255.0 / mse));
}

Echo match(const Side& a, const Side& b, const EchoSearch& search) {
  Echo echo;
  const auto& x = a.pictures;
  const auto& y = b.pictures;
  if (x.empty() || y.empty()) return echo;
  std::vector<double> cache(x.size() * y.size(), -1);
  auto pair_db = [&](std::size_t i, std::size_t j) {
    double& c = cache[i * y.size() + j];
    if (c < 0) c = psnr(x[i].rgb, y[j].rgb);
    return c;
  };
  echo.psnr_db = pair_db(x.size() - 1, 0);
  if (!a.clean || !b.clean) return echo;  // never cut on a picture the decoder could not reconstruct

  // A run of k frames: b's frames 0..k-1 against a's frames displayed at the
  // same distance from where a ends, with b's frame k the first one kept.
  const double a_end = x.back().time + a.frame, b0 = y.front().time;
  std::size_t most = y.size() - 1;
  if (search.max_frames > 0) most = std::min(most, std::size_t(search.max_frames));
  std::size_t best_k = 0;
  double best = -1;
  std::vector<std::pair<std::size_t, double>> runs;
  for (std::size_t k = 1; k <= most; ++k) {
    const double from = a_end - (y[k].time - b0);
    if (from < x.front().time - a.frame / 2) break;  // reaches before the window
    double sum = 0;
    bool whole = true;
    for (std::size_t j = 0; j < k && whole; ++j) {
      const double t = from + (y[j].time - b0) + a.frame / 2;
      auto after = std::upper_bound(x.begin(), x.end(), t, [](double v, const Picture& p) { return v < p.time; });
      const std::size_t i = after == x.begin() ? 0 : std::size_t(after - x.begin()) - 1;
      const double db = pair_db(i, j);
      whole = db >= search.min_psnr_db;
      sum += db;
    }
    if (!whole) continue;
    runs.emplace_back(k, sum / double(k));
    if (runs.back().second > best) best = runs.back().second;
  }
  for (const auto& [k, mean] : runs)
    if (mean >= best - kTieDb) {
      best_k = k;
      echo.psnr_db = mean;
      break;
    }
  if (best_k > 0) {
    echo.frames = int(best_k);
    echo.seconds = y[best_k].time - b0;
  }
  return echo;
}

}  // namespace

Echo find_echo(const std::string& a, const std::string& b, const EchoSearch& search) {
  Side tail = read_tail(a, search.window);
  Side head = read_head(b, search.window, search.max_frames, tail.width, tail.height);
  return match(tail, head, search);
}

}  // namespace seedreel::post
