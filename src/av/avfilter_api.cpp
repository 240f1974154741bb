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
#define SEEDREEL_AVFILTER_RESOLVE(ours, theirs) resolve(lib, a.ours, #theirs);
  SEEDREEL_AVFILTER_FUNCTIONS(SEEDREEL_AVFILTER_RESOLVE)
#undef SEEDREEL_AVFILTER_RESOLVE
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
