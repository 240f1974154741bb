// seedance-emu: a Seedance 2.0 API emulator on 127.0.0.1 for tests and offline
// demos. Prints "listening on http://127.0.0.1:PORT" once ready; stops cleanly
// on SIGINT/SIGTERM.
#include <signal.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "emulator.hpp"
#include "seedreel/interrupt.hpp"

int main(int argc, char** argv) {
  seedance_emu::Options opts;
  std::string data_dir;
  CLI::App app{"seedance-emu: the Seedance 2.0 API (New-API gateway, xingchaoyiqing, Ark, asset library) on loopback",
               "seedance-emu"};
  app.add_option("--port", opts.port, "TCP port on 127.0.0.1 (0: pick a free one)")->check(CLI::Range(0, 65535));
  app.add_option("--task-seconds", opts.task_seconds, "Seconds a task takes from queued to succeeded")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--url-ttl", opts.url_ttl, "Seconds a download URL stays valid")->check(CLI::Range(0.0, 1e9));
  app.add_option("--api-key", opts.api_key, "Require Authorization: Bearer KEY (default: no key needed)");
  app.add_option("--data-dir", data_dir, "Folder for generated results (default: a temporary folder)");
  app.add_option("--hang-seconds", opts.hang_seconds, "How long a hang fault holds a request")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--render-threads", opts.render_threads, "Videos rendered at once")->check(CLI::Range(1, 16));
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path temp_dir;
  try {
    if (data_dir.empty()) {
      // mkdtemp's template: it replaces the last six characters, which must
      // be 'X', with a unique name.
      std::string tmpl = (std::filesystem::temp_directory_path() / ("seedance-emu-" + std::string(6, 'X'))).string();
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder");
      temp_dir = tmpl;
      opts.data_dir = temp_dir;
    } else {
      opts.data_dir = data_dir;
      std::filesystem::create_directories(opts.data_dir);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seedance-emu: data folder: %s\n", e.what());
    return 2;
  }

  signal(SIGPIPE, SIG_IGN);  // a client hanging up mid-answer is routine here
  seedreel::install_interrupt_handler();
  int status = 0;
  {
    seedance_emu::Emulator emu(opts);
    int port = emu.bind();
    if (port <= 0) {
      std::fprintf(stderr, "seedance-emu: cannot listen on 127.0.0.1:%d\n", opts.port);
      status = 4;
    } else {
      std::cout << "listening on " << emu.base_url() << std::endl;
      std::atomic<bool> done{false};
      // httplib's stop() is a no-op until the accept loop runs, so a signal
      // that arrives before then is acted on once the server is running.
      std::thread watcher([&] {
        while (!done) {
          if (seedreel::interrupted() && emu.running()) {
            emu.stop();
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
      emu.serve();
      done = true;
      watcher.join();
    }
  }
  if (!temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir, ec);
  }
  return status;
}
