// seedreel: the command-line front of the library. Parses flags, runs one
// subcommand, maps errors to the documented exit statuses.
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "command.hpp"
#include "limits_options.hpp"
#include "output.hpp"
#include "seedreel/interrupt.hpp"

namespace seedreel::cli {
std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}
}  // namespace seedreel::cli

int main(int argc, char** argv) {
  using namespace seedreel;
  namespace exit_code = cli::exit_code;
  CLI::App app{"seedreel: prepare, submit and finish Seedance 2.0 videos", "seedreel"};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "seedreel 0.1.0");
  cli::Context ctx;
  ctx.argv.assign(argv + 1, argv + argc);
  std::error_code cwd_error;
  ctx.cwd = std::filesystem::current_path(cwd_error).string();
  // A core file would hold the API key (and upload secrets) in plain text.
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  // Ctrl-C unwinds through the running command so outputs are cleaned up (status 130).
  install_interrupt_handler();

  auto& entries = cli::registry();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  std::map<CLI::App*, cli::Runner> runners;
  for (auto& e : entries) {
    CLI::App* sub = app.add_subcommand(e.name, e.help);
    sub->add_flag("--json", ctx.json, "Machine-readable result on stdout (errors stay on stderr)");
    runners[sub] = e.setup(*sub, ctx);
  }

  cli::describe_limit_sources(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_code::usage;
  }

  for (auto& [sub, run] : runners) {
    if (!sub->parsed()) continue;
    try {
      cli::apply_limits(app);
      return run();
    } catch (const Error& e) {
      cli::print_error(e);
      return cli::exit_status(e);
    } catch (const std::bad_alloc&) {
      fmt::print(stderr, "seedreel: out of memory\n");
      return exit_code::bad_input;
    } catch (const std::exception& e) {
      fmt::print(stderr, "seedreel: {}\n", e.what());
      return exit_code::bad_input;
    }
  }
  return exit_code::usage;
}
