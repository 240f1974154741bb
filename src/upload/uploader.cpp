// The Uploader: content address, check, PUT with the API client's retry
// rules, and (asset mode) the provider asset, cached by content.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "http/http.hpp"
#include "http/retry.hpp"
#include "seedreel/client.hpp"
#include "seedreel/error.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/upload.hpp"
#include "upload/cache.hpp"
#include "upload/store.hpp"
#include "util/base64.hpp"

namespace seedreel {

namespace fs = std::filesystem;
using upload::Blob;
using upload::Transfer;
using upload::TransferAnswer;

namespace {

const char* asset_type(MediaKind kind) {
  switch (kind) {
    case MediaKind::image: return "Image";
    case MediaKind::video: return "Video";
    case MediaKind::audio: return "Audio";
  }
  return "Image";
}

// <Code> and <Message> of an S3 error document, or the start of any other body.
std::string store_reason(const TransferAnswer& a) {
  auto tag = [&](const char* name) -> std::string {
    std::string open = fmt::format("<{}>", name), close = fmt::format("</{}>", name);
    auto b = a.body.find(open);
    auto e = b == std::string::npos ? b : a.body.find(close, b);
    return e == std::string::npos ? "" : a.body.substr(b + open.size(), e - b - open.size());
  };
  std::string code = tag("Code"), message = tag("Message");
  if (!code.empty()) return fmt::format("HTTP {} {}{}", a.status, code, message.empty() ? "" : ": " + message);
  return fmt::format("HTTP {}", a.status);
}

std::string advice(long status) {
  if (status == 401 || status == 403)
    return "; check the store's credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE, or the "
           "user and password in the put: URL) and that they may write there";
  if (status == 404) return "; check the bucket or folder exists";
  if (status == 405) return "; the server does not take PUT there (a WebDAV folder needs dav_methods PUT)";
  return "";
}

}  // namespace

std::string upload_cache_path(const std::string& journal_path) {
  return (fs::path(journal_path).parent_path() / "uploads.db").string();
}

std::string loopback_upload_spec(const std::string& base_url) {
  if (!http::is_loopback_url(base_url)) return "";
  return "put:" + base_url + (base_url.ends_with('/') ? "" : "/") + "uploads/{sha256}.{ext}";
}

struct Uploader::Impl {
  UploadSettings settings;
  std::unique_ptr<upload::Store> store;  // null: asset mode without a store
  bool asset = false;
  upload::Cache cache;
  mutable std::mutex mutex;  // stats, rng, locks
  std::map<std::string, std::shared_ptr<std::mutex>> locks;  // one per content: uploaded once
  UploadStats stats;
  std::mt19937 rng{std::random_device{}()};

  explicit Impl(UploadSettings s) : settings(std::move(s)), cache(settings.cache_path) {
    std::string spec = settings.spec;
    if (spec == "asset" || spec.starts_with("asset:")) {
      asset = true;
      spec = spec == "asset" ? "" : spec.substr(6);
    }
    if (spec.starts_with("put:"))
      store = upload::make_put_store(spec.substr(4), settings.get_template);
    else if (spec.starts_with("s3://"))
      store = upload::make_s3_store(spec, settings);
    else if (!spec.empty() || !asset)
      throw Error(ErrorKind::invalid_argument, "",
                  fmt::format("'{}' is not an upload target: put:URL_TEMPLATE, s3://bucket/prefix, asset, "
                              "asset:put:URL_TEMPLATE or asset:s3://bucket/prefix",
                              redact_presigned(http::redact_url(settings.spec))),
                  "upload");
  }

  std::shared_ptr<std::mutex> lock_for(const std::string& sha) {
    std::lock_guard g(mutex);
    auto& m = locks[sha];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
  }

  // Secrets out of any text that came from the store.
  std::string scrub(std::string text) const {
    if (!store) return text;
    for (const auto& s : store->secrets())
      for (auto at = s.empty() ? std::string::npos : text.find(s); at != std::string::npos; at = text.find(s, at + 3))
        text.replace(at, s.size(), "***");
    return text;
  }

  void notice(const std::string& text) const {
    if (settings.on_notice) settings.on_notice(text);
  }

  // One store request with the API client's retry rules (an upload is
  // idempotent: the same bytes to the same name).
  TransferAnswer send(Transfer t, const std::string& subject) {
    t.connect_timeout = settings.connect_timeout;
    t.stall_timeout = settings.stall_timeout;
    http::RetryPolicy policy{settings.max_attempts, settings.retry_base, settings.retry_max};
    for (int attempt = 1;; ++attempt) {
      std::string why;
      std::optional<double> retry_after;
      try {
        TransferAnswer a = upload::perform(t);
        if (!http::retryable_status(a.status, true)) return a;
        why = scrub(store_reason(a));
        http::Response r;
        r.headers = a.headers;
        retry_after = r.retry_after();
      } catch (const http::TransportError& e) {
        why = scrub(e.what());
      }
      if (attempt >= policy.max_attempts)
        throw Error(ErrorKind::network, subject, fmt::format("{} failed: {} (gave up after {} attempts)", t.method, why, attempt));
      double wait = 0;
      {
        std::lock_guard g(mutex);
        wait = http::backoff_seconds(attempt, retry_after, policy, rng);
        ++stats.retries;
      }
      notice(fmt::format("{} {}: {}; retrying in {:.1f} s (attempt {} of {})", t.method, subject, why, wait, attempt + 1,
                         policy.max_attempts));
      http::nap(wait, subject);
    }
  }

  // True when the store already holds these bytes under their content's name.
  bool present(const Blob& b) {
    if (!store->content_addressed()) return false;
    Transfer head = store->head(b);
    TransferAnswer a = send(head, http::redact_url(head.url));
    if (a.status < 200 || a.status >= 300) return false;  // 404, or a store that will not say: upload
    auto length = a.headers.find("content-length");
    return length == a.headers.end() || length->second == std::to_string(b.size);
  }

  // Puts the file in the store unless it is there; returns whether it was sent.
  bool put(const Blob& b) {
    if (present(b)) return false;
    Transfer t = store->put(b);
    const std::string subject = http::redact_url(t.url);
    if (settings.on_progress) {
      auto progress = settings.on_progress;
      std::string name = b.name;
      t.on_progress = [progress, name](std::uint64_t sent, std::uint64_t total) { progress(name, sent, total); };
    }
    TransferAnswer a = send(t, subject);
    if (a.status < 200 || a.status >= 300)
      throw Error(ErrorKind::api, subject,
                  fmt::format("the store refused the upload of {}: {}{}", b.name, scrub(store_reason(a)), advice(a.status)));
    return true;
  }

  std::string asset_scope(const Provider& p) const {
    return fmt::format("asset {} {} {}", p.name, p.base_url, settings.asset_group);
  }

  std::string group_for(Client& client) {
    if (!settings.asset_group.empty()) return settings.asset_group;
    const Provider& p = client.provider();
    const std::string scope = fmt::format("group {} {}", p.name, p.base_url);
    if (auto id = cache.get(scope, "")) return *id;
    std::string id = client.create_asset_group("seedreel");
    cache.put(scope, "", id);
    notice(fmt::format("made the asset group {} for seedreel's uploads", id));
    return id;
  }
};

Uploader::Uploader(UploadSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
Uploader::~Uploader() = default;

const std::string& Uploader::spec() const noexcept { return impl_->settings.spec; }

UploadStats Uploader::stats() const {
  std::lock_guard g(impl_->mutex);
  return impl_->stats;
}

Published Uploader::publish(const std::string& path, MediaKind kind, Client* client) {
  auto& m = *impl_;
  Blob b = upload::describe(path);
  std::lock_guard one(*m.lock_for(b.sha256));
  Published out{path, b.sha256, "", "", false};
  auto count = [&](int UploadStats::*field) {
    std::lock_guard g(m.mutex);
    ++(m.stats.*field);
  };
  if (m.asset) {
    if (!client) throw Error(ErrorKind::invalid_argument, path, "an asset upload needs the provider's client");
    const std::string scope = m.asset_scope(client->provider());
    if (auto id = m.cache.get(scope, b.sha256)) {
      out.source = out.shown = "asset://" + *id;
      count(&UploadStats::reused);
      return out;
    }
  }
  std::string url;
  if (m.store) {
    out.uploaded = m.put(b);
    count(out.uploaded ? &UploadStats::puts : &UploadStats::reused);
    url = m.store->read_url(b);
  } else if (kind == MediaKind::video) {
    throw Error(ErrorKind::invalid_argument, path,
                "a video asset needs a store to be read from first: asset:s3://bucket/prefix or asset:put:URL", "upload");
  } else {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    url = fmt::format("data:{};base64,{}", b.content_type, base64_encode(bytes));
  }
  if (!m.asset) {
    out.source = url;
    out.shown = http::redact_url(url);
    return out;
  }
  std::string group = m.group_for(*client);
  std::string id = client->create_asset(group, b.name, asset_type(kind), url);
  m.cache.put(m.asset_scope(client->provider()), b.sha256, id);
  count(&UploadStats::assets);
  out.source = out.shown = "asset://" + id;
  return out;
}

Published Uploader::locate(const std::string& path, MediaKind, const Provider& provider) {
  auto& m = *impl_;
  Blob b = upload::describe(path);
  Published out{path, b.sha256, "", "", false};
  if (m.asset) {
    auto id = m.cache.get(m.asset_scope(provider), b.sha256);
    out.source = out.shown = id ? "asset://" + *id : "asset://(made at submit)";
    return out;
  }
  out.source = m.store->read_url(b);
  out.shown = http::redact_url(out.source);
  return out;
}

}  // namespace seedreel
