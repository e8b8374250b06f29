// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq-sim's cluster endpoints, answered from the scenario's cluster state: /status.json,
// /health and its 2.x sub-paths, and the two read-only vmq-admin commands of /api/v1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loopback_http.h"
#include "scenario.h"

namespace vmq::sim {

// The answer of `node` at `elapsed_ms` for a cluster path, or nullopt for any other path.
// `http_port` is the node's own listener port (the other nodes' show VerneMQ's default 8888, as
// each would on its own host). A pure function, like respond().
//   /status.json                    one entry per node this node reaches: itself, and every up
//                                   member while it is up itself; each with its own view
//   /health                         503 DOWN "Node has not joined cluster" (left) and/or
//                                   "Listeners are not ready: [mqtt]" (listener not running)
//   /health/ping, /health/listeners, /health/listeners_full_cluster   2.x only (1.x: 404); the
//                                   last is also DOWN while any member is seen not running
//   /api/v1/cluster/show, /api/v1/listener/show   with the cluster's api_v1_key, else 401; any
//                                   other /api/v1 command: 404 (the simulator executes nothing)
[[nodiscard]] std::optional<loopback::Response> respond_cluster(const Timeline& timeline, std::size_t node,
                                                                const loopback::Request& req, std::int64_t elapsed_ms,
                                                                std::uint16_t http_port);

// One log line per cluster step that happens at `at` seconds since the start (repeats included).
[[nodiscard]] std::vector<std::string> describe_cluster_steps_at(const Scenario& sc, std::int64_t at);

// The major version in Scenario::version ("1.13.0" → 1); 2 when it does not start with digits.
[[nodiscard]] int major_version(const Scenario& sc);

}  // namespace vmq::sim
