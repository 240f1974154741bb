#pragma once
// Faults queued through POST /_emu/fault, each for the next `count` requests
// whose method and path match. Request-level kinds (429, 500, 503, hang, drop,
// malformed_json) are taken before routing; moderation, task_expired,
// lose_answer and delay_answer are taken by a create route once the task
// exists; unknown_status when a task is polled; expire acts at once.
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace seedance_emu {

enum class FaultKind {
  http429,
  http500,
  http502,
  http503,
  http504,
  redirect_loop,
  hang,
  drop,
  malformed_json,
  moderation,
  unknown_status,
  expire,
  task_expired,  // the next flex tasks created end `expired` (with "now": every unfinished task, at once)
  lose_answer,   // the create makes its task, then the connection closes without an answer
  delay_answer,  // the create makes its task, then its answer waits for /_emu/release
};

std::optional<FaultKind> parse_fault_kind(const std::string& s);
bool is_request_fault(FaultKind k);  // handled before routing

struct Fault {
  std::string method = "*";  // POST, GET, DELETE or *
  std::string path_prefix;   // "" matches every path
  FaultKind kind = FaultKind::http500;
  int count = 1;
  int retry_after = 0;  // seconds; 0: no Retry-After header
  std::string code;     // error code to answer with ("" : the kind's default)
  std::string message;
  double seconds = 0;  // delay_answer: hold at most this long (0: until released)
};

class FaultQueue {
 public:
  void add(Fault f);
  void clear();
  // Takes one use of the first queued fault matching the request whose kind
  // satisfies `want`; nullopt when none matches.
  template <typename Pred>
  std::optional<Fault> take(const std::string& method, const std::string& path, Pred want) {
    std::lock_guard lock(mutex_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (!want(it->kind) || !matches(*it, method, path)) continue;
      Fault f = *it;
      if (--it->count <= 0) faults_.erase(it);
      return f;
    }
    return std::nullopt;
  }

 private:
  static bool matches(const Fault& f, const std::string& method, const std::string& path);
  std::mutex mutex_;
  std::vector<Fault> faults_;
};

}  // namespace seedance_emu
