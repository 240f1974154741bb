#pragma once
// The API key goes into a header line as it is: a control character in it
// (CR or LF above all) would let it add header lines of its own.
#include <string>
#include <string_view>

namespace seedreel {

// Error(invalid_argument) about `where` (the variable or file the key came from) when
// the key holds a control character. The key itself is never quoted.
void check_api_key(std::string_view key, const std::string& where);

}  // namespace seedreel
