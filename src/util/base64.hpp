#pragma once
// Base64 is public (seedreel/base64.hpp); this name stays for the library's own files.
#include "seedreel/base64.hpp"
