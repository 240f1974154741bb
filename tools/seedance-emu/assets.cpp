#include "assets.hpp"

#include <ctime>
#include <random>

namespace seedance_emu {

std::string random_hex(int chars) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < chars; ++i) s += kDigits[rng() % 16];
  return s;
}

std::string make_id(const std::string& prefix) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  return prefix + stamp + "-" + random_hex(5);
}

std::string AssetStore::create_group(const std::string& name) {
  (void)name;
  std::string id = make_id("group-");
  std::lock_guard lock(mutex_);
  groups_.insert(id);
  return id;
}

bool AssetStore::has_group(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return groups_.count(id) != 0;
}

std::string AssetStore::create_asset(Asset a) {
  a.id = make_id("asset-");
  std::lock_guard lock(mutex_);
  std::string id = a.id;
  assets_.emplace(id, std::move(a));
  return id;
}

std::optional<Asset> AssetStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = assets_.find(id);
  if (it == assets_.end()) return std::nullopt;
  return it->second;
}

}  // namespace seedance_emu
