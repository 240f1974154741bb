#include "image/vips.hpp"

#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include <gmodule.h>

namespace seedreel::image {

namespace {

// vips_init loads every module under $VIPSHOME's lib directory (the install's
// own libdir when VIPSHOME is unset). Pointing VIPSHOME at a directory that
// does not exist for the duration of vips_init is the only way libvips 8.14
// offers to start without them.
std::string module_dir(const std::optional<std::string>& vipshome) {
  std::string lib = vipshome ? *vipshome + "/lib" : std::string(SEEDREEL_VIPS_LIBDIR);
  return lib + "/vips-modules-" + std::to_string(VIPS_MAJOR_VERSION) + "." + std::to_string(VIPS_MINOR_VERSION);
}

std::optional<std::string>& user_vipshome() {
  static std::optional<std::string> home;
  return home;
}

void apply_blocks() {
  vips_block_untrusted_set(TRUE);
  vips_operation_block_set("VipsForeignLoadMagick", FALSE);
}

}  // namespace

std::string vips_message(const vips::VError& e) {
  std::string msg = e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // The buffer is process-wide and may hold older messages: the last line is ours.
  if (auto nl = msg.rfind('\n'); nl != std::string::npos) msg = msg.substr(nl + 1);
  vips_error_clear();
  return msg;
}

void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Runs before any image work starts threads of its own; nothing else in
    // the process reads VIPSHOME.
    if (const char* home = std::getenv("VIPSHOME")) user_vipshome() = home;
    setenv("VIPSHOME", "/nonexistent", 1);
    const int failed = VIPS_INIT("seedreel");
    if (user_vipshome())
      setenv("VIPSHOME", user_vipshome()->c_str(), 1);
    else
      unsetenv("VIPSHOME");
    if (failed) throw std::runtime_error("cannot initialise libvips");
    vips_cache_set_max(0);
    apply_blocks();
  });
}

void load_vips_modules() {
  init_vips();
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string dir = module_dir(user_vipshome());
    if (GDir* d = g_dir_open(dir.c_str(), 0, nullptr)) {
      while (const char* name = g_dir_read_name(d)) {
        if (!g_str_has_suffix(name, "." G_MODULE_SUFFIX)) continue;
        gchar* path = g_build_filename(dir.c_str(), name, nullptr);
        // Opening runs the module's g_module_check_init, which registers its
        // loaders and savers and keeps the module resident; a module that
        // fails to load (a missing optional library) is skipped, as vips_init does.
        (void)g_module_open(path, G_MODULE_BIND_LAZY);
        g_free(path);
      }
      g_dir_close(d);
    }
    // The block flags apply to classes that exist when set: set them again
    // for the loaders the modules just added.
    apply_blocks();
  });
}

bool needs_vips_module(std::string_view format) {
  return !(format == "jpeg" || format == "png" || format == "webp" || format == "gif" || format == "tiff");
}

}  // namespace seedreel::image
