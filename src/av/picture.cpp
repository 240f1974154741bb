#include "av/picture.hpp"

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

extern "C" {
#include <libavutil/imgutils.h>
}

#include "pixel/orient.hpp"

namespace seedreel::av {

namespace {

bool is_full_range(const AVFrame& f) {
  if (f.color_range == AVCOL_RANGE_JPEG) return true;
  auto fmt = AVPixelFormat(f.format);
  return fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P ||
         fmt == AV_PIX_FMT_YUVJ440P;
}

// The YUV matrix a frame was encoded with. Untagged video follows what players
// do: BT.709 from 720 lines up, BT.601 below.
int source_matrix(const AVFrame& f) {
  switch (f.colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    default: return f.height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
  }
}

bool has_alpha(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
}

bool is_rgb(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

}  // namespace

Scaler::Scaler(int width, int height, AVPixelFormat format, int flags, int threads)
    : width_(width), height_(height), format_(format), flags_(flags), threads_(std::max(1, threads)) {}

void Scaler::prepare(const AVFrame& src) {
  int range = is_full_range(src) ? 1 : 0;
  if (!sws_ || src.width != src_w_ || src.height != src_h_ || src.format != src_fmt_ || src.colorspace != src_space_ ||
      range != src_range_) {
    sws_ = make_sws(src.width, src.height, AVPixelFormat(src.format), width_, height_, format_, flags_,
                    {{"threads", threads_}});
    if (!sws_) throw Error(ErrorKind::input, "", "cannot convert this picture format");
    bool to_yuv = !is_rgb(format_);
    int dst_matrix = to_yuv ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
    sws_setColorspaceDetails(sws_.get(), sws_getCoefficients(source_matrix(src)), range,
                             sws_getCoefficients(dst_matrix), to_yuv ? 0 : 1, 0, 1 << 16, 1 << 16);
    src_w_ = src.width;
    src_h_ = src.height;
    src_fmt_ = src.format;
    src_space_ = src.colorspace;
    src_range_ = range;
  }
}

void Scaler::convert_into(const AVFrame& src, uint8_t* const dst[], const int dst_linesize[]) {
  prepare(src);
  if (threads_ == 1 || !src.buf[0]) {
    sws_scale(sws_.get(), src.data, src.linesize, 0, src.height, dst, dst_linesize);
    return;
  }
  // Slice threads run only through the frame API, which wants reference-
  // counted frames: the caller's planes are lent under a buffer that frees nothing.
  FramePtr out = make_frame();
  out->width = width_;
  out->height = height_;
  out->format = format_;
  for (int i = 0; i < 4 && dst[i]; ++i) {
    out->data[i] = dst[i];
    out->linesize[i] = dst_linesize[i];
  }
  out->buf[0] = av_buffer_create(dst[0], 1, [](void*, uint8_t*) {}, nullptr, 0);
  if (!out->buf[0]) throw std::bad_alloc();
  check(sws_scale_frame(sws_.get(), out.get(), &src), ErrorKind::input, "", "cannot convert this picture");
}

FramePtr Scaler::convert(const AVFrame& src) {
  prepare(src);
  FramePtr out = make_frame();
  out->width = width_;
  out->height = height_;
  out->format = format_;
  check(av_frame_get_buffer(out.get(), 0), ErrorKind::input, "", "picture buffer");
  convert_into(src, out->data, out->linesize);
  out->pts = src.pts;
  out->pkt_duration = src.pkt_duration;
  if (!is_rgb(format_)) {
    out->colorspace = AVCOL_SPC_BT709;
    out->color_primaries = AVCOL_PRI_BT709;
    out->color_trc = AVCOL_TRC_BT709;
    out->color_range = AVCOL_RANGE_MPEG;
  }
  return out;
}

namespace {

// Packed pixels turned clockwise by 90, 180 or 270 degrees.
PackedRgb rotate(const PackedRgb& in, int rotation) {
  const int orientation = pixel::orientation_of_rotation(rotation);
  PackedRgb out;
  out.bands = in.bands;
  out.depth = in.depth;
  out.width = pixel::swaps_sides(orientation) ? in.height : in.width;
  out.height = pixel::swaps_sides(orientation) ? in.width : in.height;
  out.pixels.reset(static_cast<unsigned char*>(g_malloc(in.size())));
  pixel::orient(in.pixels.get(), in.width, in.height, std::ptrdiff_t(in.width) * in.pixel_bytes(), in.pixel_bytes(),
                orientation, out.pixels.get(), std::ptrdiff_t(out.width) * out.pixel_bytes());
  return out;
}

}  // namespace

PackedRgb to_rgb(const AVFrame& frame, int rotation, int depth) {
  if (depth != 8 && depth != 16) throw Error(ErrorKind::invalid_argument, "", "picture depth must be 8 or 16 bits");
  const bool alpha = has_alpha(AVPixelFormat(frame.format));
  PackedRgb rgb;
  rgb.width = frame.width;
  rgb.height = frame.height;
  rgb.bands = alpha ? 4 : 3;
  rgb.depth = depth;
  const AVPixelFormat format = depth == 16 ? (alpha ? AV_PIX_FMT_RGBA64BE : AV_PIX_FMT_RGB48BE)
                                           : (alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24);
  const int threads = int(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  Scaler scaler(frame.width, frame.height, format, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, threads);
  const std::size_t row = std::size_t(frame.width) * std::size_t(rgb.pixel_bytes());
  rgb.pixels.reset(static_cast<unsigned char*>(g_malloc(rgb.size())));
  unsigned char* pixels = rgb.pixels.get();
  if (row % 16 == 0) {
    // swscale writes packed rows straight into our memory (g_malloc is
    // 16-byte aligned, as swscale's SIMD output wants).
    uint8_t* dst[4] = {pixels, nullptr, nullptr, nullptr};
    const int stride[4] = {int(row), 0, 0, 0};
    scaler.convert_into(frame, dst, stride);
  } else {
    FramePtr converted = scaler.convert(frame);
    for (int y = 0; y < frame.height; ++y)
      std::copy_n(converted->data[0] + std::ptrdiff_t(y) * converted->linesize[0], row, pixels + std::size_t(y) * row);
  }
  if (rotation == 90 || rotation == 180 || rotation == 270) return rotate(rgb, rotation);
  return rgb;
}

vips::VImage to_image(const AVFrame& frame, int rotation) { return to_image(to_rgb(frame, rotation)); }

vips::VImage to_image(PackedRgb rgb) {
  if (rgb.depth != 8) throw Error(ErrorKind::invalid_argument, "", "16-bit pictures are saved as PNG only");
  const std::size_t size = rgb.size();
  const int w = rgb.width, h = rgb.height, bands = rgb.bands;
  vips::VImage image = vips::VImage::new_from_memory_steal(rgb.pixels.release(), size, w, h, bands, VIPS_FORMAT_UCHAR);
  return image.copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

FramePtr to_frame(const vips::VImage& image, AVPixelFormat format) {
  vips::VImage rgb = image;
  if (rgb.has_alpha()) rgb = rgb.flatten(vips::VImage::option()->set("background", std::vector<double>{0, 0, 0}));
  if (rgb.bands() == 1) rgb = rgb.bandjoin(rgb).bandjoin(rgb);
  if (rgb.bands() != 3) throw Error(ErrorKind::input, "", "picture must be grey or RGB");
  if (rgb.format() != VIPS_FORMAT_UCHAR) rgb = rgb.cast(VIPS_FORMAT_UCHAR);
  std::size_t size = 0;
  void* raw = rgb.write_to_memory(&size);
  std::unique_ptr<void, void (*)(void*)> pixels(raw, g_free);
  FramePtr src = make_frame();
  src->width = rgb.width();
  src->height = rgb.height();
  src->format = AV_PIX_FMT_RGB24;
  src->color_range = AVCOL_RANGE_JPEG;
  av_image_fill_arrays(src->data, src->linesize, static_cast<const uint8_t*>(raw), AV_PIX_FMT_RGB24, rgb.width(),
                       rgb.height(), 1);
  Scaler scaler(rgb.width(), rgb.height(), format, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP);
  return scaler.convert(*src);
}

}  // namespace seedreel::av
