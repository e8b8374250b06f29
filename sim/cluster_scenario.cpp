// SPDX-License-Identifier: GPL-3.0-or-later
// Parsing and replaying the cluster part of a scenario. Kept apart from scenario.cpp so the
// cluster keys have one home; scenario.cpp only lets the `cluster` keys through and calls here.
#include "cluster_scenario.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "scenario.h"

namespace vmq::sim {
namespace {

struct MembershipName {
  Membership member;
  std::string_view name;
};
constexpr MembershipName kMembershipNames[] = {
    {Membership::up, "up"}, {Membership::down, "down"}, {Membership::left, "left"}};

[[noreturn]] void fail(std::string_view source, const YAML::Node& node, const std::string& message) {
  std::ostringstream out;
  out << source << ':';
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    out << (mark.line + 1) << ':' << (mark.column + 1) << ": ";
  } else {
    out << ' ';
  }
  out << message;
  throw ScenarioError(out.str());
}

std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "nothing";
}

void only_keys(std::string_view source, const YAML::Node& map, std::initializer_list<std::string_view> allowed,
               std::string_view example) {
  if (!map.IsMap()) fail(source, map, "expected a map such as " + std::string(example) + ", got " + shown(map));
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    const std::string k = key.IsScalar() ? key.Scalar() : std::string();
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(source, key, "unknown key " + shown(key) + "; expected one of: " + list);
    }
  }
}

std::uint64_t whole(std::string_view source, const YAML::Node& node, std::string_view what) {
  std::uint64_t value = 0;
  const std::string s = node.IsScalar() ? node.Scalar() : std::string();
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!node.IsScalar() || s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    fail(source, node, "expected " + std::string(what) + ", got " + shown(node));
  }
  return value;
}

// A listener status is shown in JSON and in health reasons: keep it a plain word.
bool is_word(std::string_view s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

void apply(std::vector<NodeClusterState>& states, const ClusterStep& step) {
  for (std::size_t n = 0; n < states.size(); ++n) {
    if (step.node && *step.node != n) continue;
    if (step.member) states[n].member = *step.member;
    if (step.listener) states[n].listener = *step.listener;
    if (step.conns) states[n].conns = *step.conns;
  }
}

}  // namespace

std::string_view membership_name(Membership m) {
  for (const auto& mn : kMembershipNames) {
    if (mn.member == m) return mn.name;
  }
  return "?";
}

ClusterScenario parse_cluster_scenario(const YAML::Node& root, const std::vector<std::string>& nodes,
                                       std::string_view source) {
  ClusterScenario out;
  if (!root.IsMap()) return out;
  if (const YAML::Node c = root["cluster"]; c && !c.IsNull()) {
    only_keys(source, c, {"api_v1_key", "max_conns"}, "{api_v1_key: KEY, max_conns: 10000}");
    if (const YAML::Node k = c["api_v1_key"]) {
      if (!k.IsScalar()) fail(source, k, "expected an API key string, got " + shown(k));
      out.api_v1_key = k.Scalar();
    }
    if (const YAML::Node m = c["max_conns"]) {
      out.max_conns = whole(source, m, "max_conns as a whole number of connections");
    }
  }
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence()) return out;
  for (const YAML::Node& s : steps) {
    const YAML::Node c = s.IsMap() ? s["cluster"] : YAML::Node();
    if (!c) continue;
    only_keys(source, c, {"member", "listener", "conns"}, "{member: down, listener: stopped, conns: 9500}");
    ClusterStep step;
    step.line = s.Mark().line + 1;
    step.at =
        static_cast<std::int64_t>(whole(source, s["at"], "'at' as whole seconds"));  // range checked by scenario.cpp
    if (const YAML::Node node = s["node"]) {
      const auto it = std::find(nodes.begin(), nodes.end(), node.Scalar());
      if (it != nodes.end()) step.node = static_cast<std::size_t>(it - nodes.begin());
    }
    if (const YAML::Node m = c["member"]) {
      const std::string name = m.IsScalar() ? m.Scalar() : std::string();
      for (const auto& mn : kMembershipNames) {
        if (mn.name == name) step.member = mn.member;
      }
      if (!step.member) fail(source, m, "unknown membership " + shown(m) + "; expected one of: up, down, left");
    }
    if (const YAML::Node l = c["listener"]) {
      const std::string status = l.IsScalar() ? l.Scalar() : std::string();
      if (!is_word(status)) fail(source, l, "expected a listener status such as running or stopped, got " + shown(l));
      step.listener = status;
    }
    if (const YAML::Node n = c["conns"]) step.conns = whole(source, n, "conns as a whole number of connections");
    if (!step.member && !step.listener && !step.conns) {
      fail(source, c, "cluster step does nothing; expected at least one of member, listener, conns");
    }
    out.steps.push_back(std::move(step));
  }
  std::stable_sort(out.steps.begin(), out.steps.end(),
                   [](const ClusterStep& a, const ClusterStep& b) { return a.at < b.at; });
  return out;
}

std::vector<NodeClusterState> cluster_states(const ClusterScenario& cluster, std::size_t node_count,
                                             std::int64_t repeat, std::int64_t elapsed_ms) {
  std::vector<NodeClusterState> states(node_count);
  if (elapsed_ms < 0) return states;
  const std::int64_t n = elapsed_ms / 1000;
  std::int64_t rel = n;
  if (repeat > 0) {
    // Every step sets a value, so the state after any number of whole cycles is the state after one.
    if (n >= repeat) {
      for (const ClusterStep& s : cluster.steps) apply(states, s);
    }
    rel = n % repeat;
  }
  for (const ClusterStep& s : cluster.steps) {
    if (s.at <= rel) apply(states, s);
  }
  return states;
}

}  // namespace vmq::sim
