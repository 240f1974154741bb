#include "seedreel/probe.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "av/demux.hpp"
#include "av/isobmff.hpp"
#include "av/still.hpp"
#include "image/ops.hpp"
#include "image/vips.hpp"
#include "util/parallel.hpp"
#include "util/unique_fd.hpp"

namespace seedreel {

namespace fs = std::filesystem;
using namespace std::string_view_literals;

namespace {

// Image formats told apart by their first bytes; anything else goes to libavformat.
std::string sniff_image_format(const std::array<unsigned char, 32>& b, std::size_t n) {
  auto starts = [&](std::string_view magic, std::size_t at = 0) {
    return n >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
  };
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "jpeg";
  if (starts("\x89PNG\r\n\x1a\n"sv)) return "png";
  if (starts("GIF87a") || starts("GIF89a")) return "gif";
  if (starts("RIFF") && starts("WEBP", 8)) return "webp";
  if (starts("BM") && n >= 14) return "bmp";
  if (starts("II*\0"sv) || starts("MM\0*"sv)) return "tiff";
  if (starts("ftyp", 4)) {
    for (const char* brand : {"heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"})
      if (starts(brand, 8)) return "heif";
    if (starts("avif", 8) || starts("avis", 8)) return "avif";
  }
  if (starts("\xFF\x0A"sv) || starts("\0\0\0\x0CJXL "sv)) return "jxl";
  return {};
}

int bits_of(VipsBandFormat f) {
  switch (f) {
    case VIPS_FORMAT_UCHAR:
    case VIPS_FORMAT_CHAR: return 8;
    case VIPS_FORMAT_USHORT:
    case VIPS_FORMAT_SHORT: return 16;
    case VIPS_FORMAT_DOUBLE:
    case VIPS_FORMAT_DPCOMPLEX: return 64;
    default: return 32;
  }
}

MediaInfo probe_image(MediaInfo info) {
  if (image::needs_vips_module(info.format))
    image::load_vips_modules();
  else
    image::init_vips();
  vips::VImage img;
  try {
    // Opening reads the header only; pixels are decoded on demand, never here.
    img = image::guarded(ErrorKind::input, info.path, "cannot read " + info.format + " header", [&] {
      return vips::VImage::new_from_file(info.path.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    });
  } catch (const Error&) {
    // An animated AVIF (or a HEIF sequence) is beyond libvips' HEIF loader,
    // but FFmpeg reads its tracks: conform then takes the first frame.
    if (info.format == "avif" || info.format == "heic" || info.format == "heif") {
      try {
        info.image = av::still_props(info.path, &info.width, &info.height);
        return info;
      } catch (const Error&) {
      }
    }
    throw;
  }
  ImageProps p;
  const char* loader = nullptr;
  if (vips_image_get_typeof(img.get_image(), "vips-loader")) loader = img.get_string("vips-loader");
  p.loader = loader ? loader : "";
  p.bands = img.bands();
  p.alpha = img.has_alpha();
  p.bit_depth = bits_of(img.format());
  p.colour_space = vips_enum_nick(VIPS_TYPE_INTERPRETATION, img.interpretation());
  if (img.get_typeof(VIPS_META_ORIENTATION)) p.orientation = std::clamp(img.get_int(VIPS_META_ORIENTATION), 1, 8);
  if (img.get_typeof(VIPS_META_N_PAGES)) p.pages = std::max(1, img.get_int(VIPS_META_N_PAGES));
  int page_height = vips_image_get_page_height(img.get_image());
  info.width = img.width();
  info.height = page_height > 0 ? page_height : img.height();
  if (p.orientation >= 5) std::swap(info.width, info.height);  // 5..8 transpose the image
  if (info.width <= 0 || info.height <= 0)
    throw Error(ErrorKind::input, info.path, "image has no pixels (0x0)");
  info.image = std::move(p);
  return info;
}

std::string container_name(const AVFormatContext* ctx) {
  std::string name = ctx->iformat->name;
  if (name.rfind("mov,mp4", 0) == 0) {
    const AVDictionaryEntry* brand = av_dict_get(ctx->metadata, "major_brand", nullptr, 0);
    return brand && std::strncmp(brand->value, "qt", 2) == 0 ? "mov" : "mp4";
  }
  if (name.rfind("matroska", 0) == 0) return "mkv";
  if (auto comma = name.find(','); comma != std::string::npos) name.resize(comma);
  return name;
}

// The first of `wanted` among the top-level boxes of an ISO-BMFF file, "" when none.
std::string first_top_level_box(const std::string& path, std::initializer_list<std::string_view> wanted) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  for (const auto& box : av::top_level_boxes(fd.get()).boxes)
    if (std::find(wanted.begin(), wanted.end(), box.type) != wanted.end()) return box.type;
  return {};
}

// moov before mdat: players can start before the whole file has arrived.
std::optional<bool> read_faststart(const std::string& path) {
  auto first = first_top_level_box(path, {"moov", "mdat"});
  if (first.empty()) return std::nullopt;
  return first == "moov";
}

// An mp4/mov whose sample tables point past the end of the file lost its tail.
void check_not_truncated(const AVFormatContext* ctx, const std::string& path, std::uint64_t file_size) {
  for (unsigned i = 0; i < ctx->nb_streams; ++i) {
    AVStream* s = ctx->streams[i];
    int n = avformat_index_get_entries_count(s);
    if (n <= 0) continue;
    const AVIndexEntry* last = avformat_index_get_entry(s, n - 1);
    if (last && last->pos >= 0 && std::uint64_t(last->pos) + std::uint64_t(last->size) > file_size)
      throw Error(ErrorKind::input, path,
                  fmt::format("truncated: stream {} needs {} bytes but the file has {}", i,
                              std::uint64_t(last->pos) + std::uint64_t(last->size), file_size));
  }
}

std::string profile_name(const AVCodecParameters* par) {
  const char* name = avcodec_profile_name(par->codec_id, par->profile);
  return name ? name : "";
}

MediaInfo probe_av(MediaInfo info, bool iso_bmff) {
  std::optional<av::Input> opened;
  try {
    opened.emplace(info.path);
  } catch (const Error&) {
    if (iso_bmff && first_top_level_box(info.path, {"moov"}).empty())
      throw Error(ErrorKind::input, info.path, "mp4/mov without a moov atom (truncated or never finalised)");
    throw;
  }
  const av::Input& in = *opened;
  const AVFormatContext* ctx = in.get();
  // A weak format guess on random bytes is not a recognition.
  if (ctx->probe_score < AVPROBE_SCORE_EXTENSION / 2)
    throw Error(ErrorKind::input, info.path, "not a recognised media file");
  info.format = container_name(ctx);
  info.bitrate = ctx->bit_rate;
  if (ctx->duration != AV_NOPTS_VALUE && ctx->duration > 0) info.duration = double(ctx->duration) / AV_TIME_BASE;
  // A video whose headers give no duration, or only a guess from the bitrate
  // (raw elementary streams, some program streams): measure it from the
  // packets. Audio keeps FFmpeg's estimate, flagged as such.
  std::vector<std::int64_t> spans;
  info.duration_estimated = ctx->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;
  if (av::duration_untrusted(ctx) && in.best_stream(AVMEDIA_TYPE_VIDEO) >= 0) {
    info.duration_estimated = false;
    spans = av::measure_stream_spans(info.path);
    info.duration = 0;
    for (unsigned i = 0; i < ctx->nb_streams; ++i)
      if (spans[i] != AV_NOPTS_VALUE)
        info.duration = std::max(info.duration, double(spans[i]) * av_q2d(ctx->streams[i]->time_base));
  }
  // The seconds a stream lasts: its own header's, else the measured span, else the container's.
  auto seconds_of = [&](const AVStream* s) {
    double own = av::stream_seconds(s);
    if (own > 0 && spans.empty()) return own;
    if (!spans.empty() && spans[std::size_t(s->index)] != AV_NOPTS_VALUE)
      return double(spans[std::size_t(s->index)]) * av_q2d(s->time_base);
    return info.duration;
  };

  int vi = in.best_stream(AVMEDIA_TYPE_VIDEO);
  int ai = in.best_stream(AVMEDIA_TYPE_AUDIO);
  if (vi >= 0) {
    const AVStream* s = ctx->streams[vi];
    const AVCodecParameters* par = s->codecpar;
    if (par->width <= 0 || par->height <= 0)
      throw Error(ErrorKind::input, info.path, "video stream has no frame size (corrupt or truncated)");
    VideoStream v;
    v.codec = avcodec_get_name(par->codec_id);
    v.profile = profile_name(par);
    if (par->format >= 0) v.pix_fmt = av_get_pix_fmt_name(AVPixelFormat(par->format));
    v.coded_width = par->width;
    v.coded_height = par->height;
    v.rotation = av::rotation_of(s);
    AVRational rate = s->avg_frame_rate.num > 0 ? s->avg_frame_rate : s->r_frame_rate;
    v.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
    v.duration = seconds_of(s);
    v.frames = s->nb_frames;
    v.bitrate = par->bit_rate;
    bool quarter = v.rotation == 90 || v.rotation == 270;
    info.width = quarter ? v.coded_height : v.coded_width;
    info.height = quarter ? v.coded_width : v.coded_height;
    info.kind = MediaKind::video;
    info.video = std::move(v);
  }
  if (ai >= 0) {
    const AVStream* s = ctx->streams[ai];
    const AVCodecParameters* par = s->codecpar;
    AudioStream a;
    a.codec = avcodec_get_name(par->codec_id);
    a.sample_rate = par->sample_rate;
    a.channels = par->ch_layout.nb_channels;
    a.duration = seconds_of(s);
    a.bitrate = par->bit_rate;
    if (vi < 0) {
      if (a.sample_rate <= 0 || a.channels <= 0)
        throw Error(ErrorKind::input, info.path, "audio stream has no sample rate or channels (corrupt)");
      info.kind = MediaKind::audio;
    }
    info.audio = std::move(a);
  }
  if (vi < 0 && ai < 0) throw Error(ErrorKind::input, info.path, "no video or audio stream");
  if (info.format == "mp4" || info.format == "mov") {
    check_not_truncated(ctx, info.path, info.file_size);
    info.faststart = read_faststart(info.path);
  }
  return info;
}

}  // namespace

MediaInfo probe(const std::string& path) {
  MediaInfo info;
  info.path = path;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw Error(ErrorKind::input, path, "no such file");
  if (fs::is_directory(st)) throw Error(ErrorKind::input, path, "is a directory, not a media file");
  if (!fs::is_regular_file(st)) throw Error(ErrorKind::input, path, "not a regular file");
  info.file_size = fs::file_size(path, ec);
  if (ec) throw Error(ErrorKind::input, path, "cannot read size: " + ec.message());
  if (info.file_size == 0) throw Error(ErrorKind::input, path, "empty file (0 bytes)");

  std::array<unsigned char, 32> head{};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path, "cannot open for reading: " + std::string(std::strerror(errno)));
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  std::size_t n = std::size_t(in.gcount());
  in.close();

  info.format = sniff_image_format(head, n);
  if (!info.format.empty()) {
    info.kind = MediaKind::image;
    return probe_image(std::move(info));
  }
  bool iso_bmff = n >= 8 && std::memcmp(head.data() + 4, "ftyp", 4) == 0;
  return probe_av(std::move(info), iso_bmff);
}

std::vector<ProbeResult> probe_all(const std::vector<std::string>& paths, unsigned threads) {
  image::init_vips();
  av::quiet_logging();
  std::vector<ProbeResult> results(paths.size(), Error(ErrorKind::input, "", "not probed"));
  parallel_for(paths.size(), int(threads), [&](std::size_t i) {
    try {
      results[i] = probe(paths[i]);
    } catch (const Error& e) {
      results[i] = e;
    } catch (const std::exception& e) {
      results[i] = Error(ErrorKind::input, paths[i], e.what());
    }
  });
  return results;
}

}  // namespace seedreel
