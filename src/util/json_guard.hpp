#pragma once
// A cheap look at untrusted JSON text before a recursive parser sees it.
// nlohmann::json's parser and its tree (destruction, dump) recurse once per
// nesting level, so a body of 50,000 '[' overflows the stack; a text that
// passes here can be parsed safely. This is not a validator: a text that
// passes may still be malformed JSON, for the parser to refuse.
//
//   json_within(text, max_depth, max_bytes)
//     true when text.size() <= max_bytes and no object/array is nested more
//     than max_depth deep ("[]" is depth 1, "[[]]" depth 2, a scalar 0).
//     Brackets inside strings do not count; backslash escapes inside strings
//     are honoured, so "\"[" stays inside its string. Unbalanced closers
//     are left for the parser to reject. Linear time, no allocation.
#include <cstddef>
#include <string_view>

namespace seedreel {

bool json_within(std::string_view text, std::size_t max_depth, std::size_t max_bytes) noexcept;

}  // namespace seedreel
