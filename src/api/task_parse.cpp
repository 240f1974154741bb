#include "api/task_parse.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "seedreel/limits.hpp"
#include "util/json_guard.hpp"

namespace seedreel {

namespace {

using json = nlohmann::json;

const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* node = &j;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

std::string str(const json& j, std::initializer_list<const char*> path) {
  const json* n = at(j, path);
  if (!n || n->is_null()) return "";
  if (n->is_string()) return n->get<std::string>();
  return n->dump();
}

// A percentage as an int, at most 100; -1 for NaN, infinities and negatives,
// whose conversion to int (1e300, "nan") would be undefined.
int percent(double v) { return std::isfinite(v) && v >= 0 ? int(std::min(v, 100.0) + 0.5) : -1; }

int parse_progress(const json* n) {
  if (!n || n->is_null()) return -1;
  if (n->is_number()) return percent(n->get<double>());
  if (n->is_string()) {
    const auto& s = n->get_ref<const std::string&>();
    try {
      return percent(std::stod(s));
    } catch (...) {
      return -1;
    }
  }
  return -1;
}

// Known provider codes found inside a free-text reason ("... OutputAudioSensitiveContentDetected ...").
std::string code_in_text(const std::string& text) {
  static constexpr std::array<std::string_view, 6> markers{"SensitiveContentDetected", "InvalidParameter", "PrivacyInformation",
                                                           "RateLimitExceeded", "QuotaExceeded", "ServerOverloaded"};
  for (auto m : markers) {
    auto at = text.find(m);
    if (at == std::string::npos) continue;
    auto begin = at, end = at + m.size();
    auto word = [&](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_'; };
    while (begin > 0 && word(text[begin - 1])) --begin;
    while (end < text.size() && word(text[end])) ++end;
    while (end > begin && text[end - 1] == '.') --end;
    return text.substr(begin, end - begin);
  }
  return "";
}

std::string clip(std::string s, std::size_t n = 300) {
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (s.size() > n) s = s.substr(0, n) + "…";
  return s;
}

// Seconds of video, from a number or a numeric string; 0 when absent or unreadable.
double parse_seconds(const json* n) {
  double v = 0;
  if (n && n->is_number()) v = n->get<double>();
  if (n && n->is_string()) {
    try {
      v = std::stod(n->get<std::string>());
    } catch (...) {
      v = 0;
    }
  }
  return std::isfinite(v) && v > 0 ? v : 0;
}

[[noreturn]] void unknown_status(const std::string& subject, const std::string& word, const char* field) {
  throw Error(ErrorKind::api, subject, fmt::format("unknown task status '{}' in field '{}'", clip(word, 60), field));
}

// Each dialect's status words, as data.
struct StatusWord {
  std::string_view word;
  TaskStatus status;
};
using TS = TaskStatus;
constexpr std::array<StatusWord, 8> kGatewayWords{{{"NOT_START", TS::queued}, {"SUBMITTED", TS::queued},
                                                   {"QUEUED", TS::queued}, {"IN_PROGRESS", TS::running},
                                                   {"RUNNING", TS::running}, {"SUCCESS", TS::succeeded},
                                                   {"FAILURE", TS::failed}, {"FAILED", TS::failed}}};
constexpr std::array<StatusWord, 4> kFlatWords{
    {{"queued", TS::queued}, {"processing", TS::running}, {"completed", TS::succeeded}, {"failed", TS::failed}}};
constexpr std::array<StatusWord, 6> kArkWords{{{"queued", TS::queued}, {"running", TS::running},
                                               {"succeeded", TS::succeeded}, {"failed", TS::failed},
                                               {"expired", TS::expired}, {"cancelled", TS::cancelled}}};

// What every poll answer shares: the id, the status word mapped through the
// dialect's table (an unknown word names its field), the progress.
Task read_common(const json& obj, const char* id_field, const char* status_field, std::span<const StatusWord> words,
                 const std::string& subject) {
  const json* st = at(obj, {"status"});
  if (!st || !st->is_string())
    throw Error(ErrorKind::api, subject, fmt::format("unexpected answer: no string field '{}'", status_field));
  Task t;
  t.id = str(obj, {id_field});
  t.raw_status = st->get<std::string>();
  auto it = std::find_if(words.begin(), words.end(), [&](const StatusWord& w) { return w.word == t.raw_status; });
  if (it == words.end()) unknown_status(subject, t.raw_status, status_field);
  t.status = it->status;
  t.progress = parse_progress(at(obj, {"progress"}));
  return t;
}

Task parse_content_array(const json& j, const std::string& subject) {
  const json* data = at(j, {"data"});
  if (!data || !data->is_object()) {
    std::string msg = str(j, {"message"});
    throw Error(ErrorKind::api, subject,
                msg.empty() ? "unexpected answer: no 'data' object" : fmt::format("gateway error: {}", clip(msg)));
  }
  Task t = read_common(*data, "task_id", "data.status", kGatewayWords, subject);
  std::string upstream = str(*data, {"data", "status"});
  if (t.status == TaskStatus::failed && (upstream == "expired" || upstream == "cancelled"))
    t.status = upstream == "expired" ? TaskStatus::expired : TaskStatus::cancelled;
  if (t.status == TaskStatus::succeeded) {
    // Quirk: on SUCCESS fail_reason holds a copy of the URL; it is read only on FAILURE.
    t.video_url = str(*data, {"result_url"});
    if (t.video_url.empty()) t.video_url = str(*data, {"data", "content", "video_url"});
    t.last_frame_url = str(*data, {"data", "content", "last_frame_url"});
    t.duration = parse_seconds(at(*data, {"data", "duration"}));  // the upstream Ark task's
    if (t.video_url.empty())
      throw Error(ErrorKind::api, subject, "task SUCCESS without a URL in 'data.result_url' or 'data.data.content.video_url'");
  } else if (t.status == TaskStatus::failed) {
    t.error_code = str(*data, {"data", "error", "code"});
    t.error_message = str(*data, {"data", "error", "message"});
    std::string reason = str(*data, {"fail_reason"});
    if (t.error_message.empty()) t.error_message = reason;
    if (t.error_code.empty()) t.error_code = code_in_text(reason);
  }
  if (const json* u = at(*data, {"data", "usage"}); u && !u->is_null()) t.usage = u->dump();
  return t;
}

Task parse_flat(const json& j, const std::string& subject) {
  Task t = read_common(j, "id", "status", kFlatWords, subject);
  if (t.status == TaskStatus::succeeded) {
    t.video_url = str(j, {"video_url"});
    if (t.video_url.empty()) throw Error(ErrorKind::api, subject, "task completed without 'video_url'");
    t.duration = parse_seconds(at(j, {"actualDuration"}));
    json usage = json::object();
    if (const json* d = at(j, {"actualDuration"}); d && !d->is_null()) usage["actualDuration"] = *d;
    if (const json* k = at(j, {"totalTokens"}); k && !k->is_null()) usage["totalTokens"] = *k;
    if (!usage.empty()) t.usage = usage.dump();
  } else if (t.status == TaskStatus::failed) {
    t.error_message = str(j, {"error"});
    t.error_code = code_in_text(t.error_message);
  }
  return t;
}

Task parse_ark(const json& j, const std::string& subject) {
  Task t = read_common(j, "id", "status", kArkWords, subject);
  if (t.status == TaskStatus::succeeded) {
    t.video_url = str(j, {"content", "video_url"});
    t.last_frame_url = str(j, {"content", "last_frame_url"});
    if (t.video_url.empty()) throw Error(ErrorKind::api, subject, "task succeeded without 'content.video_url'");
    t.duration = parse_seconds(at(j, {"duration"}));
  }
  if (const json* e = at(j, {"error"}); e && e->is_object()) {
    t.error_code = str(*e, {"code"});
    t.error_message = str(*e, {"message"});
  }
  if (const json* u = at(j, {"usage"}); u && !u->is_null()) t.usage = u->dump();
  return t;
}

struct ApiProblem {
  std::string code;
  std::string message;
};

ApiProblem read_problem(const std::string& body) {
  ApiProblem p;
  // A body nested past the cap is quoted, never parsed (the parser recurses per level).
  const auto& caps = read_caps_in_force();
  json j = json_within(body, caps.json_depth, caps.answer_bytes) ? json::parse(body, nullptr, false) : json(nullptr);
  if (j.is_discarded() || !j.is_object()) {
    p.message = clip(body, 200);
    return p;
  }
  if (const json* e = at(j, {"error"}); e && e->is_object()) {
    p.code = str(*e, {"code"});
    p.message = str(*e, {"message"});
  } else if (e && e->is_string()) {
    p.message = e->get<std::string>();
  }
  if (p.message.empty()) p.message = str(j, {"message"});
  if (p.message.empty()) p.message = str(j, {"msg"});
  if (p.code.empty()) {
    std::string c = str(j, {"code"});
    if (!c.empty() && !std::isdigit(static_cast<unsigned char>(c[0])) && c != "success") p.code = c;
  }
  if (p.code.empty()) p.code = code_in_text(p.message);
  p.message = clip(p.message);
  return p;
}

}  // namespace

const char* to_string(TaskStatus status) noexcept {
  switch (status) {
    case TaskStatus::queued: return "queued";
    case TaskStatus::running: return "running";
    case TaskStatus::succeeded: return "succeeded";
    case TaskStatus::failed: return "failed";
    case TaskStatus::expired: return "expired";
    case TaskStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

Task parse_task_json(Dialect dialect, const json& j, const std::string& subject) {
  switch (dialect) {
    case Dialect::content_array: return parse_content_array(j, subject);
    case Dialect::flat: return parse_flat(j, subject);
    case Dialect::ark: return parse_ark(j, subject);
  }
  throw Error(ErrorKind::api, subject, "unknown dialect");
}

bool is_moderation_code(const std::string& code) {
  return code.find("SensitiveContent") != std::string::npos || code.find("PrivacyInformation") != std::string::npos;
}

std::string advice_for(const std::string& code) {
  if (code.rfind("InvalidParameter", 0) == 0) {
    auto dot = code.find('.');
    return dot == std::string::npos ? "the provider rejected a parameter; fix it and submit again"
                                    : fmt::format("the provider rejected the parameter '{}'; fix it and submit again", code.substr(dot + 1));
  }
  if (code.find("PrivacyInformation") != std::string::npos)
    return "an input shows a real person's face; this is never retried. Real people must go through the provider's "
           "asset library (pass them as asset://ID) or its face verification (real-person authorisation)";
  if (code == "OutputAudioSensitiveContentDetected")
    return "the generated audio was flagged by moderation; submit again without generated audio";
  if (code.find("SensitiveContentDetected") != std::string::npos)
    return code.rfind("Input", 0) == 0
               ? "an input (prompt, image, video or audio) was flagged by moderation; change it and submit again"
               : "the generated video was flagged by moderation; change the prompt or the references and submit again";
  if (code == "RateLimitExceeded") return "too many requests: the client backed off and retried; wait a while and try again";
  if (code == "QuotaExceeded") return "the account's quota is used up: top it up or wait for it to reset";
  if (code == "ServerOverloaded") return "the provider is overloaded: try again in a few minutes";
  return "";
}

// The option an error code's remedy is about, for a front end to name: the
// request's generate_audio, or an asset (asset://ID) for a real person.
namespace {
std::string remedy_option(const std::string& code) {
  if (code == "OutputAudioSensitiveContentDetected") return "generate_audio";
  if (code.find("PrivacyInformation") != std::string::npos) return "asset";
  return "";
}
}  // namespace

std::string describe_api_error(long status, const std::string& body) {
  ApiProblem p = read_problem(body);
  std::string text = fmt::format("HTTP {}", status);
  if (!p.code.empty()) text += " " + p.code;
  if (!p.message.empty()) text += ": " + p.message;
  if (status == 401 || status == 403)
    text += " — authentication failed: check SEEDREEL_API_KEY (or the key file) for this provider";
  else if (auto a = advice_for(p.code); !a.empty())
    text += " — " + a;
  return text;
}

Error api_error(long status, const std::string& body, const std::string& subject) {
  ApiProblem p = read_problem(body);
  return Error(is_moderation_code(p.code) ? ErrorKind::moderation : ErrorKind::api, subject, describe_api_error(status, body),
               remedy_option(p.code));
}

Error task_error(const Task& task) {
  std::string reason = task.error_code.empty() ? task.error_message
                       : task.error_message.empty() ? task.error_code
                                                    : task.error_code + ": " + task.error_message;
  reason = clip(reason);
  switch (task.status) {
    case TaskStatus::expired:
      return Error(ErrorKind::failed, task.id, "the task expired on the provider before it finished; submit it again");
    case TaskStatus::cancelled: return Error(ErrorKind::failed, task.id, "the task was cancelled");
    default: break;
  }
  std::string advice = advice_for(task.error_code);
  if (is_moderation_code(task.error_code))
    return Error(ErrorKind::moderation, task.id, fmt::format("blocked by moderation: {}{}", reason, advice.empty() ? "" : " — " + advice),
                 remedy_option(task.error_code));
  if (task.progress >= 100)
    return Error(ErrorKind::moderation, task.id,
                 fmt::format("failed at 100%, which usually means content moderation stopped it (e.g. a real "
                             "person's likeness or copyrighted content): {}; change the prompt or the references",
                             reason.empty() ? "no reason given" : reason));
  return Error(ErrorKind::failed, task.id,
               fmt::format("generation failed: {}{}", reason.empty() ? "no reason given" : reason, advice.empty() ? "" : " — " + advice));
}

}  // namespace seedreel
