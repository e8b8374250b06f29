// SPDX-License-Identifier: GPL-3.0-or-later
// The one redaction rule, for the log, the HTTP client's errors, --check and the charts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vmq {

// Secrets at least this long are redacted wherever they occur, even inside a longer word: such a
// string inside another is the secret leaking, not a coincidence. Shorter ones only as whole
// tokens, so a one-character password "a" never turns "failed" into "f***iled".
inline constexpr std::size_t kRedactAnywhereFrom = 8;

// Replaces each occurrence of each secret in `text` by "***": a secret shorter than
// kRedactAnywhereFrom only where it is a whole token (no letter, digit or '_' touches it, nor a
// '.' or '-' inside a dotted word like "127.0.0.1", on a side where the secret itself starts or
// ends with one). Empty secrets are ignored.
void redact_secrets(std::string& text, const std::vector<std::string>& secrets, std::string_view extra = {});

}  // namespace vmq
