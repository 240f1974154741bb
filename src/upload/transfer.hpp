#pragma once
// One store request over libcurl: a PUT streamed from a file (with
// progress), or a HEAD. Signing (SigV4) is libcurl's own. Policy (retries,
// what a status means) is the caller's.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace seedreel::upload {

struct Transfer {
  std::string method = "PUT";  // PUT (from `file`), HEAD or GET
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string file;                  // PUT: the body
  std::uint64_t size = 0;            // PUT: its size
  std::string aws_sigv4;             // "aws:amz:REGION:s3" signs with SigV4; "" = unsigned
  std::string username, password;    // SigV4: the key pair
  double connect_timeout = 10;
  double stall_timeout = 60;  // seconds below 1 byte/s abort
  std::function<void(std::uint64_t sent, std::uint64_t total)> on_progress;
};

struct TransferAnswer {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;                            // the first 64 kB (an error document)
};

// Throws http::TransportError when no answer came (and on Ctrl-C, Error(cancelled)).
TransferAnswer perform(const Transfer& transfer);

}  // namespace seedreel::upload
