#pragma once
// The asset library (CreateAssetGroup / CreateAsset): IDs usable as asset://ID
// in any dialect. An image asset whose URL is a data URI or a loopback URL
// keeps its pixels so it can serve as a first or last frame.
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "media.hpp"

namespace seedance_emu {

struct Asset {
  std::string id;
  std::string group_id;
  std::string name;
  MediaType type = MediaType::image;
  std::string url;
  std::optional<Picture> picture;
};

class AssetStore {
 public:
  std::string create_group(const std::string& name);
  bool has_group(const std::string& id) const;
  std::string create_asset(Asset a);  // returns the new ID
  std::optional<Asset> find(const std::string& id) const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> groups_;
  std::map<std::string, Asset> assets_;
};

// The shape the providers' IDs have: the prefix, the UTC time to the second
// and five random hex digits, e.g. "asset-20261124103000-3fa9c".
std::string make_id(const std::string& prefix);
std::string random_hex(int chars);

}  // namespace seedance_emu
