// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq-sim's scenario: which nodes exist, and how their PUBACK counters and their endpoint
// behave over time. The counters are a pure function of the elapsed time, so every scrape of a
// test or of the demo sees exactly what the scenario file says.
//
// File format (YAML; scenarios/demo.yaml carries the same description for users):
//
//   prefix: vernemq_             # metric name prefix; "" gives 1.x names; default "vernemq_"
//   nodes: [VerneMQ@127.0.0.1]   # one HTTP listener per node; default [VerneMQ@127.0.0.1]
//   version: 2.0.1               # shown in /status.json; default "2.0.1"
//   api_key: KEY                 # optional: require VerneMQ's API key (x-api-key or Basic user)
//   repeat: 600                  # restart the timeline every N s (0 = run once, then hold)
//   merge: false                 # true: one listener serves every node's series in one body
//                                #   (an aggregating proxy), as the first node's URL
//   steps:
//     - {at: 0, rate: {success: 20, v4: 5, received: {success: 3}}}
//     - {at: 5, add: {not_authorized: 7}}
//     - {at: 9, node: VerneMQ@127.0.0.1, restart: true}
//     - {at: 12, fault: http_503, for: 5}
//     - {at: 20, node: VerneMQ@127.0.0.1, cluster: {member: down}}
//   cluster: {api_v1_key: KEY, max_conns: 10000}   # optional; see "Cluster" below
//
// Step keys: `at` (whole seconds since the timeline start, required), `node` (restrict the step to
// one node; default all), and at least one action:
//   add: MAP       add each value once, at `at`
//   rate: MAP      per-second increments from then on; REPLACES the whole rate set of the node(s)
//                  (a counter not named gets rate 0), so `rate: {}` stops all traffic
//   restart: true  every counter of the node(s) goes back to 0 (rates stay: the traffic continues)
//   fault: NAME    the endpoint misbehaves: http_503 http_500 http_401 hang close garbage
//                  not_vernemq trickle, or `none` to end a fault early; `for: N` limits it to N
//                  seconds, without `for` it lasts until the next `fault:` step of that node.
//                  Body faults: the endpoint answers, but `hide` leaves the series named in
//                  `series: [...]` out of the body, `corrupt` writes their lines malformed, and
//                  `absent` leaves the whole node out (with `merge`, the other nodes remain)
// MAP keys: an MQTT 5 reason code (the nine known ones, or any other [a-z][a-z0-9_]* name: it is
// served as a further reason_code series), `v4` (the mqtt_version="4" series), and `received:`, a
// nested MAP of the same keys for mqtt_puback_received instead of mqtt_puback_sent.
// And `metrics:`, a nested MAP that drives any other series of the body, by its family (after the
// prefix) and its labels after `node`, in the body's order:
//   add: {metrics: {socket_error: 30, "mqtt_connack_sent{mqtt_version=4,return_code=not_authorized}": 6}}
// The scenario's value replaces the series' built-in one (a gauge such as vm_memory_total too:
// it only grows, until a restart). A key that names no series of the body stops the simulator
// at start with the key in the message. These counters feed no derived series (PUBLISH totals).
//
// Timing: the timeline starts at the next whole wall-clock second + 0.5 s. A step at `at` happens
// at start + at, and rate increments happen once per whole elapsed second (start + 1, start + 2,
// …), using the rates in force one second earlier; so every change lands on a half second and a
// scrape made just after a whole second never races one. Within one instant: the rate increment
// first, then the steps at that time in file order; within one step: restart, add, rate, fault.
// Before the start every counter is 0. With `repeat`, the steps play again every `repeat` seconds
// while the counters keep counting (only `restart` zeroes them).
// During a fault the counters keep following the scenario (the broker works, only its HTTP
// endpoint misbehaves); a fault applies to every path of that node's listener.
//
// Cluster (cluster_scenario.h, answered by cluster_http.h): every node starts as an up member
// with its MQTT listener running and 3 connections. Top-level `cluster:` keys: `api_v1_key`
// (the /api/v1 read-only commands answer only with it, as x-api-key or Basic user; without it
// every /api/v1 request gets 401, VerneMQ 2.x's default) and `max_conns` (every listener's, default
// 10000). A step may carry `cluster:` (alone or beside other actions) with:
//   member: up|down|left  down = cut off: the others see it not running and it sees them not
//                         running (a crash seen from outside, or a netsplit); left = not in the
//                         cluster: the others do not list it, it lists only itself, not running,
//                         and its /health is DOWN "Node has not joined cluster"
//   listener: STATUS      the MQTT listener's status (running, stopped, ...); not running makes
//                         /health DOWN "Listeners are not ready: [mqtt]"
//   conns: N              the MQTT listener's active connections (and num_online)
// /status.json lists the node itself and, while it is up, every up member, each with its own
// view. `version` 1.x serves /health only: /health/ping, /health/listeners and
// /health/listeners_full_cluster answer 404. Cluster values are set, not counted: with `repeat`
// the last value set stays until a step sets another.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cluster_scenario.h"

#include "vmq/catalogue.h"

namespace vmq::sim {

// A scenario file that cannot be used. what() is "FILE:LINE:COL: what was expected".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Fault {
  none,
  http_503,
  http_500,
  http_401,
  hang,
  close,
  garbage,
  not_vernemq,
  trickle,
  hide,
  corrupt,
  absent
};

// Faults that change what the body holds rather than how the endpoint answers.
[[nodiscard]] constexpr bool is_body_fault(Fault f) {
  return f == Fault::hide || f == Fault::corrupt || f == Fault::absent;
}

[[nodiscard]] std::string_view fault_name(Fault f);
[[nodiscard]] std::optional<Fault> fault_from_name(std::string_view name);

// The nine MQTT 5 PUBACK reason codes VerneMQ always exports, in its order (the catalogue's).
inline const std::span<const std::string_view> kPubackReasons = catalogue::reason_codes("mqtt_puback_sent");

// One PUBACK series the scenario drives.
struct CounterId {
  bool received = false;  // mqtt_puback_received instead of mqtt_puback_sent
  int mqtt_version = 5;   // 4: the single MQTT 3.1.1 series; 5: one series per reason; 0: `metrics:`
  // MQTT 5 reason_code label; empty for version 4. For a `metrics:` series (version 0): its family
  // and its labels as the body writes them after node="…", e.g.
  // `mqtt_connack_sent,mqtt_version="4",return_code="not_authorized"` or `socket_error`.
  std::string reason;
  [[nodiscard]] bool generic() const { return mqtt_version == 0; }
};

struct Step {
  std::int64_t at = 0;              // seconds since the timeline start
  std::optional<std::size_t> node;  // index into Scenario::nodes; nullopt = every node
  bool restart = false;
  std::vector<std::pair<std::size_t, std::uint64_t>> add;                  // (counter index, amount)
  std::optional<std::vector<std::pair<std::size_t, std::uint64_t>>> rate;  // replaces all rates
  std::optional<Fault> fault;                                              // Fault::none ends a fault
  std::int64_t fault_for = 0;                                              // seconds; 0 = until the next fault step
  std::vector<std::size_t> fault_series;  // counter indices, for the hide and corrupt faults
  int line = 0;                           // 1-based line in the file, for logs
};

struct Scenario {
  std::string prefix = "vernemq_";
  std::vector<std::string> nodes;
  std::string version = "2.0.1";
  std::string api_key;  // empty = no authentication
  std::int64_t repeat = 0;
  bool merge = false;               // one listener, every node's series in one body
  std::vector<CounterId> counters;  // the nine sent reasons, v4 sent, the nine received, v4 received, then extras
  std::vector<Step> steps;          // sorted by `at`, file order kept for equal times
  ClusterScenario cluster;          // the `cluster:` keys; cluster-only steps are not in `steps`

  [[nodiscard]] std::optional<std::size_t> counter_index(const CounterId& id) const;
};

// Parses a scenario. `source_name` only labels error messages. Throws ScenarioError.
[[nodiscard]] Scenario parse_scenario(std::string_view yaml_text, std::string_view source_name);
[[nodiscard]] Scenario load_scenario_file(const std::string& path);

// What a node looks like at one moment.
struct NodeSnapshot {
  std::vector<std::uint64_t> counters;    // indexed like Scenario::counters
  Fault fault = Fault::none;              // the fault active at this moment
  std::vector<std::size_t> fault_series;  // the series a hide or corrupt fault is about
  std::int64_t uptime_ms = 0;             // since the timeline start or the node's last restart
  bool started = false;                   // false before the timeline start
};

// The scenario compiled for fast queries: a query costs one cycle's steps, whatever the uptime.
class Timeline {
 public:
  explicit Timeline(Scenario scenario);

  [[nodiscard]] const Scenario& scenario() const { return scenario_; }
  // The state of `node` at `elapsed_ms` since the timeline start (negative = before the start).
  [[nodiscard]] NodeSnapshot snapshot(std::size_t node, std::int64_t elapsed_ms) const;

  // The steps that happen at `at` seconds since the start (repeats included), in order.
  [[nodiscard]] std::vector<const Step*> steps_at(std::int64_t at) const;
  // One human line describing a step, for the simulator's log.
  [[nodiscard]] std::string describe(const Step& step) const;

 private:
  static constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

  struct State {
    std::vector<std::uint64_t> counters;
    std::vector<std::uint64_t> rates;
    Fault fault = Fault::none;
    std::vector<std::size_t> fault_series;
    std::int64_t fault_until = kForever;  // absolute seconds, exclusive
    std::int64_t last_restart = 0;        // absolute seconds
    bool restarted = false;               // a restart was applied during the last run
    bool fault_changed = false;           // a fault step was applied during the last run
  };

  struct NodePlan {
    std::vector<std::size_t> steps;  // indices into scenario_.steps of this node's steps, in time order
    State s0;                        // after the steps at time 0
    State s1;                        // after the steps at time `repeat`
    State z2;                        // one generic cycle run from s1 with zeroed counters (to 2*repeat)
  };

  void apply(State& st, const Step& step, std::int64_t abs_time) const;
  // Advances `st` (which is after every step at time `from`) to just after the steps at `to`.
  void run(State& st, std::size_t node, std::int64_t from, std::int64_t to) const;
  State zero_state() const;

  Scenario scenario_;
  std::vector<NodePlan> plans_;
};

}  // namespace vmq::sim
