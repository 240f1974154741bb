#include "av/still.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "av/decode.hpp"
#include "av/demux.hpp"
#include "av/picture.hpp"
#include "pixel/png_write.hpp"

namespace seedreel::av {

namespace {

bool is_grey(const AVCodecParameters* par) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(AVPixelFormat(par->format));
  return d && d->nb_components == 1;
}

// The colour track, and an alpha track (grey, the same size) when there is one.
std::pair<int, int> picture_tracks(const Input& in) {
  const int colour = in.best_stream(AVMEDIA_TYPE_VIDEO);
  if (colour < 0) throw Error(ErrorKind::input, in.path(), "no picture that libvips or FFmpeg can read");
  const AVCodecParameters* c = in->streams[colour]->codecpar;
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    const AVCodecParameters* p = in->streams[i]->codecpar;
    if (int(i) != colour && p->codec_type == AVMEDIA_TYPE_VIDEO && is_grey(p) && p->width == c->width &&
        p->height == c->height)
      return {colour, int(i)};
  }
  return {colour, -1};
}

}  // namespace

ImageProps still_props(const std::string& path, int* width, int* height) {
  Input in(path);
  auto [colour, alpha] = picture_tracks(in);
  const AVStream* st = in->streams[colour];
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(AVPixelFormat(st->codecpar->format));
  ImageProps p;
  p.loader = "ffmpeg";
  p.alpha = alpha >= 0;
  p.bands = 3 + (p.alpha ? 1 : 0);
  p.bit_depth = d ? d->comp[0].depth : 8;
  p.colour_space = "srgb";
  p.pages = int(std::max<std::int64_t>(1, st->nb_frames));
  *width = st->codecpar->width;
  *height = st->codecpar->height;
  if (*width <= 0 || *height <= 0) throw Error(ErrorKind::input, path, "picture has no size (corrupt)");
  return p;
}

void write_first_frame_png(const std::string& path, const std::string& png) {
  Input in(path);
  auto [colour, alpha] = picture_tracks(in);
  Decoder colour_dec(in, colour);
  std::optional<Decoder> alpha_dec;
  if (alpha >= 0) alpha_dec.emplace(in, alpha);
  FramePtr colour_frame, alpha_frame;
  auto packet = make_packet();
  auto take_first = [](Decoder& dec, const AVPacket* pkt, FramePtr& into) {
    if (into) return;
    dec.send(pkt);
    auto f = make_frame();
    if (dec.receive(f.get())) into = std::move(f);
  };
  while ((!colour_frame || (alpha_dec && !alpha_frame)) && av_read_frame(in.get(), packet.get()) >= 0) {
    if (packet->stream_index == colour) take_first(colour_dec, packet.get(), colour_frame);
    if (alpha_dec && packet->stream_index == alpha) take_first(*alpha_dec, packet.get(), alpha_frame);
    av_packet_unref(packet.get());
  }
  take_first(colour_dec, nullptr, colour_frame);
  if (alpha_dec) take_first(*alpha_dec, nullptr, alpha_frame);
  if (!colour_frame || Decoder::flagged(*colour_frame) || colour_dec.damage() > 0)
    throw Error(ErrorKind::input, path, "the first frame does not decode cleanly");

  PackedRgb rgb = to_rgb(*colour_frame, rotation_of(in->streams[colour]));
  const bool with_alpha = alpha_frame && !Decoder::flagged(*alpha_frame) && rgb.bands == 3 &&
                          rotation_of(in->streams[colour]) == 0;
  if (!with_alpha) {
    pixel::write_png(png, {rgb.pixels.get(), rgb.width, rgb.height, rgb.bands, std::ptrdiff_t(rgb.width) * rgb.bands});
    return;
  }
  // An alpha track's grey samples are the alpha values (full range), 8-bit
  // or deeper in native-endian 16-bit words.
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(AVPixelFormat(alpha_frame->format));
  const int depth = d ? d->comp[0].depth : 8;
  auto alpha_at = [&](int x, int y) -> std::uint8_t {
    const std::uint8_t* row = alpha_frame->data[0] + std::ptrdiff_t(y) * alpha_frame->linesize[0];
    if (depth <= 8) return row[x];
    std::uint16_t v;
    std::memcpy(&v, row + 2 * x, 2);
    return std::uint8_t(std::min(255, (v + (1 << (depth - 9))) >> (depth - 8)));
  };
  std::vector<std::uint8_t> rgba(std::size_t(rgb.width) * std::size_t(rgb.height) * 4);
  for (int y = 0; y < rgb.height; ++y)
    for (int x = 0; x < rgb.width; ++x) {
      const std::size_t o = (std::size_t(y) * std::size_t(rgb.width) + std::size_t(x)) * 4;
      const std::size_t i = (std::size_t(y) * std::size_t(rgb.width) + std::size_t(x)) * 3;
      std::copy_n(rgb.pixels.get() + i, 3, rgba.data() + o);
      rgba[o + 3] = alpha_at(x, y);
    }
  pixel::write_png(png, {rgba.data(), rgb.width, rgb.height, 4, std::ptrdiff_t(rgb.width) * 4});
}

}  // namespace seedreel::av
