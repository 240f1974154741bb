#pragma once
// Rules shared by the content-array and flat-field validators.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "assets.hpp"
#include "generation.hpp"

namespace seedance_emu::rules {

// Checks one media reference (URL, data URI or asset://ID) for a media type;
// returns the picture when we hold an image's pixels. `param` names it in errors.
std::optional<Picture> check_media(MediaType type, const std::string& url, const std::string& param,
                                   const AssetStore& assets);

// Prompt length (500 CJK characters / 1000 words) and @imageN/@videoN/@audioN
// references to items that exist.
void check_prompt(const std::string& text, const std::string& param, int images, int videos, int audios);

// Media counts of one request (images, videos, audio, total) and audio needing
// a visual; errors name the parameter of the type at fault.
struct CountParams {
  std::string images, videos, audios;
};
void check_counts(int images, int videos, int audios, const CountParams& params);

// Optional typed fields: absent keeps the default, a wrong type or value is InvalidParameter.
bool optional_bool(const nlohmann::json& body, const char* key, bool fallback);
int optional_duration(const nlohmann::json& body, const char* key, int fallback);
std::string optional_enum(const nlohmann::json& body, const char* key, const std::string& fallback,
                          bool (*allowed)(const std::string&), const std::string& allowed_text);
std::int64_t optional_seed(const nlohmann::json& body);

bool is_ratio(const std::string& s);
bool is_resolution(const std::string& s);

// The model must be one of `names`; returns it.
// The body's model, one of `names` (or, with other_dates, one of them under another trailing -YYMMDD date).
std::string required_model(const nlohmann::json& body, std::initializer_list<const char*> names, bool other_dates = false);
// Resolution above the model's cap (Mini and fast stop at 720p) is InvalidParameter.
void check_model_resolution(const std::string& model, const std::string& resolution);

}  // namespace seedance_emu::rules
