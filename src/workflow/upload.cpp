// Publishing a local file with an HTTP PUT: what a presigned URL, an S3
// bucket or a WebDAV folder takes. The API reads reference videos only from
// a URL or an asset, never inline. A thin front on the Uploader (upload.hpp),
// so it retries as API calls do.
#include <memory>

#include "seedreel/error.hpp"
#include "seedreel/upload.hpp"
#include "seedreel/workflow.hpp"

namespace seedreel {

Publisher put_publisher(const std::string& url, double timeout_seconds) {
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    throw Error(ErrorKind::invalid_argument, url, "an upload URL must be http(s)");
  UploadSettings s;
  // "{name}" stays; a folder gets the file's name, as this function always did.
  s.spec = "put:" + url + (url.find("{name}") == std::string::npos && url.ends_with('/') ? "{name}" : "");
  s.stall_timeout = timeout_seconds;
  auto uploader = std::make_shared<Uploader>(std::move(s));
  return [uploader](const std::string& path) { return uploader->publish(path, MediaKind::video, nullptr).source; };
}

}  // namespace seedreel
