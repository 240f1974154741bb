#pragma once
// SigV4 query signing (a presigned URL), the one piece of SigV4 libcurl
// does not do for us: it signs the requests it sends (CURLOPT_AWS_SIGV4),
// not URLs handed to someone else.
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "seedreel/upload.hpp"

namespace seedreel::upload {

struct PresignRequest {
  std::string method = "GET";
  std::string scheme = "https";
  std::string host;  // as the Host header will carry it: "bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1:9000"
  std::string path;  // the object's path, not encoded ("/bucket/prefix/abc.mp4")
  std::string region = "us-east-1";
  std::string service = "s3";
  std::int64_t expires = 86400;  // seconds, 1 to 604800
  std::time_t now = 0;           // signing time
};

// The URL with X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders
// (host), -Security-Token (temporary credentials) and -Signature.
std::string presign(const PresignRequest& request, const S3Credentials& credentials);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept,
// '/' kept too when `keep_slash` (paths).
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace seedreel::upload
