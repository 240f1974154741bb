#pragma once
// Request validation as strict as the providers' docs: models, the mode table
// and its exclusions, content order, counts, roles, parameter values, model
// limits. A violation throws the ApiError the provider would answer with.
#include <nlohmann/json.hpp>

#include "assets.hpp"
#include "dialect.hpp"
#include "generation.hpp"

namespace seedance_emu {

// Content-array body (New-API gateway and upstream Ark).
Generation validate_content_request(const nlohmann::json& body, Dialect d, const AssetStore& assets);
// xingchaoyiqing flat-field body.
Generation validate_flat_request(const nlohmann::json& body, const AssetStore& assets);

// Both: fills width/height, choosing the ratio for "adaptive" from the first
// frame's aspect (16:9 without one).
void resolve_output_size(Generation& g);

[[noreturn]] void invalid(const std::string& param, const std::string& message);
[[noreturn]] void missing(const std::string& param);

}  // namespace seedance_emu
