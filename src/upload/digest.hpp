#pragma once
// SHA-256 and HMAC-SHA256 over OpenSSL, for content addresses and SigV4.
#include <string>
#include <string_view>

namespace seedreel::upload {

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);
// Lower-case hex of SHA-256 of a file's bytes, read in blocks; Error(input) naming it.
std::string sha256_file_hex(const std::string& path);
// HMAC-SHA256(key, data) as 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);

}  // namespace seedreel::upload
