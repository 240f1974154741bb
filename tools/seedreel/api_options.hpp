#pragma once
// Flags and helpers shared by the commands that talk to a provider
// (generate, status, download, cancel, resume, asset).
#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "seedreel/client.hpp"

#include "seedreel/journal.hpp"

namespace seedreel::cli {

struct ApiFlags {
  std::string provider;
  std::string base_url;
  std::string journal;
  double poll_interval = 0;
  double connect_timeout = 10;
  double request_timeout = 60;
  double timeout = 0;
  int retries = 5;
};

void add_api_flags(CLI::App& sub, ApiFlags& flags);

// The provider for these flags. For a task id, when neither flags nor
// environment name a provider, the journal entry of that task decides.
Provider provider_for(const ApiFlags& flags, const std::string& task_id = "");

// A client with the key loaded (Error usage when there is none), notices on
// stderr and, on a terminal and without --json, a progress line.
// `gate`: shared by the clients of one process (batch workers), when given.
std::unique_ptr<Client> make_client(const ApiFlags& flags, const Provider& provider, const Context& ctx,
                                    std::shared_ptr<RateGate> gate = nullptr);

std::string journal_path(const ApiFlags& flags);

// The arguments of a command that acts on one task: its id and the API flags.
struct TaskArgs {
  std::string id;
  ApiFlags api;
};
void add_task_args(CLI::App& sub, TaskArgs& args);

struct TaskClient {
  Provider provider;
  std::unique_ptr<Client> client;
};
// The provider of the task (see provider_for) and a client for it (see make_client).
TaskClient task_client(const TaskArgs& args, const Context& ctx);

// The journal when one exists at the flags' path (status, download and cancel
// of a task no journal knows work without one).
std::unique_ptr<Journal> existing_journal(const ApiFlags& flags);

// How to run this very command again (argv and folder, JSON), journaled with
// a workflow's tasks so `seedreel resume` continues the workflow.
std::string resume_command(const Context& ctx);
// One argument (or the folder) of such a record, as the bytes it was.
std::string command_argument(const nlohmann::json& arg);

nlohmann::json task_json(const Task& task);
void print_task(const Task& task);

}  // namespace seedreel::cli
