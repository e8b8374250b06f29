// SPDX-License-Identifier: GPL-3.0-or-later
#include "chart_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace vmq::testing {

namespace {
// "SET id = value" → (id, value).
void read_set(const std::string& line, ChartValues& v) {
  const std::size_t eq = line.find(" = ");
  if (line.rfind("SET ", 0) != 0 || eq == std::string::npos) return;
  const std::string num = line.substr(eq + 3);
  v[line.substr(4, eq - 4)] = num.empty() ? std::nullopt : std::optional<long long>(std::stoll(num));
}
}  // namespace

ChartValues sent_values(const std::string& out, const std::string& type, std::string_view id) {
  ChartValues v;
  const std::string begin = "BEGIN " + type + "." + std::string(id);
  std::size_t at = out.find(begin + " ");
  if (at == std::string::npos) at = out.find(begin + "\n");
  if (at == std::string::npos) return v;
  std::istringstream in(out.substr(at));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line != "END") read_set(line, v);
  return v;
}

std::map<std::string, ChartValues> sent_blocks(const std::string& out) {
  std::map<std::string, ChartValues> blocks;
  std::istringstream in(out);
  std::string line;
  ChartValues* current = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("BEGIN ", 0) == 0) {
      // BEGIN type.id [microseconds]
      std::string full = line.substr(6, line.find(' ', 6) - 6);
      current = &blocks[full.substr(full.find('.') + 1)];
    } else if (line == "END") {
      current = nullptr;
    } else if (current != nullptr) {
      read_set(line, *current);
    }
  }
  return blocks;
}

std::optional<double> histogram_quantile(const std::map<double, double>& cumulative, double q) {
  if (cumulative.empty() || !std::isinf(cumulative.rbegin()->first)) return std::nullopt;
  std::map<double, double> cum;
  double highest = 0;
  for (const auto& [le, count] : cumulative) {
    highest = std::max(highest, count);  // Prometheus forces monotonicity
    cum[le] = highest;
  }
  const double total = cum.rbegin()->second;
  if (total <= 0) return std::nullopt;
  const double rank = q * total;
  double lower = 0, below = 0;
  for (const auto& [le, count] : cum) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;
      return lower + (le - lower) * (rank - below) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

}  // namespace vmq::testing
