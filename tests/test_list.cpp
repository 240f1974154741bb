// Ark's task list end to end against the real emulator: paging, every filter,
// `total`, the 7-day window, `seedreel list`, the refusal for dialects that
// cannot list; the create faults a crash test needs (an answer lost or held
// after the task was made), flex tasks that expire, the emulator refusing a
// body nested 50,000 deep and staying up; and json_within itself.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"
#include "seedreel/client.hpp"
#include "seedreel/provider.hpp"
#include "support.hpp"
#include "util/json_guard.hpp"

using namespace seedreel::test;
using json = nlohmann::json;

namespace {

const std::string kKey = "sk-test-LIST-5c1e07a9d3";
const std::string kAuth = "Authorization: Bearer " + kKey;
const std::string kTasks = "/contents/generations/tasks";
const std::string kModel = "doubao-seedance-2-0-260128";
const std::string kFast = "doubao-seedance-2-0-fast-260128";

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Small, identical requests share one rendered file: creating many costs one render.
json ark_body(const std::string& model = kModel, const std::string& tier = "default") {
  return {{"model", model},
          {"content", json::array({{{"type", "text"}, {"text", "waves at dusk"}}})},
          {"resolution", "480p"},
          {"duration", 4},
          {"generate_audio", false},
          {"service_tier", tier}};
}

json gateway_body(const std::string& tier = "default") {
  return {{"model", "seedance-2.0"},
          {"content", json::array({{{"type", "text"}, {"text", "x"}}})},
          {"resolution", "480p"},
          {"duration", 4},
          {"generate_audio", false},
          {"service_tier", tier}};
}

json flat_body() { return {{"model", "seedance_2_0_pro"}, {"prompt", "x"}, {"duration", 4}, {"generateAudio", false}}; }

std::string create(const EmuProcess& emu, const json& body) {
  auto r = emu.post(kTasks, body, {kAuth});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return r.json()["id"];
}

json list_raw(const EmuProcess& emu, const std::string& query) {
  auto r = emu.get(kTasks + "?" + query, {kAuth});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return r.json();
}

std::vector<std::string> ids_of(const json& page) {
  std::vector<std::string> ids;
  for (const auto& item : page["items"]) ids.push_back(item["id"]);
  return ids;
}

std::vector<std::string> ids_of(const std::vector<seedreel::ListedTask>& tasks) {
  std::vector<std::string> ids;
  for (const auto& t : tasks) ids.push_back(t.task.id);
  return ids;
}

seedreel::Client client_for(const EmuProcess& emu, const std::string& provider = "ark-cn") {
  seedreel::ClientOptions o;
  o.poll_interval = 0.1;
  o.retry_base = 0.05;
  o.max_attempts = 3;
  o.request_timeout = 10;  // a test that fails with an answer still held ends instead of hanging
  return seedreel::Client(seedreel::resolve_provider(provider, emu.base), kKey, o);
}

void control(const EmuProcess& emu, const std::string& path, const json& body = json::object()) {
  auto r = emu.post(path, body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

// Polls the list until it holds `n` tasks (a create held or lost server-side).
json wait_for_listed(const EmuProcess& emu, std::size_t n) {
  json page;
  for (int i = 0; i < 200; ++i) {
    page = list_raw(emu, "page_size=50");
    if (page["items"].size() >= n) return page;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  FAIL("the list never held ", n, " tasks: ", page.dump());
  return page;
}

EmuProcess quick_emu() { return EmuProcess({"--task-seconds", "1", "--api-key", kKey}); }

}  // namespace

TEST_CASE("json_within: depth and size bounds, brackets inside strings and escapes") {
  using seedreel::json_within;
  CHECK(json_within("", 0, 0));
  CHECK(json_within("42", 0, 10));
  CHECK_FALSE(json_within("[]", 0, 10));
  CHECK(json_within("[]", 1, 10));
  CHECK(json_within(R"({"a":[1,{"b":[]}]})", 4, 100));
  CHECK_FALSE(json_within(R"({"a":[1,{"b":[]}]})", 3, 100));
  // Exactly at the limit passes, one more level does not.
  std::string at64 = std::string(64, '[') + std::string(64, ']');
  CHECK(json_within(at64, 64, 1000));
  CHECK_FALSE(json_within("[" + at64 + "]", 64, 1000));
  // Siblings do not add up: depth is nesting, not bracket count.
  CHECK(json_within("[[],[],[],[]]", 2, 100));
  // Brackets inside strings do not count, escaped quotes do not end the string.
  CHECK(json_within(R"(["[[[[{{{{"])", 1, 100));
  CHECK(json_within(R"(["\"[[[[", "]]]"])", 1, 100));
  CHECK_FALSE(json_within(R"(["\\", [[]]])", 2, 100));  // "\\" ends its string: the brackets after it count
  CHECK(json_within(R"(["\\\"[[["])", 1, 100));           // \\ then \" : still inside
  // Stray closers are the parser's to refuse, not a way to reset the depth.
  CHECK_FALSE(json_within("]]]]" + std::string(5, '['), 4, 100));
  // Size: max_bytes inclusive.
  CHECK(json_within("[1,2]", 1, 5));
  CHECK_FALSE(json_within("[1,2]", 1, 4));
  // 50,000 levels: answered without recursion.
  CHECK_FALSE(json_within(std::string(50000, '['), 64, 1 << 20));
}

TEST_CASE("list: 7 tasks in pages of 3, newest first, each once, total, the client reads every page") {
  EmuProcess emu = quick_emu();
  std::vector<std::string> made;
  for (int i = 0; i < 7; ++i) made.push_back(create(emu, ark_body()));
  std::vector<std::string> newest_first(made.rbegin(), made.rend());

  json p1 = list_raw(emu, "page_num=1&page_size=3"), p3 = list_raw(emu, "page_num=3&page_size=3");
  CHECK(p1["total"] == 7);
  CHECK(p1["items"].size() == 3);
  CHECK(p3["items"].size() == 1);
  CHECK(list_raw(emu, "page_num=4&page_size=3")["items"].empty());
  CHECK(list_raw(emu, "")["items"].size() == 7);  // default page size 10
  // An item is the single-task object (content/usage aside, which follow the clock).
  auto one = emu.get(kTasks + "/" + made.back(), {kAuth}).json();
  for (const char* key : {"id", "model", "created_at", "seed", "resolution", "ratio", "duration", "service_tier",
                          "execution_expires_after", "generate_audio"})
    CHECK_MESSAGE(p1["items"][0][key] == one[key], key);

  emu.reset();
  auto client = client_for(emu);
  CHECK(client.can_list());
  seedreel::ListFilter f;
  f.page_size = 3;
  auto listed = client.list(f);
  CHECK(ids_of(listed) == newest_first);
  auto gets = emu.requests("GET", kTasks);
  REQUIRE(gets.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(gets[i]["path"] == kTasks);
    CHECK(gets[i]["query"]["page_num"] == std::to_string(i + 1));
    CHECK(gets[i]["query"]["page_size"] == "3");
  }
  const auto& t = listed.front();
  CHECK(t.model == kModel);
  CHECK(t.duration == 4);
  CHECK(t.resolution == "480p");
  CHECK(t.service_tier == "default");
  CHECK_FALSE(t.generate_audio);
  CHECK(t.created_at > 0);
  CHECK(t.updated_at >= t.created_at);
  CHECK(t.seed >= 0);

  // A full last page ends on `total` without asking for an empty one; max_pages bounds the walk.
  emu.reset();
  f.page_size = 7;
  CHECK(client.list(f).size() == 7);
  CHECK(emu.requests("GET", kTasks).size() == 1);
  f.page_size = 2;
  f.max_pages = 3;
  CHECK_THROWS_WITH_AS(client.list(f), doctest::Contains("narrow the filter"), seedreel::Error);
  f.page_size = 501;
  CHECK_THROWS_AS(client.list(f), seedreel::Error);
}

TEST_CASE("list: filters by status, model, service tier and task ids; the 7-day window; refusals") {
  // Long tasks: everything stays queued for 6 s, so the states are the test's doing.
  EmuProcess emu({"--task-seconds", "30", "--api-key", kKey});
  std::string a = create(emu, ark_body()), b = create(emu, ark_body()), c = create(emu, ark_body());
  std::string d = create(emu, ark_body(kFast, "flex"));
  REQUIRE(http({"DELETE", emu.base + kTasks + "/" + a, "", {kAuth}}).status == 200);  // queued: cancelled

  auto ids = [&](const std::string& q) { return ids_of(list_raw(emu, q)); };
  auto total = [&](const std::string& q) { return list_raw(emu, q)["total"].get<int>(); };
  CHECK(ids("filter.status=queued") == std::vector<std::string>{d, c, b});
  CHECK(ids("filter.status=cancelled") == std::vector<std::string>{a});
  CHECK(total("filter.status=succeeded") == 0);
  CHECK(ids("filter.model=" + kFast) == std::vector<std::string>{d});
  CHECK(ids("filter.service_tier=flex") == std::vector<std::string>{d});
  CHECK(total("filter.service_tier=default") == 3);
  CHECK(ids("filter.task_ids=" + b + "&filter.task_ids=" + d) == std::vector<std::string>{d, b});
  CHECK(ids("filter.task_ids=" + b + "&filter.status=cancelled").empty());
  // total counts the filter's matches over every page.
  json page = list_raw(emu, "filter.status=queued&page_size=1&page_num=2");
  CHECK(page["total"] == 3);
  CHECK(ids_of(page) == std::vector<std::string>{c});

  // The client sends each filter, values percent-encoded, task ids repeated.
  auto client = client_for(emu);
  seedreel::ListFilter f;
  f.status = "queued";
  f.task_ids = {b, d, "no such/id&x=1"};
  f.model = kFast;
  f.service_tier = "flex";
  emu.reset();
  CHECK(ids_of(client.list(f)) == std::vector<std::string>{d});
  auto gets = emu.requests("GET", kTasks);
  REQUIRE(gets.size() == 1);
  CHECK(gets[0]["query"]["filter.task_ids"] == json::array({b, d, "no such/id&x=1"}));
  CHECK(gets[0]["query"]["filter.status"] == "queued");
  CHECK(gets[0]["query"]["filter.model"] == kFast);
  CHECK(gets[0]["query"]["filter.service_tier"] == "flex");
  CHECK(gets[0]["query"]["page_size"] == "100");

  // task_expired with "now": every unfinished task ends expired at once.
  control(emu, "/_emu/fault", {{"kind", "task_expired"}, {"now", true}});
  CHECK(ids("filter.status=expired") == std::vector<std::string>{d, c, b});
  json expired = emu.get(kTasks + "/" + d, {kAuth}).json();
  CHECK(expired["status"] == "expired");
  CHECK(expired["error"]["code"] == "TaskExpired");
  CHECK(client.poll(d).status == seedreel::TaskStatus::expired);

  // Only the last 7 days: a task made 8 days ago is gone from the list, one of 6 days is not.
  control(emu, "/_emu/backdate", {{"id", b}, {"seconds", 8 * 86400}});
  control(emu, "/_emu/backdate", {{"id", c}, {"seconds", 6 * 86400}});
  CHECK(ids("") == std::vector<std::string>{d, a, c});
  CHECK(ids("filter.status=expired") == std::vector<std::string>{d, c});
  CHECK(total("filter.task_ids=" + b) == 0);
  CHECK(emu.get(kTasks + "/" + b, {kAuth}).status == 200);  // still there for a direct poll

  // Refusals in Ark's InvalidParameter shape, naming the parameter.
  for (const auto& [query, param] : std::vector<std::pair<std::string, std::string>>{
           {"page_size=501", "page_size"},
           {"page_size=0", "page_size"},
           {"page_size=ten", "page_size"},
           {"page_num=0", "page_num"},
           {"page_num=-1", "page_num"},
           {"page_num=1x", "page_num"},
           {"filter.status=done", "filter.status"},
           {"filter.service_tier=cheap", "filter.service_tier"}}) {
    auto r = emu.get(kTasks + "?" + query, {kAuth});
    CHECK_MESSAGE(r.status == 400, query);
    json e = r.json()["error"];
    CHECK(e["code"] == "InvalidParameter");
    CHECK(e["param"] == param);
    CHECK(e["type"] == "BadRequest");
    CHECK(contains(e["message"].get<std::string>(), "`" + param + "`"));
  }
  CHECK(list_raw(emu, "page_size=500")["items"].size() == 3);
  CHECK(emu.get(kTasks).status == 401);  // the list wants the key like every API route
}

TEST_CASE("seedreel list: a table, --json with the listing's fields, filters as flags; refused where it cannot list") {
  CliSession s(kKey, "list-cli");
  std::string a = create(s.emu, ark_body()), b = create(s.emu, ark_body(kFast, "flex"));

  Run r = s.cli({"list", "--provider", "ark-cn", "--json"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  json out = json::parse(r.out);
  REQUIRE(out.is_array());
  REQUIRE(out.size() == 2);
  CHECK(out[0]["id"] == b);
  CHECK(out[1]["id"] == a);
  CHECK(out[0]["model"] == kFast);
  CHECK(out[0]["service_tier"] == "flex");
  CHECK(out[1]["service_tier"] == "default");
  CHECK(out[0]["created_at"].get<std::int64_t>() > 0);
  CHECK(out[0]["duration"] == 4);
  CHECK(out[0].contains("status"));
  CHECK(out[0].contains("provider_status"));

  s.emu.reset();
  r = s.cli({"list", "--provider", "ark-cn", "--json", "--task-id", a, "--task-id", b, "--tier", "default",
             "--model", kModel, "--page-size", "5"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  out = json::parse(r.out);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["id"] == a);
  auto gets = s.emu.requests("GET", kTasks);
  REQUIRE(gets.size() == 1);
  CHECK(gets[0]["query"]["filter.task_ids"] == json::array({a, b}));
  CHECK(gets[0]["query"]["page_size"] == "5");

  r = s.cli({"list", "--provider", "ark-cn"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  for (const char* head : {"ID", "STATUS", "MODEL", "CREATED (UTC)", "DURATION", "RESOLUTION"})
    CHECK_MESSAGE(contains(r.out, head), head);
  CHECK(contains(r.out, a));
  CHECK(contains(r.out, b));
  CHECK(contains(r.out, "4 s"));
  CHECK(contains(r.out, "480p"));
  CHECK(s.cli({"list", "--provider", "ark-cn", "--status", "done"}).status == 2);

  // A dialect without a list endpoint: exit 2 (usage), the reason and what to do instead, nothing sent.
  s.emu.reset();
  for (const char* provider : {"xingchaoyiqing", "anyfast"}) {
    r = s.cli({"list", "--provider", provider});
    CHECK(r.status == 2);
    CHECK_MESSAGE(contains(r.err, "no endpoint that lists tasks"), r.err);
    CHECK(contains(r.err, "seedreel status ID"));
    CHECK(contains(r.err, provider));
  }
  CHECK(s.emu.requests().empty());
  auto flat = client_for(s.emu, "xingchaoyiqing");
  CHECK_FALSE(flat.can_list());
  try {
    flat.list({});
    FAIL("listed through the flat dialect");
  } catch (const seedreel::Error& e) {
    CHECK(e.kind() == seedreel::ErrorKind::invalid_argument);
    CHECK(e.subject() == "xingchaoyiqing");
  }
}

TEST_CASE("lose_answer: the task is made, the connection closes unanswered, in every dialect") {
  EmuProcess emu = quick_emu();
  // Ark through the client: an Error that says the task may exist, and the list shows it does.
  control(emu, "/_emu/fault", {{"kind", "lose_answer"}, {"method", "POST"}, {"path_prefix", kTasks}});
  auto client = client_for(emu);
  bool maybe = false;
  CHECK_THROWS_AS(client.create(ark_body().dump(), &maybe), seedreel::Error);
  CHECK(maybe);
  auto listed = client.list({});
  REQUIRE(listed.size() == 1);
  CHECK(emu.requests("POST", kTasks).size() == 1);  // sent once, never repeated
  // The next create is answered again.
  std::string next = client.create(ark_body().dump());
  CHECK(next != listed[0].task.id);

  // Gateway and flat: no byte of an answer comes back, and the create was received.
  for (const auto& [path, body] : std::vector<std::pair<std::string, json>>{
           {"/v1/video/generations", gateway_body()}, {"/v1/kyyvideo2/videos", flat_body()}}) {
    emu.reset();
    control(emu, "/_emu/fault", {{"kind", "lose_answer"}, {"path_prefix", path}});
    auto r = emu.post(path, body, {kAuth});
    CHECK_MESSAGE(r.status == 0, path, " answered ", r.status, " ", r.body);
    CHECK(r.curl == CURLE_GOT_NOTHING);
    CHECK(emu.requests("POST", path).size() == 1);
    CHECK(emu.post(path, body, {kAuth}).status == 200);  // one use only
  }
  CHECK(list_raw(emu, "")["total"] == 2);  // the other dialects' tasks are not Ark's to list
}

TEST_CASE("delay_answer: the task exists while its answer is held, until release, reset or the given seconds") {
  EmuProcess emu = quick_emu();
  control(emu, "/_emu/fault", {{"kind", "delay_answer"}, {"method", "POST"}, {"path_prefix", kTasks}});
  auto client = client_for(emu);
  auto pending = std::async(std::launch::async, [&] { return client.create(ark_body().dump()); });
  json page = wait_for_listed(emu, 1);
  std::string id = page["items"][0]["id"];
  // The create is in the request log already, and its answer still held.
  CHECK(emu.requests("POST", kTasks).size() == 1);
  CHECK(pending.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  control(emu, "/_emu/release");
  REQUIRE(pending.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(pending.get() == id);
  CHECK(emu.requests("POST", kTasks).size() == 1);  // logged once, not again when answered

  // Gateway: held for the given seconds.
  json gw = gateway_body();
  control(emu, "/_emu/fault", {{"kind", "delay_answer"}, {"path_prefix", "/v1/video/generations"}, {"seconds", 0.5}});
  auto start = std::chrono::steady_clock::now();
  auto r = emu.post("/v1/video/generations", gw, {kAuth});
  double held = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(r.status == 200);
  CHECK(held >= 0.45);
  CHECK(held < 5);

  // Flat: /_emu/reset lets it go too.
  control(emu, "/_emu/fault", {{"kind", "delay_answer"}, {"path_prefix", "/v1/kyyvideo2/videos"}});
  auto flat = std::async(std::launch::async, [&] {
    return emu.post("/v1/kyyvideo2/videos", flat_body(), {kAuth});
  });
  for (int i = 0; i < 200 && emu.requests("POST", "/v1/kyyvideo2/").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  CHECK(flat.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  control(emu, "/_emu/reset");
  REQUIRE(flat.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(flat.get().status == 200);
}

TEST_CASE("flex: service_tier and execution_expires_after echoed and checked; task_expired ends flex tasks expired") {
  EmuProcess emu = quick_emu();
  json flex = ark_body(kModel, "flex");
  flex["execution_expires_after"] = 3600;
  control(emu, "/_emu/fault", {{"kind", "task_expired"}, {"method", "POST"}, {"path_prefix", kTasks}});
  // A default-tier task does not take the fault: it goes to the next flex one.
  auto client = client_for(emu);
  std::string plain = client.create(ark_body().dump());
  std::string id = client.create(flex.dump());
  seedreel::Task t = client.wait(id);
  CHECK(t.status == seedreel::TaskStatus::expired);
  CHECK(t.raw_status == "expired");
  CHECK(t.error_code == "TaskExpired");
  CHECK(client.wait(plain).status == seedreel::TaskStatus::succeeded);
  json j = emu.get(kTasks + "/" + id, {kAuth}).json();
  CHECK(j["service_tier"] == "flex");
  CHECK(j["execution_expires_after"] == 3600);
  CHECK(emu.get(kTasks + "/" + plain, {kAuth}).json()["execution_expires_after"] == 172800);
  CHECK(ids_of(list_raw(emu, "filter.status=expired")) == std::vector<std::string>{id});
  // The gateway carries Ark's word upstream: FAILURE with data.data.status "expired".
  control(emu, "/_emu/fault", {{"kind", "task_expired"}, {"path_prefix", "/v1/video/generations"}});
  auto gclient = client_for(emu, "anyfast");
  CHECK(gclient.wait(gclient.create(gateway_body("flex").dump())).status == seedreel::TaskStatus::expired);

  for (const json& bad : {json(3599), json(259201), json("3600"), json(3600.5), json(true)}) {
    json body = flex;
    body["execution_expires_after"] = bad;
    auto r = emu.post(kTasks, body, {kAuth});
    CHECK_MESSAGE(r.status == 400, bad.dump());
    CHECK(r.json()["error"]["code"] == "InvalidParameter");
    CHECK(r.json()["error"]["param"] == "execution_expires_after");
  }
  json edge = flex;
  edge["execution_expires_after"] = 259200;
  CHECK(emu.post(kTasks, edge, {kAuth}).status == 200);
  json tier = flex;
  tier["service_tier"] = "priority";
  CHECK(emu.post(kTasks, tier, {kAuth}).json()["error"]["param"] == "service_tier");
}

TEST_CASE("a body nested 50,000 deep is refused with 400 on every JSON route, and the emulator stays up") {
  EmuProcess emu = quick_emu();
  std::string deep = std::string(50000, '[') + std::string(50000, ']');
  for (const std::string& path : {kTasks, std::string("/v1/video/generations"), std::string("/v1/kyyvideo2/videos"),
                                 std::string("/volc/asset/CreateAssetGroup")}) {
    auto r = http({"POST", emu.base + path, deep, {kAuth}});
    REQUIRE_MESSAGE(r.status == 400, path, ": ", r.status, " ", r.body);
    CHECK(contains(r.body, "InvalidParameter"));
    CHECK(contains(r.body, "nests deeper than 64"));
  }
  CHECK(http({"POST", emu.base + "/_emu/fault", deep}).status == 400);
  // Exactly 64 levels reach the parser (and the validator, which wants an object).
  std::string at64 = std::string(64, '[') + std::string(64, ']');
  auto r = http({"POST", emu.base + kTasks, at64, {kAuth}});
  CHECK(r.status == 400);
  CHECK_FALSE(contains(r.body, "nests deeper"));
  // Still serving, and the refused bodies were logged without their content.
  CHECK(list_raw(emu, "")["total"] == 0);
  auto posts = emu.requests("POST", kTasks);
  REQUIRE(posts.size() == 2);
  CHECK(posts[0]["body"].is_null());
  CHECK(emu.stop() == 0);
}
