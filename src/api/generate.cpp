// generate(): one journaled run from a prepared body to a video on disk.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "seedreel/client.hpp"
#include "seedreel/error.hpp"
#include "seedreel/journal.hpp"

namespace seedreel {

namespace fs = std::filesystem;

void check_output_before_paying(const std::string& output) {
  if (output.empty()) throw Error(ErrorKind::usage, "", "no output path for the video");
  std::error_code ec;
  const fs::path path = fs::absolute(output, ec);
  if (ec) throw Error(ErrorKind::io, output, "cannot resolve the output path: " + ec.message());
  if (fs::is_directory(path, ec)) throw Error(ErrorKind::io, output, "is a folder: name the video file; nothing was sent");
  const fs::path folder = path.parent_path();
  if (!fs::is_directory(folder, ec))
    throw Error(ErrorKind::io, output, "its folder " + folder.string() + " does not exist; nothing was sent");
  // Permission bits do not tell (root, ACLs, read-only mounts): make a file.
  const fs::path trial = folder / fmt::format(".seedreel-write-check-{}", ::getpid());
  const int fd = ::open(trial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    throw Error(ErrorKind::io, output,
                fmt::format("cannot write in {}: {}; nothing was sent", folder.string(), std::strerror(errno)));
  if (fd >= 0) {
    ::close(fd);
    ::unlink(trial.c_str());
  }
}

namespace {

// The unfinished entry an earlier run journaled for this very request and
// output, if any.
std::optional<JournalEntry> journaled_twin(const Journal& journal, const Provider& p, const std::string& model,
                                           const std::string& body, const std::string& output) {
  const std::string request = elide_inline_media(body);
  for (auto& e : journal.unfinished())
    if (e.provider == p.name && e.base_url == p.base_url && e.model == model && e.output == output &&
        e.request == request)
      return e;
  return std::nullopt;
}

}  // namespace

GenerateResult generate(Client& client, const Request& request, const std::string& body, const GenerateOptions& options) {
  const Provider& p = client.provider();
  Journal* journal = options.journal;
  check_output_before_paying(options.output);
  // Journaled absolute, so `resume` from any folder writes where this run would have.
  const std::string output = fs::absolute(options.output).lexically_normal().string();
  const std::string model = effective_model(request, p);
  std::int64_t entry = 0;
  std::string id;

  std::optional<JournalEntry> twin;
  if (journal && options.adopt_journaled) twin = journaled_twin(*journal, p, model, body, output);
  if (twin && twin->task_id.empty())
    throw Error(ErrorKind::validation, options.output,
                fmt::format("an earlier run sent this same request (journal entry {}, {}) and no task id came back: "
                            "a task may exist and be paid for. Resume it, or ask for a new task explicitly",
                            twin->id, twin->state));
  if (twin) {
    entry = twin->id;
    id = twin->task_id;
  } else {
    // Recorded before the create is sent: if we die mid-request, the journal
    // still says a paid task may exist.
    if (journal) entry = journal->begin(p.name, p.base_url, model, body, output);
    bool maybe_created = false;
    try {
      id = client.create(body, &maybe_created);
    } catch (const Error& e) {
      // Ctrl-C mid-create is as uncertain as a lost answer.
      bool uncertain = maybe_created || e.kind() == ErrorKind::cancelled;
      if (journal) journal->update(entry, uncertain ? "unknown" : "failed", e.reason());
      throw;
    }
    if (journal) journal->created(entry, id);
  }

  // A timeout, network failure or Ctrl-C while waiting leaves the entry
  // "created": the paid task is resumable, and the message says how.
  auto resumable = [&](const Error& e) {
    return Error(e.kind(), e.subject(),
                 fmt::format("{} (task {} is journaled; fetch it later with `seedreel download {} -o {}`)", e.reason(), id,
                             id, output));
  };
  Task task;
  try {
    task = client.wait(id);
  } catch (const Error& e) {
    throw resumable(e);
  }
  if (task.status != TaskStatus::succeeded) {
    Error err = task_error(task);
    if (journal) journal->update(entry, to_string(task.status), err.reason());
    if (options.retry_without_audio && request.generate_audio && task.error_code == "OutputAudioSensitiveContentDetected") {
      Request silent = request;
      silent.generate_audio = false;
      PreparedRequest again = prepare(silent, p);
      if (!again.findings.empty()) throw err;
      GenerateOptions once = options;
      once.retry_without_audio = false;
      once.adopt_journaled = false;
      auto result = generate(client, silent, again.body, once);
      result.audio_dropped = true;
      return result;
    }
    throw err;
  }
  if (journal) journal->update(entry, "succeeded");
  GenerateResult result;
  try {
    result.bytes = client.download(task, output);
  } catch (const Error& e) {
    if (journal) journal->update(entry, "succeeded", e.reason());
    throw resumable(e);
  }
  result.task = task;
  result.output = options.output;
  if (twin) result.adopted_entry = twin->id;
  if (journal) journal->update(entry, "downloaded");
  return result;
}

}  // namespace seedreel
