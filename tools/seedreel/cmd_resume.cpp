// seedreel resume: finish every journaled task not yet done (after a crash,
// Ctrl-C or polling timeout) instead of paying for it again. A task that
// belongs to a workflow (chain, extend, batch) continues that workflow: the
// command is run again in its folder, and it takes over its own tasks. A
// create whose answer was lost is settled against the provider's task list.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/lifecycle.hpp"

extern char** environ;

namespace seedreel::cli {
namespace {

// Runs the workflow's command again (this same program) in its folder, with the
// journal, provider and base URL its tasks were made with; returns its exit status.
int rerun(const nlohmann::json& command, const JournalEntry& e, const ApiFlags& flags, const std::string& journal,
          bool quiet_stdout) {
  std::vector<std::string> args{"seedreel"};
  for (const auto& a : command.at("argv")) args.push_back(command_argument(a));
  std::string cwd = command.contains("cwd") ? command_argument(command["cwd"]) : std::string(".");
  std::map<std::string, std::string> env;
  for (char** p = environ; *p; ++p) {
    std::string kv(*p);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  env["SEEDREEL_JOURNAL"] = journal;
  env["SEEDREEL_PROVIDER"] = flags.provider.empty() ? e.provider : flags.provider;
  if (!flags.base_url.empty()) env["SEEDREEL_BASE_URL"] = flags.base_url;
  else if (!std::getenv("SEEDREEL_BASE_URL")) env["SEEDREEL_BASE_URL"] = e.base_url;
  std::vector<std::string> env_text;
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& v : env_text) envp.push_back(v.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::io, "", fmt::format("cannot start the workflow again: {}", std::strerror(errno)));
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(exit_code::bad_input);
    if (quiet_stdout) ::dup2(2, 1);  // resume --json owns stdout
    ::execve("/proc/self/exe", argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return exit_code::interrupted;
}

const Registration reg{50, "resume", "Finish journaled tasks and the workflows they belong to",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  auto flags = std::make_shared<ApiFlags>();
  add_api_flags(sub, *flags);
  return [flags, &ctx] {
    nlohmann::json out = nlohmann::json::array();
    int status = exit_code::ok;
    const std::string path = journal_path(*flags);
    if (!std::filesystem::exists(path)) {
      if (ctx.json) fmt::print("[]\n");
      else fmt::print("nothing to resume: no journal at {}\n", path);
      return status;
    }
    Journal journal(path);
    auto keep_first = [&](int s) {
      if (status == exit_code::ok) status = s;
    };
    std::map<std::string, JournalEntry> workflows;  // each workflow once, by its first unfinished task
    for (const JournalEntry& e : journal.unfinished()) {
      if (!e.workflow.empty()) {
        workflows.emplace(e.workflow, e);
        continue;
      }
      nlohmann::json item{{"entry", e.id}, {"task_id", e.task_id}, {"provider", e.provider}, {"output", e.output}};
      if (e.output.empty() && !e.task_id.empty()) {
        item["result"] = "no output path";
        fmt::print(stderr, "seedreel: {}: created without an output path; fetch it with seedreel download {} -o FILE\n",
                   e.task_id, e.task_id);
        out.push_back(item);
        continue;
      }
      try {
        // Without flags, the provider and base URL the task was created with.
        Provider provider = resolve_provider(flags->provider.empty() ? e.provider : flags->provider,
                                             flags->base_url.empty() && !std::getenv("SEEDREEL_BASE_URL") ? e.base_url
                                                                                                          : flags->base_url);
        auto client = make_client(*flags, provider, ctx);
        TaskLifecycle life(*client, &journal);
        life.on_notice = [](const std::string& text) { fmt::print(stderr, "seedreel: {}\n", text); };
        GenerateResult r = life.finish(e);
        item["task_id"] = r.task.id;
        item["result"] = "downloaded";
        item["bytes"] = r.bytes;
        if (!ctx.json) fmt::print("{}  {}  task {}\n", e.output, human_bytes(r.bytes), r.task.id);
      } catch (const Error& err) {
        // One task's failure must not stop the others; the status keeps the first.
        print_error(err);
        item["result"] = "error";
        item["error"] = {{"kind", to_string(err.kind())}, {"message", err.reason()}};
        keep_first(exit_status(err));
      }
      out.push_back(item);
    }
    for (const auto& [text, e] : workflows) {
      auto command = nlohmann::json::parse(text, nullptr, false);
      nlohmann::json item{{"entry", e.id}, {"task_id", e.task_id}, {"workflow", command}};
      if (!command.is_object() || !command.contains("argv") || !command["argv"].is_array()) {
        item["result"] = "error";
        fmt::print(stderr, "seedreel: journal entry {}: its workflow record is unreadable; rerun the command by hand\n",
                   e.id);
        keep_first(exit_code::bad_input);
        out.push_back(item);
        continue;
      }
      std::string shown;
      for (const auto& a : command["argv"]) shown += " " + (a.is_string() ? a.get<std::string>() : std::string("…"));
      fmt::print(stderr, "seedreel: continuing the workflow of task {}: seedreel{}\n",
                 e.task_id.empty() ? fmt::format("entry {}", e.id) : e.task_id, shown);
      int s = rerun(command, e, *flags, std::filesystem::absolute(path).string(), ctx.json);
      item["result"] = s == 0 ? "continued" : "error";
      item["exit_status"] = s;
      if (s != 0) keep_first(s);
      out.push_back(item);
    }
    if (ctx.json) print_json(out);
    else if (out.empty()) fmt::print("nothing to resume\n");
    return status;
  };
}};

}  // namespace
}  // namespace seedreel::cli
