#include "image/jpeg_scale.hpp"

#include <algorithm>
#include <condition_variable>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

extern "C" {
#include <jpeglib.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "pixel/orient.hpp"
#include "pixel/sws.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::image {

namespace {

// libjpeg reports errors through a callback that must not return: it jumps
// back to the guarded call. Warnings (damaged data it can step over) are
// counted, and any makes us hand the file to libvips, which has the policy.
struct ErrorTrap {
  jpeg_error_mgr mgr{};
  std::jmp_buf jump{};
  bool warned = false;
};

[[noreturn]] void on_error(j_common_ptr c) { std::longjmp(reinterpret_cast<ErrorTrap*>(c->err)->jump, 1); }
void on_message(j_common_ptr c, int level) {
  if (level < 0) reinterpret_cast<ErrorTrap*>(c->err)->warned = true;
}

void arm(ErrorTrap& t) {
  jpeg_std_error(&t.mgr);
  t.mgr.error_exit = on_error;
  t.mgr.emit_message = on_message;
}

// Runs libjpeg calls; false when they raised an error or a warning. `f` must
// not own anything with a destructor: the jump skips its frame.
template <typename F>
bool guarded(ErrorTrap& t, F&& f) {
  if (setjmp(t.jump)) return false;
  f();
  return !t.warned;
}

struct AvFree {
  void operator()(std::uint8_t* p) const noexcept { av_free(p); }
};
using Aligned = std::unique_ptr<std::uint8_t, AvFree>;

constexpr int align64(int n) { return (n + 63) & ~63; }

// One 8-bit plane in SIMD-aligned memory (swscale and libjpeg read whole
// rows; the padding absorbs their over-reads).
struct Plane {
  int width = 0, height = 0, stride = 0;
  Aligned data;
  Plane() = default;
  Plane(int w, int h) : width(w), height(h), stride(align64(w + 32)) {
    data.reset(static_cast<std::uint8_t*>(av_malloc(std::size_t(stride) * std::size_t(h + 1))));
    if (!data) throw std::bad_alloc();
  }
  std::uint8_t* row(int y) const { return data.get() + std::size_t(stride) * std::size_t(y); }
};

struct Decompress {
  jpeg_decompress_struct c{};
  ErrorTrap trap;
  Decompress() {
    arm(trap);
    c.err = &trap.mgr;
    jpeg_create_decompress(&c);
  }
  ~Decompress() { jpeg_destroy_decompress(&c); }
};

struct Compress {
  jpeg_compress_struct c{};
  ErrorTrap trap;
  Compress() {
    arm(trap);
    c.err = &trap.mgr;
    jpeg_create_compress(&c);
  }
  ~Compress() { jpeg_destroy_compress(&c); }
};

bool has_icc_profile(const jpeg_decompress_struct& c) {
  static constexpr char tag[] = "ICC_PROFILE";
  for (jpeg_saved_marker_ptr m = c.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 2 && m->data_length >= sizeof tag && std::memcmp(m->data, tag, sizeof tag) == 0) return true;
  return false;
}

// swscale's name for the planes' layout, from the chroma planes' size.
AVPixelFormat layout(int lw, int lh, int cw, int ch) {
  const int hw = (lw + 1) / 2, hh = (lh + 1) / 2;
  if (cw == lw && ch == lh) return AV_PIX_FMT_YUV444P;
  if (cw == hw && ch == lh) return AV_PIX_FMT_YUV422P;
  if (cw == hw && ch == hh) return AV_PIX_FMT_YUV420P;
  if (cw == lw && ch == hh) return AV_PIX_FMT_YUV440P;
  return AV_PIX_FMT_NONE;
}

// Lanczos-3 between two full-range layouts with the same matrix: no colour
// conversion happens, only resampling. JPEG places subsampled chroma between
// the luma samples (centre, 128/256), not MPEG-2's left siting; a direction
// that is not subsampled keeps swscale's co-sited default.
pixel::SwsPtr resampler(int sw, int sh, AVPixelFormat sf, int dw, int dh, AVPixelFormat df) {
  constexpr int centred = 128, swscale_default = -513;  // chroma position in 1/256 of a sample
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(sf);
  return pixel::make_sws(sw, sh, sf, dw, dh, df, SWS_LANCZOS | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                      {{"src_range", 1},
                       {"dst_range", 1},
                       {"src_h_chr_pos", d->log2_chroma_w > 0 ? centred : swscale_default},
                       {"src_v_chr_pos", d->log2_chroma_h > 0 ? centred : swscale_default}});
}

// Largest DCT scaling (1/2, 1/4, 1/8) that still leaves at least a factor of
// two for the resampler, as libvips' thumbnail does: the DCT shrink alone
// sharpens (it drops frequencies per 8x8 block, no anti-alias filter).
int dct_denominator(int iw, int ih, int ow, int oh) {
  for (int d : {8, 4, 2})
    if (iw / d >= 2 * ow && ih / d >= 2 * oh) return d;
  return 1;
}

// Displayed planes from stored ones under EXIF orientation 2..8.
Plane oriented(const Plane& p, int orientation) {
  Plane out(pixel::swaps_sides(orientation) ? p.height : p.width, pixel::swaps_sides(orientation) ? p.width : p.height);
  pixel::orient(p.row(0), p.width, p.height, p.stride, 1, orientation, out.row(0), out.stride);
  return out;
}

// Writes rows as they become ready, so encoding overlaps the resampling.
class Encoder {
 public:
  explicit Encoder(const std::string& path) : file_(std::fopen(path.c_str(), "wb")), path_(path) {}

  bool start(int width, int height, int components, int quality) {
    if (!file_) return false;
    row_.resize(std::size_t(width) * std::size_t(components));
    auto* c = &enc_.c;
    auto* file = file_.get();
    return guarded(enc_.trap, [c, file, width, height, components, quality] {
      jpeg_stdio_dest(c, file);
      c->image_width = JDIMENSION(width);
      c->image_height = JDIMENSION(height);
      c->input_components = components;
      c->in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_YCbCr;
      jpeg_set_defaults(c);
      jpeg_set_colorspace(c, c->in_color_space);
      if (components == 3) {
        const int s = quality >= 90 ? 1 : 2;
        c->comp_info[0].h_samp_factor = c->comp_info[0].v_samp_factor = s;
        for (int i = 1; i < 3; ++i) c->comp_info[i].h_samp_factor = c->comp_info[i].v_samp_factor = 1;
      }
      jpeg_set_quality(c, quality, TRUE);
      c->optimize_coding = TRUE;
      c->dct_method = JDCT_ISLOW;
      jpeg_start_compress(c, TRUE);
    });
  }

  // Rows [from, to) of full-resolution planes, interleaved for libjpeg (which
  // subsamples the chroma itself when asked to).
  bool rows(const std::vector<Plane>& planes, int from, int to) {
    const int w = planes[0].width;
    for (int y = from; y < to; ++y) {
      if (planes.size() == 1) {
        std::memcpy(row_.data(), planes[0].row(y), std::size_t(w));
      } else {
        const std::uint8_t *a = planes[0].row(y), *b = planes[1].row(y), *d = planes[2].row(y);
        std::uint8_t* r = row_.data();
        for (int x = 0; x < w; ++x, r += 3) {
          r[0] = a[x];
          r[1] = b[x];
          r[2] = d[x];
        }
      }
      JSAMPROW r = row_.data();
      auto* c = &enc_.c;
      if (!guarded(enc_.trap, [c, &r] { jpeg_write_scanlines(c, &r, 1); })) return false;
    }
    return true;
  }

  std::optional<std::uint64_t> finish() {
    auto* c = &enc_.c;
    if (!guarded(enc_.trap, [c] { jpeg_finish_compress(c); })) return std::nullopt;
    if (std::fflush(file_.get()) != 0 || std::ferror(file_.get())) return std::nullopt;
    file_.reset();
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_, ec);
    if (ec) return std::nullopt;
    return std::uint64_t(size);
  }

 private:
  UniqueFile file_;
  std::string path_;
  Compress enc_;
  std::vector<std::uint8_t> row_;
};

// Bands of decoded rows handed from the decoding thread to the resampling
// one through a small ring, so libjpeg's (serial) decoding and swscale run on
// two cores at once.
class BandRing {
 public:
  BandRing(std::size_t slots) : slots_(slots) {}
  std::size_t slots() const { return slots_; }
  // Producer: waits for slot `k % slots` to be free; false when the consumer gave up.
  bool wait_free(std::size_t k) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return stop_ || k < consumed_ + slots_; });
    return !stop_;
  }
  void publish() {
    { std::lock_guard lock(m_); ++produced_; }
    cv_.notify_all();
  }
  // Consumer: waits for band k; false when the producer ended without it.
  bool wait_full(std::size_t k) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return k < produced_ || ended_; });
    return k < produced_;
  }
  void release() {
    { std::lock_guard lock(m_); ++consumed_; }
    cv_.notify_all();
  }
  void end() {  // producer is done (or failed)
    { std::lock_guard lock(m_); ended_ = true; }
    cv_.notify_all();
  }
  void stop() {  // consumer is done or gives up
    { std::lock_guard lock(m_); stop_ = true; }
    cv_.notify_all();
  }

 private:
  std::size_t slots_;
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t produced_ = 0, consumed_ = 0;
  bool ended_ = false, stop_ = false;
};

}  // namespace

std::optional<std::uint64_t> scale_jpeg(const std::string& in, const std::string& out, const JpegScale& how) {
  if (how.width <= 0 || how.height <= 0 || how.orientation < 1 || how.orientation > 8) return std::nullopt;
  UniqueFile f(std::fopen(in.c_str(), "rb"));
  if (!f) return std::nullopt;
  Decompress dec;
  auto* c = &dec.c;
  auto* file = f.get();
  if (!guarded(dec.trap, [c, file] {
        jpeg_stdio_src(c, file);
        jpeg_save_markers(c, JPEG_APP0 + 2, 0xFFFF);
        jpeg_read_header(c, TRUE);
      }))
    return std::nullopt;
  const bool grey = c->num_components == 1 && c->jpeg_color_space == JCS_GRAYSCALE;
  const bool ycc = c->num_components == 3 && c->jpeg_color_space == JCS_YCbCr;
  if (c->data_precision != 8 || !(grey || ycc) || has_icc_profile(*c)) return std::nullopt;

  // The stored (not yet oriented) size we resample to.
  const bool transpose = pixel::swaps_sides(how.orientation);
  const int ow = transpose ? how.height : how.width, oh = transpose ? how.width : how.height;
  if (ow > int(c->image_width) || oh > int(c->image_height)) return std::nullopt;

  const int denom = dct_denominator(int(c->image_width), int(c->image_height), ow, oh);
  if (!guarded(dec.trap, [c, denom] {
        c->scale_num = 1;
        c->scale_denom = unsigned(denom);
        c->raw_data_out = TRUE;
        c->out_color_space = c->jpeg_color_space;
        c->dct_method = JDCT_ISLOW;
        jpeg_start_decompress(c);
      }))
    return std::nullopt;

  const int n = c->num_components;
  const jpeg_component_info* comp = c->comp_info;
  const int lw = int(comp[0].downsampled_width), lh = int(comp[0].downsampled_height);
  if (lw != int(c->output_width) || lh != int(c->output_height)) return std::nullopt;  // luma is not the largest plane
  AVPixelFormat src_fmt = AV_PIX_FMT_GRAY8;
  if (n == 3) {
    if (comp[1].downsampled_width != comp[2].downsampled_width || comp[1].downsampled_height != comp[2].downsampled_height)
      return std::nullopt;
    src_fmt = layout(lw, lh, int(comp[1].downsampled_width), int(comp[1].downsampled_height));
    if (src_fmt == AV_PIX_FMT_NONE) return std::nullopt;
  }
  auto sws = resampler(lw, lh, src_fmt, ow, oh, n == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_YUV444P);
  if (!sws) return std::nullopt;

  // Bands of several iMCU rows (libjpeg hands out whole block rows; swscale
  // takes them as consecutive slices and keeps the lines it still needs).
  constexpr int imcu_per_band = 4;
  const int imcu_rows = c->max_v_samp_factor * c->min_DCT_scaled_size;  // luma rows per iMCU row
  const int band_rows = imcu_per_band * imcu_rows;
  const std::size_t bands = std::size_t((lh + band_rows - 1) / band_rows);
  BandRing ring(4);
  std::vector<std::vector<Plane>> slot(ring.slots());  // [slot][component]
  for (auto& s : slot)
    for (int i = 0; i < n; ++i)
      s.emplace_back(int(comp[i].width_in_blocks) * comp[i].DCT_scaled_size,
                     imcu_per_band * comp[i].v_samp_factor * comp[i].DCT_scaled_size);

  // Upright output is encoded as swscale makes it, from a window of rows; a
  // turned one needs the whole picture first.
  const bool stream_out = how.orientation == 1;
  // One band completes at most band_rows * oh / lh output rows, plus the few
  // whose filter reaches past the last row at the end; oh <= lh always (we
  // only shrink, and DCT scaling leaves a factor of two), so this is enough.
  const int window = band_rows + 64;
  std::vector<Plane> scaled;
  for (int i = 0; i < n; ++i) scaled.emplace_back(ow, stream_out ? window : oh);
  Encoder enc(out);
  if (stream_out && !enc.start(ow, oh, n, how.quality)) return std::nullopt;

  // The decoding thread: every libjpeg call of `dec` happens on it from here on.
  bool decoded = false;
  std::thread decoder([&] {
    std::vector<JSAMPROW> rows;
    for (std::size_t k = 0; k < bands && ring.wait_free(k); ++k) {
      auto& s = slot[k % ring.slots()];
      const int imcus = std::min<int>(imcu_per_band, (lh - int(k) * band_rows + imcu_rows - 1) / imcu_rows);
      bool ok = true;
      for (int j = 0; ok && j < imcus; ++j) {
        JSAMPARRAY arrays[MAX_COMPONENTS] = {};
        rows.clear();
        rows.reserve(std::size_t(n) * MAX_SAMP_FACTOR * 16);
        for (int i = 0; i < n; ++i) {
          const int h = comp[i].v_samp_factor * comp[i].DCT_scaled_size;
          arrays[i] = rows.data() + rows.size();
          for (int y = 0; y < h; ++y) rows.push_back(s[std::size_t(i)].row(j * h + y));
        }
        ok = guarded(dec.trap, [c, &arrays, imcu_rows] { jpeg_read_raw_data(c, arrays, JDIMENSION(imcu_rows)); });
      }
      if (!ok) break;
      ring.publish();
      if (k + 1 == bands) decoded = guarded(dec.trap, [c] { jpeg_finish_decompress(c); });
    }
    ring.end();
  });
  // Whatever happens below, the decoder is stopped and joined before `dec` goes.
  struct Join {
    BandRing& ring;
    std::thread& thread;
    ~Join() {
      ring.stop();
      if (thread.joinable()) thread.join();
    }
  } join{ring, decoder};

  int dst_stride[4] = {};
  for (int i = 0; i < n; ++i) dst_stride[i] = scaled[std::size_t(i)].stride;
  bool ok = true;
  int done = 0;  // output rows written
  for (std::size_t k = 0; ok && k < bands; ++k) {
    if (!ring.wait_full(k)) {
      ok = false;
      break;
    }
    const auto& s = slot[k % ring.slots()];
    const std::uint8_t* src[4] = {};
    int src_stride[4] = {};
    for (int i = 0; i < n; ++i) {
      src[i] = s[std::size_t(i)].row(0);
      src_stride[i] = s[std::size_t(i)].stride;
    }
    // swscale writes output row r at dst + r * stride. Streaming, the base is
    // moved back by the rows already encoded, so the next rows land at the
    // window's top (address arithmetic: the shifted base itself is never read).
    std::uint8_t* dst[4] = {};
    for (int i = 0; i < n; ++i) {
      const std::ptrdiff_t back = stream_out ? std::ptrdiff_t(done) * dst_stride[i] : 0;
      dst[i] = reinterpret_cast<std::uint8_t*>(reinterpret_cast<std::uintptr_t>(scaled[std::size_t(i)].row(0)) - back);
    }
    const int y = int(k) * band_rows;
    const int made = sws_scale(sws.get(), src, src_stride, y, std::min(band_rows, lh - y), dst, dst_stride);
    ring.release();
    if (made < 0) ok = false;
    if (ok && stream_out && made > 0) ok = enc.rows(scaled, 0, made);
    done += std::max(made, 0);
  }
  ring.stop();
  decoder.join();
  if (!ok || !decoded || done != oh) return std::nullopt;
  f.reset();

  if (!stream_out) {
    for (auto& p : scaled) p = oriented(p, how.orientation);
    if (!enc.start(scaled[0].width, scaled[0].height, n, how.quality) || !enc.rows(scaled, 0, scaled[0].height))
      return std::nullopt;
  }
  return enc.finish();
}

}  // namespace seedreel::image
