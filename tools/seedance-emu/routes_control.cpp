// The control API tests drive the emulator with: POST /_emu/fault,
// GET /_emu/requests, POST /_emu/reset, POST /_emu/release (held create
// answers go), POST /_emu/backdate (a task's creation moves into the past).
// Never faulted, never logged.
#include <httplib.h>

#include "emulator.hpp"
#include "guarded_json.hpp"

namespace seedance_emu {

namespace {

void bad(httplib::Response& res, const std::string& why) {
  res.status = 400;
  res.set_content(nlohmann::json{{"error", why}}.dump(), "application/json");
}

}  // namespace

void add_control_routes(Emulator& emu) {
  auto& svr = emu.server();
  svr.Post("/_emu/fault", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_guarded(req.body);
    if (!body.is_object()) return bad(res, "body must be a JSON object");
    Fault f;
    bool now = false;  // task_expired: every unfinished task now, not the next flex tasks
    try {
      auto kind = parse_fault_kind(body.value("kind", std::string()));
      if (!kind)
        return bad(res,
                   "kind must be 429, 500, 502, 503, 504, redirect_loop, hang, drop, malformed_json, moderation, "
                   "unknown_status, expire, task_expired, lose_answer or delay_answer");
      f.kind = *kind;
      f.method = body.value("method", std::string("*"));
      if (f.method != "*" && f.method != "GET" && f.method != "POST" && f.method != "DELETE")
        return bad(res, "method must be GET, POST, DELETE or *");
      f.path_prefix = body.value("path_prefix", std::string());
      f.count = body.value("count", 1);
      f.retry_after = body.value("retry_after", 0);
      f.code = body.value("code", std::string());
      f.message = body.value("message", std::string());
      f.seconds = body.value("seconds", 0.0);
      now = body.value("now", false);
    } catch (const nlohmann::json::exception& e) {
      return bad(res, std::string("bad field type: ") + e.what());
    }
    if (f.count < 1) return bad(res, "count must be at least 1");
    if (!(f.seconds >= 0)) return bad(res, "seconds must be 0 or more");
    if (f.kind == FaultKind::expire)
      emu.tasks().expire_urls();
    else if (f.kind == FaultKind::task_expired && now)
      emu.tasks().expire_unfinished();
    else
      emu.faults().add(f);
    res.set_content(R"({"ok":true})", "application/json");
  });
  svr.Get("/_emu/requests", [&emu](const httplib::Request&, httplib::Response& res) {
    res.set_content(emu.log().to_json().dump(), "application/json");
  });
  svr.Post("/_emu/reset", [&emu](const httplib::Request&, httplib::Response& res) {
    emu.reset();
    res.set_content(R"({"ok":true})", "application/json");
  });
  svr.Post("/_emu/release", [&emu](const httplib::Request&, httplib::Response& res) {
    emu.release();
    res.set_content(R"({"ok":true})", "application/json");
  });
  svr.Post("/_emu/backdate", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_guarded(req.body);
    if (!body.is_object() || !body.contains("id") || !body["id"].is_string() || !body.contains("seconds") ||
        !body["seconds"].is_number() || !(body["seconds"].get<double>() >= 0))
      return bad(res, R"(body must be {"id":"<task id>","seconds":<0 or more>})");
    if (!emu.tasks().backdate(body["id"], body["seconds"].get<double>())) return bad(res, "no such task");
    res.set_content(R"({"ok":true})", "application/json");
  });
}

}  // namespace seedance_emu
