#pragma once
// The one exception type of seedreel. Expected outcomes (a file fails a rule)
// are values (Findings); failures to read, write or talk are Errors.
#include <stdexcept>
#include <string>
#include <string_view>

namespace seedreel {

enum class ErrorKind {
  usage,        // bad flags or arguments
  validation,   // a request or input set fails the API's rules
  input,        // unreadable, corrupt or unsupported input
  io,           // cannot write an output
  network,      // connection, DNS, TLS, timeout talking to a server
  api,          // the server answered with an error
  moderation,   // the provider refused the content
  failed,       // the generation failed or expired on the provider's side
  timeout,      // our own overall deadline passed
  cancelled,    // interrupted by the user (Ctrl-C)
};

class Error : public std::runtime_error {
 public:
  // subject: the file or URL the error is about ("" when none).
  Error(ErrorKind kind, std::string subject, const std::string& reason);

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& subject() const noexcept { return subject_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  ErrorKind kind_;
  std::string subject_;
  std::string reason_;
};

// The reason of the Error(io) for an output that exists and was not to be
// replaced. The library names no flag; the CLI adds how to replace it.
inline constexpr std::string_view output_exists_reason = "already exists";

// The documented exit status for an error kind (see README "Exit status").
int exit_status(ErrorKind kind) noexcept;
const char* to_string(ErrorKind kind) noexcept;

namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int rejected = 1;     // preflight or request validation failed
inline constexpr int usage = 2;
inline constexpr int bad_input = 3;    // unreadable/corrupt input or unwritable output
inline constexpr int network = 4;      // network or API error
inline constexpr int generation = 5;   // moderation, provider failure, expired
inline constexpr int interrupted = 130;
}  // namespace exit_code

}  // namespace seedreel
