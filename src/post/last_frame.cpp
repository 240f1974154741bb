// last_frame: the exact last displayed frame, saved losslessly by default.
#include "av/picture.hpp"
#include "image/vips.hpp"
#include "post/grab.hpp"
#include "seedreel/frames.hpp"

namespace seedreel {

FrameResult last_frame(const std::string& video, const std::string& out, const LastFrameOptions& options) {
  post::check_image_output(out, {video});
  image::init_vips();
  post::Grab g = post::grab_last(video, options.from_end);
  vips::VImage picture = av::to_image(*g.frame, g.rotation);
  post::save_image(picture, out, options.save);
  return {out, g.time, g.pts, picture.width(), picture.height(), g.rotation, g.full_decode};
}

}  // namespace seedreel
