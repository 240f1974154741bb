// Upstream Ark (Volcengine / BytePlus ModelArk): POST /contents/generations/tasks
// -> {"id":"cgt-..."}; GET .../{id} -> the task object; DELETE cancels a queued
// task or deletes a finished one.
#include <httplib.h>

#include "emulator.hpp"
#include "validate.hpp"

namespace seedance_emu {

std::string ark_status(Phase p) {
  switch (p) {
    case Phase::queued:
      return "queued";
    case Phase::running:
      return "running";
    case Phase::succeeded:
      return "succeeded";
    case Phase::failed:
      return "failed";
    case Phase::cancelled:
      return "cancelled";
  }
  return "failed";
}

nlohmann::json ark_task_json(const TaskView& v, const std::string& status) {
  const Generation& g = v.gen;
  // Ark bills output tokens as width x height x fps x seconds / 1024.
  std::int64_t tokens = std::int64_t(g.width) * g.height * 24 * g.duration / 1024;
  std::int64_t seed = g.seed >= 0 ? g.seed : std::int64_t(std::hash<std::string>{}(v.id) % 100000);
  nlohmann::json j{{"id", v.id},
                   {"model", g.model},
                   {"status", status},
                   {"error", nullptr},
                   {"created_at", v.created_at},
                   {"updated_at", v.updated_at},
                   {"seed", seed},
                   {"resolution", g.resolution},
                   {"ratio", g.output_ratio},  // for "adaptive": the ratio chosen
                   {"duration", g.duration},
                   {"framespersecond", 24},
                   {"generate_audio", g.generate_audio},
                   {"watermark", g.watermark},
                   {"service_tier", g.service_tier},
                   {"execution_expires_after", 172800},
                   {"draft", false}};
  if (v.phase == Phase::succeeded) {
    j["content"] = {{"video_url", v.video_url}};
    if (!v.last_frame_url.empty()) j["content"]["last_frame_url"] = v.last_frame_url;
    j["usage"] = {{"completion_tokens", tokens}, {"total_tokens", tokens}};
  }
  if (v.failure) j["error"] = {{"code", v.failure->code}, {"message", v.failure->message}};
  return j;
}

void add_ark_routes(Emulator& emu) {
  emu.api("POST", "/contents/generations/tasks", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = emu.json_body(req, res, Dialect::ark);
    if (!body) return;
    try {
      Generation g = validate_content_request(*body, Dialect::ark, emu.assets());
      std::string id = emu.tasks().create(Dialect::ark, std::move(g), take_moderation(emu, req));
      res.set_content(nlohmann::json{{"id", id}}.dump(), "application/json");
    } catch (const ApiError& e) {
      send_error(res, Dialect::ark, e);
    }
  });

  emu.api("GET", R"(/contents/generations/tasks/([^/]+))", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto v = emu.tasks().view(req.matches[1], emu.base_url());
    if (!v || v->dialect != Dialect::ark) {
      send_error(
          res, Dialect::ark,
          {404, "ResourceNotFound", "The specified task " + std::string(req.matches[1]) + " is not found", "id"});
      return;
    }
    std::string status = take_unknown_status(emu, req) ? "suspended" : ark_status(v->phase);
    res.set_content(ark_task_json(*v, status).dump(), "application/json");
  });

  emu.api(
      "DELETE", R"(/contents/generations/tasks/([^/]+))", [&emu](const httplib::Request& req, httplib::Response& res) {
        switch (emu.tasks().cancel_or_delete(req.matches[1])) {
          case TaskStore::Removal::cancelled:
          case TaskStore::Removal::deleted:
            res.set_content("{}", "application/json");
            return;
          case TaskStore::Removal::running:
            send_error(res, Dialect::ark,
                       {409, "InvalidAction.TaskRunning",
                        "Only queued tasks can be cancelled; this task is already running", "id"});
            return;
          case TaskStore::Removal::not_found:
            send_error(
                res, Dialect::ark,
                {404, "ResourceNotFound", "The specified task " + std::string(req.matches[1]) + " is not found", "id"});
            return;
        }
      });
}

}  // namespace seedance_emu
