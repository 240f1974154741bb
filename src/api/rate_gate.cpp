#include "seedreel/rate_gate.hpp"

#include <algorithm>
#include <thread>

#include "util/interrupt.hpp"

namespace seedreel {

RateGate::RateGate(double rps)
    : interval_(rps > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rps))
                        : Clock::duration::zero()) {}

void RateGate::wait(const std::string& subject) {
  for (;;) {
    throw_if_interrupted(subject);
    Clock::time_point now = Clock::now(), at;
    {
      std::lock_guard lock(mutex_);
      if (next_ <= now) {
        // This request takes the slot; the next one waits one interval.
        next_ = now + interval_;
        return;
      }
      at = next_;
    }
    // Short steps: Ctrl-C is honoured, and a pause set meanwhile is seen.
    std::this_thread::sleep_for(std::min<Clock::duration>(at - now, std::chrono::milliseconds(50)));
  }
}

void RateGate::pause_for(double seconds) {
  auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::lock_guard lock(mutex_);
  if (until > next_) next_ = until;
  ++pauses_;
}

int RateGate::pauses() const {
  std::lock_guard lock(mutex_);
  return pauses_;
}

}  // namespace seedreel
