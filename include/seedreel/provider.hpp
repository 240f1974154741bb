#pragma once
// Providers as data: where a provider lives, which dialect it speaks, its
// models and their limits, its endpoint paths and polling pace. Built-in
// profiles plus user profiles from a JSON file (docs/client.md).
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedreel {

// The three request dialects (SPEC "Three request dialects").
enum class Dialect {
  content_array,  // New-API gateways: content[] body, {code,data:{status:"SUCCESS"...}} polls
  flat,           // xingchaoyiqing: flat fields, {id,status:"completed",video_url} polls
  ark,            // upstream Volcengine / BytePlus Ark: content[] body, {id,status:"succeeded"} polls
};
const char* to_string(Dialect dialect) noexcept;
std::optional<Dialect> parse_dialect(std::string_view text);

struct ModelProfile {
  std::string name;
  std::string max_resolution = "1080p";
  bool requires_reference_video = false;
  std::string family;  // in seedreel's vocabulary (limits.hpp), "" when unknown
};

struct Provider {
  std::string name;
  Dialect dialect = Dialect::content_array;
  std::string base_url;  // includes the path prefix (…/api/v3, …/kyyReactApiServer)
  std::string default_model;
  std::vector<ModelProfile> models;  // the models it accepts; empty = any the limits table knows
  // Paths below base_url; "{id}" stands for the task id. "" = not offered.
  std::string create_path;
  std::string poll_path;
  std::string cancel_path;  // DELETE
  std::string asset_group_path;
  std::string asset_create_path;
  double poll_interval = 5;  // seconds between polls
  bool data_uris = true;     // takes base64 data URIs for images and audio
  // Optional request parameters the dialect can carry:
  // resolution ratio duration generate_audio watermark web_search seed return_last_frame
  // service_tier execution_expires_after callback_url camera_fixed frames safety_identifier
  std::vector<std::string> params;

  const ModelProfile* find_model(std::string_view model) const;
  bool takes(std::string_view param) const;
  // base_url + path with {id} replaced (the id is percent-encoded).
  std::string url(std::string_view path, std::string_view id = {}) const;
};

std::span<const Provider> builtin_providers();

// The model a request names, as this provider will receive it. One
// vocabulary works everywhere: seedance-2.0 goes to Ark International as
// dreamina-seedance-2-0-260128, to xingchaoyiqing as seedance_2_0, and so on.
// A provider's own id goes as it is; another provider's id of a family this
// one offers is translated (with a note); an id no table knows passes
// through (with a note) and is checked against its family's limits, judged
// by its name. Only what is known to be wrong is refused: a family, or a
// known id, that this provider does not offer.
struct ModelChoice {
  std::string requested;  // as asked; "" = the provider's default
  std::string id;         // what the body carries
  ModelProfile profile;   // the limits the request is checked against
  bool known = true;      // false: not in any table, passed through
  std::string note;       // a warning to show ("" when none)
  std::string refusal;    // why it cannot go to this provider ("" when it can)
};
ModelChoice choose_model(const Provider& provider, std::string_view requested);

// User profiles: a JSON array (or {"providers": [...]}) of objects with
// name, dialect, base_url and optionally every other Provider field; unset
// fields take the dialect's defaults. Throws Error(input) naming the file.
std::vector<Provider> load_provider_file(const std::string& path);

// Which provider to talk to: name from the flag, else SEEDREEL_PROVIDER, else
// "anyfast"; base URL from the flag, else SEEDREEL_BASE_URL, else the
// profile's. User profiles come from SEEDREEL_PROVIDERS_FILE or
// $XDG_CONFIG_HOME/seedreel/providers.json (~/.config/...) when present, and
// win over built-ins of the same name. Error(usage) for an unknown name or a
// base URL that is not http(s).
Provider resolve_provider(const std::string& name_flag, const std::string& base_url_flag);

// The API key: SEEDREEL_API_KEY, else the file SEEDREEL_API_KEY_FILE or
// $XDG_CONFIG_HOME/seedreel/api-key (~/.config/...). A key file readable by
// group or others is refused (Error usage) without reading it. Returns ""
// when no key is configured. The key is never put in any message.
std::string load_api_key();

}  // namespace seedreel
