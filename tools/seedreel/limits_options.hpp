#pragma once
// The limits a user may set, each by a flag, an environment variable and a
// key of the config file's "limits" object, in that order of precedence over
// the built-in default (docs/limits.md).
#include <string>

#include <CLI/CLI.hpp>

namespace seedreel::cli {

// Adds the read caps' flags (--max-download, --max-answer, --max-redirects)
// to a command that talks HTTP.
void add_cap_flags(CLI::App& sub);

// Before parsing: every limit option's help names its environment variable
// and config key.
void describe_limit_sources(CLI::App& app);

// After parsing: a limit option of the parsed command not given as a flag
// takes its environment variable's value, else the config file's, then the
// process's read caps are set. Error(usage) naming the variable or the file
// for a value the flag would refuse, a malformed config file or an unknown key.
void apply_limits(CLI::App& app);

// $SEEDREEL_CONFIG, else $XDG_CONFIG_HOME/seedreel/config.json, else
// ~/.config/seedreel/config.json ("" when there is no home either).
std::string config_path();

}  // namespace seedreel::cli
