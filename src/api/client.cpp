#include "seedreel/client.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/api_key.hpp"
#include "api/task_list.hpp"
#include "api/task_parse.hpp"
#include "http/http.hpp"
#include "http/retry.hpp"
#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"
#include "seedreel/probe.hpp"
#include "util/atomic_file.hpp"
#include "util/interrupt.hpp"
#include "util/json_guard.hpp"
#include "util/unique_fd.hpp"
#include "util/kill_point.hpp"

namespace seedreel {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The retry rules are shared with uploads (http/retry.hpp).
using http::nap;
using http::retryable_status;

// Every copy of the key in a text that came from outside becomes "***": a
// server may echo the Authorization header back in its error message, and
// that text is printed and journaled. Done on whole bodies, before any
// clipping could leave half a key behind. A key shorter than 8 characters
// is replaced only where it stands as a word of its own, so that a test key
// like "k" does not turn every "task" into "tas***".
std::string redact_key(std::string text, const std::string& key) {
  if (key.empty()) return text;
  std::string escaped = key;  // as a JSON encoder that escapes '/' writes it
  for (auto at = escaped.find('/'); at != std::string::npos; at = escaped.find('/', at + 2)) escaped.insert(at, "\\");
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  const std::string* forms[] = {&key, &escaped};
  for (const std::string* form : forms)
    for (auto at = text.find(*form); at != std::string::npos; at = text.find(*form, at)) {
      const auto end = at + form->size();
      if (key.size() < 8 && ((at > 0 && word(text[at - 1])) || (end < text.size() && word(text[end])))) {
        ++at;
        continue;
      }
      text.replace(at, form->size(), "***");
      at += 3;
    }
  return text;
}

// A header value from outside, fit for a message.
std::string printable(std::string text, std::size_t n = 80) {
  for (auto& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return text.size() > n ? text.substr(0, n) + "…" : text;
}

}  // namespace

struct Client::Impl {
  Provider provider;
  std::string key;
  ClientOptions opt;
  ClientStats stats;
  std::mt19937 rng{std::random_device{}()};

  http::Limits limits() const {
    http::Limits l;
    l.connect_timeout = opt.connect_timeout;
    l.request_timeout = opt.request_timeout;
    l.stall_timeout = std::max(5.0, opt.request_timeout);
    return l;
  }

  void notice(const std::string& text) const {
    if (opt.on_notice) opt.on_notice(redact(text));
  }

  std::string redact(std::string text) const { return redact_key(std::move(text), key); }

  // Why the bytes that arrived are not the task's video ("" when they are):
  // a proxy's HTML page, a cut file or another video must not be renamed
  // into place under the output's name.
  std::string misfit(const std::string& path, const http::DownloadProgress& got, const Task& task) const {
    const std::string what = fmt::format("{}, {} bytes", got.content_type.empty() ? "no Content-Type" : printable(got.content_type), got.have);
    if (got.have == 0) return "the download is empty";
    MediaInfo info;
    try {
      info = probe(path);
    } catch (const Error& e) {
      return fmt::format("the download is not a video ({}): {}", what, e.reason());
    }
    if (info.kind != MediaKind::video || !info.video)
      return fmt::format("the download is not a video ({}): it reads as {} ({})", what, to_string(info.kind), info.format);
    if (task.duration > 0) {
      const auto& caps = read_caps_in_force();
      double have = info.media_duration();
      double tolerance = std::max(caps.duration_tolerance_s, caps.duration_tolerance_ratio * task.duration);
      if (!(std::abs(have - task.duration) <= tolerance))
        return fmt::format("the download is {:.2f} s of video but the task made {:.2f} s ({})", have, task.duration, what);
    }
    return "";
  }

  double backoff(int attempt, std::optional<double> retry_after) {
    return http::backoff_seconds(attempt, retry_after, {opt.max_attempts, opt.retry_base, opt.retry_max}, rng);
  }

  // One API call with retries; returns the parsed JSON answer. `idempotent`
  // false: never repeat a request that may have reached the server.
  json call(const std::string& method, const std::string& url, const std::string& body, bool idempotent,
            bool* maybe_created = nullptr) {
    http::Request req{method, url, {}, body};
    if (!key.empty()) req.headers.push_back("Authorization: Bearer " + key);
    req.headers.push_back("Accept: application/json");
    const std::string subject = http::redact_url(url);
    auto lost = [&](const std::string& why) -> Error {
      if (maybe_created) *maybe_created = true;
      return Error(ErrorKind::api, subject,
                   fmt::format("{}; the request may have reached the server and created a task, so it is not "
                               "repeated automatically (it is in the journal; check the provider's console before "
                               "submitting again)",
                               why));
    };
    for (int attempt = 1;; ++attempt) {
      throw_if_interrupted(subject);
      if (opt.gate) opt.gate->wait(subject);
      ++stats.requests;
      std::optional<double> retry_after;
      bool limited = false;  // 429: the account's limit, shared by every client of the gate
      std::string why;
      ErrorKind kind = ErrorKind::network;  // api once the server answered
      try {
        http::Response r = http::perform(req, limits());
        r.body = redact(std::move(r.body));
        if (r.status >= 200 && r.status < 300) {
          // Checked before parsing: nlohmann's parser recurses once per level.
          const bool within = json_within(r.body, read_caps_in_force().json_depth, limits().max_response);
          json j = within ? json::parse(r.body, nullptr, false) : json(json::value_t::discarded);
          if (!j.is_discarded() && (j.is_object() || j.is_array())) return j;
          kind = ErrorKind::api;
          why = within ? fmt::format("malformed JSON in the answer (HTTP {}, {} bytes)", r.status, r.body.size())
                       : fmt::format("malformed answer: JSON nested deeper than {} levels (HTTP {}, {} bytes)",
                                     read_caps_in_force().json_depth, r.status, r.body.size());
          if (!idempotent) throw lost(why);
        } else if (retryable_status(r.status, idempotent)) {
          kind = ErrorKind::api;
          retry_after = r.retry_after();
          limited = r.status == 429;
          why = describe_api_error(r.status, r.body);
        } else if (!idempotent && (r.status == 502 || r.status == 504)) {
          throw lost(fmt::format("HTTP {} from a gateway", r.status));
        } else {
          throw api_error(r.status, r.body, subject);
        }
      } catch (const http::TransportError& e) {
        if (!idempotent && e.maybe_sent()) throw lost(fmt::format("no answer ({})", redact(e.what())));
        why = redact(e.what());
      }
      if (attempt >= opt.max_attempts)
        throw Error(kind, subject, fmt::format("{} (gave up after {} attempts)", why, attempt));
      double wait = backoff(attempt, retry_after);
      if (limited && opt.gate) opt.gate->pause_for(wait);
      ++stats.retries;
      notice(fmt::format("{} {}: {}; retrying in {:.1f} s (attempt {} of {})", method, subject, why, wait, attempt + 1,
                         opt.max_attempts));
      nap(wait, subject);
    }
  }

  std::string id_from_create(const json& j, const std::string& subject) {
    // content_array: {task_id} (some gateways wrap it in data); flat: {id}; ark: {id}.
    for (const json* node : {&j, j.contains("data") && j["data"].is_object() ? &j["data"] : nullptr}) {
      if (!node) continue;
      for (const char* key : {"task_id", "id"})
        if (node->contains(key) && (*node)[key].is_string() && !(*node)[key].get<std::string>().empty())
          return (*node)[key].get<std::string>();
    }
    throw Error(ErrorKind::api, subject, fmt::format("the create answer has no task id ('task_id' or 'id'): {}", j.dump().substr(0, 200)));
  }
};

Client::Client(Provider provider, std::string api_key, ClientOptions options) : impl_(std::make_unique<Impl>()) {
  check_api_key(api_key, "API key");  // before any request: CR/LF would inject header lines
  impl_->provider = std::move(provider);
  impl_->key = std::move(api_key);
  impl_->opt = std::move(options);
}

Client::~Client() = default;

const Provider& Client::provider() const noexcept { return impl_->provider; }
const ClientStats& Client::stats() const noexcept { return impl_->stats; }

std::string Client::create(const std::string& body, bool* maybe_created) {
  const auto& p = impl_->provider;
  std::string url = p.url(p.create_path);
  bool maybe = false;
  json j;
  try {
    j = impl_->call("POST", url, body, false, &maybe);
  } catch (...) {
    if (maybe_created) *maybe_created = maybe;
    throw;
  }
  try {
    return impl_->id_from_create(j, http::redact_url(url));
  } catch (...) {
    if (maybe_created) *maybe_created = true;  // it answered 2xx: a task may exist
    throw;
  }
}

Task Client::poll(const std::string& id) {
  const auto& p = impl_->provider;
  std::string url = p.url(p.poll_path, id);
  // A malformed answer to a GET is retried like a 5xx by call().
  json j = impl_->call("GET", url, "", true);
  Task t = parse_task_json(p.dialect, j, http::redact_url(url));
  if (t.id.empty()) t.id = id;
  return t;
}

Task Client::wait(const std::string& id, const std::function<void(const Task&)>& on_poll) {
  const auto start = Clock::now();
  double interval = impl_->opt.poll_interval > 0 ? impl_->opt.poll_interval : impl_->provider.poll_interval;
  for (;;) {
    Task t = poll(id);
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (impl_->opt.on_poll) impl_->opt.on_poll(t, elapsed);
    if (on_poll) on_poll(t);
    if (is_terminal(t.status)) return t;
    if (impl_->opt.overall_timeout > 0 && elapsed + interval > impl_->opt.overall_timeout)
      throw Error(ErrorKind::timeout, id,
                  fmt::format("still {} after {:.0f} s; the task keeps running on the provider", to_string(t.status), elapsed),
                  "task_id");
    nap(interval, id);
  }
}

std::uint64_t Client::download(Task& task, const std::string& out) {
  if (task.status != TaskStatus::succeeded || task.video_url.empty())
    throw Error(ErrorKind::failed, task.id, fmt::format("nothing to download: the task is {}", to_string(task.status)));
  AtomicFile target(out);
  UniqueFile file(std::fopen(target.temp_path().c_str(), "wb"));
  if (!file) throw Error(ErrorKind::io, out, "cannot create the output file");
  std::setvbuf(file.get(), nullptr, _IONBF, 0);  // curl hands over 128 kB blocks: write them as they come
  http::DownloadProgress progress;
  bool refreshed = false;  // re-polled once for an expired URL
  bool rechecked = false;  // re-polled once for a body that is not the video
  int drops = 0;
  auto& stats = impl_->stats;
  auto rewind = [&] {
    if (std::fseek(file.get(), 0, SEEK_SET) != 0 || ftruncate(fileno(file.get()), 0) != 0)
      throw Error(ErrorKind::io, out, "cannot rewind the partial download");
    progress = {};
  };
  // True when what arrived is the task's video; otherwise re-polls once for
  // a fresh URL (false: download again), and then fails.
  auto accept = [&] {
    if (std::fflush(file.get()) != 0) throw Error(ErrorKind::io, out, "cannot write the output file");
    std::string bad = impl_->misfit(target.temp_path(), progress, task);
    if (bad.empty()) return true;
    if (rechecked)
      throw Error(ErrorKind::api, http::redact_url(task.video_url), bad + ", also from a fresh URL; nothing was saved");
    rechecked = true;
    ++stats.refreshes;
    impl_->notice(bad + "; polling the task for a fresh URL and downloading again");
    Task fresh = poll(task.id);
    if (fresh.status != TaskStatus::succeeded || fresh.video_url.empty())
      throw Error(ErrorKind::api, task.id, fmt::format("{}, and the task is now {}; nothing was saved", bad, to_string(fresh.status)));
    task = fresh;
    rewind();
    drops = 0;
    return false;
  };
  for (;;) {
    std::string subject = http::redact_url(task.video_url);
    throw_if_interrupted(out);
    ++stats.requests;
    long status = 0;
    try {
      status = http::download(task.video_url, file.get(), progress, impl_->limits());
    } catch (const http::TooLarge& e) {
      throw Error(ErrorKind::api, subject, fmt::format("{}; refused, nothing was saved", e.what()));
    } catch (const http::WriteFailed& e) {
      throw Error(ErrorKind::io, out, fmt::format("{}; nothing was saved", e.what()));
    } catch (const http::TransportError& e) {
      const std::string why = impl_->redact(e.what());
      if (++drops >= impl_->opt.max_attempts)
        throw Error(ErrorKind::network, subject, fmt::format("download failed: {} (gave up after {} attempts)", why, drops));
      ++stats.resumes;
      impl_->notice(fmt::format("download cut at {} of {} bytes ({}); resuming", progress.have,
                                progress.total ? std::to_string(progress.total) : std::string("?"), why));
      nap(impl_->backoff(drops, std::nullopt) / 4, out);
      continue;
    }
    if (status == 200 || status == 206) {
      if (progress.total && progress.have < progress.total) {  // closed cleanly but short
        if (++drops >= impl_->opt.max_attempts)
          throw Error(ErrorKind::network, subject, fmt::format("download stopped at {} of {} bytes", progress.have, progress.total));
        ++stats.resumes;
        impl_->notice(fmt::format("download ended at {} of {} bytes; resuming", progress.have, progress.total));
        continue;
      }
      if (progress.total && progress.have > progress.total)
        throw Error(ErrorKind::network, subject, fmt::format("got {} bytes, Content-Length said {}", progress.have, progress.total));
      if (accept()) break;
      continue;
    }
    if (status == 416 && progress.total && progress.have == progress.total) {
      if (accept()) break;
      continue;
    }
    if (status == 416) {  // our partial file does not fit the resource: start over
      rewind();
      if (++drops >= impl_->opt.max_attempts) throw Error(ErrorKind::network, subject, "range not satisfiable");
      continue;
    }
    if (status == 403 || status == 404 || status == 410) {
      if (refreshed)
        throw Error(ErrorKind::failed, subject,
                    fmt::format("the download URL answers HTTP {} even after a fresh poll; the result has expired", status));
      refreshed = true;
      ++stats.refreshes;
      impl_->notice(fmt::format("download URL answered HTTP {} (expired); polling the task for a fresh one", status));
      Task fresh = poll(task.id);
      if (fresh.status != TaskStatus::succeeded || fresh.video_url.empty())
        throw Error(ErrorKind::failed, task.id,
                    fmt::format("the download URL expired and the task is now {}", to_string(fresh.status)));
      task = fresh;
      continue;
    }
    throw Error(ErrorKind::api, subject, fmt::format("HTTP {} while downloading", status));
  }
  file.reset();
  kill_point("download");
  target.commit();
  return progress.have;
}

std::uint64_t Client::download_last_frame(const Task& task, const std::string& out) {
  if (task.last_frame_url.empty()) throw Error(ErrorKind::failed, task.id, "the task gave no last frame");
  const std::string subject = http::redact_url(task.last_frame_url);
  AtomicFile target(out);
  UniqueFile file(std::fopen(target.temp_path().c_str(), "wb"));
  if (!file) throw Error(ErrorKind::io, out, "cannot create the last frame's file");
  http::DownloadProgress progress;
  for (int attempt = 1;; ++attempt) {
    throw_if_interrupted(out);
    ++impl_->stats.requests;
    long status = 0;
    std::string why;
    try {
      status = http::download(task.last_frame_url, file.get(), progress, impl_->limits());
    } catch (const http::TooLarge& e) {
      throw Error(ErrorKind::api, subject, fmt::format("{}; refused, nothing was saved", e.what()));
    } catch (const http::WriteFailed& e) {
      throw Error(ErrorKind::io, out, fmt::format("{}; nothing was saved", e.what()));
    } catch (const http::TransportError& e) {
      why = impl_->redact(e.what());
    }
    if (why.empty() && (status == 200 || status == 206) && (!progress.total || progress.have == progress.total)) break;
    if (why.empty() && status != 200 && status != 206 && status != 429 && status < 500)
      throw Error(ErrorKind::api, subject, fmt::format("HTTP {} while downloading the last frame", status));
    if (attempt >= impl_->opt.max_attempts)
      throw Error(ErrorKind::network, subject,
                  fmt::format("the last frame's download failed: {} (gave up after {} attempts)",
                              why.empty() ? fmt::format("HTTP {}", status) : why, attempt));
    // Small enough to fetch again whole rather than resume.
    if (std::fseek(file.get(), 0, SEEK_SET) != 0 || ftruncate(fileno(file.get()), 0) != 0)
      throw Error(ErrorKind::io, out, "cannot rewind the partial download");
    progress = {};
    ++impl_->stats.retries;
    nap(impl_->backoff(attempt, std::nullopt) / 4, out);
  }
  if (std::fflush(file.get()) != 0) throw Error(ErrorKind::io, out, "cannot write the last frame's file");
  file.reset();
  // Only a picture is saved under a picture's name.
  MediaInfo info;
  try {
    info = probe(target.temp_path());
  } catch (const Error& e) {
    throw Error(ErrorKind::api, subject, fmt::format("the last frame is not a picture: {}", e.reason()));
  }
  if (info.kind != MediaKind::image || info.format != "png")
    throw Error(ErrorKind::api, subject,
                fmt::format("the last frame is not a PNG picture: it reads as {} ({})", to_string(info.kind), info.format));
  target.commit();
  return progress.have;
}

void Client::cancel(const std::string& id) {
  const auto& p = impl_->provider;
  if (p.cancel_path.empty())
    throw Error(ErrorKind::usage, p.name, "this provider offers no way to cancel a task (only Ark dialect providers do)");
  std::string url = p.url(p.cancel_path, id);
  const std::string subject = http::redact_url(url);
  // DELETE is idempotent; an empty 2xx body is the usual answer.
  http::Request req{"DELETE", url, {}, ""};
  if (!impl_->key.empty()) req.headers.push_back("Authorization: Bearer " + impl_->key);
  for (int attempt = 1;; ++attempt) {
    throw_if_interrupted(subject);
    ++impl_->stats.requests;
    try {
      http::Response r = http::perform(req, impl_->limits());
      if (r.status >= 200 && r.status < 300) return;
      if (!retryable_status(r.status, true) || attempt >= impl_->opt.max_attempts)
        throw api_error(r.status, impl_->redact(std::move(r.body)), subject);
      nap(impl_->backoff(attempt, r.retry_after()), subject);
    } catch (const http::TransportError& e) {
      if (attempt >= impl_->opt.max_attempts) throw Error(ErrorKind::network, subject, impl_->redact(e.what()));
      nap(impl_->backoff(attempt, std::nullopt), subject);
    }
    ++impl_->stats.retries;
  }
}

bool Client::can_list() const noexcept {
  // Ark lists with a GET on the collection it creates in; the other dialects have no list.
  const auto& p = impl_->provider;
  return p.dialect == Dialect::ark && !p.create_path.empty();
}

std::vector<ListedTask> Client::list(const ListFilter& filter) {
  const auto& p = impl_->provider;
  if (!can_list())
    throw Error(ErrorKind::usage, p.name,
                fmt::format("the {} dialect has no endpoint that lists tasks (only Ark dialect providers have one); "
                            "look a task up by its id instead",
                            to_string(p.dialect)));
  ListCollector pages(filter, p.name);
  for (int page = 1;; ++page) {
    std::string url = p.url(p.create_path) + "?" + list_query(filter, page);
    // A GET: retried like a poll (connection errors, 408/429/5xx, malformed JSON).
    json j = impl_->call("GET", url, "", true);
    if (pages.add(parse_list_page(j, http::redact_url(url)), page)) return std::move(pages).take();
  }
}

std::string Client::create_asset_group(const std::string& name) {
  const auto& p = impl_->provider;
  if (p.asset_group_path.empty()) throw Error(ErrorKind::usage, p.name, "this provider has no asset API");
  std::string url = p.url(p.asset_group_path);
  json j = impl_->call("POST", url, json{{"model", "volc-asset"}, {"Name", name}}.dump(), false);
  if (!j.contains("Id") || !j["Id"].is_string())
    throw Error(ErrorKind::api, http::redact_url(url), "the answer has no 'Id'");
  return j["Id"];
}

std::string Client::create_asset(const std::string& group, const std::string& name, const std::string& type,
                                 const std::string& url_of_media) {
  const auto& p = impl_->provider;
  if (p.asset_create_path.empty()) throw Error(ErrorKind::usage, p.name, "this provider has no asset API");
  std::string url = p.url(p.asset_create_path);
  json body = {{"model", "volc-asset"}, {"GroupId", group}, {"Name", name}, {"AssetType", type}, {"URL", url_of_media}};
  json j = impl_->call("POST", url, body.dump(), false);
  if (!j.contains("Id") || !j["Id"].is_string())
    throw Error(ErrorKind::api, http::redact_url(url), "the answer has no 'Id'");
  return j["Id"];
}

Task parse_task(Dialect dialect, const std::string& body, const std::string& subject) {
  const auto& caps = read_caps_in_force();
  if (!json_within(body, caps.json_depth, caps.answer_bytes))
    throw Error(ErrorKind::api, subject, fmt::format("malformed task answer: JSON nested deeper than {} levels, or over {} bytes",
                                                     caps.json_depth, caps.answer_bytes));
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(ErrorKind::api, subject, "malformed JSON in the task answer");
  return parse_task_json(dialect, j, subject);
}

}  // namespace seedreel
