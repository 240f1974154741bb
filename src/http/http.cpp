#include "http/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include <strings.h>
#include <unistd.h>

#include <fmt/format.h>

#include "http/curl.hpp"
#include "util/interrupt.hpp"

namespace seedreel::http {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

struct Sink {
  std::string* body = nullptr;
  std::FILE* file = nullptr;
  std::uint64_t written = 0;
  std::uint64_t cap = 0;
  bool over_cap = false;
  bool write_failed = false;
  int write_errno = 0;
  std::map<std::string, std::string> headers;
  long header_status = 0;  // status of the block of headers being read (redirects reset it)
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    s->headers.clear();  // a new response (after a redirect or 100-continue)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) s->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t len = size * n;
  if (s->written + len > s->cap) {
    s->over_cap = true;
    return 0;  // aborts the transfer
  }
  if (s->file) {
    if (std::fwrite(data, 1, len, s->file) != len) {
      s->write_failed = true;
      s->write_errno = errno;
      return 0;
    }
  } else {
    s->body->append(data, len);
  }
  s->written += len;
  return len;
}

// A size header's number; nullopt for anything else (a hostile header must
// not throw inside a curl callback).
std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Lets Ctrl-C stop a transfer promptly.
int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return interrupted() ? 1 : 0; }

std::string describe(CURLcode code, const char* errbuf) {
  return *errbuf ? std::string(errbuf) : std::string(curl_easy_strerror(code));
}

void throw_transport(CURL* h, CURLcode code, const char* errbuf, const std::string& url) {
  throw_if_interrupted(redact_url(url));
  curl_off_t sent = 0;
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
  bool never_sent = code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT ||
                    code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_UNSUPPORTED_PROTOCOL ||
                    code == CURLE_URL_MALFORMAT || code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION;
  throw TransportError(describe(code, errbuf), !never_sent && sent > 0, code == CURLE_OPERATION_TIMEDOUT);
}

}  // namespace

void ensure_curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Easy make_easy(long max_redirects, double connect_timeout) {
  ensure_curl_global();
  Easy h(curl_easy_init());
  if (!h) throw TransportError("cannot create a curl handle", false, false);
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, max_redirects);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  // A private CA (a company proxy, a test server): trusted in place of the
  // system's bundle, never by turning verification off.
  if (const char* ca = std::getenv("SEEDREEL_CA_FILE"); ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(connect_timeout * 1000));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "seedreel/0.1");
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  return h;
}

void append_header(Slist& list, const char* line) {
  curl_slist* grown = curl_slist_append(list.get(), line);
  if (!grown) throw TransportError("out of memory building headers", false, false);
  (void)list.release();
  list.reset(grown);
}

std::optional<double> Response::retry_after() const {
  auto it = headers.find("retry-after");
  if (it == headers.end() || it->second.empty()) return std::nullopt;
  const std::string& v = it->second;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) return std::stod(v);
  std::tm tm{};
  if (strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
    double delta = std::difftime(timegm(&tm), std::time(nullptr));
    return std::max(0.0, delta);
  }
  return std::nullopt;
}

Response perform(const Request& request, const Limits& limits) {
  Easy h = make_easy(limits.max_redirects, limits.connect_timeout);
  CURL* c = h.get();
  Slist headers;
  for (const auto& line : request.headers) append_header(headers, line.c_str());
  bool typed = false;
  for (const auto& line : request.headers) typed = typed || (line.size() > 13 && strncasecmp(line.c_str(), "content-type:", 13) == 0);
  if (!typed && (!request.body.empty() || request.method == "POST")) append_header(headers, "Content-Type: application/json");
  append_header(headers, "Expect:");  // no 100-continue round trip for large bodies
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {  // PUT of an upload
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    }
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(limits.request_timeout * 1000));
  Response response;
  Sink sink;
  sink.body = &response.body;
  sink.cap = limits.max_response;
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode code = curl_easy_perform(c);
  if (sink.over_cap)
    throw TransportError(fmt::format("response larger than {} bytes", limits.max_response), true, false);
  if (code != CURLE_OK) throw_transport(c, code, errbuf, request.url);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  response.headers = std::move(sink.headers);
  return response;
}

long download(const std::string& url, std::FILE* file, DownloadProgress& progress, const Limits& limits) {
  Easy h = make_easy(limits.max_redirects, limits.connect_timeout);
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  // 128 kB reads written straight through (unbuffered FILE): one copy, cache-warm.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 128L * 1024);
  // A stalled or trickling server: abort when fewer than min_rate bytes/s arrive for stall_timeout.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, limits.min_rate);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, long(limits.stall_timeout));
  std::string range;
  if (progress.have > 0) {
    range = fmt::format("{}-", progress.have);
    curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  }
  Sink sink;
  sink.file = file;
  sink.cap = limits.max_download;
  sink.written = progress.have;
  // The status decides what the body is: an error page must not land in the file.
  struct Gate {
    Sink* sink;
    CURL* curl;
    long status = 0;
    std::uint64_t start;
    DownloadProgress* progress;
    bool restarted = false;
    std::uint64_t announced = 0;  // a stated size over the cap
  } gate{&sink, c, 0, progress.have, &progress};
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  auto body = [](char* data, size_t size, size_t n, void* user) -> size_t {
    auto* g = static_cast<Gate*>(user);
    if (g->status == 0) {
      curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &g->status);
      if (g->status == 200 && g->start > 0) {
        // The server ignored our Range: start the file over.
        if (std::fseek(g->sink->file, 0, SEEK_SET) != 0 || ftruncate(fileno(g->sink->file), 0) != 0) return 0;
        g->sink->written = 0;
        g->progress->have = 0;
      }
      if (g->status == 200) {
        auto it = g->sink->headers.find("content-length");
        if (it != g->sink->headers.end()) g->progress->total = parse_size(it->second).value_or(0);
      } else if (g->status == 206) {
        auto it = g->sink->headers.find("content-range");  // bytes a-b/total
        if (it != g->sink->headers.end()) {
          auto slash = it->second.rfind('/');
          if (slash != std::string::npos)
            g->progress->total = parse_size(std::string_view(it->second).substr(slash + 1)).value_or(0);
        }
      }
      if (g->status == 200 || g->status == 206) {
        auto type = g->sink->headers.find("content-type");
        g->progress->content_type = type == g->sink->headers.end() ? "" : type->second;
        if (g->progress->total > g->sink->cap) {  // refused before a byte is written
          g->announced = g->progress->total;
          g->sink->over_cap = true;
          return 0;
        }
      }
    }
    if (g->status != 200 && g->status != 206) return size * n;  // error page: read and drop
    size_t wrote = on_body(data, size, n, g->sink);
    g->progress->have = g->sink->written;
    return wrote;
  };
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &gate);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode code = curl_easy_perform(c);
  if (sink.write_failed) throw WriteFailed(fmt::format("cannot write the download: {}", std::strerror(sink.write_errno)));
  if (sink.over_cap)
    throw TooLarge(gate.announced ? fmt::format("the download is {} bytes, over the {}-byte cap", gate.announced, limits.max_download)
                                  : fmt::format("the download passed the {}-byte cap", limits.max_download),
                   limits.max_download, gate.announced);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK) {
    if (code == CURLE_RANGE_ERROR || status == 416) return 416;
    throw_transport(c, code, errbuf, url);
  }
  return status;
}

std::string redact_url(const std::string& url) {
  // The query goes whole: presigned URLs carry X-Amz-Signature, -Credential
  // and -Security-Token there. So does a user:password@ before the host.
  auto q = url.find_first_of("?#");
  std::string out = q == std::string::npos ? url : url.substr(0, q) + "?…";
  auto scheme = out.find("://");
  auto host_end = scheme == std::string::npos ? std::string::npos : out.find('/', scheme + 3);
  auto at = scheme == std::string::npos ? std::string::npos : out.rfind('@', host_end);
  if (at != std::string::npos && at > scheme) out.replace(scheme + 3, at - scheme - 3, "***");
  return out;
}

bool is_loopback_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  char* host = nullptr;
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK)
    return false;
  std::string h = host;
  curl_free(host);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return h == "localhost" || h == "[::1]" || h.starts_with("127.");
}

}  // namespace seedreel::http
