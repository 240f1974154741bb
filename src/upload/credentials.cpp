// S3 credentials where the AWS tools look for them: the environment first,
// then a profile of the shared credentials and config files.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "seedreel/error.hpp"
#include "seedreel/upload.hpp"

namespace seedreel {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trim(std::string s) {
  const char* space = " \t\r\n";
  s.erase(0, s.find_first_not_of(space));
  s.erase(s.find_last_not_of(space) + 1);
  return s;
}

// The keys of one [section] of an INI file ("" when the file or section is absent).
std::map<std::string, std::string> ini_section(const std::filesystem::path& file, const std::string& section) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string line, current;
  bool inside = false;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = trim(line.substr(1, line.size() - 2));
      inside = current == section;
      continue;
    }
    auto eq = line.find('=');
    if (inside && eq != std::string::npos) out[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

std::filesystem::path aws_file(const char* variable, const char* name) {
  if (auto f = env(variable); !f.empty()) return f;
  if (auto h = env("HOME"); !h.empty()) return std::filesystem::path(h) / ".aws" / name;
  return {};
}

}  // namespace

S3Credentials load_s3_credentials() {
  S3Credentials c;
  std::string profile = env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  c.access_key_id = env("AWS_ACCESS_KEY_ID");
  c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  c.session_token = env("AWS_SESSION_TOKEN");
  const auto credentials_file = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    auto keys = ini_section(credentials_file, profile);
    c.access_key_id = keys["aws_access_key_id"];
    c.secret_access_key = keys["aws_secret_access_key"];
    c.session_token = keys["aws_session_token"];
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    throw Error(ErrorKind::invalid_argument, "s3",
                fmt::format("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '{}' "
                            "aws_access_key_id and aws_secret_access_key in {}",
                            profile, credentials_file.string()));
  c.region = env("AWS_REGION");
  if (c.region.empty()) c.region = env("AWS_DEFAULT_REGION");
  if (c.region.empty()) {
    // ~/.aws/config names sections "profile NAME", except the default one.
    auto config = aws_file("AWS_CONFIG_FILE", "config");
    c.region = ini_section(config, profile == "default" ? "default" : "profile " + profile)["region"];
  }
  if (c.region.empty()) c.region = "us-east-1";
  return c;
}

}  // namespace seedreel
