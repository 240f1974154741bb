// Upstream Ark (Volcengine / BytePlus ModelArk): POST /contents/generations/tasks
// -> {"id":"cgt-..."}; GET .../{id} -> the task object; DELETE cancels a queued
// task or deletes a finished one; GET /contents/generations/tasks lists the
// last 7 days' tasks, newest first, filtered and paged.
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <ctime>
#include <vector>

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
    case Phase::expired:
      return "expired";
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
                   {"execution_expires_after", g.execution_expires_after},
                   {"draft", false}};
  if (v.phase == Phase::succeeded) {
    j["content"] = {{"video_url", v.video_url}};
    if (!v.last_frame_url.empty()) j["content"]["last_frame_url"] = v.last_frame_url;
    j["usage"] = {{"completion_tokens", tokens}, {"total_tokens", tokens}};
  }
  if (v.failure) j["error"] = {{"code", v.failure->code}, {"message", v.failure->message}};
  return j;
}

namespace {

constexpr std::int64_t kListWindow = 7 * 24 * 3600;  // Ark lists the last 7 days only
constexpr int kMaxPageSize = 500;

// A query parameter as an integer in [lo, hi]; `fallback` when absent.
int int_param(const httplib::Request& req, const char* key, int fallback, int lo, int hi) {
  if (!req.has_param(key)) return fallback;
  std::string v = req.get_param_value(key);
  long long n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < lo || n > hi)
    invalid(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got \"" + v + "\"");
  return int(n);
}

// An optional filter that must be one of `words`; "" when absent.
std::string word_param(const httplib::Request& req, const char* key, std::initializer_list<const char*> words) {
  if (!req.has_param(key)) return "";
  std::string v = req.get_param_value(key);
  std::string list;
  for (const char* w : words) {
    if (v == w) return v;
    list += (list.empty() ? "" : ", ") + std::string(w);
  }
  invalid(key, "must be one of " + list + ", got \"" + v + "\"");
}

struct ListQuery {
  int page_num = 1, page_size = 10;
  std::string status, model, tier;
  std::vector<std::string> ids;  // any of them; empty: all

  explicit ListQuery(const httplib::Request& req)
      : page_num(int_param(req, "page_num", 1, 1, INT_MAX)),
        page_size(int_param(req, "page_size", 10, 1, kMaxPageSize)),
        status(word_param(req, "filter.status", {"queued", "running", "succeeded", "failed", "cancelled", "expired"})),
        model(req.has_param("filter.model") ? req.get_param_value("filter.model") : ""),
        tier(word_param(req, "filter.service_tier", {"default", "flex"})) {
    for (std::size_t i = 0, n = req.get_param_value_count("filter.task_ids"); i < n; ++i)
      ids.push_back(req.get_param_value("filter.task_ids", i));
  }

  bool matches(const TaskView& v) const {
    return (status.empty() || ark_status(v.phase) == status) && (model.empty() || v.gen.model == model) &&
           (tier.empty() || v.gen.service_tier == tier) &&
           (ids.empty() || std::find(ids.begin(), ids.end(), v.id) != ids.end());
  }
};

}  // namespace

void add_ark_routes(Emulator& emu) {
  emu.api("GET", "/contents/generations/tasks", [&emu](const httplib::Request& req, httplib::Response& res) {
    try {
      ListQuery q(req);
      auto since = std::int64_t(std::time(nullptr)) - kListWindow;
      nlohmann::json items = nlohmann::json::array();
      std::int64_t total = 0, first = std::int64_t(q.page_num - 1) * q.page_size;
      for (const TaskView& v : emu.tasks().list(Dialect::ark, since, emu.base_url())) {
        if (!q.matches(v)) continue;
        if (total >= first && total < first + q.page_size) items.push_back(ark_task_json(v, ark_status(v.phase)));
        ++total;
      }
      res.set_content(nlohmann::json{{"items", std::move(items)}, {"total", total}}.dump(), "application/json");
    } catch (const ApiError& e) {
      send_error(res, Dialect::ark, e);
    }
  });

  emu.api("POST", "/contents/generations/tasks", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = emu.json_body(req, res, Dialect::ark);
    if (!body) return;
    try {
      Generation g = validate_content_request(*body, Dialect::ark, emu.assets());
      std::string id = emu.create_task(req, Dialect::ark, std::move(g));
      res.set_content(nlohmann::json{{"id", id}}.dump(), "application/json");
      emu.settle_create(req);
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
