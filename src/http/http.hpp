#pragma once
// A small libcurl layer: one blocking request, one streamed download with
// resume. Every curl handle is owned by an RAII type; policy (retries,
// dialects) lives in the API client above this.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "seedreel/limits.hpp"

namespace seedreel::http {

struct Limits {
  double connect_timeout = 10;        // seconds
  double request_timeout = 60;        // seconds, whole request (API calls)
  double stall_timeout = 30;          // seconds a download may run slower than min_rate
  // A download trickling a byte now and then (slow-loris) would otherwise never end.
  long min_rate = 1024;               // bytes per second, averaged over stall_timeout
  std::uint64_t max_response = read_caps_in_force().answer_bytes;  // API response bodies
  std::uint64_t max_download = read_caps_in_force().download_bytes;  // result files
  long max_redirects = read_caps_in_force().redirects;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; last one wins
  std::optional<double> retry_after() const;   // seconds, from Retry-After (delta or HTTP date)
};

// No HTTP answer: DNS, connect, TLS, timeout, reset. `maybe_sent` tells
// whether any byte of the request left us, i.e. whether the server may have
// acted on it (a create must not be repeated blindly then).
class TransportError : public std::runtime_error {
 public:
  TransportError(std::string message, bool maybe_sent, bool timed_out)
      : std::runtime_error(std::move(message)), maybe_sent_(maybe_sent), timed_out_(timed_out) {}
  bool maybe_sent() const noexcept { return maybe_sent_; }
  bool timed_out() const noexcept { return timed_out_; }

 private:
  bool maybe_sent_;
  bool timed_out_;
};

// A body over its cap (Limits::max_response / max_download). For a download
// whose Content-Length already says so, thrown before a byte is written.
class TooLarge : public TransportError {
 public:
  TooLarge(std::string message, std::uint64_t cap, std::uint64_t announced)
      : TransportError(std::move(message), false, false), cap_(cap), announced_(announced) {}
  std::uint64_t cap() const noexcept { return cap_; }
  std::uint64_t announced() const noexcept { return announced_; }  // the stated size, 0 when none was stated

 private:
  std::uint64_t cap_;
  std::uint64_t announced_;
};

// The local file refused a write (a full disk, a file-size limit): not a
// network fault, so never retried.
class WriteFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Performs one request. Throws TransportError when there is no complete answer,
// and TransportError too when the body passes limits.max_response.
Response perform(const Request& request, const Limits& limits);

// Streams `url` into `file` (already holding `offset` bytes of it), asking
// for the rest with a Range header when offset > 0. Returns the HTTP status
// (200/206 on success; the caller handles 403/404 as an expired URL).
// Throws TransportError on a dropped connection (the file keeps what arrived),
// TooLarge past limits.max_download, WriteFailed when the file takes no more.
struct DownloadProgress {
  std::uint64_t have = 0;    // bytes in the file
  std::uint64_t total = 0;   // expected size when known (Content-Length / Content-Range), else 0
  std::string content_type;  // of the last 200/206 answer ("" when none was given)
};
long download(const std::string& url, std::FILE* file, DownloadProgress& progress, const Limits& limits);

// Percent-decoded-safe description of a URL for messages: scheme://host/path
// without the query string (pre-signed URLs carry credentials there) and
// with any user:password@ masked.
std::string redact_url(const std::string& url);

// True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1).
bool is_loopback_url(const std::string& url);

}  // namespace seedreel::http
