#pragma once
// preflight: would the API accept these files, and if not, every reason why.
// Violations are values (Findings), not exceptions.
//
//   std::vector<seedreel::CheckItem> items{{seedreel::probe("face.jpg"), seedreel::Role::first_frame}};
//   for (const seedreel::Finding& f : seedreel::preflight(items, {}))
//     std::printf("%s: %s (%s)\n", f.rule.c_str(), f.message.c_str(), f.allowed.c_str());
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "seedreel/limits.hpp"
#include "seedreel/media.hpp"

namespace seedreel {

enum class Role { first_frame, last_frame, reference_image, reference_video, reference_audio };
const char* to_string(Role role) noexcept;
std::optional<Role> parse_role(std::string_view text);
// The role a file takes when none is given: reference_<kind>.
Role default_role(MediaKind kind) noexcept;
MediaKind kind_of(Role role) noexcept;

struct Finding {
  std::string rule;     // stable id, e.g. "image.width", "set.video_total" (docs/preflight.md)
  std::string path;     // the file it is about; "" for a rule on the whole set
  std::string actual;   // the value found, with its unit
  std::string allowed;  // the allowed range or values
  std::string message;  // one readable sentence
};
void to_json(nlohmann::json& j, const Finding& f);

struct CheckItem {
  MediaInfo info;
  Role role;
};

struct CheckOptions {
  std::string model{default_model};
  std::string resolution;  // requested output resolution; "" = not given
};

// Rules on one file in its role.
std::vector<Finding> check_file(const MediaInfo& info, Role role);
// Rules on the set as one request: counts, totals, mode mixing, model limits.
std::vector<Finding> check_set(const std::vector<CheckItem>& items, const CheckOptions& options);
// Both, files first in order, then the set.
std::vector<Finding> preflight(const std::vector<CheckItem>& items, const CheckOptions& options);

}  // namespace seedreel
