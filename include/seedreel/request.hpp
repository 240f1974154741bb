#pragma once
// One generation request, its validation against the API's rules and the
// provider's dialect, and its serialisation into that dialect's body.
// Violations are Findings (values), listed all at once; unreadable local
// files are Errors (input).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "seedreel/media.hpp"
#include "seedreel/preflight.hpp"

namespace seedreel {

struct Provider;

enum class Mode { text_to_video, image_to_video, first_last_frame, reference, video_edit, video_extension };
const char* to_string(Mode mode) noexcept;

// Where a media item comes from, read off its spelling.
enum class SourceKind { local, url, data_uri, asset };
SourceKind source_kind(std::string_view source) noexcept;
const char* to_string(SourceKind kind) noexcept;

struct MediaItem {
  std::string source;  // local path, http(s) URL, data: URI or asset://ID
  Role role = Role::reference_image;
};

struct Request {
  std::string model;       // "" = the provider's default model
  std::string prompt;
  std::vector<MediaItem> media;  // in content order: images, then videos, then audio
  std::string resolution;  // "" = not sent (provider default)
  std::string ratio;       // "" = not sent
  std::optional<int> duration;
  bool generate_audio = true;
  std::optional<bool> watermark;
  bool web_search = false;
  std::optional<std::int64_t> seed;
  bool return_last_frame = false;
  // Ark: "flex" runs when capacity is free, for less, and may expire unrun;
  // "" = not sent (the provider's default tier).
  std::string service_tier;
  std::optional<int> execution_expires_after;  // Ark, seconds a task may wait before it expires
  // Ark's other fields (its task API; the gateways' seeds do not list them):
  std::string callback_url;           // "" = not sent; told of each status change
  std::optional<bool> camera_fixed;   // hold the camera still
  std::optional<int> frames;          // the length in frames instead of seconds: 29-289, 25 + 4n
  std::string safety_identifier;      // "" = not sent; a stable id of the end user (no personal data)
  // Any other body fields, as a JSON object merged into the body ("" = none).
  // It may not set a field seedreel writes itself (model, content, ...).
  std::string extra;
};

// The mode the media roles put the request in (before validation).
Mode infer_mode(const Request& request);

// The model id the request goes out with: its own (or the provider's default),
// in the provider's own words (choose_model in provider.hpp).
std::string effective_model(const Request& request, const Provider& provider);

// Probes every local media item (nullopt for URLs, data URIs, assets).
// Throws Error(input) naming the file when one cannot be read.
std::vector<std::optional<MediaInfo>> probe_local_media(const Request& request);

// Every rule the request breaks for this provider: the mode table and mutual
// exclusions, content order, counts, @imageN/@videoN/@audioN references,
// web search, audio-needs-visual, prompt length, output parameters, model
// limits, what the dialect can carry, and the local files' own limits
// (`local` from probe_local_media, same order as request.media).
std::vector<Finding> validate(const Request& request, const Provider& provider,
                              std::span<const std::optional<MediaInfo>> local);

// The request body in the provider's dialect. Local images and audio are
// inlined as data URIs (read from disk here). Call only on a request that
// validates; throws Error(validation) if it does not (e.g. the body would pass 64 MB).
nlohmann::json build_body(const Request& request, const Provider& provider,
                          std::span<const std::optional<MediaInfo>> local);

// Probe, validate and serialise in one go. `body` is null when findings is non-empty.
struct PreparedRequest {
  std::vector<std::optional<MediaInfo>> local;
  std::vector<Finding> findings;
  std::vector<std::string> notes;  // warnings that do not stop the request (a model passed through)
  std::string body;  // serialised JSON, exactly what is sent
};
PreparedRequest prepare(const Request& request, const Provider& provider);

}  // namespace seedreel
