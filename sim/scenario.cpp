// SPDX-License-Identifier: GPL-3.0-or-later
// Scenario parsing (located errors) and the timeline model (counters as a function of time).
#include "scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace vmq::sim {
namespace {

constexpr std::string_view kDefaultNode = "VerneMQ@127.0.0.1";

struct FaultName {
  Fault fault;
  std::string_view name;
};
constexpr FaultName kFaultNames[] = {
    {Fault::none, "none"},         {Fault::http_503, "http_503"},
    {Fault::http_500, "http_500"}, {Fault::http_401, "http_401"},
    {Fault::hang, "hang"},         {Fault::close, "close"},
    {Fault::garbage, "garbage"},   {Fault::not_vernemq, "not_vernemq"},
    {Fault::trickle, "trickle"},   {Fault::hide, "hide"},
    {Fault::corrupt, "corrupt"},   {Fault::absent, "absent"},
};

// Builds "FILE:LINE:COL: message" from a node's position (yaml-cpp marks are 0-based).
class Located {
 public:
  explicit Located(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    std::ostringstream out;
    out << source_ << ':';
    if (mark.line >= 0) {
      out << (mark.line + 1) << ':' << (mark.column + 1) << ": ";
    } else {
      out << " ";
    }
    out << message;
    throw ScenarioError(out.str());
  }
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const { fail(node.Mark(), message); }

 private:
  std::string_view source_;
};

std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "nothing";
}

std::uint64_t to_uint(const Located& loc, const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) loc.fail(node, std::string("expected ") + std::string(what) + ", got " + shown(node));
  const std::string& s = node.Scalar();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    loc.fail(node, std::string("expected ") + std::string(what) + ", got " + shown(node));
  }
  return value;
}

std::string to_string(const Located& loc, const YAML::Node& node, std::string_view what) {
  if (node.IsNull()) return {};
  if (!node.IsScalar()) loc.fail(node, std::string("expected ") + std::string(what) + ", got " + shown(node));
  return node.Scalar();
}

// A reason becomes a label value VerneMQ-style (no escaping), so keep it to safe characters.
bool is_reason_name(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_metric_prefix(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// VerneMQ writes node names into label values without escaping; refuse what would break the text.
bool is_node_name(std::string_view s) {
  if (s.empty()) return false;
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 32; });
}

void check_keys(const Located& loc, const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      loc.fail(it->first, "unknown key " + shown(it->first) + "; expected one of: " + list);
    }
    if (!seen.insert(key).second) loc.fail(it->first, "duplicate key '" + key + "'");
  }
}

class Parser {
 public:
  Parser(Scenario& sc, const Located& loc) : sc_(sc), loc_(loc) {}

  void parse(const YAML::Node& root) {
    if (!root.IsMap()) loc_.fail(root, "expected a map with keys prefix, nodes, repeat, steps; got " + shown(root));
    check_keys(loc_, root, {"prefix", "nodes", "version", "api_key", "repeat", "merge", "steps", "cluster"});

    if (const YAML::Node p = root["prefix"]) {
      sc_.prefix = to_string(loc_, p, "a metric name prefix such as vernemq_ or \"\"");
      if (!is_metric_prefix(sc_.prefix)) {
        loc_.fail(p, "expected a metric name prefix (letters, digits, _ or :), got " + shown(p));
      }
    }
    parse_nodes(root["nodes"]);
    if (const YAML::Node v = root["version"]) sc_.version = to_string(loc_, v, "a version string");
    if (const YAML::Node k = root["api_key"]) sc_.api_key = to_string(loc_, k, "an API key string");
    if (const YAML::Node r = root["repeat"]) {
      sc_.repeat = static_cast<std::int64_t>(
          std::min<std::uint64_t>(to_uint(loc_, r, "a whole number of seconds (0 = no repeat)"), 1u << 30));
    }

    if (const YAML::Node m = root["merge"]) {
      if (!YAML::convert<bool>::decode(m, sc_.merge)) loc_.fail(m, "expected true or false, got " + shown(m));
    }

    init_counters();
    const YAML::Node steps = root["steps"];
    if (steps && !steps.IsNull()) {
      if (!steps.IsSequence()) loc_.fail(steps, "expected a list of steps, got " + shown(steps));
      for (const YAML::Node& step : steps) parse_step(step);
    }
    std::stable_sort(sc_.steps.begin(), sc_.steps.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
  }

 private:
  void parse_nodes(const YAML::Node& n) {
    if (!n || n.IsNull()) {
      sc_.nodes.emplace_back(kDefaultNode);
      return;
    }
    auto add_node = [&](const YAML::Node& item) {
      const std::string name = to_string(loc_, item, "a node name such as VerneMQ@127.0.0.1");
      if (!is_node_name(name))
        loc_.fail(item, "expected a node name without quotes, backslashes or control characters, got " + shown(item));
      if (std::find(sc_.nodes.begin(), sc_.nodes.end(), name) != sc_.nodes.end())
        loc_.fail(item, "node '" + name + "' is listed twice");
      sc_.nodes.push_back(name);
    };
    if (n.IsScalar()) {
      add_node(n);
    } else if (n.IsSequence() && n.size() > 0) {
      for (const YAML::Node& item : n) add_node(item);
    } else {
      loc_.fail(n, "expected a non-empty list of node names, got " + shown(n));
    }
  }

  void init_counters() {
    for (bool received : {false, true}) {
      for (std::string_view r : kPubackReasons) sc_.counters.push_back({received, 5, std::string(r)});
      sc_.counters.push_back({received, 4, {}});
    }
  }

  std::size_t counter(const CounterId& id) {
    if (auto i = sc_.counter_index(id)) return *i;
    sc_.counters.push_back(id);
    return sc_.counters.size() - 1;
  }

  // A rate/add map: reason → amount, `v4` → amount, `received:` → nested map.
  std::vector<std::pair<std::size_t, std::uint64_t>> parse_amounts(const YAML::Node& n, bool received,
                                                                   std::string_view unit) {
    std::vector<std::pair<std::size_t, std::uint64_t>> out;
    if (n.IsNull()) return out;
    if (!n.IsMap()) {
      loc_.fail(n, "expected a map such as {success: 20, not_authorized: 2, v4: 5" +
                       std::string(received ? "" : ", received: {success: 20}") + "}, got " + shown(n));
    }
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      // A copy: yaml-cpp's it-> returns a temporary proxy, a reference to its `first` dangles.
      const YAML::Node key = it->first;
      const std::string k = key.IsScalar() ? key.Scalar() : std::string();
      if (!seen.insert(k).second) loc_.fail(key, "duplicate key '" + k + "'");
      if (k == "metrics") {
        if (received) loc_.fail(key, "'metrics' cannot be nested inside 'received'");
        auto inner = parse_metrics(it->second, unit);
        out.insert(out.end(), inner.begin(), inner.end());
        continue;
      }
      if (k == "received") {
        if (received) loc_.fail(key, "'received' cannot be nested inside 'received'");
        auto inner = parse_amounts(it->second, true, unit);
        out.insert(out.end(), inner.begin(), inner.end());
        continue;
      }
      CounterId id{received, 5, k};
      if (k == "v4") {
        id = CounterId{received, 4, {}};
      } else if (k == "v5") {
        loc_.fail(key, "'v5' is not a key: MQTT 5 series are addressed by reason code (e.g. success, not_authorized)");
      } else if (!is_reason_name(k)) {
        loc_.fail(key, "expected a reason code name ([a-z][a-z0-9_]*), 'v4' or 'received', got " + shown(key));
      }
      out.emplace_back(counter(id), to_uint(loc_, it->second, unit));
    }
    return out;
  }

  // A `metrics:` map: FAMILY or FAMILY{label=value,...} → amount.
  std::vector<std::pair<std::size_t, std::uint64_t>> parse_metrics(const YAML::Node& n, std::string_view unit) {
    std::vector<std::pair<std::size_t, std::uint64_t>> out;
    if (!n.IsMap()) {
      loc_.fail(n,
                "expected a map such as {socket_error: 3, "
                "\"mqtt_connack_sent{mqtt_version=4,return_code=not_authorized}\": 2}, got " +
                    shown(n));
    }
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;
      const std::string k = key.IsScalar() ? key.Scalar() : std::string();
      if (!seen.insert(k).second) loc_.fail(key, "duplicate key '" + k + "'");
      const auto id = metric_id(k);
      if (!id) {
        loc_.fail(key,
                  "expected a series as FAMILY or FAMILY{label=value,...} (names [a-z][a-z0-9_]*, the family "
                  "after the prefix), got " +
                      shown(key));
      }
      out.emplace_back(counter(*id), to_uint(loc_, it->second, unit));
    }
    return out;
  }

  static std::optional<CounterId> metric_id(std::string_view k) {
    const std::size_t brace = k.find('{');
    CounterId id{false, 0, std::string(k.substr(0, brace))};
    if (!is_reason_name(id.reason)) return std::nullopt;
    if (brace == std::string_view::npos) return id;
    if (!k.ends_with('}')) return std::nullopt;
    std::string_view rest = k.substr(brace + 1, k.size() - brace - 2);
    if (rest.empty() || rest.back() == ',') return std::nullopt;
    while (!rest.empty()) {
      const std::size_t comma = std::min(rest.find(','), rest.size());
      const std::string_view pair = rest.substr(0, comma);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const std::string_view name = pair.substr(0, eq);
      const std::string_view value = pair.substr(eq + 1);
      const bool digits =
          !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!is_reason_name(name) || (!is_reason_name(value) && !digits)) return std::nullopt;
      id.reason += ",";
      id.reason += name;
      id.reason += "=\"";
      id.reason += value;
      id.reason += "\"";
      rest.remove_prefix(std::min(comma + 1, rest.size()));
    }
    return id;
  }

  void parse_step(const YAML::Node& n) {
    if (!n.IsMap()) loc_.fail(n, "expected a step such as {at: 5, add: {not_authorized: 7}}, got " + shown(n));
    check_keys(loc_, n, {"at", "node", "add", "rate", "restart", "fault", "for", "series", "cluster"});
    Step step;
    step.line = n.Mark().line + 1;

    const YAML::Node at = n["at"];
    if (!at) loc_.fail(n, "step has no 'at' (whole seconds since the timeline start)");
    const std::uint64_t at_value = to_uint(loc_, at, "'at' as whole seconds since the timeline start");
    if (at_value > (std::uint64_t{1} << 40)) loc_.fail(at, "'at' is too large");
    step.at = static_cast<std::int64_t>(at_value);
    if (sc_.repeat > 0 && step.at >= sc_.repeat) {
      loc_.fail(at, "expected 'at' below repeat (" + std::to_string(sc_.repeat) + "), got " + std::to_string(step.at));
    }

    if (const YAML::Node node = n["node"]) {
      const std::string name = to_string(loc_, node, "a node name from 'nodes'");
      const auto it = std::find(sc_.nodes.begin(), sc_.nodes.end(), name);
      if (it == sc_.nodes.end())
        loc_.fail(node, "unknown node " + shown(node) + "; expected one of the names in 'nodes'");
      step.node = static_cast<std::size_t>(it - sc_.nodes.begin());
    }
    if (const YAML::Node add = n["add"]) step.add = parse_amounts(add, false, "a whole number of packets");
    if (const YAML::Node rate = n["rate"])
      step.rate = parse_amounts(rate, false, "a whole number of packets per second");
    if (const YAML::Node restart = n["restart"]) {
      bool value = false;
      if (!YAML::convert<bool>::decode(restart, value))
        loc_.fail(restart, "expected true or false, got " + shown(restart));
      step.restart = value;
    }
    if (const YAML::Node fault = n["fault"]) {
      const std::string name = to_string(loc_, fault, "a fault name");
      step.fault = fault_from_name(name);
      if (!step.fault) {
        loc_.fail(fault,
                  "unknown fault " + shown(fault) +
                      "; expected one of: http_503, http_500, http_401, hang, close, garbage, not_vernemq, trickle, "
                      "hide, corrupt, absent, none");
      }
    }
    if (const YAML::Node series = n["series"]) {
      if (!step.fault || (*step.fault != Fault::hide && *step.fault != Fault::corrupt)) {
        loc_.fail(series, "'series' goes with 'fault: hide' or 'fault: corrupt' in the same step");
      }
      if (!series.IsSequence() || series.size() == 0)
        loc_.fail(series, "expected a list of series such as [not_authorized, v4], got " + shown(series));
      for (const YAML::Node& item : series) {
        const std::string k = to_string(loc_, item, "a reason code name or v4");
        if (k != "v4" && !is_reason_name(k))
          loc_.fail(item, "expected a reason code name ([a-z][a-z0-9_]*) or 'v4', got " + shown(item));
        step.fault_series.push_back(counter(k == "v4" ? CounterId{false, 4, {}} : CounterId{false, 5, k}));
      }
    } else if (step.fault && (*step.fault == Fault::hide || *step.fault == Fault::corrupt)) {
      loc_.fail(n,
                "'fault: " + std::string(fault_name(*step.fault)) + "' needs 'series: [...]', the series it is about");
    }
    if (const YAML::Node f = n["for"]) {
      if (!step.fault || *step.fault == Fault::none) loc_.fail(f, "'for' needs a 'fault' in the same step");
      const std::uint64_t v = to_uint(loc_, f, "'for' as a whole number of seconds (at least 1)");
      if (v == 0 || v > (std::uint64_t{1} << 40))
        loc_.fail(f, "expected 'for' as a whole number of seconds (at least 1), got " + shown(f));
      step.fault_for = static_cast<std::int64_t>(v);
    }
    if (!step.restart && step.add.empty() && !step.rate && !step.fault) {
      if (n["cluster"]) return;  // a cluster-only step: parse_cluster_scenario() reads it
      loc_.fail(n, "step does nothing; expected at least one of add, rate, restart: true, fault, cluster");
    }
    sc_.steps.push_back(std::move(step));
  }

  Scenario& sc_;
  const Located& loc_;
};

}  // namespace

std::string_view fault_name(Fault f) {
  for (const auto& fn : kFaultNames) {
    if (fn.fault == f) return fn.name;
  }
  return "?";
}

std::optional<Fault> fault_from_name(std::string_view name) {
  for (const auto& fn : kFaultNames) {
    if (fn.name == name) return fn.fault;
  }
  return std::nullopt;
}

std::optional<std::size_t> Scenario::counter_index(const CounterId& id) const {
  for (std::size_t i = 0; i < counters.size(); ++i) {
    const CounterId& c = counters[i];
    if (c.received == id.received && c.mqtt_version == id.mqtt_version && c.reason == id.reason) return i;
  }
  return std::nullopt;
}

Scenario parse_scenario(std::string_view yaml_text, std::string_view source_name) {
  const Located loc(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    loc.fail(e.mark, "invalid YAML: " + e.msg);
  }
  Scenario sc;
  try {
    Parser(sc, loc).parse(root);
    sc.cluster = parse_cluster_scenario(root, sc.nodes, source_name);
  } catch (const YAML::Exception& e) {
    // yaml-cpp may still throw on odd documents (e.g. aliases); keep the location format.
    loc.fail(e.mark, e.msg);
  }
  return sc;
}

Scenario load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path + ": cannot open the scenario file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path + ": cannot read the scenario file");
  return parse_scenario(text.str(), path);
}

// ---------------------------------------------------------------------------------------------
// Timeline

Timeline::Timeline(Scenario scenario) : scenario_(std::move(scenario)) {
  const std::int64_t r = scenario_.repeat;
  plans_.resize(scenario_.nodes.size());
  for (std::size_t node = 0; node < plans_.size(); ++node) {
    NodePlan& plan = plans_[node];
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
      if (!scenario_.steps[i].node || *scenario_.steps[i].node == node) plan.steps.push_back(i);
    }
    plan.s0 = zero_state();
    for (std::size_t i : plan.steps) {
      if (scenario_.steps[i].at == 0) apply(plan.s0, scenario_.steps[i], 0);
    }
    if (r > 0) {
      // Every cycle after the first is the same affine map of the counters (add a constant, or
      // after a restart, replace by one), because the rates and fault in force when it begins are
      // always those left by the previous cycle. Precompute it so a query never loops over cycles.
      plan.s1 = plan.s0;
      run(plan.s1, node, 0, r);
      plan.z2 = plan.s1;
      std::fill(plan.z2.counters.begin(), plan.z2.counters.end(), 0);
      plan.z2.restarted = false;
      plan.z2.fault_changed = false;
      run(plan.z2, node, r, 2 * r);
    }
  }
}

Timeline::State Timeline::zero_state() const {
  State st;
  st.counters.assign(scenario_.counters.size(), 0);
  st.rates.assign(scenario_.counters.size(), 0);
  return st;
}

void Timeline::apply(State& st, const Step& step, std::int64_t abs_time) const {
  if (step.restart) {
    std::fill(st.counters.begin(), st.counters.end(), 0);
    st.last_restart = abs_time;
    st.restarted = true;
  }
  for (const auto& [index, amount] : step.add) st.counters[index] += amount;
  if (step.rate) {
    std::fill(st.rates.begin(), st.rates.end(), 0);
    for (const auto& [index, amount] : *step.rate) st.rates[index] = amount;
  }
  if (step.fault) {
    st.fault = *step.fault;
    st.fault_series = step.fault_series;
    st.fault_until = (*step.fault == Fault::none || step.fault_for == 0) ? kForever : abs_time + step.fault_for;
    st.fault_changed = true;
  }
}

void Timeline::run(State& st, std::size_t node, std::int64_t from, std::int64_t to) const {
  const std::vector<std::size_t>& steps = plans_[node].steps;
  std::int64_t t = from;
  auto advance = [&st, &t](std::int64_t until) {
    // One increment per whole second in (t, until], at the rates set at or before t.
    const auto seconds = static_cast<std::uint64_t>(until - t);
    for (std::size_t i = 0; i < st.counters.size(); ++i) st.counters[i] += st.rates[i] * seconds;
    t = until;
  };
  auto visit = [&](std::int64_t base, std::int64_t lo, std::int64_t hi) {
    // Steps at absolute times base + at within (lo, hi], in order; equal times in file order.
    for (std::size_t i : steps) {
      const Step& step = scenario_.steps[i];
      const std::int64_t abs = base + step.at;
      if (abs <= lo || abs > hi) continue;
      if (abs != t) advance(abs);
      apply(st, step, abs);
    }
  };
  const std::int64_t r = scenario_.repeat;
  if (r == 0) {
    visit(0, from, to);
  } else {
    for (std::int64_t c = from / r; c <= to / r; ++c) visit(c * r, from, to);
  }
  if (to > t) advance(to);
}

NodeSnapshot Timeline::snapshot(std::size_t node, std::int64_t elapsed_ms) const {
  NodeSnapshot out;
  if (elapsed_ms < 0 || node >= plans_.size()) {
    out.counters.assign(scenario_.counters.size(), 0);
    return out;
  }
  const NodePlan& plan = plans_[node];
  const std::int64_t n = elapsed_ms / 1000;  // every change happens at a whole elapsed second
  const std::int64_t r = scenario_.repeat;
  State st;
  std::int64_t from = 0;
  if (r == 0 || n < 2 * r) {
    st = plan.s0;
  } else {
    const std::int64_t c = n / r;
    from = c * r;
    st = plan.z2;  // rates and, when the cycle restarts, counters are right as they are
    const std::int64_t shift = (c - 2) * r;
    if (!plan.z2.restarted) {
      const auto cycles = static_cast<std::uint64_t>(c - 1);
      for (std::size_t i = 0; i < st.counters.size(); ++i)
        st.counters[i] = plan.s1.counters[i] + cycles * plan.z2.counters[i];
      st.last_restart = plan.s1.last_restart;
    } else {
      st.last_restart = plan.z2.last_restart + shift;
    }
    if (plan.z2.fault_changed) {
      if (st.fault_until != kForever) st.fault_until += shift;
    } else {
      st.fault = plan.s1.fault;
      st.fault_until = plan.s1.fault_until;
    }
  }
  run(st, node, from, n);
  out.counters = std::move(st.counters);
  out.fault = n < st.fault_until ? st.fault : Fault::none;
  if (out.fault != Fault::none) out.fault_series = std::move(st.fault_series);
  out.uptime_ms = elapsed_ms - st.last_restart * 1000;
  out.started = true;
  return out;
}

std::vector<const Step*> Timeline::steps_at(std::int64_t at) const {
  std::vector<const Step*> out;
  if (at < 0) return out;
  const std::int64_t rel = scenario_.repeat > 0 ? at % scenario_.repeat : at;
  for (const Step& s : scenario_.steps) {
    if (s.at == rel) out.push_back(&s);
  }
  return out;
}

std::string Timeline::describe(const Step& step) const {
  std::string out = "line " + std::to_string(step.line) + ", " +
                    (step.node ? "node " + scenario_.nodes[*step.node] : std::string("all nodes")) + ":";
  auto counter_name = [this](std::size_t i) {
    const CounterId& c = scenario_.counters[i];
    if (c.generic()) return c.reason;
    std::string s = c.received ? "received." : "";
    s += c.mqtt_version == 4 ? std::string("v4") : c.reason;
    return s;
  };
  if (step.restart) out += " restart (counters to 0);";
  if (!step.add.empty()) {
    out += " add";
    for (const auto& [i, v] : step.add) out += " " + counter_name(i) + "+" + std::to_string(v);
    out += ";";
  }
  if (step.rate) {
    out += " rate";
    if (step.rate->empty()) out += " none";
    for (const auto& [i, v] : *step.rate) out += " " + counter_name(i) + "=" + std::to_string(v) + "/s";
    out += ";";
  }
  if (step.fault) {
    out += " fault " + std::string(fault_name(*step.fault));
    if (step.fault_for > 0) out += " for " + std::to_string(step.fault_for) + " s";
    out += ";";
  }
  if (out.back() == ';') out.pop_back();
  return out;
}

}  // namespace vmq::sim
