#pragma once
// Internal: reading provider answers — poll shapes into Task, error bodies
// into messages with advice.
#include <string>

#include <nlohmann/json.hpp>

#include "seedreel/client.hpp"
#include "seedreel/error.hpp"

namespace seedreel {

Task parse_task_json(Dialect dialect, const nlohmann::json& j, const std::string& subject);

// "HTTP 429 RateLimitExceeded: too many requests — advice" from a status and error body.
std::string describe_api_error(long status, const std::string& body);
// The Error for a non-retryable HTTP answer (moderation codes: ErrorKind::moderation).
Error api_error(long status, const std::string& body, const std::string& subject);

bool is_moderation_code(const std::string& code);

}  // namespace seedreel
