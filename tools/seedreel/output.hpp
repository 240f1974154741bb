#pragma once
// Printing helpers shared by the subcommands: aligned tables for people,
// one-line errors on stderr.
#include <cstdint>
#include <string>
#include <vector>

#include "seedreel/error.hpp"

namespace seedreel::cli {

using Row = std::vector<std::string>;
// Prints rows with columns padded to their widest cell (UTF-8 aware); the first row is the header.
void print_table(const std::vector<Row>& rows);

// "seedreel: <subject>: <reason>" on stderr.
void print_error(const Error& e);

std::string human_bytes(std::uint64_t bytes);
std::string human_seconds(double seconds);

}  // namespace seedreel::cli
