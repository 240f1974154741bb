#pragma once
// Media URLs fetched as a provider fetches them, for the URLs on this machine
// only (the emulator never leaves loopback). Every fetch is logged for tests
// (GET /_emu/fetches): the URL without its query, whether it was presigned,
// the status, the size and the SHA-256 of the bytes.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace seedance_emu {

// The bytes at `url` when it is an http URL on loopback; nullopt for any
// other URL (not fetched). A failed fetch is InvalidParameter naming `param`.
std::optional<std::string> fetch_media(const std::string& url, const std::string& param);

nlohmann::json fetch_log();

}  // namespace seedance_emu
