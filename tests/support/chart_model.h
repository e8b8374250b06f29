// SPDX-License-Identifier: GPL-3.0-or-later
// What the catalogue tests share: reading the values a tick's protocol text SETs, and
// Prometheus' histogram_quantile() written from its documentation (not the plugin's code), so
// the expectations of every chart test come from the same independent model.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vmq::testing {

// dimension id → the value SET for it (nullopt for an empty `SET id = `).
using ChartValues = std::map<std::string, std::optional<long long>>;

// The SET values of chart `type`.`id` in protocol text (its first block), empty when not sent.
ChartValues sent_values(const std::string& out, const std::string& type, std::string_view id);
// Every chart's block in protocol text: chart id (after "type.") → its SET values.
std::map<std::string, ChartValues> sent_blocks(const std::string& out);

// Prometheus' histogram_quantile(q) over cumulative bucket counts (upper bound → count, +Inf as
// INFINITY): counts made monotonic, rank q × the +Inf count, linear inside the bucket the rank
// falls in (the first bucket from 0), the highest finite bound when it falls in +Inf. nullopt
// when nothing was observed or there is no +Inf bucket. Not rounded.
std::optional<double> histogram_quantile(const std::map<double, double>& cumulative, double q);

}  // namespace vmq::testing
