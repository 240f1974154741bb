#pragma once
// swscale set-up, shared by decoded video frames (av/) and the JPEG
// downscaler (image/), which do not know each other.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>

extern "C" {
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>
}

namespace seedreel::pixel {

struct SwsFree {
  void operator()(SwsContext* s) const noexcept { sws_freeContext(s); }
};
using SwsPtr = std::unique_ptr<SwsContext, SwsFree>;

// A swscale context from one geometry and pixel format to another, with
// `flags` and any other of swscale's options ("threads", "src_range",
// "src_h_chr_pos", ...); nullptr when swscale refuses them.
SwsPtr make_sws(int src_w, int src_h, AVPixelFormat src_fmt, int dst_w, int dst_h, AVPixelFormat dst_fmt, int flags,
                std::initializer_list<std::pair<const char*, std::int64_t>> options = {});

}  // namespace seedreel::pixel
