#include "util/interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "seedreel/error.hpp"

namespace seedreel {

namespace {

// Fixed storage: the signal handler may only touch plain memory and call
// async-signal-safe functions (unlink, _exit).
constexpr int kSlots = 64;
constexpr std::size_t kPathMax = 4096;
char g_paths[kSlots][kPathMax];
std::atomic<bool> g_claimed[kSlots];  // slot taken by a registration
std::atomic<bool> g_ready[kSlots];    // its path is complete and may be unlinked
volatile sig_atomic_t g_signals = 0;

extern "C" void on_signal(int) {
  g_signals = g_signals + 1;
  if (g_signals < 2) return;
  for (int i = 0; i < kSlots; ++i)
    if (g_ready[i].load()) unlink(g_paths[i]);
  _exit(130);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() noexcept { return g_signals > 0; }

void throw_if_interrupted(const std::string& subject) {
  if (interrupted()) throw Error(ErrorKind::cancelled, subject, "interrupted");
}

int register_temp_file(const std::string& path) noexcept {
  if (path.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_claimed[i].compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
    g_ready[i].store(true);
    return i;
  }
  return -1;
}

void unregister_temp_file(int slot) noexcept {
  if (slot < 0 || slot >= kSlots) return;
  g_ready[slot].store(false);
  g_claimed[slot].store(false);
}

}  // namespace seedreel
