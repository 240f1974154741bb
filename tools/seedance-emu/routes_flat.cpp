// xingchaoyiqing (seed 003): POST /v1/kyyvideo2/videos -> {id:"video_...",
// object, created, model, status:"queued"}; GET /v1/result/{id} ->
// {id, status, video_url, actualDuration, totalTokens, error} with lower-case
// status words and `error` as a plain string.
#include <httplib.h>

#include "emulator.hpp"
#include "validate.hpp"

namespace seedance_emu {

namespace {

std::string flat_status(Phase p) {
  switch (p) {
    case Phase::queued:
      return "queued";
    case Phase::running:
      return "processing";
    case Phase::succeeded:
      return "completed";
    case Phase::failed:
    case Phase::cancelled:
    case Phase::expired:
      return "failed";
  }
  return "failed";
}

}  // namespace

void add_flat_routes(Emulator& emu) {
  emu.api("POST", "/v1/kyyvideo2/videos", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = emu.json_body(req, res, Dialect::flat);
    if (!body) return;
    try {
      Generation g = validate_flat_request(*body, emu.assets());
      std::string model = g.model;
      std::string id = emu.create_task(req, Dialect::flat, std::move(g));
      auto v = emu.tasks().view(id, emu.base_url());
      res.set_content(nlohmann::json{{"id", id},
                                     {"object", "video"},
                                     {"created", v ? v->created_at : 0},
                                     {"model", model},
                                     {"status", "queued"}}
                          .dump(),
                      "application/json");
      emu.settle_create(req);
    } catch (const ApiError& e) {
      send_error(res, Dialect::flat, e);
    }
  });

  emu.api("GET", R"(/v1/result/([^/]+))", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto v = emu.tasks().view(req.matches[1], emu.base_url());
    if (!v || v->dialect != Dialect::flat) {
      send_error(res, Dialect::flat, {404, "NotFound", "task " + std::string(req.matches[1]) + " does not exist", ""});
      return;
    }
    bool done = v->phase == Phase::succeeded;
    std::int64_t tokens = std::int64_t(v->gen.width) * v->gen.height * 24 * v->gen.duration / 1024;
    nlohmann::json j{{"id", v->id},
                     {"status", take_unknown_status(emu, req) ? "suspended" : flat_status(v->phase)},
                     {"progress", v->progress},
                     {"video_url", done ? nlohmann::json(v->video_url) : nlohmann::json(nullptr)},
                     {"actualDuration", done ? nlohmann::json(v->gen.duration) : nlohmann::json(nullptr)},
                     {"totalTokens", done ? nlohmann::json(tokens) : nlohmann::json(nullptr)},
                     {"error", nullptr}};
    if (v->failure) j["error"] = v->failure->code + ": " + v->failure->message;
    if (v->phase == Phase::cancelled) j["error"] = "task cancelled";
    res.set_content(j.dump(), "application/json");
  });
}

}  // namespace seedance_emu
