#pragma once
// Flags and helpers shared by the commands that talk to a provider
// (generate, status, download, cancel, asset).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "seedreel/client.hpp"

namespace seedreel::cli {

struct ApiFlags {
  std::string provider;
  std::string base_url;
  std::string journal;
  double poll_interval = 0;
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
std::unique_ptr<Client> make_client(const ApiFlags& flags, const Provider& provider, const Context& ctx);

std::string journal_path(const ApiFlags& flags);

nlohmann::json task_json(const Task& task);
void print_task(const Task& task);

}  // namespace seedreel::cli
