// Publishing a local file with an HTTP PUT: what a presigned URL, an S3
// bucket or a WebDAV folder takes. The API reads reference videos only from
// a URL or an asset, never inline.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "http/http.hpp"
#include "seedreel/error.hpp"
#include "seedreel/workflow.hpp"

namespace seedreel {

namespace fs = std::filesystem;

Publisher put_publisher(const std::string& url, double timeout_seconds) {
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    throw Error(ErrorKind::usage, url, "an upload URL must be http(s)");
  return [url, timeout_seconds](const std::string& path) {
    std::string name = fs::path(path).filename().string();
    std::string target = url;
    if (auto at = target.find("{name}"); at != std::string::npos) target.replace(at, 6, name);
    else if (target.ends_with("/")) target += name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::input, path, "cannot read");
    http::Request rq;
    rq.method = "PUT";
    rq.url = target;
    rq.headers = {"Content-Type: video/mp4"};
    rq.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    http::Limits limits;
    limits.request_timeout = timeout_seconds;
    std::string shown = http::redact_url(target);
    http::Response res;
    try {
      res = http::perform(rq, limits);
    } catch (const http::TransportError& e) {
      throw Error(ErrorKind::network, shown, fmt::format("upload failed: {}", e.what()));
    }
    if (res.status < 200 || res.status >= 300)
      throw Error(ErrorKind::network, shown, fmt::format("upload refused: HTTP {}", res.status));
    return target.substr(0, target.find('?'));
  };
}

}  // namespace seedreel
