// New-API gateways (anyfast, Starrise; seeds 000-004): POST /v1/video/generations
// -> task_id "asyn..."; GET /v1/video/generations/{id} -> {code, message, data}
// with upper-case status words, progress as "NN%", and the upstream task as data.data.
#include <httplib.h>

#include "emulator.hpp"
#include "validate.hpp"

namespace seedance_emu {

namespace {

std::string gateway_status(const TaskView& v) {
  switch (v.phase) {
    case Phase::queued:
      return v.not_started ? "NOT_START" : "QUEUED";
    case Phase::running:
      return "IN_PROGRESS";
    case Phase::succeeded:
      return "SUCCESS";
    case Phase::failed:
    case Phase::cancelled:
    case Phase::expired:
      return "FAILURE";
  }
  return "FAILURE";
}

nlohmann::json gateway_task_json(const TaskView& v, bool unknown_status) {
  bool finished = v.phase != Phase::queued && v.phase != Phase::running;
  nlohmann::json data{{"task_id", v.id},
                      {"action", "generate"},
                      {"status", unknown_status ? "SUSPENDED" : gateway_status(v)},
                      {"progress", std::to_string(v.progress) + "%"},
                      {"submit_time", v.created_at},
                      {"start_time", v.phase == Phase::queued ? 0 : v.started_at},
                      {"finish_time", finished ? v.updated_at : 0},
                      {"fail_reason", ""},
                      {"result_url", ""},
                      {"data", ark_task_json(v, ark_status(v.phase))}};
  if (v.phase == Phase::succeeded) {
    data["result_url"] = v.video_url;
    data["fail_reason"] = v.video_url;  // the gateways' quirk: a copy of the URL on success
  } else if (v.failure) {
    data["fail_reason"] = v.failure->message;
  } else if (v.phase == Phase::cancelled) {
    data["fail_reason"] = "task cancelled";
  }
  return {{"code", "success"}, {"message", ""}, {"data", std::move(data)}};
}

}  // namespace

void add_gateway_routes(Emulator& emu) {
  emu.api("POST", "/v1/video/generations", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = emu.json_body(req, res, Dialect::gateway);
    if (!body) return;
    try {
      Generation g = validate_content_request(*body, Dialect::gateway, emu.assets());
      std::string model = g.model;
      std::string id = emu.create_task(req, Dialect::gateway, std::move(g));
      auto v = emu.tasks().view(id, emu.base_url());
      res.set_content(nlohmann::json{{"id", id},
                                     {"task_id", id},
                                     {"object", "video"},
                                     {"model", model},
                                     {"status", "queued"},
                                     {"progress", 0},
                                     {"created_at", v ? v->created_at : 0}}
                          .dump(),
                      "application/json");
      emu.settle_create(req);
    } catch (const ApiError& e) {
      send_error(res, Dialect::gateway, e);
    }
  });

  emu.api("GET", R"(/v1/video/generations/([^/]+))", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto v = emu.tasks().view(req.matches[1], emu.base_url());
    if (!v || v->dialect != Dialect::gateway) {
      send_error(res, Dialect::gateway,
                 {404, "task_not_exist", "task " + std::string(req.matches[1]) + " does not exist", ""});
      return;
    }
    res.set_content(gateway_task_json(*v, take_unknown_status(emu, req)).dump(), "application/json");
  });
}

}  // namespace seedance_emu
