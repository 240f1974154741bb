#pragma once
// The one exception type of seedreel. Expected outcomes (a file fails a rule)
// are values (Findings); failures to read, write or talk are Errors.
//
// An Error says what went wrong (kind), what it is about (subject: a file,
// URL or task id) and, when a caller's argument was at fault, which one
// (option: the field's name, as in the options structs, e.g. "tail" or
// "overwrite"). Messages name no command-line flag; a front end maps the
// option to its own spelling and the kind to its own exit status.
//
//   try {
//     seedreel::conform(inputs, options);
//   } catch (const seedreel::Error& e) {
//     if (e.kind() == seedreel::ErrorKind::invalid_argument && e.option() == "ratio") ...
//     std::cerr << e.what() << '\n';  // "ratio: unknown ratio '5:4' (one of ...)"
//   }
#include <stdexcept>
#include <string>
#include <string_view>

namespace seedreel {

enum class ErrorKind {
  invalid_argument,  // an argument or option the call cannot take (see Error::option)
  // The former name, kept while callers move to invalid_argument.
  usage = invalid_argument,
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
  // option: the name of the argument or option field at fault ("" when none).
  Error(ErrorKind kind, std::string subject, const std::string& reason, std::string option = {});

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& subject() const noexcept { return subject_; }
  const std::string& reason() const noexcept { return reason_; }
  const std::string& option() const noexcept { return option_; }

 private:
  ErrorKind kind_;
  std::string subject_;
  std::string reason_;
  std::string option_;
};

// The reason of the Error(io) for an output that exists and was not to be
// replaced. The library names no flag; the CLI adds how to replace it.
inline constexpr std::string_view output_exists_reason = "already exists";

const char* to_string(ErrorKind kind) noexcept;

}  // namespace seedreel
