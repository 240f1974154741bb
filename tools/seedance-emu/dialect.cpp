#include "dialect.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace seedance_emu {

Dialect dialect_for_path(std::string_view path) {
  if (path.starts_with("/contents/")) return Dialect::ark;
  if (path.starts_with("/v1/kyyvideo2/") || path.starts_with("/v1/result/")) return Dialect::flat;
  return Dialect::gateway;
}

std::string_view error_type(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 413:
      return "RequestEntityTooLarge";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    default:
      return status >= 500 ? "InternalServerError" : "BadRequest";
  }
}

void send_error(httplib::Response& res, Dialect d, const ApiError& err) {
  nlohmann::json body;
  switch (d) {
    case Dialect::gateway:
      body = {{"code", err.code}, {"message", err.message}, {"data", nullptr}};
      break;
    case Dialect::flat:
      body = {{"object", "video"}, {"status", "failed"}, {"error", err.message}, {"code", err.code}};
      break;
    case Dialect::ark:
      body = {{"error",
               {{"code", err.code}, {"message", err.message}, {"param", err.param}, {"type", error_type(err.status)}}}};
      break;
  }
  res.status = err.status;
  res.set_content(body.dump(), "application/json");
}

}  // namespace seedance_emu
