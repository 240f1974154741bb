// The gateways' asset library: POST /volc/asset/CreateAssetGroup -> {"Id":"group-..."},
// POST /volc/asset/CreateAsset -> {"Id":"asset-..."}, then asset://asset-... in requests.
#include <httplib.h>

#include "emulator.hpp"
#include "fetch.hpp"
#include "validate.hpp"

namespace seedance_emu {

namespace {

std::string required_string(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) missing(key);
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) invalid(key, "must be a non-empty string");
  return it->get<std::string>();
}

void check_asset_model(const nlohmann::json& body) {
  if (required_string(body, "model") != "volc-asset") invalid("model", "must be \"volc-asset\"");
}

// An image asset's pixels, when we can have them: a data URI, or a URL on this
// machine (the emulator never leaves loopback).
std::optional<Picture> fetch_picture(const std::string& url) {
  std::string why;
  if (url.starts_with("data:")) {
    auto data = parse_data_uri(url, &why);
    if (!data) invalid("URL", why);
    auto p = read_picture(std::move(data->bytes), &why);
    if (!p) invalid("URL", why);
    return p;
  }
  auto bytes = fetch_media(url, "URL");
  if (!bytes) return std::nullopt;
  auto p = read_picture(std::move(*bytes), &why);
  if (!p) invalid("URL", why);
  return p;
}

}  // namespace

void add_asset_routes(Emulator& emu) {
  emu.api("POST", "/volc/asset/CreateAssetGroup", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = emu.json_body(req, res, Dialect::gateway);
    if (!body) return;
    try {
      if (!body->is_object()) invalid("body", "the request body must be a JSON object");
      check_asset_model(*body);
      std::string id = emu.assets().create_group(required_string(*body, "Name"));
      res.set_content(nlohmann::json{{"Id", id}}.dump(), "application/json");
    } catch (const ApiError& e) {
      send_error(res, Dialect::gateway, e);
    }
  });

  emu.api("POST", "/volc/asset/CreateAsset", [&emu](const httplib::Request& req, httplib::Response& res) {
    auto body = emu.json_body(req, res, Dialect::gateway);
    if (!body) return;
    try {
      if (!body->is_object()) invalid("body", "the request body must be a JSON object");
      check_asset_model(*body);
      Asset a;
      a.group_id = required_string(*body, "GroupId");
      if (!emu.assets().has_group(a.group_id)) invalid("GroupId", "asset group " + a.group_id + " does not exist");
      a.name = required_string(*body, "Name");
      std::string type = required_string(*body, "AssetType");
      if (type == "Image")
        a.type = MediaType::image;
      else if (type == "Video")
        a.type = MediaType::video;
      else if (type == "Audio")
        a.type = MediaType::audio;
      else
        invalid("AssetType", "must be Image, Video or Audio, got \"" + type + "\"");
      a.url = required_string(*body, "URL");
      if (!is_http_url(a.url) && !(a.url.starts_with("data:") && a.type != MediaType::video))
        invalid("URL", "must be an http(s) URL (or a base64 data URI for images and audio)");
      if (a.type == MediaType::image)
        a.picture = fetch_picture(a.url);
      else if (is_http_url(a.url))
        (void)fetch_media(a.url, "URL");  // the provider copies the medium when the asset is made
      std::string id = emu.assets().create_asset(std::move(a));
      res.set_content(nlohmann::json{{"Id", id}}.dump(), "application/json");
    } catch (const ApiError& e) {
      send_error(res, Dialect::gateway, e);
    }
  });
}

}  // namespace seedance_emu
