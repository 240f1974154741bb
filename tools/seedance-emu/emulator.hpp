#pragma once
// The emulator: one HTTP server on 127.0.0.1 with every dialect's routes, the
// task store, asset library, fault queue and request log they share.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "assets.hpp"
#include "dialect.hpp"
#include "faults.hpp"
#include "options.hpp"
#include "render_queue.hpp"
#include "request_log.hpp"
#include "task_store.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace seedance_emu {

class Emulator {
 public:
  explicit Emulator(Options opts);
  ~Emulator();

  // Binds 127.0.0.1 (port 0: any free port) and returns the port.
  int bind();
  // Serves until stop(); blocks.
  void serve();
  // Thread-safe; also releases requests held by "hang" faults.
  void stop();
  // True once serve() accepts connections (stop() before that does nothing).
  bool running() const;

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Registers an API route: the key check and request faults run first.
  void api(const char* method, const char* pattern, Handler h);

  // For route handlers.
  const Options& options() const noexcept { return opts_; }
  const std::string& base_url() const noexcept { return base_url_; }
  AssetStore& assets() noexcept { return assets_; }
  TaskStore& tasks() noexcept { return tasks_; }
  FaultQueue& faults() noexcept { return faults_; }
  RequestLog& log() noexcept { return log_; }
  httplib::Server& server() noexcept { return *server_; }
  // The request body as JSON, or an InvalidParameter answer (nullopt) for
  // a body that is not JSON or nests deeper than kMaxJsonDepth (guarded_json.hpp).
  std::optional<nlohmann::json> json_body(const httplib::Request& req, httplib::Response& res, Dialect d);
  // For create routes: makes the task with the faults aimed at its creation
  // (moderation; task_expired for a flex task) and returns its id.
  std::string create_task(const httplib::Request& req, Dialect d, Generation g);
  // For create routes, once the answer is set: a lose_answer fault closes the
  // connection without an answer; a delay_answer fault logs the request and
  // holds the answer until release(), reset(), stop() or its `seconds`.
  void settle_create(const httplib::Request& req);
  // Forgets faults and the request log, and lets held requests go.
  void reset();
  // Lets the answers held by delay_answer faults go.
  void release();

 private:
  bool check_key(const httplib::Request& req) const;
  // Answers the request with a queued request fault; false when none matches.
  bool apply_fault(const httplib::Request& req, httplib::Response& res);
  // Waits `seconds` (negative: without end) or until reset()/stop(), and
  // release() too when `releasable`.
  void hold(double seconds, bool releasable);

  Options opts_;
  std::string base_url_;
  AssetStore assets_;
  RenderQueue renderer_;
  TaskStore tasks_;
  FaultQueue faults_;
  RequestLog log_;
  std::unique_ptr<httplib::Server> server_;
  std::mutex hold_mutex_;
  std::condition_variable hold_wake_;
  std::uint64_t hold_epoch_ = 0;     // bumped by reset() and stop()
  std::uint64_t release_epoch_ = 0;  // bumped by release()
  bool stopping_ = false;
};

// Set by a "drop" fault for the request being handled on this thread; the
// download route consumes it, otherwise the JSON answer is cut in half.
bool take_drop_fault();

// Route tables, one file each.
void add_gateway_routes(Emulator& emu);
void add_flat_routes(Emulator& emu);
void add_ark_routes(Emulator& emu);
void add_asset_routes(Emulator& emu);
void add_file_routes(Emulator& emu);
void add_control_routes(Emulator& emu);
void add_upload_routes(Emulator& emu);

// Upstream Ark's task object (also the gateway's data.data).
nlohmann::json ark_task_json(const TaskView& v, const std::string& status);
std::string ark_status(Phase p);
// Whether an unknown_status fault applies to this poll.
bool take_unknown_status(Emulator& emu, const httplib::Request& req);

}  // namespace seedance_emu
