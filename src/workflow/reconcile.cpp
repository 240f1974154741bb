// reconcile(): settles a create whose answer never came by looking for the
// task it may have made in the provider's own list (Ark dialect).
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/lifecycle.hpp"

namespace seedreel {

namespace {

// The journal's "YYYY-MM-DDTHH:MM:SSZ" as unix seconds; 0 when unreadable.
std::int64_t unix_time(const std::string& iso) {
  std::tm tm{};
  if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return std::int64_t(timegm(&tm));
}

// What the request fixed that the listing echoes; a listed task must agree on each.
bool agrees(const nlohmann::json& body, const ListedTask& t) {
  if (!body.is_object()) return false;
  if (auto d = body.find("duration"); d != body.end() && d->is_number_integer() && d->get<int>() != t.duration)
    return false;
  if (auto r = body.find("resolution"); r != body.end() && r->is_string() && r->get<std::string>() != t.resolution)
    return false;
  // "adaptive" becomes the ratio the provider chose.
  if (auto r = body.find("ratio"); r != body.end() && r->is_string() && *r != "adaptive" &&
                                   r->get<std::string>() != t.ratio)
    return false;
  if (auto a = body.find("generate_audio"); a != body.end() && a->is_boolean() && a->get<bool>() != t.generate_audio)
    return false;
  if (auto s = body.find("seed"); s != body.end() && s->is_number_integer() && s->get<std::int64_t>() != t.seed)
    return false;
  std::string tier = body.value("service_tier", std::string("default"));
  if (!t.service_tier.empty() && tier != t.service_tier) return false;
  return true;
}

}  // namespace

Reconciliation reconcile(Client& client, const Journal& journal, const JournalEntry& e) {
  Reconciliation r;
  if (!client.can_list()) {
    r.outcome = Reconciliation::Outcome::cannot_list;
    r.explanation = fmt::format(
        "{} cannot list its tasks, so whether that create made one cannot be checked from here: look in the "
        "provider's console for a task created around {} (model {})",
        client.provider().name, e.created_at, e.model);
    return r;
  }
  const std::int64_t begun = unix_time(e.created_at), last = unix_time(e.updated_at);
  ListFilter filter;
  filter.model = e.model;
  std::vector<ListedTask> listed = client.list(filter);
  const auto body = nlohmann::json::parse(e.request, nullptr, false);
  for (const ListedTask& t : listed) {
    if (begun && (t.created_at < begun - 300 || t.created_at > std::max(begun, last) + 900)) continue;
    if (!agrees(body, t) || journal.knows_task(t.task.id)) continue;
    r.candidates.push_back(t.task.id);
  }
  if (r.candidates.size() == 1) {
    r.outcome = Reconciliation::Outcome::adopted;
    r.task_id = r.candidates.front();
    r.explanation = fmt::format(
        "reconciled: journal entry {} lost its create answer; {} lists task {} made then with the same parameters, "
        "taken over instead of paying again",
        e.id, client.provider().name, r.task_id);
  } else if (r.candidates.empty()) {
    r.outcome = Reconciliation::Outcome::none_made;
    r.explanation = fmt::format(
        "reconciled: journal entry {} lost its create answer and {} lists no task from then with its parameters "
        "({} listed): none was made",
        e.id, client.provider().name, listed.size());
  } else {
    r.outcome = Reconciliation::Outcome::ambiguous;
    std::string ids;
    for (const auto& id : r.candidates) ids += (ids.empty() ? "" : ", ") + id;
    r.explanation = fmt::format(
        "{} tasks from then match journal entry {} and none is journaled ({}): which one is its own cannot be told "
        "from the listing",
        r.candidates.size(), e.id, ids);
  }
  return r;
}

}  // namespace seedreel
