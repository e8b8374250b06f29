// SPDX-License-Identifier: GPL-3.0-or-later
#include "bench_bodies.h"

#include <string_view>
#include <vector>

#include "scenario.h"
#include "vernemq_body.h"

namespace vmq::bench {

namespace {

// Traffic on every PUBACK series, so values have as many digits as a long-running broker's.
std::string scenario_yaml(const std::string& prefix, std::size_t nodes) {
  std::string y = "prefix: \"" + prefix + "\"\nnodes: [";
  for (std::size_t i = 0; i < nodes; ++i) {
    if (i != 0) y += ", ";
    y += "\"VerneMQ@10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "\"";
  }
  y += "]\nsteps:\n"
       "  - {at: 0, rate: {success: 5200, no_matching_subscribers: 31, unspecified_error: 3,\n"
       "     impl_specific_error: 17, not_authorized: 2, topic_name_invalid: 1, packet_id_in_use: 1,\n"
       "     quota_exceeded: 7, payload_format_invalid: 1, v4: 1900,\n"
       "     received: {success: 4100, not_authorized: 3, v4: 800}}}\n";
  return y;
}

// A week of uptime.
constexpr std::int64_t kElapsedMs = 7LL * 24 * 3600 * 1000 + 123;

std::vector<std::string> render_nodes(const std::string& prefix, std::size_t nodes) {
  const sim::Timeline timeline(sim::parse_scenario(scenario_yaml(prefix, nodes), "bench"));
  std::vector<std::string> bodies(nodes);
  for (std::size_t n = 0; n < nodes; ++n) {
    const sim::VernemqBody body(timeline.scenario(), n);
    body.render(timeline.snapshot(n, kElapsedMs), bodies[n]);
  }
  return bodies;
}

std::vector<std::string_view> split_lines(std::string_view body) {
  std::vector<std::string_view> lines;
  while (!body.empty()) {
    const std::size_t nl = body.find('\n');
    lines.push_back(body.substr(0, nl));
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
  }
  return lines;
}

}  // namespace

std::string node_body(const std::string& prefix) { return render_nodes(prefix, 1).front(); }

std::vector<std::string> node_bodies_over_time(std::size_t seconds, const std::string& prefix) {
  const sim::Timeline timeline(sim::parse_scenario(scenario_yaml(prefix, 1), "bench"));
  const sim::VernemqBody body(timeline.scenario(), 0);
  std::vector<std::string> bodies(seconds);
  for (std::size_t s = 0; s < seconds; ++s) {
    body.render(timeline.snapshot(0, kElapsedMs + static_cast<std::int64_t>(s) * 1000), bodies[s]);
  }
  return bodies;
}

std::string multi_node_body(std::size_t nodes, const std::string& prefix) {
  const std::vector<std::string> bodies = render_nodes(prefix, nodes);
  std::vector<std::vector<std::string_view>> lines;
  for (const std::string& b : bodies) lines.push_back(split_lines(b));
  std::string out;
  out.reserve(bodies.front().size() * nodes);
  // Every node body has the same lines in the same order (same families, same label sets).
  for (std::size_t i = 0; i < lines.front().size(); ++i) {
    const std::string_view first = lines.front()[i];
    if (first.starts_with('#')) {
      out += first;
      out += '\n';
      continue;
    }
    for (const auto& node_lines : lines) {
      out += node_lines[i];
      out += '\n';
    }
  }
  return out;
}

}  // namespace vmq::bench
