// contact_sheet: a grid of evenly spaced frames with their times, seams marked.
// Seams are the chapter starts of the video: `stitch` writes one chapter per
// clip, and other tools' chapters mark their parts the same way.
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "av/decode.hpp"
#include "av/picture.hpp"
#include "image/vips.hpp"
#include "post/grab.hpp"
#include "seedreel/frames.hpp"

namespace seedreel {

namespace {

constexpr int kShim = 4;             // pixels between tiles
constexpr int kSeamBar = 6;          // width of the red seam marker
constexpr int kMaxTiles = 400;

std::string clock_text(double seconds) {
  int minutes = int(seconds / 60);
  return fmt::format("{:02d}:{:05.2f}", minutes, seconds - minutes * 60);
}

// Draws `label` white on a box in the tile's bottom-left corner (top-left
// with `top`): the tile darkened, or `box` when given.
vips::VImage draw_label(vips::VImage tile, const std::string& label, bool top = false,
                        const std::vector<double>& box = {}) {
  auto mask = vips::VImage::text(label.c_str(), vips::VImage::option()->set("font", "sans bold 11")->set("dpi", 96));
  mask = mask.embed(5, 3, mask.width() + 10, mask.height() + 6);
  const int w = std::min(mask.width(), tile.width()), h = std::min(mask.height(), tile.height());
  mask = mask.extract_area(0, 0, w, h);
  const int y = top ? 0 : tile.height() - h;
  auto under = box.empty() ? (tile.extract_area(0, y, w, h) * 0.35).cast(VIPS_FORMAT_UCHAR)
                           : (vips::VImage::black(w, h, vips::VImage::option()->set("bands", 3)) + box).cast(VIPS_FORMAT_UCHAR);
  auto boxed = mask.ifthenelse(std::vector<double>{255, 255, 255}, under, vips::VImage::option()->set("blend", true));
  return tile.insert(boxed, 0, y);
}

const std::vector<double> kSeamColour{230, 30, 30};

// A red bar down the left edge and a "seam" tag: this tile is the first after a seam.
vips::VImage mark_seam(vips::VImage tile, double at) {
  auto bar = (vips::VImage::black(kSeamBar, tile.height(), vips::VImage::option()->set("bands", 3)) + kSeamColour)
                 .cast(VIPS_FORMAT_UCHAR);
  return draw_label(tile.insert(bar, 0, 0), "seam " + clock_text(at), true, kSeamColour);
}

}  // namespace

SheetResult contact_sheet(const std::string& video, const std::string& out, const SheetOptions& options) {
  post::check_image_output(out, {video});
  post::check_save_options(out, options.save);
  post::check_regular_input(video);
  if (options.cols < 1 || options.rows < 1 || options.cols * options.rows > kMaxTiles)
    throw Error(ErrorKind::invalid_argument, "", fmt::format("the grid needs 1-{} tiles", kMaxTiles));
  if (options.tile_width < 16 || options.tile_width > 4096) throw Error(ErrorKind::invalid_argument, "", "tile width must be 16-4096");
  image::init_vips();

  av::Input in(video);
  const int v = post::video_stream(in);
  const AVStream* st = in->streams[v];
  for (unsigned i = 0; i < in->nb_streams; ++i)
    if (int(i) != v) in->streams[i]->discard = AVDISCARD_ALL;
  const std::int64_t start = post::stream_start(st), end = post::stream_end(in, st);
  if (end == AV_NOPTS_VALUE) throw Error(ErrorKind::input, video, "duration unknown");
  const double tb = av_q2d(st->time_base);
  const int rotation = av::rotation_of(st);

  SheetResult result;
  result.path = out;
  for (unsigned i = 0; i < in->nb_chapters; ++i) {
    const AVChapter* c = in->chapters[i];
    double at = double(c->start) * av_q2d(c->time_base) - double(start) * tb;
    if (at > 1e-3) result.seams.push_back(at);
  }

  // One pass in display order; tile i shows the frame displayed at the
  // middle of the i-th equal slice of the video.
  const int n = options.cols * options.rows;
  std::vector<std::int64_t> targets;
  for (int i = 0; i < n; ++i) targets.push_back(start + std::int64_t(double(end - start) * (i + 0.5) / n));
  std::vector<vips::VImage> tiles;
  std::vector<double> tile_times;
  av::Decoder dec(in, v);
  post::KeyLedger keys(dec);
  // A tile is a picture we write: never one the decoder could not reconstruct.
  auto add_tile = [&](const AVFrame& f) {
    keys.check_clean(video, f.pts);
    tiles.push_back(post::fit(av::to_image(f, rotation), options.tile_width, 0));
    tile_times.push_back(double(f.pts - start) * tb);
  };
  auto prev = av::make_frame();
  bool have_prev = false;
  av::decode_frames(in, dec, [&](AVFrame& f) {
    keys.seen(f);
    while (int(tiles.size()) < n && f.pts > targets[tiles.size()]) add_tile(have_prev ? *prev : f);
    av_frame_unref(prev.get());
    av_frame_move_ref(prev.get(), &f);
    have_prev = true;
    return int(tiles.size()) < n;
  });
  if (!have_prev) throw Error(ErrorKind::input, video, "no decodable video frame");
  while (int(tiles.size()) < n) add_tile(*prev);

  // Seams fall between tiles: mark the first tile shown after each one.
  std::vector<double> seam_at(std::size_t(n), -1);
  for (double s : result.seams)
    for (int i = 0; i < n; ++i)
      if (tile_times[std::size_t(i)] + 1e-6 >= s) {
        if (seam_at[std::size_t(i)] < 0) seam_at[std::size_t(i)] = s;
        break;
      }
  for (int i = 0; i < n; ++i) {
    vips::VImage& t = tiles[std::size_t(i)];
    if (seam_at[std::size_t(i)] >= 0) t = mark_seam(t, seam_at[std::size_t(i)]);
    t = draw_label(t, clock_text(tile_times[std::size_t(i)]));
  }
  auto sheet = vips::VImage::arrayjoin(tiles, vips::VImage::option()
                                                  ->set("across", options.cols)
                                                  ->set("shim", kShim)
                                                  ->set("background", std::vector<double>{24, 24, 24}));
  post::save_image(sheet, out, options.save);
  result.width = sheet.width();
  result.height = sheet.height();
  result.times = std::move(tile_times);
  return result;
}

}  // namespace seedreel
