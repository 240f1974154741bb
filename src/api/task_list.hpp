#pragma once
// Internal: Ark's task list (GET …/contents/generations/tasks) — the query of
// one page, and one page's answer read into ListedTasks.
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "seedreel/client.hpp"

namespace seedreel {

// "page_num=2&page_size=100&filter.status=failed&filter.task_ids=a&filter.task_ids=b…",
// every value percent-encoded; empty filters are left out.
std::string list_query(const ListFilter& filter, int page_num);

inline constexpr int kMaxListPageSize = 500;  // Ark refuses larger pages

struct ListPage {
  std::vector<ListedTask> items;
  std::int64_t total = -1;  // tasks matching the filter over every page; -1 when the answer does not say
};
// Reads {"items":[<task object>…],"total":N}; Error(api) naming the field
// for another shape or an item the poll parser refuses.
ListPage parse_list_page(const nlohmann::json& j, const std::string& subject);

// Gathers the pages of one listing, each task once: a task created while we
// page pushes the older ones a place down, so one can show on two pages.
class ListCollector {
 public:
  // Error(invalid_argument) about `subject` for a page size outside 1–500 or max_pages < 1.
  ListCollector(const ListFilter& filter, const std::string& subject);
  // Adds page `page_num` (1-based); true once it was the last. Error(invalid_argument)
  // when more than max_pages pages would be needed.
  bool add(ListPage page, int page_num);
  std::vector<ListedTask> take() && { return std::move(tasks_); }

 private:
  ListFilter filter_;
  std::string subject_;
  std::vector<ListedTask> tasks_;
  std::unordered_set<std::string> seen_;
};

}  // namespace seedreel
