// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/chart_reference.h"

#include <algorithm>
#include <string_view>

#include "vmq/catalogue.h"
#include "vmq/job_charts.h"

namespace vmq {

namespace {

std::string_view made(catalogue::Algo a) {
  switch (a) {
    case catalogue::Algo::count: return "count in the last minute";
    case catalogue::Algo::rate: return "per second";
    case catalogue::Algo::gauge: return "level";
    case catalogue::Algo::ratio: return "percent over 5 minutes";
    case catalogue::Algo::quantile: return "quantiles of the last minute";
  }
  return "";
}

std::string code(std::string_view s) { return "`" + std::string(s) + "`"; }

}  // namespace

std::string chart_reference_markdown() {
  std::string md =
      "| chart | context | units | values | dimensions (families read) |\n"
      "|---|---|---|---|---|\n";
  for (const catalogue::Chart& c : catalogue::charts()) {
    md += "| " + code(c.id) + " " + std::string(c.title) + " | " + code(catalogue::context_of(c)) + " | " +
          std::string(c.units) + " | " + std::string(made(c.algo)) + " | ";
    if (!c.split.empty()) {
      md += "one per " + code(c.split) + " of " + code(c.dims[0].family);
      if (!c.dims[0].match.empty()) md += " " + code(c.dims[0].match);
      for (std::size_t i = 1; i < c.dims.size(); ++i)
        md += (i + 1 == c.dims.size() ? " and " : ", ") + code(c.dims[i].family);
      if (c.dims.size() > 1) md += " (summed)";
      if (c.known.empty()) {
        md += ", as the broker sends them";
      } else {
        md += ": ";
        for (std::size_t i = 0; i < c.known.size(); ++i) {
          const bool failure = std::find(c.failures.begin(), c.failures.end(), c.known[i]) != c.failures.end();
          md += (i ? ", " : "") + std::string(failure ? "**" : "") + code(c.known[i]) + (failure ? "**" : "");
        }
        md += "; others added when first seen";
      }
      md += " (past " + std::to_string(kMaxReasonDimensions - 1) + ": `other`)";
    } else {
      // One entry per dimension: its id and the families it reads.
      for (std::size_t i = 0; i < c.dims.size();) {
        const catalogue::Dim& d = c.dims[i];
        md += (i ? ", " : "") + code(d.id) + " (" + code(d.family);
        if (!d.match.empty()) md += " " + code(d.match);
        if (!d.among_label.empty()) md += " " + code(d.among_label) + " refused";
        for (++i; i < c.dims.size() && c.dims[i].id == d.id; ++i) {
          md += (c.dims[i].denominator ? " per 100 " : c.dims[i].sign < 0 ? " − " : " + ") + code(c.dims[i].family);
        }
        if (d.divisor > 1) md += " ÷ " + std::to_string(d.divisor);
        md += d.multiplier < 0 ? ", shown negative)" : ")";
      }
    }
    md += " |\n";
  }
  return md;
}

}  // namespace vmq
