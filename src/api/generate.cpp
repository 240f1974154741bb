// generate(): one journaled run from a prepared body to a video on disk.
#include <fmt/format.h>

#include "seedreel/client.hpp"
#include "seedreel/error.hpp"
#include "seedreel/journal.hpp"

namespace seedreel {

GenerateResult generate(Client& client, const Request& request, const std::string& body, const GenerateOptions& options) {
  const Provider& p = client.provider();
  Journal* journal = options.journal;
  std::int64_t entry = 0;
  // Recorded before the create is sent: if we die mid-request, the journal
  // still says a paid task may exist.
  if (journal) entry = journal->begin(p.name, p.base_url, effective_model(request, p), body, options.output);

  std::string id;
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

  // A timeout, network failure or Ctrl-C while waiting leaves the entry
  // "created": the paid task is resumable, and the message says how.
  auto resumable = [&](const Error& e) {
    return Error(e.kind(), e.subject(),
                 fmt::format("{} (task {} is journaled; fetch it later with `seedreel download {} -o {}`)", e.reason(), id,
                             id, options.output));
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
      auto result = generate(client, silent, again.body, once);
      result.audio_dropped = true;
      return result;
    }
    throw err;
  }
  if (journal) journal->update(entry, "succeeded");
  GenerateResult result;
  try {
    result.bytes = client.download(task, options.output);
  } catch (const Error& e) {
    if (journal) journal->update(entry, "succeeded", e.reason());
    throw resumable(e);
  }
  result.task = task;
  result.output = options.output;
  if (journal) journal->update(entry, "downloaded");
  return result;
}

}  // namespace seedreel
