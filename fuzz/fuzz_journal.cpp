// The task journal opened on an arbitrary file: a damaged, foreign or
// hostile SQLite database must give Error(io), or a journal that reads and
// writes, never a crash.
#include <unistd.h>

#include "fuzz_support.hpp"
#include "seedreel/error.hpp"
#include "seedreel/journal.hpp"

using namespace seedreel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::write_scratch("journal.db", data, size);
  // A previous input's write-ahead log would be replayed into this one.
  ::unlink((path + "-wal").c_str());
  ::unlink((path + "-shm").c_str());
  try {
    Journal journal(path);
    for (const auto& e : journal.unfinished()) {
      (void)journal.get(e.id);
      (void)journal.find_task(e.task_id);
    }
    (void)journal.newest_for_key("work-key");
    (void)journal.knows_task("cgt-20250101-x");
    JournalEntry e;
    e.provider = "ark-cn";
    e.base_url = "https://example.com/api/v3";
    e.model = "seedance-2.0";
    e.output = "/out/a.mp4";
    e.key = "work-key";
    journal.begin(e, R"({"model":"seedance-2.0","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]})");
    e.task_id = "cgt-20250101-x";
    e.state = TaskState::created;
    journal.store(e);
    e.state = TaskState::succeeded;
    e.usage = R"({"completion_tokens":1})";
    journal.store(e);
    (void)journal.get(e.id);
    (void)journal.find_task(e.task_id);
  } catch (const Error&) {
    // not a journal we can use: reported as an io error naming the file
  }
  return 0;
}
