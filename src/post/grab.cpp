#include "post/grab.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "av/decode.hpp"
#include "image/vips.hpp"
#include "pixel/png_write.hpp"
#include "util/atomic_file.hpp"
#include "util/interrupt.hpp"

namespace seedreel::post {

namespace {

// Keeps the n frames with the highest timestamps seen so far, lowest first.
// Equal timestamps keep decoder output order, so "later" wins a tie as in a full decode.
class TopFrames {
 public:
  explicit TopFrames(std::size_t n) : n_(n) {}
  void offer(AVFrame& f) {
    if (frames_.size() == n_ && f.pts < frames_.front()->pts) return;
    auto kept = av::make_frame();
    av_frame_move_ref(kept.get(), &f);
    auto at = std::upper_bound(frames_.begin(), frames_.end(), kept->pts,
                               [](std::int64_t pts, const av::FramePtr& x) { return pts < x->pts; });
    frames_.insert(at, std::move(kept));
    if (frames_.size() > n_) frames_.erase(frames_.begin());
  }
  std::size_t size() const noexcept { return frames_.size(); }
  bool full() const noexcept { return frames_.size() == n_; }
  std::int64_t lowest_pts() const { return frames_.front()->pts; }
  // Where the last frame kept stops being displayed.
  std::int64_t highest_end() const {
    const AVFrame& f = *frames_.back();
    return f.pts + std::max<std::int64_t>(f.pkt_duration, 0);
  }
  // The n-th from the end (only meaningful when full()).
  av::FramePtr take_first() { return std::move(frames_.front()); }

 private:
  std::size_t n_;
  std::vector<av::FramePtr> frames_;
};

void discard_other_streams(av::Input& in, int keep) {
  for (unsigned i = 0; i < in->nb_streams; ++i)
    if (int(i) != keep) in->streams[i]->discard = AVDISCARD_ALL;
}

// Decoders that hold back every picture until it is recovered (see decode_from_here).
bool tracks_recovery(const av::Decoder& dec) {
  const AVCodecID id = dec->codec_id;
  return (id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC) && !(dec->flags & AV_CODEC_FLAG_OUTPUT_CORRUPT) &&
         !(dec->flags2 & AV_CODEC_FLAG2_SHOW_ALL);
}

// What one pass of decoding showed about the frames it delivered.
struct Pass {
  bool clean_start = true;   // the first frame delivered is a keyframe in the decoder's own judgement
  bool damaged = false;      // the decoder showed damage after that frame was delivered (or flagged it)
  bool truncated = false;    // the input ended in a packet cut short, which was not decoded
  std::int64_t first_pts = AV_NOPTS_VALUE;  // the first frame delivered
  // Trusted: every frame delivered was decoded from a clean random-access point without damage.
  bool trusted() const noexcept { return clean_start && !damaged; }
};

// Reads packets of the decoder's stream from the current position and hands
// every decoded frame to on_frame until it returns false or the input ends
// (the decoder is drained then). With `after_key`, frames displayed before
// the first keyframe packet are dropped: after a seek they may be the broken
// leading pictures of an open GOP, and a random-access point guarantees that
// every picture displayed after it is decoded from what follows it.
// A read error ends the input, as it does for the ffmpeg CLI; a packet the
// demuxer could only read in part (a file cut short) ends it too.
//
// The pass proves itself: a container may flag as a keyframe a picture that
// is no clean random-access point (a non-IDR I-frame whose successors refer
// back past it, or any frame at all), and a decoder may then conceal quietly.
// So no damage (see av::Decoder::damage) may show from the first frame
// delivered on, and that frame must be a keyframe to the decoder -- unless
// the decoder tracks recovery itself: FFmpeg's H.264 and HEVC decoders
// deliver nothing before an IDR/IRAP, a recovery point's end (intra
// refresh) or an I-frame no later frame can refer past, and report missing
// references as errors. With frame threads the damage of one packet can be
// reported a few frames late, which only makes the check stricter.
//
// Packets displayed before `skip_before` are decoded with non-reference
// pictures skipped (nothing else depends on those), which saves much of a long
// GOP's work; the caller must only trust frames from skip_before on.
Pass decode_from_here(av::Input& in, av::Decoder& dec, bool after_key, const std::function<bool(AVFrame&)>& on_frame,
                      std::int64_t skip_before = INT64_MIN) {
  auto packet = av::make_packet();
  auto frame = av::make_frame();
  Pass pass;
  bool have_key = !after_key, delivered = false;
  std::int64_t key_pts = INT64_MIN, damage_base = 0;
  bool go_on = true;
  auto drain = [&] {
    while (go_on && dec.receive(frame.get())) {
      if (have_key && frame->pts != AV_NOPTS_VALUE && frame->pts >= key_pts) {
        if (!delivered) {
          delivered = true;
          pass.first_pts = frame->pts;
          pass.clean_start = frame->key_frame != 0 || tracks_recovery(dec);
          damage_base = dec.damage();
        }
        if (av::Decoder::flagged(*frame)) pass.damaged = true;
        go_on = on_frame(*frame);
      }
      av_frame_unref(frame.get());
    }
  };
  while (go_on) {
    throw_if_interrupted(in.path());
    in.rearm();
    if (av_read_frame(in.get(), packet.get()) < 0) break;
    if (packet->stream_index == dec.index()) {
      if (packet->flags & AV_PKT_FLAG_CORRUPT) {
        pass.truncated = true;
        av_packet_unref(packet.get());
        break;
      }
      if (!have_key) {
        // Before the first keyframe nothing shown after it can depend on what
        // we read (a seek into an unindexed stream lands mid-GOP): not decoded.
        if (!(packet->flags & AV_PKT_FLAG_KEY)) {
          av_packet_unref(packet.get());
          continue;
        }
        have_key = true;
        key_pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : INT64_MIN;
      }
      const bool early = packet->pts != AV_NOPTS_VALUE && packet->pts < skip_before;
      dec->skip_frame = early ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
      dec.send(packet.get());
      drain();
    }
    av_packet_unref(packet.get());
  }
  dec->skip_frame = AVDISCARD_DEFAULT;
  if (go_on) {
    dec.send(nullptr);
    drain();
  }
  if (delivered && dec.damage() > damage_base) pass.damaged = true;
  return pass;
}

// A file cut short (a download or copy that stopped) still opens when its
// index comes first, but its last frames are missing: the "last frame" would be
// a wrong one. Refuse when the frames stop more than two frames before the end
// the stream states.
void check_complete(const av::Input& in, const AVStream* st, std::int64_t shown_until) {
  const std::int64_t end = stream_end(in, st), tick = frame_ticks(in, st);
  if (end == AV_NOPTS_VALUE || std::max(shown_until, std::int64_t(0)) + 2 * tick >= end) return;
  const double tb = av_q2d(st->time_base), start = double(stream_start(st)) * tb;
  throw Error(ErrorKind::input, in.path(),
              fmt::format("truncated: the video stops at {:.3f} s of the {:.3f} s its header states",
                          double(shown_until) * tb - start, double(end) * tb - start));
}

bool seek_before(av::Input& in, av::Decoder& dec, std::int64_t ts) {
  if (av_seek_frame(in.get(), dec.index(), ts, AVSEEK_FLAG_BACKWARD) < 0) return false;
  dec.flush();
  return true;
}

Grab make_grab(av::FramePtr frame, const AVStream* st, DecodePath path, bool truncated) {
  Grab g;
  g.pts = frame->pts;
  g.time = double(frame->pts - stream_start(st)) * av_q2d(st->time_base);
  g.rotation = av::rotation_of(st);
  g.decode_path = path;
  g.full_decode = path == DecodePath::full_decode;
  g.truncated = truncated;
  g.frame = std::move(frame);
  return g;
}

// How many times a pass that could not prove itself moves to the random-access
// point before its own, before the whole stream is decoded instead.
constexpr int kEarlierPoints = 2;

// Seconds after the stream's start to a timestamp, without overflow: any time
// past 2^60 ticks is past every end, where the last frame is the one displayed.
std::int64_t target_of(const AVStream* st, double seconds) {
  const double ticks = std::floor(seconds / av_q2d(st->time_base) + 1e-6);
  return stream_start(st) + std::int64_t(std::min(ticks, double(std::int64_t(1) << 60)));
}

std::string lower_extension(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

}  // namespace

void KeyLedger::seen(const AVFrame& f) {
  if (f.key_frame) keys_.push_back({f.pts, dec_.damage()});
  if (av::Decoder::flagged(f)) flagged_.push_back(f.pts);
}

void KeyLedger::check_clean(const std::string& path, std::int64_t pts) const {
  std::int64_t base = 0;
  for (const auto& k : keys_)
    if (k.pts <= pts) base = k.damage;
  const bool flagged = std::any_of(flagged_.begin(), flagged_.end(), [&](std::int64_t at) { return at >= pts; });
  if (dec_.damage() > base || flagged)
    throw Error(ErrorKind::input, path,
                "the stream is damaged: the decoder could not reconstruct the frame cleanly, so none is written");
}

int video_stream(const av::Input& in) {
  int v = in.best_stream(AVMEDIA_TYPE_VIDEO);
  if (v < 0) throw Error(ErrorKind::input, in.path(), "no video stream");
  return v;
}

std::int64_t stream_start(const AVStream* st) { return st->start_time != AV_NOPTS_VALUE ? st->start_time : 0; }

std::int64_t stream_end(const av::Input& in, const AVStream* st) {
  // A guess from the bitrate (which the stream's own duration then repeats)
  // is no end to seek to or take a percentage of.
  const bool guessed = in->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;
  if (!guessed && st->duration != AV_NOPTS_VALUE && st->duration > 0) return stream_start(st) + st->duration;
  if (!guessed && in->duration != AV_NOPTS_VALUE && in->duration > 0) {
    std::int64_t start = in->start_time != AV_NOPTS_VALUE ? in->start_time : 0;
    return av_rescale_q(start + in->duration, AV_TIME_BASE_Q, st->time_base);
  }
  // No header states it: as far as the packets go.
  const std::int64_t span = av::measure_stream_spans(in.path())[std::size_t(st->index)];
  return span == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : stream_start(st) + span;
}

Grab grab_last(const std::string& path, int from_end) {
  if (from_end < 1) throw Error(ErrorKind::invalid_argument, path, "the frame index counts from the end: -1 is the last frame");
  check_regular_input(path);
  {
    // An mp4/mov header states everything we need; probing other streams'
    // packets (avformat_find_stream_info) would only cost time.
    av::OpenOptions fast;
    fast.find_stream_info = false;
    av::Input in(path, fast);
    const bool isobmff = std::string(in->iformat->name).find("mp4") != std::string::npos;
    int v = in.best_stream(AVMEDIA_TYPE_VIDEO);
    if (!isobmff || v < 0 || in->streams[v]->codecpar->width <= 0) {
      in.rearm();
      av::check(avformat_find_stream_info(in.get(), nullptr), ErrorKind::input, path, "cannot read stream parameters");
    }
    v = video_stream(in);
    const AVStream* st = in->streams[v];
    discard_other_streams(in, v);
    const std::int64_t start = stream_start(st), end = stream_end(in, st), tick = frame_ticks(in, st);
    // Frame threads (FFmpeg's choice: one per core plus one) even for a 2 s
    // GOP's tail: 15 % less time than one thread for 4 % more CPU.
    av::Decoder dec(in, v);
    // Look back a little further than the frames we need (`need_from`);
    // widen when the seek lands after them (a long GOP, an inexact seek in an
    // unindexed file). Seek before the point a pass could not prove.
    // No end known (a stream without timestamps): nothing to seek to, decode it whole below.
    std::int64_t need_from = end == AV_NOPTS_VALUE ? end : end - std::int64_t(from_end + 1) * tick, seek_to = need_from;
    int earlier = 0;
    for (int attempt = 0; end != AV_NOPTS_VALUE && attempt < 5 + kEarlierPoints; ++attempt) {
      if (seek_to <= start || !seek_before(in, dec, seek_to)) break;
      TopFrames top{std::size_t(from_end)};
      const Pass pass = decode_from_here(in, dec, true, [&](AVFrame& f) {
        top.offer(f);
        return true;
      }, need_from);
      if (!pass.trusted()) {
        if (pass.first_pts == AV_NOPTS_VALUE || ++earlier > kEarlierPoints) break;
        seek_to = std::min(seek_to, pass.first_pts - 1);
        continue;
      }
      // Exact when the frames kept were all displayed after the skipping ended.
      if (top.full() && top.lowest_pts() >= need_from) {
        if (pass.truncated) check_complete(in, st, top.highest_end());
        return make_grab(top.take_first(), st, earlier ? DecodePath::earlier_keyframe : DecodePath::tail,
                         pass.truncated);
      }
      const std::int64_t wider = end - (end - need_from) * 4;
      need_from = wider;
      seek_to = std::min(seek_to, wider);
    }
  }
  // The tail could not be trusted: decode the whole stream from a fresh open.
  av::Input in(path);
  int v = video_stream(in);
  discard_other_streams(in, v);
  av::Decoder dec(in, v);
  TopFrames top{std::size_t(from_end)};
  KeyLedger keys(dec);
  std::size_t seen = 0;
  const Pass pass = decode_from_here(in, dec, false, [&](AVFrame& f) {
    ++seen;
    keys.seen(f);
    top.offer(f);
    return true;
  });
  if (seen == 0) throw Error(ErrorKind::input, path, "no decodable video frame");
  check_complete(in, in->streams[v], top.highest_end());
  if (!top.full())
    throw Error(ErrorKind::invalid_argument, path,
                "frame -" + std::to_string(from_end) + " asked for, but the video has " + std::to_string(seen) + " frames");
  keys.check_clean(path, top.lowest_pts());
  return make_grab(top.take_first(), in->streams[v], DecodePath::full_decode, pass.truncated);
}

Grab grab_at(const std::string& path, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) throw Error(ErrorKind::invalid_argument, path, "time must be >= 0");
  check_regular_input(path);
  // The frame displayed at `target`: the highest timestamp not after it, found
  // by decoding in display order until one passes it.
  struct Found {
    av::FramePtr best, first;
    Pass pass;
  };
  auto search = [](av::Input& in, av::Decoder& dec, std::int64_t target, bool after_key, KeyLedger* keys) {
    Found found;
    found.pass = decode_from_here(in, dec, after_key, [&](AVFrame& f) {
      if (keys) keys->seen(f);
      if (f.pts > target) {
        if (!found.best && !found.first) {
          found.first = av::make_frame();
          av_frame_move_ref(found.first.get(), &f);
        }
        return false;
      }
      if (!found.best) found.best = av::make_frame();
      av_frame_unref(found.best.get());
      av_frame_move_ref(found.best.get(), &f);
      return true;
    });
    return found;
  };
  {
    av::Input in(path);
    int v = video_stream(in);
    const AVStream* st = in->streams[v];
    discard_other_streams(in, v);
    const std::int64_t start = stream_start(st), tick = frame_ticks(in, st);
    const std::int64_t target = target_of(st, seconds);
    av::Decoder dec(in, v);
    std::int64_t back = 0, seek_to = target;
    int earlier = 0;
    for (int attempt = 0; attempt < 5 + kEarlierPoints; ++attempt) {
      if (seek_to <= start || !seek_before(in, dec, seek_to)) break;
      // A frame at or before the target found after a proven keyframe is
      // exact; anything else means the seek landed too late.
      Found f = search(in, dec, target, true, nullptr);
      if (!f.pass.trusted()) {
        if (f.pass.first_pts == AV_NOPTS_VALUE || ++earlier > kEarlierPoints) break;
        seek_to = std::min(seek_to, f.pass.first_pts - 1);
        continue;
      }
      if (f.best)
        return make_grab(std::move(f.best), st, earlier ? DecodePath::earlier_keyframe : DecodePath::tail,
                         f.pass.truncated);
      back = std::max<std::int64_t>(tick * 8, back * 4);
      seek_to = std::min(seek_to, target - back);
    }
  }
  av::Input in(path);
  int v = video_stream(in);
  const AVStream* st = in->streams[v];
  discard_other_streams(in, v);
  av::Decoder dec(in, v);
  KeyLedger keys(dec);
  Found f = search(in, dec, target_of(st, seconds), false, &keys);
  av::FramePtr& pick = f.best ? f.best : f.first;  // before the first frame: show the first
  if (!pick) throw Error(ErrorKind::input, path, "no decodable video frame");
  keys.check_clean(path, pick->pts);
  return make_grab(std::move(pick), st, DecodePath::full_decode, f.pass.truncated);
}

std::optional<Grab> grab_key(const std::string& path, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) throw Error(ErrorKind::invalid_argument, path, "time must be >= 0");
  check_regular_input(path);
  av::Input in(path);
  int v = video_stream(in);
  const AVStream* st = in->streams[v];
  discard_other_streams(in, v);
  const std::int64_t target = target_of(st, seconds);
  // One thread: a single picture gains nothing from frame threads, and damage
  // is then reported before the picture is delivered, not frames later.
  av::Decoder dec(in, v, 1);
  if (target > stream_start(st) && !seek_before(in, dec, target)) return std::nullopt;
  av::FramePtr picture;
  Pass pass = decode_from_here(in, dec, true, [&](AVFrame& f) {
    picture = av::make_frame();
    av_frame_move_ref(picture.get(), &f);
    return false;
  });
  // The picture must be a random-access point the decoder itself trusts,
  // decoded without any sign of damage, and shown no later than asked; a
  // flag in the index that says otherwise sends the caller to the exact path.
  if (!picture || !pass.trusted() || !picture->key_frame || dec.damage() > 0 || picture->pts > target)
    return std::nullopt;
  return make_grab(std::move(picture), st, DecodePath::tail, pass.truncated);
}

vips::VImage fit(const vips::VImage& image, int width, int height) {
  if (width <= 0 && height <= 0) return image;
  double sx = width > 0 ? double(width) / image.width() : 1e9;
  double sy = height > 0 ? double(height) / image.height() : 1e9;
  double s = std::min(sx, sy);
  int w = std::max(1, int(std::lround(image.width() * s)));
  int h = std::max(1, int(std::lround(image.height() * s)));
  return image.resize(double(w) / image.width(), vips::VImage::option()->set("vscale", double(h) / image.height()));
}

void check_regular_input(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw Error(ErrorKind::input, path, "no such file");
  if (std::filesystem::is_directory(st)) throw Error(ErrorKind::input, path, "is a folder, not a video");
  if (!std::filesystem::is_regular_file(st)) throw Error(ErrorKind::input, path, "not a regular file");
}

void check_image_output(const std::string& out, const std::vector<std::string>& inputs) {
  const std::string ext = lower_extension(out);
  if (ext != ".png" && ext != ".jpg" && ext != ".jpeg" && ext != ".webp")
    throw Error(ErrorKind::invalid_argument, out, "cannot tell the image format: use .png, .jpg, .jpeg or .webp");
  check_not_an_input(out, inputs);
}

void check_replaceable(const std::string& out, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(out, ec)) throw Error(ErrorKind::io, out, std::string(output_exists_reason));
}

void check_not_an_input(const std::string& out, const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const auto& in : inputs)
    if (std::filesystem::equivalent(out, in, ec))
      throw Error(ErrorKind::invalid_argument, out, "the output would overwrite an input");
}

namespace {

// Error(invalid_argument) unless the quality is 1-100 and `out` names a format we write; its extension.
std::string checked_extension(const std::string& out, const ImageSaveOptions& options) {
  if (options.quality < 1 || options.quality > 100) throw Error(ErrorKind::invalid_argument, out, "quality must be 1-100");
  check_image_output(out, {});
  std::string ext = lower_extension(out);
  if (options.depth != 8 && !(options.depth == 16 && ext == ".png"))
    throw Error(ErrorKind::invalid_argument, out, "depth must be 8, or 16 for a PNG");
  return ext;
}

AtomicFile::Existing existing(const ImageSaveOptions& options) {
  return options.overwrite ? AtomicFile::Existing::overwrite : AtomicFile::Existing::refuse;
}

void write_png_atomically(const pixel::PixelRows& rows, const std::string& out, const ImageSaveOptions& options) {
  AtomicFile file(out, existing(options));
  pixel::write_png(file.temp_path(), rows);
  file.commit();
}

}  // namespace

void check_save_options(const std::string& out, const ImageSaveOptions& options) {
  checked_extension(out, options);
  check_replaceable(out, options.overwrite);
}

void save_image(const vips::VImage& image, const std::string& out, const ImageSaveOptions& options) {
  const std::string ext = checked_extension(out, options);
  image::guarded(ErrorKind::io, out, "cannot write image", [&] {
    if (ext == ".png") {
      // Our own PNG writer (pixel/png_write.hpp) takes the rendered pixels.
      vips::VImage px = image.format() == VIPS_FORMAT_UCHAR ? image : image.cast(VIPS_FORMAT_UCHAR);
      std::size_t size = 0;
      std::unique_ptr<void, void (*)(void*)> pixels(px.write_to_memory(&size), g_free);
      write_png_atomically({static_cast<const std::uint8_t*>(pixels.get()), px.width(), px.height(), px.bands(),
                            std::ptrdiff_t(px.width()) * px.bands()},
                           out, options);
      return;
    }
    AtomicFile file(out, existing(options));
    // write_to_file takes ownership of the option set.
    auto* opt = vips::VImage::option()->set("strip", true);
    if (ext == ".webp")
      opt->set("Q", options.quality)->set("lossless", options.quality >= 100);
    else
      opt->set("Q", options.quality);
    image.write_to_file(file.temp_path().c_str(), opt);
    file.commit();
  });
}

void save_rgb(av::PackedRgb rgb, const std::string& out, const ImageSaveOptions& options) {
  if (checked_extension(out, options) == ".png") {
    write_png_atomically({rgb.pixels.get(), rgb.width, rgb.height, rgb.bands,
                          std::ptrdiff_t(rgb.width) * rgb.pixel_bytes(), rgb.depth},
                         out, options);
    return;
  }
  image::init_vips();
  save_image(av::to_image(std::move(rgb)), out, options);
}

}  // namespace seedreel::post
