#include "api/task_list.hpp"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "api/task_parse.hpp"

namespace seedreel {

namespace {

using json = nlohmann::json;

// RFC 3986 unreserved characters stay, every other byte becomes %XX.
std::string percent_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += char(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// Whether a number fits the integer field it is read into: get<int>() of
// 1e300 is undefined, and of 2^40 wraps.
template <typename T>
bool fits(const json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using L = std::numeric_limits<T>;
    if (v.is_number_float()) {
      const double d = v.get<double>(), end = std::ldexp(1.0, L::digits);
      return d > -end - 1 && d < end;
    }
    if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= std::uint64_t(L::max());
    if (v.is_number_integer())
      return v.get<std::int64_t>() >= std::int64_t(L::min()) && v.get<std::int64_t>() <= std::int64_t(L::max());
  }
  return true;
}

template <typename T>
T field(const json& item, const char* key, T fallback) {
  auto it = item.find(key);
  if (it == item.end() || it->is_null() || !fits<T>(*it)) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return fallback;  // a listing field of another type is not worth failing the whole list for
  }
}

}  // namespace

std::string list_query(const ListFilter& filter, int page_num) {
  std::string q = fmt::format("page_num={}&page_size={}", page_num, filter.page_size);
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) q += fmt::format("&{}={}", key, percent_encode(value));
  };
  add("filter.status", filter.status);
  for (const auto& id : filter.task_ids) add("filter.task_ids", id);
  add("filter.model", filter.model);
  add("filter.service_tier", filter.service_tier);
  return q;
}

ListPage parse_list_page(const json& j, const std::string& subject) {
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array())
    throw Error(ErrorKind::api, subject, "unexpected list answer: no array field 'items'");
  ListPage page;
  if (j.contains("total") && !j["total"].is_null()) {  // absent: only a short page ends the list
    if (!j["total"].is_number_integer())
      throw Error(ErrorKind::api, subject, "unexpected list answer: 'total' is not an integer");
    page.total = j["total"].get<std::int64_t>();
  }
  const json& items = j["items"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json& item = items[i];
    std::string where = fmt::format("{} (items[{}])", subject, i);
    if (!item.is_object()) throw Error(ErrorKind::api, where, "unexpected list item: not an object");
    ListedTask t;
    t.task = parse_task_json(Dialect::ark, item, where);
    if (t.task.id.empty()) throw Error(ErrorKind::api, where, "unexpected list item: no string field 'id'");
    t.model = field<std::string>(item, "model", "");
    t.created_at = field<std::int64_t>(item, "created_at", 0);
    t.updated_at = field<std::int64_t>(item, "updated_at", 0);
    t.duration = field<int>(item, "duration", 0);
    t.resolution = field<std::string>(item, "resolution", "");
    t.ratio = field<std::string>(item, "ratio", "");
    t.service_tier = field<std::string>(item, "service_tier", "");
    t.generate_audio = field<bool>(item, "generate_audio", false);
    t.seed = field<std::int64_t>(item, "seed", -1);
    page.items.push_back(std::move(t));
  }
  return page;
}

ListCollector::ListCollector(const ListFilter& filter, const std::string& subject)
    : filter_(filter), subject_(subject) {
  if (filter.page_size < 1 || filter.page_size > kMaxListPageSize)
    throw Error(ErrorKind::invalid_argument, subject,
                fmt::format("a list page holds 1 to {} tasks, not {}", kMaxListPageSize, filter.page_size));
  if (filter.max_pages < 1) throw Error(ErrorKind::invalid_argument, subject, "a listing reads at least one page");
}

bool ListCollector::add(ListPage page, int page_num) {
  bool short_page = page.items.size() < std::size_t(filter_.page_size);
  for (auto& t : page.items)
    if (seen_.insert(t.task.id).second) tasks_.push_back(std::move(t));
  if (short_page || (page.total >= 0 && std::int64_t(page_num) * filter_.page_size >= page.total)) return true;
  if (page_num >= filter_.max_pages)
    throw Error(ErrorKind::invalid_argument, subject_,
                fmt::format("{} tasks match, more than {} pages of {}: narrow the filter (status, model, task ids) "
                            "or read more pages",
                            page.total >= 0 ? std::to_string(page.total) : std::string("more"), filter_.max_pages,
                            filter_.page_size));
  return false;
}

}  // namespace seedreel
