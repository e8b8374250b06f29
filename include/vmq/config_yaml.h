// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration's YAML, read safely: exactly one document, syntax errors located, and none
// of yaml-cpp 0.7's known hangs on malformed input.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string_view>

namespace vmq::cfg {

// The root node of the one document in `text`; a null node when the text holds nothing but
// comments or blank lines. A syntax error or a second document throws ConfigError with
// `source`:line:column and what was expected.
YAML::Node load_yaml_document(std::string_view text, std::string_view source);

}  // namespace vmq::cfg
