#pragma once
// Printing helpers shared by the subcommands: aligned tables for people,
// one-line errors on stderr.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "errors.hpp"
#include "seedreel/conform.hpp"

namespace seedreel::cli {

using Row = std::vector<std::string>;
// Prints rows with columns padded to their widest cell (UTF-8 aware); the first row is the header.
void print_table(const std::vector<Row>& rows);

// Every --json result goes out through here: indented, and with invalid
// UTF-8 (a file name in another encoding, a server's text) replaced by
// U+FFFD instead of throwing and losing the whole result.
void print_json(const nlohmann::json& j);

// "seedreel: <subject>: <flag>: <reason>" on stderr, in the CLI's terms (errors.hpp).
void print_error(const Error& e);

std::string human_bytes(std::uint64_t bytes);
// What conform changed, one line: "resized 70x50 → 420x300; ..." ("" when nothing).
std::string describe_changes(const std::vector<Change>& changes);
std::string human_seconds(double seconds);

}  // namespace seedreel::cli
