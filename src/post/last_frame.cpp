// last_frame: the exact last displayed frame, saved losslessly by default.
#include "av/picture.hpp"
#include "post/grab.hpp"
#include "seedreel/frames.hpp"

namespace seedreel {

FrameResult last_frame(const std::string& video, const std::string& out, const LastFrameOptions& options) {
  post::check_image_output(out, {video});
  post::check_save_options(out, options.save);
  post::Grab g = post::grab_last(video, options.from_end);
  av::PackedRgb picture = av::to_rgb(*g.frame, g.rotation, options.save.depth);
  const int width = picture.width, height = picture.height;
  post::save_rgb(std::move(picture), out, options.save);
  return {out, g.time, g.pts, width, height, g.rotation, g.full_decode, g.decode_path, g.truncated};
}

}  // namespace seedreel
