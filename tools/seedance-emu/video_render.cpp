#include "video_render.hpp"

#include <cmath>
#include <cstring>
#include <optional>

#include "av/encode.hpp"
#include "av/mux.hpp"
#include "av/picture.hpp"
#include "image/vips.hpp"
#include "util/atomic_file.hpp"
#include "seedreel/interrupt.hpp"

namespace seedance_emu {

namespace av = seedreel::av;

namespace {

constexpr int kFps = 24;
constexpr int kSampleRate = 48000;

// The image as a yuv420p frame of exactly w x h: scaled to cover, centre-cropped.
av::FramePtr fit_picture(const Picture& p, int w, int h) {
  auto img = vips::VImage::new_from_buffer(p.bytes.data(), p.bytes.size(), "").autorot();
  img = img.thumbnail_image(w, vips::VImage::option()->set("height", h)->set("crop", VIPS_INTERESTING_CENTRE));
  // 16-bit, CMYK and grey sources all become 8-bit sRGB.
  img = img.colourspace(VIPS_INTERPRETATION_sRGB);
  if (img.width() != w || img.height() != h) img = img.crop(0, 0, std::min(w, img.width()), std::min(h, img.height()));
  return av::to_frame(img, AV_PIX_FMT_YUV420P);
}

av::FramePtr blank_frame(int w, int h) {
  av::FramePtr f = av::make_frame();
  f->format = AV_PIX_FMT_YUV420P;
  f->width = w;
  f->height = h;
  av::check(av_frame_get_buffer(f.get(), 0), seedreel::ErrorKind::io, "", "frame buffer");
  f->colorspace = AVCOL_SPC_BT709;
  f->color_primaries = AVCOL_PRI_BT709;
  f->color_trc = AVCOL_TRC_BT709;
  f->color_range = AVCOL_RANGE_MPEG;
  return f;
}

struct Plane {
  uint8_t* data;
  int linesize, width, height;
};
Plane plane(AVFrame& f, int i) {
  int shift = i == 0 ? 0 : 1;
  return {f.data[i], f.linesize[i], (f.width + shift) >> shift, (f.height + shift) >> shift};
}

// A moving test pattern: diagonal luma bands drifting right, slowly cycling colour.
void draw_pattern(AVFrame& f, int i) {
  Plane y = plane(f, 0), u = plane(f, 1), v = plane(f, 2);
  for (int r = 0; r < y.height; ++r) {
    uint8_t* row = y.data + std::ptrdiff_t(r) * y.linesize;
    for (int c = 0; c < y.width; ++c) row[c] = uint8_t(16 + ((c + r / 2 - i * 6) & 255) * 219 / 255);
  }
  uint8_t cu = uint8_t(128 + 60 * std::sin(i * 0.05)), cv = uint8_t(128 + 60 * std::cos(i * 0.05));
  for (int r = 0; r < u.height; ++r) {
    std::memset(u.data + std::ptrdiff_t(r) * u.linesize, cu, std::size_t(u.width));
    std::memset(v.data + std::ptrdiff_t(r) * v.linesize, cv, std::size_t(v.width));
  }
}

// The first frame drifting left (wrapping), 2 luma pixels per frame, so the
// video moves yet frame 0 is the image exactly.
void draw_drift(AVFrame& f, const AVFrame& first, int i) {
  for (int p = 0; p < 3; ++p) {
    Plane dst = plane(f, p);
    Plane src = plane(const_cast<AVFrame&>(first), p);
    int shift = ((p == 0 ? 2 : 1) * i) % dst.width;
    for (int r = 0; r < dst.height; ++r) {
      const uint8_t* s = src.data + std::ptrdiff_t(r) * src.linesize;
      uint8_t* d = dst.data + std::ptrdiff_t(r) * dst.linesize;
      std::memcpy(d, s + shift, std::size_t(dst.width - shift));
      std::memcpy(d + (dst.width - shift), s, std::size_t(shift));
    }
  }
}

// A cross-fade from the first image (frame 0) to the last image (final frame).
void draw_blend(AVFrame& f, const AVFrame& a, const AVFrame& b, int i, int frames) {
  int t = frames > 1 ? i * 256 / (frames - 1) : 256;
  for (int p = 0; p < 3; ++p) {
    Plane dst = plane(f, p);
    for (int r = 0; r < dst.height; ++r) {
      const uint8_t* sa = a.data[p] + std::ptrdiff_t(r) * a.linesize[p];
      const uint8_t* sb = b.data[p] + std::ptrdiff_t(r) * b.linesize[p];
      uint8_t* d = dst.data + std::ptrdiff_t(r) * dst.linesize;
      for (int c = 0; c < dst.width; ++c) d[c] = uint8_t((sa[c] * (256 - t) + sb[c] * t + 128) >> 8);
    }
  }
}

void encode_tone(av::Encoder& enc, av::Muxer& mux, int stream, int seconds) {
  av::AudioConverter conv(enc.get());
  av::FramePtr in = av::make_frame();
  in->format = AV_SAMPLE_FMT_S16;
  in->sample_rate = kSampleRate;
  av_channel_layout_default(&in->ch_layout, 1);
  in->nb_samples = 4800;
  av::check(av_frame_get_buffer(in.get(), 0), seedreel::ErrorKind::io, "", "audio buffer");
  auto sink = [&](AVPacket& p) { mux.write(p, stream, enc->time_base); };
  av::FramePtr out = av::make_frame();
  std::int64_t total = std::int64_t(seconds) * kSampleRate;
  for (std::int64_t done = 0; done < total; done += in->nb_samples) {
    auto* s = reinterpret_cast<int16_t*>(in->data[0]);
    for (int k = 0; k < in->nb_samples; ++k)
      s[k] = int16_t(6000 * std::sin(2 * M_PI * 440 * double(done + k) / kSampleRate));
    conv.push(*in);
    while (conv.pop(*out)) enc.encode(out.get(), sink);
  }
  conv.flush();
  while (conv.pop(*out, true)) enc.encode(out.get(), sink);
  enc.encode(nullptr, sink);
}

}  // namespace

void render_video(const Generation& g, const std::filesystem::path& mp4, const std::filesystem::path& last_png) {
  seedreel::image::load_vips_modules();
  const int w = g.width, h = g.height, frames = g.duration * kFps;
  std::optional<av::FramePtr> first, last;
  if (g.first_frame) first = fit_picture(*g.first_frame, w, h);
  if (g.last_frame && first) last = fit_picture(*g.last_frame, w, h);

  seedreel::AtomicFile out(mp4);
  av::Muxer mux(out.temp_path());
  av::VideoSettings vs;
  vs.width = w;
  vs.height = h;
  vs.preset = "ultrafast";  // tests render many of these on small machines
  vs.crf = 20;
  vs.gop = kFps * 2;
  auto venc = av::Encoder::video(vs, mux.needs_global_header());
  int vstream = mux.add_stream(venc.get());
  std::optional<av::Encoder> aenc;
  int astream = -1;
  if (g.generate_audio) {
    aenc.emplace(av::Encoder::audio({}, mux.needs_global_header()));
    astream = mux.add_stream(aenc->get());
  }
  mux.begin();

  auto vsink = [&](AVPacket& p) { mux.write(p, vstream, venc->time_base); };
  av::FramePtr final_frame;
  for (int i = 0; i < frames; ++i) {
    if (i % kFps == 0) seedreel::throw_if_interrupted(mp4.string());
    av::FramePtr f = blank_frame(w, h);
    if (first && last)
      draw_blend(*f, **first, **last, i, frames);
    else if (first)
      draw_drift(*f, **first, i);
    else
      draw_pattern(*f, i);
    f->pts = i;
    venc.encode(f.get(), vsink);
    if (i == frames - 1) final_frame = std::move(f);
  }
  venc.encode(nullptr, vsink);
  if (aenc) encode_tone(*aenc, mux, astream, g.duration);
  mux.end();

  // The last frame as the PNG Ark's return_last_frame points at.
  seedreel::AtomicFile png(last_png);
  av::to_image(*final_frame).pngsave(png.temp_path().c_str());
  out.commit();
  png.commit();
}

}  // namespace seedance_emu
