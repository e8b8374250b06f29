// SPDX-License-Identifier: GPL-3.0-or-later
#include "cluster_http.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vmq::sim {
namespace {

using loopback::Request;
using loopback::Response;
using OJson = nlohmann::ordered_json;

constexpr std::uint16_t kMqttPort = 1883;
constexpr std::uint16_t kDefaultHttpPort = 8888;

Response json(int status, const OJson& body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.body = body.dump();
  return r;
}

Response not_found() {
  Response r;
  r.status = 404;
  return r;
}

bool lower_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// VerneMQ's API key: header x-api-key, or the user name of HTTP Basic auth (password ignored).
bool has_api_key(const std::string& key, const Request& req) {
  if (key.empty()) return false;
  if (req.header("x-api-key") == key) return true;
  const std::string auth = req.header("authorization");
  if (auth.size() > 6 && lower_equal(auth.substr(0, 6), "basic ")) {
    const std::string decoded = loopback::base64_decode(auth.substr(6));
    return decoded.substr(0, decoded.find(':')) == key;
  }
  return false;
}

// The cluster as node `self` sees it: (name, running) in scenario order.
std::vector<std::pair<std::string, bool>> view_of(const Scenario& sc, const std::vector<NodeClusterState>& st,
                                                  std::size_t self) {
  std::vector<std::pair<std::string, bool>> out;
  if (st[self].member == Membership::left) {
    out.emplace_back(sc.nodes[self], false);  // a node on its own, not joined
    return out;
  }
  for (std::size_t j = 0; j < sc.nodes.size(); ++j) {
    if (st[j].member == Membership::left) continue;
    const bool running = j == self || (st[self].member == Membership::up && st[j].member == Membership::up);
    out.emplace_back(sc.nodes[j], running);
  }
  return out;
}

// The nodes `self` can reach with an RPC, itself first.
std::vector<std::size_t> reachable(const std::vector<NodeClusterState>& st, std::size_t self) {
  std::vector<std::size_t> out{self};
  if (st[self].member != Membership::up) return out;
  for (std::size_t j = 0; j < st.size(); ++j) {
    if (j != self && st[j].member == Membership::up) out.push_back(j);
  }
  return out;
}

struct ListenerRow {
  const char* type;
  std::string status;
  std::uint16_t port;
  std::uint64_t active;
};

std::vector<ListenerRow> listeners_of(const NodeClusterState& st, std::uint16_t http_port) {
  return {{"mqtt", st.listener, kMqttPort, st.conns}, {"http", "running", http_port, 1}};
}

std::vector<std::string> local_reasons(const NodeClusterState& st) {
  std::vector<std::string> out;
  if (st.member == Membership::left) out.emplace_back("Node has not joined cluster");
  if (st.listener != "running") out.emplace_back("Listeners are not ready: [mqtt]");
  return out;
}

Response health(const std::vector<std::string>& reasons) {
  if (reasons.empty()) return json(200, OJson{{"status", "OK"}});
  return json(503, OJson{{"status", "DOWN"}, {"reasons", reasons}});
}

OJson status_entry(const Timeline& timeline, const std::vector<NodeClusterState>& st, std::size_t j,
                   std::int64_t elapsed_ms, std::uint16_t http_port) {
  const Scenario& sc = timeline.scenario();
  const NodeSnapshot snap = timeline.snapshot(j, elapsed_ms);
  std::uint64_t in = 0;
  std::uint64_t out = 0;
  for (std::size_t i = 0; i < sc.counters.size() && i < snap.counters.size(); ++i) {
    if (!sc.counters[i].generic()) (sc.counters[i].received ? out : in) += snap.counters[i];
  }
  OJson mystatus = OJson::array();
  for (const auto& [name, running] : view_of(sc, st, j)) mystatus.push_back(OJson{{name, running}});
  OJson listeners = OJson::array();
  for (const ListenerRow& l : listeners_of(st[j], http_port)) {
    listeners.push_back(OJson{{"type", l.type},
                              {"status", l.status},
                              {"ip", "127.0.0.1"},
                              {"port", l.port},
                              {"mountpoint", OJson::array()},
                              {"max_conns", sc.cluster.max_conns}});
  }
  const OJson info = {
      {"num_online", st[j].conns}, {"num_offline", 0},     {"msg_in", in},           {"msg_out", out},
      {"queue_in", out},           {"queue_out", out},     {"queue_drop", 0},        {"queue_unhandled", 0},
      {"num_subscriptions", 3},    {"num_retained", 0},    {"matches_local", out},   {"matches_remote", 0},
      {"version", sc.version},     {"mystatus", mystatus}, {"listeners", listeners},
  };
  return OJson{{sc.nodes[j], info}};
}

}  // namespace

std::vector<std::string> describe_cluster_steps_at(const Scenario& sc, std::int64_t at) {
  std::vector<std::string> out;
  if (at < 0) return out;
  const std::int64_t rel = sc.repeat > 0 ? at % sc.repeat : at;
  for (const ClusterStep& s : sc.cluster.steps) {
    if (s.at != rel) continue;
    std::string line = "line " + std::to_string(s.line) + ", " +
                       (s.node ? "node " + sc.nodes[*s.node] : std::string("all nodes")) + ": cluster";
    if (s.member) line += " member " + std::string(membership_name(*s.member));
    if (s.listener) line += " listener " + *s.listener;
    if (s.conns) line += " conns " + std::to_string(*s.conns);
    out.push_back(std::move(line));
  }
  return out;
}

int major_version(const Scenario& sc) {
  int major = 0;
  std::size_t i = 0;
  for (; i < sc.version.size() && i < 4 && sc.version[i] >= '0' && sc.version[i] <= '9'; ++i)
    major = major * 10 + (sc.version[i] - '0');
  return i == 0 ? 2 : major;
}

std::optional<Response> respond_cluster(const Timeline& timeline, std::size_t node, const Request& req,
                                        std::int64_t elapsed_ms, std::uint16_t http_port) {
  const Scenario& sc = timeline.scenario();
  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  const bool v2 = major_version(sc) >= 2;
  const bool cluster_path = path == "/status.json" || path == "/health" || path.starts_with("/health/") ||
                            path.starts_with("/api/v1/") || path == "/api/v1";
  if (!cluster_path) return std::nullopt;
  const std::vector<NodeClusterState> st = cluster_states(sc.cluster, sc.nodes.size(), sc.repeat, elapsed_ms);
  const NodeClusterState& self = st[node];

  if (path == "/status.json") {
    OJson body = OJson::array();
    for (std::size_t j : reachable(st, node)) {
      body.push_back(status_entry(timeline, st, j, elapsed_ms, j == node ? http_port : kDefaultHttpPort));
    }
    return json(200, body);
  }
  if (path == "/health") return health(local_reasons(self));
  if (path.starts_with("/health/")) {
    if (!v2) return not_found();  // 1.x has /health alone
    if (path == "/health/ping") return json(200, OJson{{"status", "OK"}});
    std::vector<std::string> reasons;
    if (self.listener != "running") reasons.emplace_back("Listeners are not ready: [mqtt]");
    if (path == "/health/listeners") return health(reasons);
    if (path != "/health/listeners_full_cluster") return not_found();
    // (inference) the wording of the cluster-wide reasons; VerneMQ's own is not in our sources.
    std::string down;
    for (const auto& [name, running] : view_of(sc, st, node)) {
      if (!running) down += (down.empty() ? "" : ", ") + name;
    }
    if (!down.empty()) reasons.push_back("Cluster nodes not running: " + down);
    for (std::size_t j : reachable(st, node)) {
      if (j != node && st[j].listener != "running")
        reasons.push_back("Listeners are not ready on " + sc.nodes[j] + ": [mqtt]");
    }
    return health(reasons);
  }
  // /api/v1: vmq_http_mgmt_api, API-key protected by default.
  if (!has_api_key(sc.cluster.api_v1_key, req)) {
    Response r;
    r.status = 401;
    return r;
  }
  if (path == "/api/v1/cluster/show") {
    OJson table = OJson::array();
    for (const auto& [name, running] : view_of(sc, st, node))
      table.push_back(OJson{{"Node", name}, {"Running", running}});
    return json(200, OJson{{"table", table}, {"type", "table"}});
  }
  if (path == "/api/v1/listener/show") {
    OJson table = OJson::array();
    for (const ListenerRow& l : listeners_of(self, http_port)) {
      table.push_back(OJson{{"type", l.type},
                            {"status", l.status},
                            {"address", "127.0.0.1"},
                            {"port", std::to_string(l.port)},
                            {"mountpoint", ""},
                            {"max_conns", sc.cluster.max_conns},
                            {"active_conns", l.active},
                            {"all_conns", l.active}});
    }
    return json(200, OJson{{"table", table}, {"type", "table"}});
  }
  return not_found();
}

}  // namespace vmq::sim
