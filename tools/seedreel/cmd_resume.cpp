// seedreel resume: finish every journaled task that was created but not yet
// downloaded (after a crash, Ctrl-C or polling timeout), instead of paying for
// it again. A create whose answer was lost has no task id: it is listed, never
// resubmitted.
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "seedreel/journal.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{50, "resume", "Finish journaled tasks that were created but never downloaded",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  auto flags = std::make_shared<ApiFlags>();
  add_api_flags(sub, *flags);
  return [flags, &ctx] {
    nlohmann::json out = nlohmann::json::array();
    int status = exit_code::ok;
    if (!std::filesystem::exists(journal_path(*flags))) {
      if (ctx.json) fmt::print("[]\n");
      else fmt::print("nothing to resume: no journal at {}\n", journal_path(*flags));
      return status;
    }
    Journal journal(journal_path(*flags));
    for (const JournalEntry& e : journal.unfinished()) {
      nlohmann::json item{{"task_id", e.task_id}, {"provider", e.provider}, {"output", e.output}};
      if (e.task_id.empty()) {
        item["result"] = "no task id";
        fmt::print(stderr, "seedreel: journal entry {} ({}, {}): the create may have reached the provider but no task id "
                   "came back; check its console before submitting again\n", e.id, e.provider, e.created_at);
        out.push_back(item);
        continue;
      }
      if (e.output.empty()) {
        item["result"] = "no output path";
        fmt::print(stderr, "seedreel: {}: created without an output path; fetch it with seedreel download {} -o FILE\n",
                   e.task_id, e.task_id);
        out.push_back(item);
        continue;
      }
      try {
        // Without flags, the provider and base URL the task was created with.
        Provider provider = provider_for(*flags, e.task_id);
        auto client = make_client(*flags, provider, ctx);
        auto bytes = wait_and_download(*client, e.task_id, e.output, &journal, e.id).bytes;
        item["result"] = "downloaded";
        item["bytes"] = bytes;
        if (!ctx.json) fmt::print("{}  {}  task {}\n", e.output, human_bytes(bytes), e.task_id);
      } catch (const Error& err) {
        // One task's failure must not stop the others; the status keeps the first.
        print_error(err);
        item["result"] = "error";
        item["error"] = {{"kind", to_string(err.kind())}, {"message", err.reason()}};
        if (status == exit_code::ok) status = exit_status(err.kind());
      }
      out.push_back(item);
    }
    if (ctx.json) fmt::print("{}\n", out.dump(2));
    else if (out.empty()) fmt::print("nothing to resume\n");
    return status;
  };
}};

}  // namespace
}  // namespace seedreel::cli
