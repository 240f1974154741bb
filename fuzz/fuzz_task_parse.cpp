// Every dialect's poll answer and error body, Ark's task list pages, and the
// advice given for the codes found in them: the text servers we do not
// control send us.
#include <string>

#include <nlohmann/json.hpp>

#include "api/task_list.hpp"
#include "api/task_parse.hpp"
#include "fuzz_support.hpp"
#include "seedreel/client.hpp"
#include "seedreel/limits.hpp"
#include "util/json_guard.hpp"

using namespace seedreel;

namespace {

void check_task(const Task& t) {
  if (t.status == TaskStatus::succeeded && t.video_url.empty()) fuzz::fail("succeeded without a video URL");
  if (!(t.duration >= 0)) fuzz::fail("negative or NaN duration");
}

void check_outcome(const Task& t) {
  check_task(t);
  if (is_terminal(t.status) && t.status != TaskStatus::succeeded) (void)task_error(t);
  (void)advice_for(t.error_code);
}

// One dialect through the client's whole path (size and depth checks, then
// the parse); the others from the tree parsed once, to keep executions cheap.
void poll_answer(const std::string& body) {
  static constexpr Dialect kDialects[] = {Dialect::content_array, Dialect::flat, Dialect::ark};
  const Dialect whole = kDialects[body.size() % 3];
  try {
    check_outcome(parse_task(whole, body, "task"));
  } catch (const Error&) {
  }
  if (!json_within(body, read_caps().json_depth, read_caps().answer_bytes)) return;
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return;
  for (Dialect d : kDialects) {
    if (d == whole) continue;
    try {
      check_outcome(parse_task_json(d, j, "task"));
    } catch (const Error&) {
    }
  }
}

void list_page(const std::string& body) {
  // As the client reads an answer: size and depth first, then the parse.
  if (!json_within(body, read_caps().json_depth, read_caps().answer_bytes)) return;
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return;
  try {
    ListPage page = parse_list_page(j, "list");
    for (const auto& item : page.items) check_task(item.task);
    ListFilter filter;
    filter.page_size = 2;
    filter.max_pages = 3;
    ListCollector pages(filter, "list");
    const std::size_t n = page.items.size();
    if (!pages.add(page, 1)) (void)pages.add(std::move(page), 2);
    if (std::move(pages).take().size() > n) fuzz::fail("the collector made up tasks");
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  poll_answer(body);
  list_page(body);
  // Error bodies: the status picks the advice (401/403 say to check the key).
  // One status per input (from its length) keeps an execution cheap.
  static constexpr long kStatus[] = {400, 401, 403, 404, 429, 500, 502, 503};
  const long status = kStatus[size % 8];
  // api_error describes the body too (describe_api_error).
  if (std::string(api_error(status, body, "https://example.com/tasks").reason()).empty())
    fuzz::fail("an empty error description");
  (void)advice_for(body);
  (void)is_moderation_code(body);
  return 0;
}
