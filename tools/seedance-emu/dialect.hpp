#pragma once
// The three request dialects and how each one words its errors. Each route
// answers in the dialect of its path, including 401/429/5xx and faults.
#include <string>
#include <string_view>

namespace httplib {
struct Response;
}

namespace seedance_emu {

enum class Dialect {
  gateway,  // New-API content array: /v1/video/generations, /volc/asset/*
  flat,     // xingchaoyiqing flat fields: /v1/kyyvideo2/videos, /v1/result/{id}
  ark,      // upstream Ark: /contents/generations/tasks
};

Dialect dialect_for_path(std::string_view path);

// An API error as the provider words it.
struct ApiError {
  int status = 400;
  std::string code;  // InvalidParameter, MissingParameter, RateLimitExceeded...
  std::string message;
  std::string param;  // the offending parameter, when there is one
};

// Ark's error "type" for an HTTP status (BadRequest, Unauthorized, ...).
std::string_view error_type(int status);

// Writes err in the dialect's shape:
//   gateway {"code","message","data":null}
//   flat    {"object":"video","status":"failed","error":"<message>","code"}
//   ark     {"error":{"code","message","param","type"}}
void send_error(httplib::Response& res, Dialect d, const ApiError& err);

}  // namespace seedance_emu
