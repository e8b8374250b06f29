// SPDX-License-Identifier: GPL-3.0-or-later
// The job keys `cluster_sources` and `cluster_update_every` (docs/cluster.md, "Polling").
#include "vmq/cluster_config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>

namespace vmq {
namespace {

void add(std::vector<ClusterConfigError>& out, const YAML::Node& at, std::string what) {
  ClusterConfigError e;
  const YAML::Mark m = at.Mark();
  if (!m.is_null() && m.line >= 0 && m.column >= 0) {
    e.line = m.line + 1;
    e.column = m.column + 1;
  }
  e.what = std::move(what);
  out.push_back(std::move(e));
}

std::string found(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + n.Scalar().substr(0, 80) + "'";
    default: return "nothing (null)";
  }
}

std::string source_keys() {
  std::string s;
  for (const ClusterSourceSpec& spec : kClusterSources) {
    if (!s.empty()) s += ", ";
    s += spec.key;
  }
  return s;
}

// Only plain scalars are YAML booleans (as the rest of the config reads them).
std::optional<bool> as_bool(const YAML::Node& n) {
  bool v = false;
  if (n.IsScalar() && n.Tag() == "?" && YAML::convert<bool>::decode(n, v)) return v;
  return std::nullopt;
}

void parse_sources(const YAML::Node& v, ClusterConfig& out, std::vector<ClusterConfigError>& errors) {
  constexpr std::string_view kKey = "key 'cluster_sources': ";
  if (const auto b = as_bool(v)) {  // `cluster_sources: false`: none of them (or all, with true)
    for (std::size_t i = 0; i < kClusterSourceCount; ++i) {
      out.sources[i].enabled = *b;
      out.given[i] = true;
    }
    return;
  }
  if (!v.IsMap()) {
    add(errors, v,
        std::string(kKey) + "found " + found(v) + "; expected a boolean or a map of source: {enabled: BOOL, url: URL}");
    return;
  }
  for (const auto& kv : v) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const auto source = cluster_source_from_key(name);
    if (!source) {
      add(errors, kv.first,
          std::string(kKey) + "unknown source " + found(kv.first) + "; expected one of " + source_keys());
      continue;
    }
    const auto i = static_cast<std::size_t>(*source);
    const std::string prefix = std::string(kKey) + "source '" + name + "': ";
    const YAML::Node& s = kv.second;
    if (s.IsNull()) continue;
    if (const auto b = as_bool(s)) {  // `health: false` as a shorthand
      out.sources[i].enabled = *b;
      out.given[i] = true;
      continue;
    }
    if (!s.IsMap()) {
      add(errors, s, prefix + "found " + found(s) + "; expected {enabled: BOOL, url: URL} or a boolean");
      continue;
    }
    for (const auto& field : s) {
      const std::string fname = field.first.IsScalar() ? field.first.Scalar() : std::string();
      const YAML::Node& fv = field.second;
      if (fname == "enabled") {
        if (fv.IsNull()) continue;
        const auto b = as_bool(fv);
        if (!b) {
          add(errors, fv, prefix + "'enabled' is " + found(fv) + "; expected true or false");
          continue;
        }
        out.sources[i].enabled = *b;
        out.given[i] = true;
      } else if (fname == "url") {
        if (fv.IsNull()) continue;
        if (!fv.IsScalar()) {
          add(errors, fv, prefix + "'url' is " + found(fv) + "; expected an http(s) URL on the job's host");
          continue;
        }
        out.sources[i].url = fv.Scalar();
      } else {
        add(errors, field.first, prefix + "unknown key " + found(field.first) + "; expected enabled or url");
      }
    }
  }
}

}  // namespace

bool is_cluster_key(std::string_view key) { return key == "cluster_sources" || key == "cluster_update_every"; }

std::vector<ClusterConfigError> parse_cluster_key(std::string_view key, const YAML::Node& value, ClusterConfig& out) {
  std::vector<ClusterConfigError> errors;
  if (value.IsNull()) return errors;  // `key:` leaves the default, as for every job key
  if (key == "cluster_sources") {
    parse_sources(value, out, errors);
  } else if (key == "cluster_update_every") {
    const std::string expected = "expected whole seconds, 1.." + std::to_string(kMaxClusterUpdateEvery);
    long long v = 0;
    bool good = value.IsScalar() && value.Tag() == "?";
    if (good) {
      const std::string& s = value.Scalar();
      const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      good = ec == std::errc() && ptr == s.data() + s.size() && v >= 1 && v <= kMaxClusterUpdateEvery;
    }
    if (!good) {
      add(errors, value, "key 'cluster_update_every': found " + found(value) + "; " + expected);
    } else {
      out.update_every = static_cast<int>(v);
    }
  }
  return errors;
}

bool cluster_source_enabled(const ClusterConfig& c, ClusterSource source, bool has_api_key) {
  const auto i = static_cast<std::size_t>(source);
  if (c.given[i]) return c.sources[i].enabled;
  return !cluster_source_spec(source).needs_api_key || has_api_key;
}

std::vector<std::string> check_cluster_config(const ClusterConfig& c, std::string_view metrics_url) {
  std::vector<std::string> out;
  for (const ClusterSourceSpec& spec : kClusterSources) {
    const ClusterSourceSetting& s = c.sources[static_cast<std::size_t>(spec.id)];
    if (s.url.empty() || !s.enabled) continue;
    const ClusterSourceUrl u = cluster_source_url(spec.id, metrics_url, s);
    if (!u.error.empty()) out.push_back("key 'cluster_sources': " + u.error);
  }
  return out;
}

}  // namespace vmq
