#pragma once
// Local files for every role. The API reads media from a URL, a data URI
// (images and audio, where the dialect takes them) or asset://ID. A local
// image or audio file goes inline while the body stays under its cap; the
// rest is put in a store the provider can read:
//   put:URL_TEMPLATE   an HTTP PUT ({sha256}, {name}, {ext} filled in), read
//                      back by the same URL or by a GET template
//   s3://bucket/prefix a SigV4-signed PUT; the provider gets a presigned,
//                      expiring GET URL
//   asset[:STORE]      the store above, then a provider asset (asset://ID)
// Files are content-addressed (sha256): one already in the store, or whose
// asset the cache knows, is not uploaded again. The cache is a small SQLite
// file beside the journal (0600). No key, secret, session token or signature
// is ever put in a message, the journal or the cache.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "seedreel/media.hpp"
#include "seedreel/request.hpp"

namespace seedreel {

class Client;
struct Provider;

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" when the credentials are not temporary
  std::string region;         // "" = us-east-1
};
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the
// profile AWS_PROFILE (or "default") of AWS_SHARED_CREDENTIALS_FILE (or
// ~/.aws/credentials); the region from AWS_REGION, AWS_DEFAULT_REGION or the
// profile in AWS_CONFIG_FILE (~/.aws/config). Error(invalid_argument) naming where it
// looked when no key pair is found.
S3Credentials load_s3_credentials();

struct UploadSettings {
  // "put:TEMPLATE", "s3://bucket/prefix", "asset", "asset:put:…", "asset:s3://…"; "" = no uploads.
  std::string spec;
  std::string get_template;  // put: the URL handed to the provider ("" = the PUT URL without its query)
  std::string s3_endpoint;   // "" = AWS (virtual-host addressing); else path-style at this URL
  std::optional<S3Credentials> s3_credentials;  // nullopt = load_s3_credentials() when first needed
  int presign_seconds = 86400;  // how long a presigned GET stays valid (at most 7 days)
  std::string asset_group;      // "" = a group named "seedreel", made once and cached
  std::string cache_path;       // the content-address cache (SQLite); "" = none kept
  // Retries, as the API client's (ClientOptions): attempts, first and longest backoff.
  int max_attempts = 6;
  double retry_base = 1;
  double retry_max = 60;
  double connect_timeout = 10;
  double stall_timeout = 60;  // seconds without progress abort a transfer
  // Progress of one upload (bytes sent of total); called often, from the uploading thread.
  std::function<void(const std::string& name, std::uint64_t sent, std::uint64_t total)> on_progress;
  std::function<void(const std::string&)> on_notice;  // retries, reuse
};

struct Published {
  std::string path;    // the local file
  std::string sha256;  // of its bytes
  std::string source;  // what the request carries: URL or asset://ID
  std::string shown;   // the same, fit to print (no query string)
  bool uploaded = false;  // false: the store (or the asset cache) already had it
};

struct UploadStats {
  int puts = 0;     // uploads made (retries not counted)
  int reused = 0;   // files found in the store or the asset cache
  int assets = 0;   // provider assets created
  int retries = 0;
};

class Uploader {
 public:
  // Error(invalid_argument) for a spec it cannot read.
  explicit Uploader(UploadSettings settings);
  ~Uploader();
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Makes `path` readable by the provider of `client` (needed for assets only,
  // may be null otherwise) and returns where. Thread-safe; a file is uploaded
  // once even when several threads publish it at the same time.
  Published publish(const std::string& path, MediaKind kind, Client* client);
  // Where `path` would be published, without sending anything (dry runs):
  // an asset not yet known is shown as "asset://(made at submit)".
  Published locate(const std::string& path, MediaKind kind, const Provider& provider);
  // The spec as given, for messages ("s3://bucket/prefix").
  const std::string& spec() const noexcept;
  UploadStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The content-address cache's default place: uploads.db beside the journal.
std::string upload_cache_path(const std::string& journal_path);

// The put: spec of a provider served from this machine, which takes uploads
// itself at BASE/uploads/ (the emulator); "" for any other host, since a
// real provider's host never gets a file unasked.
std::string loopback_upload_spec(const std::string& base_url);

// Which local media of a request must be published rather than inlined:
// videos always; images and audio where the dialect takes no data URI; and,
// largest first, inline files that would push the body past its cap.
std::vector<bool> media_to_publish(const Request& request, const Provider& provider,
                                   std::span<const std::optional<MediaInfo>> local);

// validate(), less the findings that publishing resolves (a local video, a
// local file on a URL-only dialect, the body size) when `can_publish`.
std::vector<Finding> validate_publishable(const Request& request, const Provider& provider,
                                          std::span<const std::optional<MediaInfo>> local, bool can_publish);

// prepare() with local files published: probe, validate (as
// validate_publishable), then — only when nothing is wrong — publish what
// must be and serialise. `uploader` null: exactly prepare(). `dry_run`:
// nothing is sent (Uploader::locate). `request` is the request as sent
// (local media replaced by where they were published).
struct PublishedRequest {
  Request request;
  PreparedRequest prepared;
  std::vector<Published> published;
};
PublishedRequest prepare_published(const Request& request, const Provider& provider, Uploader* uploader,
                                   Client* client, bool dry_run = false);

// A body fit to print: presigned URLs' signature, credential and token masked.
std::string redact_presigned(std::string text);

}  // namespace seedreel
