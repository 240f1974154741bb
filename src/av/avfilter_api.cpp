#include "av/avfilter_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "seedreel/error.hpp"

namespace seedreel::av {

namespace {

const std::string kLibrary = "libavfilter.so." + std::to_string(LIBAVFILTER_VERSION_MAJOR);

template <typename Fn>
void resolve(void* lib, Fn& fn, const char* name) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!fn) throw Error(ErrorKind::io, kLibrary, std::string("has no ") + name);
}

AvfilterApi load() {
  // Never closed: filter graphs may live until exit.
  void* lib = dlopen(kLibrary.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    throw Error(ErrorKind::io, kLibrary, std::string("cannot be loaded: ") + (why ? why : "unknown reason"));
  }
  AvfilterApi a{};
  resolve(lib, a.graph_alloc, "avfilter_graph_alloc");
  resolve(lib, a.graph_free, "avfilter_graph_free");
  resolve(lib, a.graph_create_filter, "avfilter_graph_create_filter");
  resolve(lib, a.graph_parse_ptr, "avfilter_graph_parse_ptr");
  resolve(lib, a.graph_config, "avfilter_graph_config");
  resolve(lib, a.get_by_name, "avfilter_get_by_name");
  resolve(lib, a.inout_alloc, "avfilter_inout_alloc");
  resolve(lib, a.inout_free, "avfilter_inout_free");
  resolve(lib, a.buffersrc_add_frame_flags, "av_buffersrc_add_frame_flags");
  resolve(lib, a.buffersrc_close, "av_buffersrc_close");
  resolve(lib, a.buffersink_get_frame, "av_buffersink_get_frame");
  resolve(lib, a.buffersink_get_time_base, "av_buffersink_get_time_base");
  resolve(lib, a.buffersink_get_frame_rate, "av_buffersink_get_frame_rate");
  return a;
}

}  // namespace

const AvfilterApi& avfilter_api() {
  static std::once_flag once;
  static AvfilterApi api;
  std::call_once(once, [] { api = load(); });
  return api;
}

}  // namespace seedreel::av
