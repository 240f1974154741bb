#include "output.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace seedreel::cli {

namespace {
// Display width of a UTF-8 string: count code points, not bytes.
std::size_t width(const std::string& s) {
  return std::size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
}  // namespace

void print_table(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - width(row[i]) + 2, ' ');
    }
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
  }
}

void print_json(const nlohmann::json& j) {
  std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void print_error(const Error& e) { fmt::print(stderr, "seedreel: {}\n", in_cli_terms(e).what()); }

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  if (bytes < 1000 * 1000) return fmt::format("{:.1f} kB", bytes / 1e3);
  if (bytes < 1000ull * 1000 * 1000) return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

std::string human_seconds(double seconds) { return fmt::format("{:.3f} s", seconds); }

std::string describe_changes(const std::vector<Change>& changes) {
  std::vector<std::string> parts;
  for (const auto& c : changes) parts.push_back(fmt::format("{} {} → {}", c.what, c.before, c.after));
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace seedreel::cli
