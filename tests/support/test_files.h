// SPDX-License-Identifier: GPL-3.0-or-later
// Reading test fixtures and captures.
#pragma once

#include <optional>
#include <string>

namespace vmq::testing {

// Whole file as bytes; throws std::runtime_error when it cannot be read.
std::string read_file(const std::string& path);
// tests/fixtures/NAME from the source tree.
std::string fixture(const std::string& name);
// ../shared/captures/NAME, or nullopt when that folder is not there (a user's clone).
std::optional<std::string> capture(const std::string& name);

}  // namespace vmq::testing
