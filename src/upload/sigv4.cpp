#include "upload/sigv4.hpp"

#include <array>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "seedreel/error.hpp"
#include "upload/digest.hpp"

namespace seedreel::upload {

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
      out += char(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string presign(const PresignRequest& r, const S3Credentials& cred) {
  if (r.expires < 1 || r.expires > 604800)
    throw Error(ErrorKind::invalid_argument, "", fmt::format("a presigned URL lasts 1 s to 7 days, not {} s", r.expires));
  std::tm tm{};
  gmtime_r(&r.now, &tm);
  std::array<char, 32> stamp{}, day{};
  std::strftime(stamp.data(), stamp.size(), "%Y%m%dT%H%M%SZ", &tm);
  std::strftime(day.data(), day.size(), "%Y%m%d", &tm);
  const std::string region = r.region.empty() ? "us-east-1" : r.region;
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", day.data(), region, r.service);

  // Sorted by name, as the canonical query must be.
  std::map<std::string, std::string> query{
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", cred.access_key_id + "/" + scope},
      {"X-Amz-Date", stamp.data()},
      {"X-Amz-Expires", std::to_string(r.expires)},
      {"X-Amz-SignedHeaders", "host"},
  };
  if (!cred.session_token.empty()) query["X-Amz-Security-Token"] = cred.session_token;
  std::string canonical_query;
  for (const auto& [k, v] : query)
    canonical_query += (canonical_query.empty() ? "" : "&") + uri_encode(k, false) + "=" + uri_encode(v, false);
  const std::string path = uri_encode(r.path.empty() ? "/" : r.path, true);

  // S3 does not hash a presigned request's payload: UNSIGNED-PAYLOAD.
  const std::string canonical_request =
      fmt::format("{}\n{}\n{}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD", r.method, path, canonical_query, r.host);
  const std::string to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", stamp.data(), scope, sha256_hex(canonical_request));
  std::string key = hmac_sha256("AWS4" + cred.secret_access_key, day.data());
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, r.service);
  key = hmac_sha256(key, "aws4_request");
  const std::string signature = to_hex(hmac_sha256(key, to_sign));
  return fmt::format("{}://{}{}?{}&X-Amz-Signature={}", r.scheme, r.host, path, canonical_query, signature);
}

}  // namespace seedreel::upload
