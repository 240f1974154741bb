// The task lifecycle's rules without a server: the moves a task may make,
// each journaled; a journal made private; an older journal upgraded in place.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "seedreel/journal.hpp"
#include "seedreel/lifecycle.hpp"
#include "support.hpp"

using namespace seedreel;
using namespace seedreel::test;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

JournalEntry begun(Journal& j) {
  JournalEntry e;
  e.provider = "ark-intl";
  e.base_url = "http://127.0.0.1:9";
  e.model = "m";
  e.output = "/tmp/never.mp4";
  e.key = "k";
  j.begin(e, R"({"model":"m","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]})");
  return e;
}

}  // namespace

TEST_CASE("every state has a name that reads back; the ends are final") {
  for (int i = 0; i <= int(TaskState::expired); ++i) {
    auto s = TaskState(i);
    CHECK(parse_task_state(to_string(s)) == s);
  }
  CHECK_FALSE(parse_task_state("bogus").has_value());
  for (auto s : {TaskState::done, TaskState::failed, TaskState::cancelled, TaskState::expired}) CHECK(is_final(s));
  for (auto s : {TaskState::submitting, TaskState::unknown, TaskState::created, TaskState::running,
                 TaskState::succeeded, TaskState::downloaded})
    CHECK_FALSE(is_final(s));
}

TEST_CASE("one transition function: allowed moves are journaled, the rest refused") {
  std::string dir = temp_dir("lifecycle");
  Journal journal(dir + "/j.db");
  Client client(resolve_provider("ark-intl", "http://127.0.0.1:9"), "lifecycle-test-key");
  TaskLifecycle life(client, &journal);

  JournalEntry e = begun(journal);
  CHECK(e.id > 0);
  CHECK(journal.get(e.id)->state == TaskState::submitting);
  // Inline media never reaches the journal.
  CHECK(journal.get(e.id)->request.find("AAAA") == std::string::npos);
  // Nothing happens to a task before its create is answered.
  CHECK_THROWS_AS(life.transition(e, TaskState::succeeded), std::logic_error);
  CHECK(journal.get(e.id)->state == TaskState::submitting);

  e.task_id = "cgt-1";
  for (auto s : {TaskState::created, TaskState::queued, TaskState::running, TaskState::succeeded,
                 TaskState::downloaded, TaskState::done}) {
    life.transition(e, s, "", s == TaskState::downloaded ? R"({"total_tokens":7})" : "");
    auto row = journal.get(e.id);
    CHECK(row->state == s);
    CHECK(row->task_id == "cgt-1");
  }
  CHECK(usage_tokens(journal.get(e.id)->usage) == 7);
  // An end is an end.
  for (auto s : {TaskState::created, TaskState::failed, TaskState::succeeded})
    CHECK_THROWS_AS(life.transition(e, s), std::logic_error);
  CHECK(journal.unfinished().empty());

  // A lost answer may be settled either way, and nothing else.
  JournalEntry lost = begun(journal);
  life.transition(lost, TaskState::unknown, "no answer");
  CHECK_THROWS_AS(life.transition(lost, TaskState::running), std::logic_error);
  life.transition(lost, TaskState::failed, "none was made");
  CHECK(journal.get(lost.id)->message == "none was made");
}

TEST_CASE("the journal is private: 0600 in a 0700 folder it made") {
  std::string dir = temp_dir("lifecycle-modes") + "/state/seedreel";
  { Journal j(dir + "/journal.db"); }
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir + "/journal.db") == 0600);
}

TEST_CASE("a journal from before the typed lifecycle opens, gains its columns, and keeps its tasks") {
  std::string path = temp_dir("lifecycle-old") + "/old.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, base_url TEXT "
                       "NOT NULL, model TEXT NOT NULL, task_id TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, output "
                       "TEXT NOT NULL DEFAULT '', request TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', "
                       "created_at TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL DEFAULT '');"
                       "INSERT INTO tasks(provider, base_url, model, task_id, state, output) "
                       "VALUES('anyfast','http://x','m','asyn-1','created','/o.mp4'),"
                       "('anyfast','http://x','m','','whatever','/p.mp4');",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  Journal journal(path);
  auto open = journal.unfinished();
  REQUIRE(open.size() == 2);
  CHECK(open[0].state == TaskState::created);
  CHECK(open[0].task_id == "asyn-1");
  CHECK(open[0].key.empty());
  // A state no version wrote is as uncertain as a lost answer.
  CHECK(open[1].state == TaskState::unknown);
  JournalEntry e = begun(journal);
  CHECK(journal.newest_for_key("k")->id == e.id);
}

TEST_CASE("the token estimate follows the provider's formula, and is unknown for an adaptive ratio") {
  Request r;
  r.resolution = "720p";
  r.ratio = "16:9";
  r.duration = 5;
  CHECK(estimate_tokens(r) == std::int64_t(5.0 * 1280 * 720 * 24 / 1024));
  CHECK(estimate_tokens(r, 3) == std::int64_t(8.0 * 1280 * 720 * 24 / 1024));
  r.ratio = "adaptive";
  CHECK_FALSE(estimate_tokens(r).has_value());
  CHECK(usage_tokens(R"({"totalTokens": 12})") == 12);
  CHECK_FALSE(usage_tokens("not json").has_value());
}
