#pragma once
// One gate for every client of a process that talks to one account (a
// batch's workers): a 429 answered to any of them pauses them all for its
// Retry-After, and an optional pace spaces their requests. Without it, N
// workers would each learn of the limit by hitting it.
//
//   auto gate = std::make_shared<RateGate>(5);  // at most 5 requests/s
//   ClientOptions o; o.gate = gate;             // the same gate in every client
#include <chrono>
#include <mutex>
#include <string>

namespace seedreel {

class RateGate {
 public:
  // requests_per_second: 0 = no pace, only pauses.
  explicit RateGate(double requests_per_second = 0);
  // Blocks until a request may go; Ctrl-C throws Error(cancelled) naming `subject`.
  void wait(const std::string& subject = "");
  // No client sends before `seconds` from now (a longer pause already set wins).
  void pause_for(double seconds);
  int pauses() const;  // how many times the gate was closed

 private:
  using Clock = std::chrono::steady_clock;
  mutable std::mutex mutex_;
  Clock::duration interval_{};
  Clock::time_point next_ = Clock::now();
  int pauses_ = 0;
};

}  // namespace seedreel
