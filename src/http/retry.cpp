#include "http/retry.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/interrupt.hpp"

namespace seedreel::http {

bool retryable_status(long status, bool idempotent) {
  if (status == 408 || status == 429 || status == 500 || status == 503) return true;
  return idempotent && (status == 502 || status == 504);
}

double backoff_seconds(int attempt, std::optional<double> retry_after, const RetryPolicy& policy, std::mt19937& rng) {
  if (retry_after) return std::min(*retry_after, policy.max);
  double full = std::min(policy.max, policy.base * double(1 << std::min(attempt - 1, 20)));
  return full * std::uniform_real_distribution<double>(0.5, 1.0)(rng);
}

void nap(double seconds, const std::string& subject) {
  using Clock = std::chrono::steady_clock;
  auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    throw_if_interrupted(subject);
    auto left = std::chrono::duration<double>(until - Clock::now()).count();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.05)));
  }
  throw_if_interrupted(subject);
}

}  // namespace seedreel::http
