#include "task_store.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "assets.hpp"

namespace seedance_emu {

namespace {

std::string new_task_id(Dialect d) {
  switch (d) {
    case Dialect::gateway:
      return "asyn" + random_hex(24);
    case Dialect::flat:
      return "video_" + random_hex(24);
    case Dialect::ark:
      return make_id("cgt-");
  }
  return random_hex(24);
}

std::int64_t unix_now() { return std::int64_t(std::time(nullptr)); }

}  // namespace

TaskStore::TaskStore(RenderQueue& renderer, double task_seconds, double url_ttl)
    : renderer_(renderer),
      task_time_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(task_seconds))),
      url_ttl_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(url_ttl))) {}

std::string TaskStore::create(Dialect d, Generation gen, std::optional<Failure> moderation, bool expires) {
  Task t;
  t.id = new_task_id(d);
  t.dialect = d;
  t.gen = gen;
  t.gen.first_frame.reset();
  t.gen.last_frame.reset();
  t.job = std::make_shared<RenderJob>(std::move(gen));
  t.job->skip = moderation.has_value() || expires;  // it fails or expires: nothing to render
  t.created = Clock::now();
  t.created_unix = unix_now();
  t.moderation = std::move(moderation);
  t.expires = expires;
  std::string id = t.id;
  auto job = t.job;
  {
    std::lock_guard lock(mutex_);
    t.seq = ++next_seq_;
    tasks_.emplace(id, std::move(t));
  }
  if (!job->skip) renderer_.submit(job);
  return id;
}

std::string TaskStore::grant(std::string& token, const std::filesystem::path& path, const char* type) {
  auto now = Clock::now();
  auto it = token.empty() ? grants_.end() : grants_.find(token);
  if (it == grants_.end() || it->second.expires <= now) {
    token = random_hex(32);
    grants_[token] = Grant{path, type, now + url_ttl_};
  }
  return token;
}

std::optional<TaskView> TaskStore::view(const std::string& id, const std::string& base_url) {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  return view_locked(it->second, base_url);
}

std::vector<TaskView> TaskStore::list(Dialect d, std::int64_t since, const std::string& base_url) {
  std::lock_guard lock(mutex_);
  std::vector<Task*> picked;
  for (auto& [id, t] : tasks_)
    if (t.dialect == d && t.created_unix >= since) picked.push_back(&t);
  std::sort(picked.begin(), picked.end(), [](const Task* a, const Task* b) {
    return a->created_unix != b->created_unix ? a->created_unix > b->created_unix : a->seq > b->seq;
  });
  std::vector<TaskView> out;
  out.reserve(picked.size());
  for (Task* t : picked) out.push_back(view_locked(*t, base_url));
  return out;
}

void TaskStore::expire_unfinished() {
  std::lock_guard lock(mutex_);
  for (auto& [id, t] : tasks_) {
    if (t.cancelled || t.expired_unix) continue;
    auto phase = view_locked(t, "").phase;
    if (phase != Phase::queued && phase != Phase::running) continue;
    t.expired_unix = unix_now();
    t.job->skip = true;
  }
}

bool TaskStore::backdate(const std::string& id, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return false;
  it->second.created -= std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  it->second.created_unix -= std::int64_t(seconds);
  return true;
}

TaskView TaskStore::view_locked(Task& t, const std::string& base_url) {
  TaskView v;
  v.id = t.id;
  v.dialect = t.dialect;
  v.gen = t.gen;
  v.created_at = t.created_unix;
  v.updated_at = unix_now();

  if (t.cancelled) {
    v.phase = Phase::cancelled;
    v.updated_at = t.cancelled_unix;
    return v;
  }
  auto elapsed = Clock::now() - t.created;
  double fraction = task_time_.count() > 0 ? double(elapsed.count()) / double(task_time_.count()) : 1.0;
  v.started_at = t.created_unix + std::int64_t(std::chrono::duration<double>(task_time_).count() * 0.2);
  if (t.expired_unix || (t.expires && fraction >= 1.0)) {
    v.phase = Phase::expired;
    if (t.expired_unix) v.updated_at = t.expired_unix;
    v.failure = Failure{"TaskExpired", "The task was not run before its execution_expires_after deadline"};
    return v;
  }
  if (fraction < 0.2 || t.expires) {  // an expiring task is never picked up
    v.phase = Phase::queued;
    v.not_started = fraction < 0.1;
    return v;
  }
  if (fraction < 1.0) {
    v.phase = Phase::running;
    v.progress = std::clamp(int(std::lround(fraction * 100)), 1, 99);
    return v;
  }
  if (t.moderation) {
    v.phase = Phase::failed;
    v.progress = 100;
    v.failure = t.moderation;
    return v;
  }
  switch (t.job->state.load()) {
    case RenderJob::State::pending:
      v.phase = Phase::running;  // the clock ran out before the render did
      v.progress = 99;
      return v;
    case RenderJob::State::failed:
      v.phase = Phase::failed;
      v.progress = 100;
      v.failure = Failure{"InternalServiceError", "rendering failed: " + t.job->error};
      return v;
    case RenderJob::State::done:
      break;
  }
  v.phase = Phase::succeeded;
  v.progress = 100;
  if (base_url.empty()) return v;  // the phase only: mint no URL
  v.video_url = base_url + "/files/" + grant(t.video_token, t.job->video, "video/mp4") + "/" + t.id + ".mp4";
  if (t.gen.return_last_frame)
    v.last_frame_url =
        base_url + "/files/" + grant(t.frame_token, t.job->last_frame, "image/png") + "/" + t.id + "-last.png";
  return v;
}

TaskStore::Removal TaskStore::cancel_or_delete(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return Removal::not_found;
  Task& t = it->second;
  auto elapsed = Clock::now() - t.created;
  bool expired = t.expired_unix || (t.expires && elapsed >= task_time_);
  bool queued = !t.cancelled && !expired && (t.expires || double(elapsed.count()) < 0.2 * double(task_time_.count()));
  if (queued) {
    t.cancelled = true;
    t.cancelled_unix = unix_now();
    t.job->skip = true;
    return Removal::cancelled;
  }
  bool finished =
      t.cancelled || expired || (elapsed >= task_time_ && (t.moderation || t.job->state != RenderJob::State::pending));
  if (!finished) return Removal::running;
  tasks_.erase(it);
  return Removal::deleted;
}

std::optional<TaskStore::Download> TaskStore::download(const std::string& token) {
  std::lock_guard lock(mutex_);
  auto it = grants_.find(token);
  if (it == grants_.end()) return std::nullopt;
  return Download{it->second.path, it->second.content_type, it->second.expires <= Clock::now()};
}

void TaskStore::expire_urls() {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  for (auto& [token, g] : grants_) g.expires = std::min(g.expires, now);
}

}  // namespace seedance_emu
