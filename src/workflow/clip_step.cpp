#include "workflow/clip_step.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"
#include "seedreel/journal.hpp"
#include "util/atomic_file.hpp"

namespace seedreel::workflow_detail {

namespace fs = std::filesystem;

namespace {

// FNV-1a, 64 bit: not for security, only to tell requests apart.
std::uint64_t fnv(std::uint64_t h, const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ull;
  }
  return h;
}
constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;

std::string key_path(const std::string& clip) { return fs::path(clip).replace_extension(".json").string(); }

// The sidecar: which request the clip was made for, and its task.
struct Sidecar {
  std::string key;
  std::string task_id;
};

std::optional<Sidecar> read_sidecar(const std::string& clip) {
  std::ifstream in(key_path(clip));
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("key")) return std::nullopt;
  return Sidecar{j.value("key", ""), j.value("task_id", "")};
}

void write_sidecar(const std::string& clip, const Sidecar& s) {
  AtomicFile out(key_path(clip));
  {
    std::ofstream f(out.temp_path(), std::ios::trunc);
    f << nlohmann::json{{"key", s.key}, {"task_id", s.task_id}}.dump() << '\n';
    if (!f.flush()) throw Error(ErrorKind::io, out.temp_path(), "cannot write");
  }
  out.commit();
}

}  // namespace

std::string fold_key(const std::string& previous, const std::string& text) {
  std::uint64_t h = fnv(kFnvBasis, previous.data(), previous.size());
  h = fnv(h, "\n", 1);
  h = fnv(h, text.data(), text.size());
  return fmt::format("{:016x}", h);
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path, "cannot read");
  std::uint64_t h = kFnvBasis;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) h = fnv(h, buf, std::size_t(in.gcount()));
  return fmt::format("{:016x}", h);
}

std::string clip_path(const std::string& parts_dir, int index) {
  return fs::absolute(fs::path(parts_dir) / fmt::format("clip-{:03d}.mp4", index)).lexically_normal().string();
}

void notice(const WorkflowOptions& options, const std::string& text) {
  if (options.on_notice) options.on_notice(text);
}

std::optional<WorkflowClip> reuse_or_resume(Client& client, const ClipJob& job, const WorkflowOptions& options) {
  auto side = read_sidecar(job.path);
  if (!side || side->key != job.key) return std::nullopt;
  WorkflowClip clip{job.index, job.path, job.prompt, side->task_id, ClipOrigin::reused, "", ""};
  if (fs::exists(job.path)) {
    notice(options, fmt::format("clip {}: finished in an earlier run, reused", job.index));
    return clip;
  }
  // Submitted by an earlier run but never downloaded: its journal entry says how far it got.
  Journal& journal = *options.journal;
  std::optional<JournalEntry> entry;
  for (auto& e : journal.unfinished())
    if (e.output == job.path) entry = e;  // the newest one
  if (!entry) return std::nullopt;  // the earlier create was refused or the task failed: submit again
  if (entry->task_id.empty())
    throw Error(ErrorKind::api, job.path,
                fmt::format("clip {}: an earlier create may have reached the provider but no task id came back "
                            "(journal entry {}); check the provider's console, then delete {} to submit it again",
                            job.index, entry->id, key_path(job.path)));
  notice(options, fmt::format("clip {}: resuming task {} from an earlier run", job.index, entry->task_id));
  Task task = client.wait(entry->task_id);
  if (task.status != TaskStatus::succeeded) {
    Error err = task_error(task);
    journal.update(entry->id, to_string(task.status), err.reason());
    throw err;
  }
  journal.update(entry->id, "succeeded");
  client.download(task, job.path);
  journal.update(entry->id, "downloaded");
  write_sidecar(job.path, {job.key, task.id});
  clip.task_id = task.id;
  clip.origin = ClipOrigin::resumed;
  return clip;
}

WorkflowClip generate_clip(Client& client, const ClipJob& job, const Request& request, const std::string& body,
                           const WorkflowOptions& options) {
  notice(options, fmt::format("clip {}: generating", job.index));
  std::error_code ec;
  std::filesystem::remove(job.path, ec);  // made for another request
  // The key goes down first: a rerun after a crash finds the task by it in the journal.
  write_sidecar(job.path, {job.key, ""});
  GenerateOptions g;
  g.output = job.path;
  g.retry_without_audio = options.retry_without_audio;
  g.journal = options.journal;
  GenerateResult r = generate(client, request, body, g);
  write_sidecar(job.path, {job.key, r.task.id});
  return {job.index, job.path, job.prompt, r.task.id, ClipOrigin::generated, "", ""};
}

}  // namespace seedreel::workflow_detail
