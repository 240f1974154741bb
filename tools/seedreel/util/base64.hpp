#pragma once
// Transitional: api_options.cpp still includes "util/base64.hpp", which the
// CLI no longer reaches (it builds on the public headers alone). Goes once
// that include names seedreel/base64.hpp.
#include "seedreel/base64.hpp"
