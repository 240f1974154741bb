#include "image/vips.hpp"

#include <mutex>
#include <stdexcept>

namespace seedreel::image {

void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("seedreel")) throw std::runtime_error("cannot initialise libvips");
    vips_cache_set_max(0);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoadMagick", FALSE);
  });
}

}  // namespace seedreel::image
