#include "pixel/sws.hpp"

#include <new>

extern "C" {
#include <libavutil/opt.h>
}

namespace seedreel::pixel {

SwsPtr make_sws(int src_w, int src_h, AVPixelFormat src_fmt, int dst_w, int dst_h, AVPixelFormat dst_fmt, int flags,
                std::initializer_list<std::pair<const char*, std::int64_t>> options) {
  SwsPtr s(sws_alloc_context());
  if (!s) throw std::bad_alloc();
  auto set = [&](const char* key, std::int64_t value) { return av_opt_set_int(s.get(), key, value, 0) >= 0; };
  bool ok = set("srcw", src_w) && set("srch", src_h) && set("src_format", src_fmt) && set("dstw", dst_w) &&
            set("dsth", dst_h) && set("dst_format", dst_fmt) && set("sws_flags", flags);
  for (const auto& [key, value] : options) ok = ok && set(key, value);
  if (!ok || sws_init_context(s.get(), nullptr, nullptr) < 0) return nullptr;
  return s;
}

}  // namespace seedreel::pixel
