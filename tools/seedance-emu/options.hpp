#pragma once
// Command-line settings of the emulator, shared by every part of it.
#include <filesystem>
#include <string>

namespace seedance_emu {

struct Options {
  int port = 0;               // 0: the kernel picks a free port
  double task_seconds = 3;    // queued -> running -> succeeded takes this long
  double url_ttl = 3600;      // download URLs stop working after this many seconds
  double hang_seconds = 120;  // how long a "hang" fault holds a request
  std::string api_key;        // empty: no authentication
  std::filesystem::path data_dir;
  int render_threads = 2;
};

}  // namespace seedance_emu
