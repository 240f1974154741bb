#include "workflow/clip_step.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "seedreel/error.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/lifecycle.hpp"
#include "util/fnv.hpp"

namespace seedreel::workflow_detail {

namespace fs = std::filesystem;

std::string fold_key(const std::string& previous, const std::string& text) {
  std::uint64_t h = fnv1a(kFnvBasis, previous.data(), previous.size());
  h = fnv1a(h, "\n", 1);
  h = fnv1a(h, text.data(), text.size());
  return fmt::format("{:016x}", h);
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, path, "cannot read");
  std::uint64_t h = kFnvBasis;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) h = fnv1a(h, buf, std::size_t(in.gcount()));
  return fmt::format("{:016x}", h);
}

std::string clip_path(const std::string& parts_dir, int index) {
  return fs::absolute(fs::path(parts_dir) / fmt::format("clip-{:03d}.mp4", index)).lexically_normal().string();
}

void notice(const WorkflowOptions& options, const std::string& text) {
  if (options.on_notice) options.on_notice(text);
}

std::string clip_work_key(const ClipJob& job) { return fold_key(job.key, job.path); }

std::optional<WorkflowClip> reuse_or_resume(Client& client, const ClipJob& job, const WorkflowOptions& options) {
  Journal& journal = *options.journal;
  auto entry = journal.newest_for_key(clip_work_key(job));
  if (!entry) return std::nullopt;
  WorkflowClip clip{job.index, job.path, job.prompt, entry->task_id, ClipOrigin::reused, "", "", entry->id, entry->usage};
  std::error_code ec;
  if ((entry->state == TaskState::done || entry->state == TaskState::downloaded) && fs::is_regular_file(job.path, ec)) {
    notice(options, fmt::format("clip {}: finished in an earlier run, reused", job.index));
    return clip;
  }
  // Failed, cancelled, expired, or done and since deleted: made again.
  if (is_final(entry->state)) return std::nullopt;
  // Journaled by an earlier run and not yet downloaded (or its answer lost): the lifecycle finishes it.
  notice(options, entry->task_id.empty()
                      ? fmt::format("clip {}: an earlier create lost its answer; checking the provider's list", job.index)
                      : fmt::format("clip {}: resuming task {} from an earlier run", job.index, entry->task_id));
  TaskLifecycle life(client, &journal);
  life.on_notice = options.on_notice;
  if (entry->task_id.empty()) {
    entry = life.settle(*entry, job.path);
    if (!entry) return std::nullopt;  // no task was made: generate it
  }
  GenerateResult r = life.finish(*entry, false);
  clip.task_id = r.task.id;
  clip.usage = r.task.usage;
  clip.origin = ClipOrigin::resumed;
  return clip;
}

WorkflowClip generate_clip(Client& client, const ClipJob& job, const Request& request, const std::string& body,
                           const WorkflowOptions& options) {
  notice(options, fmt::format("clip {}: generating", job.index));
  std::error_code ec;
  std::filesystem::remove(job.path, ec);  // made for another request
  GenerateOptions g;
  g.output = job.path;
  g.key = clip_work_key(job);  // a rerun after a crash finds the task by it in the journal
  g.workflow = options.resume_command;
  g.retry_without_audio = options.retry_without_audio;
  g.finish = false;  // done once the workflow has used the clip
  TaskLifecycle life(client, options.journal);
  life.on_notice = options.on_notice;
  GenerateResult r = life.generate(request, body, g);
  return {job.index, job.path, job.prompt, r.task.id, ClipOrigin::generated, "", "", r.entry, r.task.usage};
}

void finish_clips(Client& client, const WorkflowOptions& options, const std::vector<WorkflowClip>& clips) {
  TaskLifecycle life(client, options.journal);
  for (const auto& c : clips)
    if (c.entry) life.done(c.entry);
}

}  // namespace seedreel::workflow_detail
