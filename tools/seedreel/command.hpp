#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself with a
// static Registration, so adding a command never touches main.cpp.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "errors.hpp"

namespace seedreel::cli {

struct Context {
  bool json = false;  // every command takes --json
  std::vector<std::string> argv;  // the arguments after the program name, as given
  std::string cwd;                // the folder the command was run in
};

// Runs the parsed command; returns the process exit status.
using Runner = std::function<int()>;
// Declares the command's flags on `sub` and returns what runs it.
using Setup = std::function<Runner(CLI::App& sub, const Context& ctx)>;

struct Entry {
  int order;  // position in --help: the pipeline's order
  std::string name;
  std::string help;
  Setup setup;
};

std::vector<Entry>& registry();

struct Registration {
  Registration(int order, std::string name, std::string help, Setup setup) {
    registry().push_back({order, std::move(name), std::move(help), std::move(setup)});
  }
};

}  // namespace seedreel::cli
