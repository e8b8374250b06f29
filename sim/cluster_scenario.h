// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster part of a vernemq-sim scenario: which nodes are members and up, each node's MQTT
// listener status and connections, and the key of the management API. Parsed from the
// top-level `cluster:` map and the `cluster:` map of steps (format in scenario.h); the state at
// any moment is a pure function of the elapsed time, like the counters.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmq::sim {

enum class Membership : std::uint8_t {
  up,    // a running member: every up member sees it running
  down,  // cut off (crash seen from outside, or netsplit): others see it not running, it sees them not running
  left,  // not part of the cluster: others do not list it; it sees only itself, not joined
};

struct ClusterStep {
  std::int64_t at = 0;
  std::optional<std::size_t> node;  // nullopt = every node
  std::optional<Membership> member;
  std::optional<std::string> listener;  // the MQTT listener's status: running, stopped, ...
  std::optional<std::uint64_t> conns;   // the MQTT listener's active connections
  int line = 0;
};

struct ClusterScenario {
  std::string api_v1_key;  // /api/v1 answers only with this key; empty = always 401 (2.x default)
  std::uint64_t max_conns = 10000;
  std::vector<ClusterStep> steps;  // sorted by `at`, file order kept for equal times
};

// What one node is at one moment.
struct NodeClusterState {
  Membership member = Membership::up;
  std::string listener = "running";
  std::uint64_t conns = 3;
};

// Reads root["cluster"] and every steps[i]["cluster"]; `nodes` are the scenario's, and the rest
// of the file has been checked already (step times, node names). Throws ScenarioError ("SOURCE:LINE:COL: what was
// expected").
[[nodiscard]] ClusterScenario parse_cluster_scenario(const YAML::Node& root, const std::vector<std::string>& nodes,
                                                     std::string_view source);

// Every node's state at `elapsed_ms` since the timeline start (steps at whole seconds, replayed
// every `repeat` seconds when repeat > 0; before the start, the initial state).
[[nodiscard]] std::vector<NodeClusterState> cluster_states(const ClusterScenario& cluster, std::size_t node_count,
                                                           std::int64_t repeat, std::int64_t elapsed_ms);

[[nodiscard]] std::string_view membership_name(Membership m);

}  // namespace vmq::sim
