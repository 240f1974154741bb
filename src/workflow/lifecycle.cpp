// TaskLifecycle: every paid task from the journal row written before its
// create to the video at its output, through one transition function.
#include "seedreel/lifecycle.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"
#include "seedreel/probe.hpp"
#include "util/fnv.hpp"
#include "util/kill_point.hpp"

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

std::optional<std::int64_t> estimate_tokens(const Request& r, double input_video_seconds) {
  auto size = output_size(r.resolution.empty() ? "720p" : r.resolution, r.ratio.empty() ? "16:9" : r.ratio);
  if (!size) return std::nullopt;  // adaptive: the provider picks the ratio
  const MediaLimits& m = media_limits();
  double seconds = input_video_seconds + r.duration.value_or(m.default_duration);
  return std::int64_t(seconds * size->width * size->height * m.output_fps / 1024);
}

std::optional<std::int64_t> usage_tokens(const std::string& usage) {
  auto j = nlohmann::json::parse(usage, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  for (const char* name : {"total_tokens", "totalTokens", "completion_tokens"})
    if (auto it = j.find(name); it != j.end() && it->is_number_integer()) return it->get<std::int64_t>();
  return std::nullopt;
}

namespace {

TaskState state_of(TaskStatus s) {
  switch (s) {
    case TaskStatus::queued: return TaskState::queued;
    case TaskStatus::running: return TaskState::running;
    case TaskStatus::succeeded: return TaskState::succeeded;
    case TaskStatus::failed: return TaskState::failed;
    case TaskStatus::expired: return TaskState::expired;
    case TaskStatus::cancelled: return TaskState::cancelled;
  }
  return TaskState::failed;
}

bool in_flight(TaskState s) { return s == TaskState::created || s == TaskState::queued || s == TaskState::running; }

// The moves a task can make. Staying put is allowed (a new message) except at an end.
bool allowed(TaskState from, TaskState to) {
  using S = TaskState;
  if (is_final(from)) return false;
  if (from == to) return true;
  switch (from) {
    case S::submitting: return to == S::created || to == S::unknown || to == S::failed;
    // Settled by listing the provider's tasks: adopted, or none was made.
    case S::unknown: return to == S::created || to == S::failed;
    case S::created:
    case S::queued:
    case S::running:
      return to == S::queued || to == S::running || to == S::succeeded || to == S::failed || to == S::cancelled ||
             to == S::expired;
    case S::succeeded: return to == S::downloaded;
    // The output went missing before its workflow used it: fetch it again.
    case S::downloaded: return to == S::done || to == S::succeeded;
    default: return false;
  }
}

bool output_ready(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !fs::is_regular_file(path, ec)) return false;
  try {
    auto info = probe(path);
    return info.video && info.media_duration() > 0;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

std::string work_key(const Provider& p, const std::string& model, const std::string& body, const std::string& output) {
  return fnv_hex(fmt::format("{}\n{}\n{}\n{}\n{}", p.name, p.base_url, model, elide_inline_media(body), output));
}

TaskLifecycle::TaskLifecycle(Client& client, Journal* journal) : client_(client), journal_(journal) {}

void TaskLifecycle::transition(JournalEntry& e, TaskState to, const std::string& message, const std::string& usage) {
  if (!allowed(e.state, to))
    throw std::logic_error(fmt::format("task lifecycle: {} -> {} is not a move a task makes", to_string(e.state),
                                       to_string(to)));
  e.state = to;
  e.message = message;
  if (!usage.empty()) e.usage = usage;
  if (journal_ && e.id) journal_->store(e);
}

void TaskLifecycle::done(std::int64_t id) {
  if (!journal_) return;
  auto e = journal_->get(id);
  if (e && e->state == TaskState::downloaded) transition(*e, TaskState::done);
}

std::optional<JournalEntry> TaskLifecycle::settle(JournalEntry e, const std::string& subject) {
  Reconciliation r = reconcile(client_, *journal_, e);
  switch (r.outcome) {
    case Reconciliation::Outcome::adopted:
      e.task_id = r.task_id;
      transition(e, TaskState::created, r.explanation);
      if (on_notice) on_notice(r.explanation);
      return e;
    case Reconciliation::Outcome::none_made:
      transition(e, TaskState::failed, r.explanation);
      if (on_notice) on_notice(r.explanation);
      return std::nullopt;
    default:
      throw Error(ErrorKind::validation, subject.empty() ? e.output : subject,
                  fmt::format("an earlier run sent this same request (journal entry {}, {}) and no task id came back: "
                              "a task may exist and be paid for. {}. Take it over by its id once known, or ask for a "
                              "new task explicitly",
                              e.id, to_string(e.state), r.explanation));
  }
}

std::optional<JournalEntry> TaskLifecycle::takeover(const GenerateOptions& o, const std::string& key) {
  if (!journal_ || !o.adopt_journaled) return std::nullopt;
  auto e = journal_->newest_for_key(key);
  if (!e || is_final(e->state)) return std::nullopt;
  if (!e->task_id.empty()) return e;
  // An earlier create of this same work never answered: settle it before paying again.
  return settle(*e, o.output);
}

GenerateResult TaskLifecycle::submit(const Request& request, const std::string& body, const GenerateOptions& o) {
  const Provider& p = client_.provider();
  std::string output;
  if (!o.output.empty()) {
    check_output_before_paying(o.output);
    // Journaled absolute, so `resume` from any folder writes where this run would have.
    output = fs::absolute(o.output).lexically_normal().string();
  }
  const std::string model = effective_model(request, p);
  const std::string key = o.key.empty() ? work_key(p, model, body, output) : o.key;
  GenerateResult result;
  result.output = o.output;
  if (auto e = takeover(o, key)) {
    result.entry = result.adopted_entry = e->id;
    result.task.id = e->task_id;
    if (!e->message.empty() && e->message.rfind("reconciled", 0) == 0) result.reconciled = e->message;
    return result;
  }
  JournalEntry e;
  e.provider = p.name;
  e.base_url = p.base_url;
  e.model = model;
  e.output = output;
  e.key = key;
  e.workflow = o.workflow;
  e.estimate = estimate_tokens(request).value_or(-1);
  // Recorded before the create is sent: if we die mid-request, the journal
  // still says a paid task may exist.
  if (journal_) journal_->begin(e, body);
  kill_point("create");
  bool maybe_created = false;
  try {
    e.task_id = client_.create(body, &maybe_created);
  } catch (const Error& err) {
    // Ctrl-C mid-create is as uncertain as a lost answer.
    bool uncertain = maybe_created || err.kind() == ErrorKind::cancelled;
    transition(e, uncertain ? TaskState::unknown : TaskState::failed, err.reason());
    throw;
  }
  transition(e, TaskState::created);
  result.entry = e.id;
  result.task.id = e.task_id;
  return result;
}

GenerateResult TaskLifecycle::generate(const Request& request, const std::string& body, const GenerateOptions& o) {
  if (o.output.empty()) check_output_before_paying(o.output);  // submit checks a named one
  GenerateResult started = submit(request, body, o);
  JournalEntry e;
  if (journal_ && started.entry) {
    e = *journal_->get(started.entry);
  } else {
    e.task_id = started.task.id;
    e.state = TaskState::created;
    e.output = fs::absolute(o.output).lexically_normal().string();
  }
  try {
    GenerateResult r = run(e, o.finish);
    r.adopted_entry = started.adopted_entry;
    r.reconciled = started.reconciled;
    r.output = o.output;
    return r;
  } catch (const Error& err) {
    // Moderation of the audio: once more without it, when asked.
    if (!(o.retry_without_audio && request.generate_audio &&
          last_task_.error_code == "OutputAudioSensitiveContentDetected"))
      throw;
    Request silent = request;
    silent.generate_audio = false;
    PreparedRequest again = prepare(silent, client_.provider());
    if (!again.findings.empty()) throw;
    GenerateOptions once = o;
    once.retry_without_audio = false;
    once.adopt_journaled = false;
    once.key.clear();
    auto result = generate(silent, again.body, once);
    result.audio_dropped = true;
    return result;
  }
}

GenerateResult TaskLifecycle::run(JournalEntry e, bool finish) {
  GenerateResult result;
  result.entry = e.id;
  result.output = e.output;
  if (e.state == TaskState::downloaded) {
    if (output_ready(e.output)) {
      result.task.id = e.task_id;
      result.task.status = TaskStatus::succeeded;
      result.task.usage = e.usage;
      if (finish) transition(e, TaskState::done);
      return result;
    }
    transition(e, TaskState::succeeded, "the output went missing; fetching it again");
  }
  // A timeout, network failure or Ctrl-C while waiting leaves the entry in
  // flight: the paid task is resumable, and the message says which it is.
  const std::string id = e.task_id;
  auto resumable = [&](const Error& err) {
    return Error(err.kind(), err.subject(),
                 fmt::format("{} (task {} is journaled for {}; a rerun or resume takes it over)", err.reason(), id,
                             e.output.empty() ? std::string("no output yet") : e.output),
                 err.option());
  };
  Task task;
  bool first = true;
  try {
    task = client_.wait(id, [&](const Task& t) {
      TaskState s = state_of(t.status);
      // Journal only moves (a poll that changes nothing writes nothing).
      if (s != e.state && in_flight(e.state) && !is_final(s)) transition(e, s);
      if (first) {
        first = false;
        kill_point("poll");
      }
    });
  } catch (const Error& err) {
    throw resumable(err);
  }
  last_task_ = task;
  if (task.status != TaskStatus::succeeded) {
    Error err = task_error(task);
    if (allowed(e.state, state_of(task.status))) transition(e, state_of(task.status), err.reason(), task.usage);
    throw err;
  }
  if (e.state != TaskState::succeeded) transition(e, TaskState::succeeded);
  if (e.output.empty())
    throw Error(ErrorKind::usage, id, "the task has no output path: download it to a file by its id");
  try {
    result.bytes = client_.download(task, e.output);
  } catch (const Error& err) {
    transition(e, TaskState::succeeded, err.reason());
    throw resumable(err);
  }
  transition(e, TaskState::downloaded, "", task.usage);
  // The video is what was paid for; a last frame that cannot be fetched is told, not fatal.
  if (!task.last_frame_url.empty()) {
    std::string frame = last_frame_path_for(e.output);
    try {
      client_.download_last_frame(task, frame);
      result.last_frame = frame;
    } catch (const Error& err) {
      if (err.kind() == ErrorKind::cancelled) throw;
      if (on_notice) on_notice(fmt::format("the last frame was not saved: {}", err.reason()));
    }
  }
  if (finish) transition(e, TaskState::done);
  result.task = task;
  return result;
}

std::string last_frame_path_for(const std::string& video_output) {
  fs::path p(video_output);
  return (p.parent_path() / (p.stem().string() + ".last-frame.png")).string();
}

GenerateResult TaskLifecycle::finish(JournalEntry e, bool finish) {
  if (e.task_id.empty()) {
    auto adopted = settle(e, e.output);
    if (!adopted)
      throw Error(ErrorKind::failed, e.output,
                  fmt::format("journal entry {}: its create lost its answer and made no task; nothing is paid for. "
                              "Run the command again to submit it",
                              e.id));
    e = *adopted;
  }
  auto result = run(e, finish);
  if (result.task.id.empty()) result.task.id = e.task_id;
  return result;
}

GenerateResult TaskLifecycle::download(const std::string& id, const std::string& output) {
  std::optional<JournalEntry> known = journal_ ? journal_->find_task(id) : std::nullopt;
  JournalEntry e;
  if (known && !is_final(known->state)) {
    e = *known;
    // The user names where it goes now; the journal follows.
    e.output = fs::absolute(output).lexically_normal().string();
  } else {
    e.task_id = id;
    e.state = TaskState::created;
    e.output = output;
  }
  auto r = run(e, true);
  r.output = output;
  return r;
}

Task TaskLifecycle::status(const std::string& id) {
  Task t = client_.poll(id);
  if (journal_)
    if (auto e = journal_->find_task(id); e && in_flight(e->state)) {
      TaskState s = state_of(t.status);
      if (s != e->state && allowed(e->state, s))
        transition(*e, s, is_terminal(t.status) && t.status != TaskStatus::succeeded ? task_error(t).reason() : "",
                   t.usage);
    }
  return t;
}

void TaskLifecycle::cancel(const std::string& id) {
  client_.cancel(id);
  if (journal_)
    if (auto e = journal_->find_task(id); e && allowed(e->state, TaskState::cancelled))
      transition(*e, TaskState::cancelled, "cancelled by the user");
}

}  // namespace seedreel
