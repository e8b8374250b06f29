// SPDX-License-Identifier: GPL-3.0-or-later
// Text helpers for configuration messages: how a value is shown, names compared, keys listed.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace vmq::cfg {

char ascii_lower(char c);
bool iequals(std::string_view a, std::string_view b);
bool is_control(char c);

// A value as it appears in a message: single-quoted, control characters escaped (a message is
// one log line), long values cut.
std::string shown(std::string_view v);

// "a, b, c".
std::string join(std::span<const std::string_view> items);

// "unknown key 'x'; known keys: ..." with a guess when the key is a near miss (a typo).
std::string unknown_key_text(std::string_view key, std::span<const std::string_view> known);

}  // namespace vmq::cfg
