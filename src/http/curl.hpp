#pragma once
// RAII owners for libcurl handles: every handle is owned the moment it exists.
#include <curl/curl.h>

#include <memory>

namespace seedreel::http {

struct EasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const noexcept { curl_multi_cleanup(m); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;

// curl_global_init once per process, before any handle (thread-safe).
void ensure_curl_global();
// A fresh easy handle with our safety defaults: http/https only, TLS
// verification on, bounded redirects, no signals.
Easy make_easy(long max_redirects, double connect_timeout);
// Appends one header line; the list keeps ownership.
void append_header(Slist& list, const char* line);

}  // namespace seedreel::http
