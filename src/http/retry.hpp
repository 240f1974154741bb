#pragma once
// When and how long to wait before repeating a request: one set of rules for
// the API client and for uploads.
#include <optional>
#include <random>
#include <string>

namespace seedreel::http {

struct RetryPolicy {
  int max_attempts = 6;  // including the first
  double base = 1;       // seconds, the first backoff
  double max = 60;       // seconds, the longest backoff and Retry-After honoured
};

// Whether an answer with this status may be repeated. A request that must not
// run twice (a create) only on answers that say nothing was done; 502/504
// come from a gateway that may already have forwarded it upstream.
bool retryable_status(long status, bool idempotent);

// Seconds to wait after failed attempt `attempt` (1-based): the server's
// Retry-After (capped), else exponential backoff with jitter, so many
// clients do not come back at the same instant.
double backoff_seconds(int attempt, std::optional<double> retry_after, const RetryPolicy& policy, std::mt19937& rng);

// Sleeps in short steps so Ctrl-C is honoured at once (Error(cancelled) naming `subject`).
void nap(double seconds, const std::string& subject);

}  // namespace seedreel::http
