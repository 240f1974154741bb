// The jobs file reader: one JSON object per line, every problem collected
// with its line. Each job is then judged as batch judges it, before any
// file is probed.
#include <charconv>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "seedreel/batch.hpp"
#include "seedreel/limits.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"
#include "util/json_guard.hpp"

using namespace seedreel;

namespace {

// The line of the input read_batch numbered `line` (1-based, getline's split).
std::string_view line_of(std::string_view text, int line) {
  for (int n = 1; n < line; ++n) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) return {};
    text.remove_prefix(nl + 1);
  }
  return text.substr(0, text.find('\n'));
}

// A job must carry the numbers its line wrote, not a wrapped or cut copy.
void check_numbers(const BatchJob& job, std::string_view text) {
  std::string line(line_of(text, job.line));
  if (job.line == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) fuzz::fail("a job from a line that is not JSON");
  auto same = [&](const char* key, auto value) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    const bool equal = v.is_number_unsigned() ? value && *value >= 0 && std::uint64_t(*value) == v.get<std::uint64_t>()
                                              : value && std::int64_t(*value) == v.get<std::int64_t>();
    if (!equal) fuzz::fail("a job's number differs from its line's");
  };
  same("duration", job.request.duration);
  same("seed", job.request.seed);
  same("execution_expires_after", job.request.execution_expires_after);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::write_scratch("jobs.jsonl", data, size);
  BatchFile file;
  try {
    file = read_batch(path);
  } catch (const Error&) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& p : file.problems)
    if (p.line < 1 || p.line > file.lines) fuzz::fail("a problem outside the file's lines");
  const auto& anyfast = builtin_providers().front();
  for (const auto& job : file.jobs) {
    if (job.line < 1 || job.line > file.lines) fuzz::fail("a job outside the file's lines");
    if (job.output.empty() || job.output.front() != '/') fuzz::fail("a job's output is not absolute");
    check_numbers(job, text);
    // Local files are not probed here (nullopt): batch probes them later.
    std::vector<std::optional<MediaInfo>> unprobed(job.request.media.size());
    (void)validate(job.request, anyfast, unprobed);
  }
  return 0;
}
