#include "emulator.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "guarded_json.hpp"
#include "seedreel/limits.hpp"

namespace seedance_emu {

namespace {

thread_local bool t_drop = false;
thread_local bool t_logged = false;  // settle_create logged this request before holding it

// Sends the first half of `body` with the full Content-Length, then closes the
// connection: what a client sees when a connection dies mid-answer.
void cut_in_half(httplib::Response& res) {
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  std::string type = res.get_header_value("Content-Type");
  res.set_content_provider(body->size(), type.empty() ? "application/json" : type,
                           [body](size_t offset, size_t, httplib::DataSink& sink) {
                             std::size_t half = body->size() / 2;
                             if (offset < half) sink.write(body->data() + offset, half - offset);
                             return false;  // abort: httplib closes the connection
                           });
}

ApiError default_fault_error(const Fault& f) {
  switch (f.kind) {
    case FaultKind::http429:
      return {429, f.code.empty() ? "RateLimitExceeded" : f.code,
              f.message.empty() ? "The request was rate limited; retry after a while" : f.message, ""};
    case FaultKind::http503:
      return {503, f.code.empty() ? "ServerOverloaded" : f.code,
              f.message.empty() ? "The service is temporarily overloaded" : f.message, ""};
    // A gateway in front of the service: the request may have been forwarded.
    case FaultKind::http502:
      return {502, f.code.empty() ? "BadGateway" : f.code,
              f.message.empty() ? "The gateway got no valid answer from upstream" : f.message, ""};
    case FaultKind::http504:
      return {504, f.code.empty() ? "GatewayTimeout" : f.code,
              f.message.empty() ? "The gateway timed out waiting for upstream" : f.message, ""};
    default:
      return {500, f.code.empty() ? "InternalServiceError" : f.code,
              f.message.empty() ? "The service encountered an unexpected internal error" : f.message, ""};
  }
}

// The URL's query only: httplib also merges form-encoded bodies into params.
// A repeated key (filter.task_ids=a&filter.task_ids=b) becomes an array.
nlohmann::json query_json(const httplib::Request& req) {
  nlohmann::json q = nlohmann::json::object();
  auto mark = req.target.find('?');
  if (mark == std::string::npos) return q;
  std::string rest = req.target.substr(mark + 1);
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    auto amp = rest.find('&', pos);
    std::string pair = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      std::string key = httplib::detail::decode_url(pair.substr(0, eq), true);
      std::string value = eq == std::string::npos ? "" : httplib::detail::decode_url(pair.substr(eq + 1), true);
      if (!q.contains(key))
        q[key] = value;
      else if (q[key].is_array())
        q[key].push_back(value);
      else
        q[key] = nlohmann::json::array({q[key], value});
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return q;
}

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// httplib gives a handler no way to drop its connection, so this finds the
// socket from the request's client to our port and shuts it: the client
// sees the connection close before a byte of the answer, as when a proxy or
// the network fails after the request went through.
void shut_connection(const httplib::Request& req) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_storage peer{}, self{};
    socklen_t peer_len = sizeof peer, self_len = sizeof self;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&self), &self_len) != 0) continue;
    if (port_of(peer) == req.remote_port && port_of(self) == req.local_port) {
      shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

std::optional<Failure> take_moderation(Emulator& emu, const httplib::Request& req) {
  auto f = emu.faults().take(req.method, req.path, [](FaultKind k) { return k == FaultKind::moderation; });
  if (!f) return std::nullopt;
  return Failure{f->code.empty() ? "OutputVideoSensitiveContentDetected" : f->code,
                 f->message.empty() ? "The request failed because the output video may contain sensitive information"
                                    : f->message};
}

}  // namespace

bool take_drop_fault() {
  bool d = t_drop;
  t_drop = false;
  return d;
}

Emulator::Emulator(Options opts)
    : opts_(std::move(opts)),
      renderer_(opts_.data_dir, opts_.render_threads),
      tasks_(renderer_, opts_.task_seconds, opts_.url_ttl),
      server_(std::make_unique<httplib::Server>()) {
  auto& svr = *server_;
  // Enough workers that held ("hang") requests and a hundred clients polling
  // over keep-alive connections do not starve each other.
  svr.new_task_queue = [] { return new httplib::ThreadPool(128); };
  svr.set_payload_max_length(seedreel::media_limits().max_body_bytes);
  // Recorded once the answer is decided but before it is sent (a logger runs
  // after): a client that sends its next request on the answer must find
  // this one already in the log, in order.
  svr.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    if (req.path.starts_with("/_emu/") || std::exchange(t_logged, false)) return;
    log_.add(req.method, req.path, query_json(req), req.body, check_key(req));
  });
  // Routes that do not exist, and bodies over 64 MB, still answer in the dialect's shape.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    ApiError err{res.status, "NotFound", "no such endpoint: " + req.method + " " + req.path, ""};
    if (res.status == 413)
      err = {413, "InvalidParameter",
             "The parameter `body` specified in the request is not valid: it exceeds 64 MB; upload large media and "
             "send its URL or asset://ID instead",
             "body"};
    else if (res.status != 404)
      err = {res.status, "InvalidRequest", "the request could not be processed", ""};
    send_error(res, dialect_for_path(req.path), err);
    return httplib::Server::HandlerResponse::Handled;
  }));
  add_gateway_routes(*this);
  add_flat_routes(*this);
  add_ark_routes(*this);
  add_asset_routes(*this);
  add_file_routes(*this);
  add_control_routes(*this);
  add_upload_routes(*this);
}

Emulator::~Emulator() = default;

int Emulator::bind() {
  int port = opts_.port == 0 ? server_->bind_to_any_port("127.0.0.1")
                             : (server_->bind_to_port("127.0.0.1", opts_.port) ? opts_.port : -1);
  if (port > 0) base_url_ = "http://127.0.0.1:" + std::to_string(port);
  return port;
}

void Emulator::serve() { server_->listen_after_bind(); }

bool Emulator::running() const { return server_->is_running(); }

void Emulator::stop() {
  {
    std::lock_guard lock(hold_mutex_);
    ++hold_epoch_;
    stopping_ = true;  // a hold that starts after this returns at once
  }
  hold_wake_.notify_all();
  server_->stop();
}

void Emulator::reset() {
  faults_.clear();
  log_.clear();
  {
    std::lock_guard lock(hold_mutex_);
    ++hold_epoch_;
  }
  hold_wake_.notify_all();
}

void Emulator::release() {
  {
    std::lock_guard lock(hold_mutex_);
    ++release_epoch_;
  }
  hold_wake_.notify_all();
}

bool Emulator::check_key(const httplib::Request& req) const {
  if (opts_.api_key.empty()) return true;
  return req.get_header_value("Authorization") == "Bearer " + opts_.api_key;
}

void Emulator::hold(double seconds, bool releasable) {
  std::unique_lock lock(hold_mutex_);
  auto epoch = hold_epoch_, released = release_epoch_;
  auto done = [&] { return stopping_ || hold_epoch_ != epoch || (releasable && release_epoch_ != released); };
  if (seconds >= 0)
    hold_wake_.wait_for(lock, std::chrono::duration<double>(seconds), done);
  else
    hold_wake_.wait(lock, done);
}

bool Emulator::apply_fault(const httplib::Request& req, httplib::Response& res) {
  auto fault = faults_.take(req.method, req.path, is_request_fault);
  if (!fault) return false;
  Dialect d = dialect_for_path(req.path);
  switch (fault->kind) {
    case FaultKind::hang:
      hold(opts_.hang_seconds, false);
      send_error(res, d, {504, "RequestTimeout", "the request was held by a hang fault", ""});
      return true;
    case FaultKind::malformed_json:
      res.status = 200;
      res.set_content(R"({"code":"success","data":{"task_id":"asyn)", "application/json");
      return true;
    case FaultKind::drop:
      t_drop = true;
      return false;  // answered normally, then cut
    case FaultKind::redirect_loop:
      // Back to the same URL: a client must stop after its redirect limit.
      res.status = 302;
      res.set_header("Location", req.target);
      return true;
    default: {
      send_error(res, d, default_fault_error(*fault));
      if (fault->retry_after > 0) res.set_header("Retry-After", std::to_string(fault->retry_after));
      return true;
    }
  }
}

void Emulator::api(const char* method, const char* pattern, Handler h) {
  auto wrapped = [this, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    t_drop = false;
    t_logged = false;
    bool downloads = req.path.starts_with("/files/");  // presigned URLs carry no key
    if (!downloads && !check_key(req)) {
      send_error(res, dialect_for_path(req.path),
                 {401, "AuthenticationError", "The API key in the request is missing or invalid", ""});
      return;
    }
    if (apply_fault(req, res)) return;
    h(req, res);
    if (take_drop_fault()) cut_in_half(res);
  };
  std::string m = method;
  if (m == "GET")
    server_->Get(pattern, wrapped);
  else if (m == "POST")
    server_->Post(pattern, wrapped);
  else if (m == "DELETE")
    server_->Delete(pattern, wrapped);
}

std::optional<nlohmann::json> Emulator::json_body(const httplib::Request& req, httplib::Response& res, Dialect d) {
  if (!parseable_body(req.body)) {
    send_error(res, d,
               {400, "InvalidParameter",
                "The parameter `body` specified in the request is not valid: it nests deeper than " +
                    std::to_string(kMaxJsonDepth) + " levels",
                "body"});
    return std::nullopt;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    send_error(res, d,
               {400, "InvalidParameter",
                "The parameter `body` specified in the request is not valid: it is not valid JSON", "body"});
    return std::nullopt;
  }
  return body;
}

std::string Emulator::create_task(const httplib::Request& req, Dialect d, Generation g) {
  auto moderation = take_moderation(*this, req);
  bool expires = g.service_tier == "flex" &&
                 faults_.take(req.method, req.path, [](FaultKind k) { return k == FaultKind::task_expired; });
  return tasks_.create(d, std::move(g), std::move(moderation), expires);
}

void Emulator::settle_create(const httplib::Request& req) {
  auto f = faults_.take(req.method, req.path,
                        [](FaultKind k) { return k == FaultKind::lose_answer || k == FaultKind::delay_answer; });
  if (!f) return;
  // Logged now: a client that sees the connection close, or a test that
  // waits on the held answer, finds the create in the log already.
  log_.add(req.method, req.path, query_json(req), req.body, check_key(req));
  t_logged = true;
  if (f->kind == FaultKind::lose_answer)
    shut_connection(req);
  else
    hold(f->seconds > 0 ? f->seconds : -1, true);
}

bool take_unknown_status(Emulator& emu, const httplib::Request& req) {
  return emu.faults()
      .take(req.method, req.path, [](FaultKind k) { return k == FaultKind::unknown_status; })
      .has_value();
}

}  // namespace seedance_emu
