#include "upload/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <fmt/format.h>

#include "http/curl.hpp"
#include "http/http.hpp"
#include "seedreel/error.hpp"
#include "util/interrupt.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::upload {

namespace {

constexpr std::size_t kKeptBody = 64 * 1024;

struct State {
  std::FILE* file = nullptr;
  TransferAnswer* answer = nullptr;
  const Transfer* transfer = nullptr;
};

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* s = static_cast<State*>(user);
  size_t got = std::fread(buffer, 1, size * n, s->file);
  if (got == 0 && std::ferror(s->file)) return CURL_READFUNC_ABORT;
  return got;
}

// curl rewinds the body for a redirect or an authentication round.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* s = static_cast<State*>(user);
  return fseeko(s->file, off_t(offset), origin) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<State*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    s->answer->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    s->answer->headers[name] = value;
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<State*>(user);
  std::string& body = s->answer->body;
  if (body.size() < kKeptBody) body.append(data, std::min(size * n, kKeptBody - body.size()));
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t sent) {
  if (interrupted()) return 1;
  auto* s = static_cast<State*>(user);
  if (s->transfer->on_progress && s->file) s->transfer->on_progress(std::uint64_t(sent), s->transfer->size);
  return 0;
}

}  // namespace

TransferAnswer perform(const Transfer& t) {
  http::Easy h = http::make_easy(read_caps_in_force().redirects, t.connect_timeout);
  CURL* c = h.get();
  TransferAnswer answer;
  State state{nullptr, &answer, &t};
  UniqueFile file;
  http::Slist headers;
  for (const auto& line : t.headers) http::append_header(headers, line.c_str());
  http::append_header(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(c, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (t.method == "PUT") {
    file.reset(std::fopen(t.file.c_str(), "rb"));
    if (!file) throw Error(ErrorKind::input, t.file, "cannot open");
    state.file = file.get();
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &state);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &state);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, curl_off_t(t.size));
  } else if (t.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (t.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, t.method.c_str());
  }
  if (!t.aws_sigv4.empty()) {
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, t.aws_sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, t.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, t.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, long(t.stall_timeout));
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    throw_if_interrupted(http::redact_url(t.url));
    // An upload is idempotent (same bytes, same name): whether any left us does not matter.
    throw http::TransportError(*errbuf ? errbuf : curl_easy_strerror(code), false,
                               code == CURLE_OPERATION_TIMEDOUT);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

}  // namespace seedreel::upload
