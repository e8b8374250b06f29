// SPDX-License-Identifier: GPL-3.0-or-later
// The README's chart reference, made from the catalogue (`vernemq.plugin --charts`); a test keeps
// the README's copy equal to it.
#pragma once

#include <string>

namespace vmq {

// A Markdown table of every catalogue chart: id and title, context, units, how values are made,
// dimensions (the refusals in bold where the chart has them).
[[nodiscard]] std::string chart_reference_markdown();

}  // namespace vmq
