// SPDX-License-Identifier: GPL-3.0-or-later
// Bounded JSON for the cluster sources: nlohmann's SAX parser (iterative, so depth costs no
// stack) feeds its DOM builder through a guard that stops at the depth and value limits, and
// reports syntax errors as values instead of exceptions. The DOM is then read with type checks
// that name the path of anything unexpected.
#include "vmq/cluster_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

namespace vmq {
namespace {

using Json = nlohmann::json;

// Counts and limits the events, forwards them to nlohmann's own DOM builder.
class GuardedSax {
 public:
  GuardedSax(Json& root, const ClusterLimits& limits) : dom_(root, false), limits_(limits) {}

  bool null() { return value() && dom_.null(); }
  bool boolean(bool v) { return value() && dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return value() && dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return value() && dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& s) { return value() && dom_.number_float(v, s); }
  bool string(Json::string_t& v) { return value() && dom_.string(v); }
  bool binary(Json::binary_t& v) { return value() && dom_.binary(v); }
  bool start_object(std::size_t n) { return open() && dom_.start_object(n); }
  bool key(Json::string_t& k) { return dom_.key(k); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return open() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/, const Exception& ex) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
    std::string text = ex.what();
    if (const auto p = text.find("] "); text.starts_with("[json.exception") && p != std::string::npos)
      text.erase(0, p + 2);
    error_ = "malformed JSON: " + text;
    return false;
  }

  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool value() {
    if (++values_ <= limits_.max_values) return true;
    if (error_.empty())
      error_ = "more than " + std::to_string(limits_.max_values) + " JSON values; expected a smaller body";
    return false;
  }
  bool open() {
    if (!value()) return false;
    if (++depth_ <= limits_.max_depth) return true;
    if (error_.empty())
      error_ = "JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels; expected a flat body";
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  const ClusterLimits& limits_;
  std::size_t depth_ = 0;
  std::size_t values_ = 0;
  std::string error_;
};

// Parses `body` into `root`; returns the error, empty when fine.
std::string parse_bounded(std::string_view body, Json& root, const ClusterLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return "body of " + std::to_string(body.size()) + " bytes; expected at most " +
           std::to_string(limits.max_body_bytes);
  }
  if (body.empty()) return "empty body; expected JSON";
  GuardedSax sax(root, limits);
  bool ok = false;
  try {
    ok = Json::sax_parse(body.begin(), body.end(), &sax, nlohmann::detail::input_format_t::json, true, false);
  } catch (const std::exception& e) {
    // Not expected (errors go to parse_error), but untrusted input must never escape as a throw.
    return std::string("malformed JSON: ") + e.what();
  }
  if (!ok) {
    root = Json();
    return sax.error().empty() ? std::string("malformed JSON") : sax.error();
  }
  return {};
}

// A name or text for an error message: quoted, escaped, short (it may hold newlines or quotes).
std::string shown_text(std::string_view s) {
  constexpr std::size_t kShown = 64;
  std::string cut(s.substr(0, kShown));
  std::string out = Json(cut).dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > kShown) out += "...";
  return out;
}

std::string found(const Json& v) { return std::string(v.type_name()); }

// The reading context of one body: the source's name for messages, the limits, the notes.
class Reader {
 public:
  Reader(std::string_view source, const ClusterLimits& limits, ClusterParseResult& result)
      : source_(source), limits_(limits), result_(result) {}

  const ClusterLimits& limits() const { return limits_; }

  // Records the first error; always returns false so callers can `return fail(...)`.
  bool fail(const std::string& where, const std::string& what) {
    if (result_.error.empty()) result_.error = std::string(source_) + ": " + where + ": " + what;
    return false;
  }
  void note(const std::string& what) { result_.notes.push_back(std::string(source_) + ": " + what); }

  // Keeps at most max_string bytes, cut on a UTF-8 character boundary.
  std::string text(const std::string& s, const std::string& where) {
    if (s.size() <= limits_.max_string) return s;
    std::size_t cut = limits_.max_string;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u) --cut;
    note(where + ": a " + std::to_string(s.size()) + "-byte string cut to " + std::to_string(cut) + " bytes");
    return s.substr(0, cut);
  }

  bool string(const Json& v, const std::string& where, std::string& out) {
    if (!v.is_string()) return fail(where, "expected a string, found " + found(v));
    out = text(v.get_ref<const std::string&>(), where);
    return true;
  }

  bool u64(const Json& v, const std::string& where, std::uint64_t& out) {
    if (v.is_number_unsigned()) {
      out = v.get<std::uint64_t>();
      return true;
    }
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
      out = static_cast<std::uint64_t>(v.get<std::int64_t>());
      return true;
    }
    // The vmq-admin JSON writer passes some columns through as strings.
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (!s.empty() && ec == std::errc{} && end == s.data() + s.size()) return true;
    }
    return fail(where, "expected a non-negative integer, found " +
                           (v.is_string() ? "string " + shown_text(v.get_ref<const std::string&>()) : found(v)));
  }

  bool optional_u64(const Json& obj, const char* key, const std::string& where, std::optional<std::uint64_t>& out) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return true;
    std::uint64_t v = 0;
    if (!u64(*it, where + "." + key, v)) return false;
    out = v;
    return true;
  }

  bool boolean(const Json& v, const std::string& where, bool& out) {
    if (!v.is_boolean()) return fail(where, "expected true or false, found " + found(v));
    out = v.get<bool>();
    return true;
  }

  bool listener(const Json& v, const std::string& where, ClusterListener& out) {
    if (!v.is_object()) return fail(where, "expected a listener object, found " + found(v));
    for (const char* key : {"type", "status"}) {
      if (!v.contains(key)) return fail(where, std::string("listener without \"") + key + "\"");
    }
    if (!string(v["type"], where + ".type", out.type) || !string(v["status"], where + ".status", out.status))
      return false;
    // status.json says "ip", vmq-admin listener show says "address".
    for (const char* key : {"ip", "address"}) {
      if (const auto it = v.find(key); it != v.end() && !it->is_null()) {
        if (!string(*it, where + "." + key, out.ip)) return false;
        break;
      }
    }
    if (const auto it = v.find("port"); it != v.end() && !it->is_null()) {
      std::uint64_t port = 0;
      if (!u64(*it, where + ".port", port)) return false;
      if (port > 65535) return fail(where + ".port", std::to_string(port) + " is not a port; expected 0..65535");
      out.port = static_cast<std::uint32_t>(port);
    }
    if (const auto it = v.find("max_conns"); it != v.end() && !it->is_null()) {
      if (it->is_string() && it->get_ref<const std::string&>() == "infinity") {
        out.max_conns_infinite = true;
      } else {
        std::uint64_t m = 0;
        if (!u64(*it, where + ".max_conns", m)) return false;
        out.max_conns = m;
      }
    }
    return optional_u64(v, "active_conns", where, out.active_conns) &&
           optional_u64(v, "all_conns", where, out.all_conns);
  }

 private:
  std::string_view source_;
  const ClusterLimits& limits_;
  ClusterParseResult& result_;
};

bool read_mystatus(Reader& r, const Json& v, const std::string& where, NodeStatus& node) {
  // [{"A": true}, {"B": false}]: one single-key object per member (one object with several keys
  // is read the same way).
  if (!v.is_array()) return r.fail(where, "expected a list of {node: true|false}, found " + found(v));
  std::size_t i = 0;
  for (const Json& item : v) {
    const std::string at = where + "[" + std::to_string(i++) + "]";
    if (!item.is_object()) return r.fail(at, "expected {node: true|false}, found " + found(item));
    for (const auto& [name, up] : item.items()) {
      ClusterMember m;
      if (!r.boolean(up, at + "." + shown_text(name), m.running)) return false;
      if (node.members.size() >= r.limits().max_members) {
        ++node.members_dropped;
        continue;
      }
      m.name = r.text(name, at);
      node.members.push_back(std::move(m));
    }
  }
  return true;
}

bool read_listeners(Reader& r, const Json& v, const std::string& where, std::vector<ClusterListener>& out,
                    std::size_t& dropped) {
  if (!v.is_array()) return r.fail(where, "expected a list of listeners, found " + found(v));
  std::size_t i = 0;
  for (const Json& item : v) {
    const std::string at = where + "[" + std::to_string(i++) + "]";
    ClusterListener l;
    if (!r.listener(item, at, l)) return false;
    if (out.size() >= r.limits().max_listeners) {
      ++dropped;
      continue;
    }
    out.push_back(std::move(l));
  }
  return true;
}

bool read_node(Reader& r, const std::string& name, const Json& info, const std::string& where, NodeStatus& node) {
  if (!info.is_object()) return r.fail(where, "expected the node's status object, found " + found(info));
  node.name = r.text(name, where);
  if (const auto it = info.find("version"); it != info.end() && !it->is_null()) {
    if (!r.string(*it, where + ".version", node.version)) return false;
  }
  if (!r.optional_u64(info, "num_online", where, node.num_online) ||
      !r.optional_u64(info, "num_offline", where, node.num_offline)) {
    return false;
  }
  if (const auto it = info.find("mystatus"); it != info.end() && !read_mystatus(r, *it, where + ".mystatus", node))
    return false;
  if (const auto it = info.find("listeners");
      it != info.end() && !read_listeners(r, *it, where + ".listeners", node.listeners, node.listeners_dropped)) {
    return false;
  }
  if (node.members_dropped > 0) {
    r.note(where + ": " + std::to_string(node.members_dropped) + " members beyond the first " +
           std::to_string(r.limits().max_members) + " not kept");
  }
  if (node.listeners_dropped > 0) {
    r.note(where + ": " + std::to_string(node.listeners_dropped) + " listeners beyond the first " +
           std::to_string(r.limits().max_listeners) + " not kept");
  }
  return true;
}

// vmq-admin's JSON writer: {"type":"table","table":[rows]}, or a list of such outputs.
const Json* find_table(Reader& r, const Json& root) {
  auto table_of = [](const Json& v) -> const Json* {
    if (!v.is_object()) return nullptr;
    const auto it = v.find("table");
    return it != v.end() ? &*it : nullptr;
  };
  if (const Json* t = table_of(root)) {
    if (!t->is_array()) r.fail("table", "expected a list of rows, found " + found(*t));
    return t->is_array() ? t : nullptr;
  }
  if (root.is_array()) {
    for (const Json& item : root) {
      if (const Json* t = table_of(item); t != nullptr && t->is_array()) return t;
    }
  }
  r.fail("body",
         "expected vmq-admin's {\"type\":\"table\",\"table\":[...]}, found " + found(root) + " without a table");
  return nullptr;
}

template <class View>
ClusterParseResult finish(ClusterParseResult result, View& out, View parsed) {
  result.ok = result.error.empty();
  if (result.ok) {
    parsed.valid = true;
    out = std::move(parsed);
  } else {
    out = View{};
    result.notes.clear();
  }
  return result;
}

}  // namespace

const NodeStatus* StatusView::find(std::string_view node) const {
  for (const NodeStatus& n : nodes) {
    if (n.name == node) return &n;
  }
  return nullptr;
}

ClusterParseResult parse_status_json(std::string_view body, StatusView& out, const ClusterLimits& limits) {
  ClusterParseResult result;
  Reader r(cluster_source_spec(ClusterSource::status_json).path, limits, result);
  StatusView parsed;
  Json root;
  if (std::string e = parse_bounded(body, root, limits); !e.empty()) {
    r.fail("body", e);
  } else if (!root.is_array()) {
    r.fail("body", "expected a list of {node: status}, found " + found(root));
  } else {
    std::size_t i = 0;
    for (const Json& entry : root) {
      const std::string at = "[" + std::to_string(i++) + "]";
      if (!entry.is_object()) {
        r.fail(at, "expected {node: status}, found " + found(entry));
        break;
      }
      bool ok = true;
      for (const auto& [name, info] : entry.items()) {
        if (parsed.nodes.size() >= limits.max_nodes) {
          ++parsed.nodes_dropped;
          continue;
        }
        NodeStatus node;
        if (!(ok = read_node(r, name, info, at + "." + shown_text(name), node))) break;
        parsed.nodes.push_back(std::move(node));
      }
      if (!ok) break;
    }
    if (parsed.nodes_dropped > 0) {
      r.note(std::to_string(parsed.nodes_dropped) + " nodes beyond the first " + std::to_string(limits.max_nodes) +
             " not kept");
    }
  }
  return finish(std::move(result), out, std::move(parsed));
}

namespace {

ClusterParseResult parse_health_as(std::string_view source, long http_status, std::string_view body, HealthView& out,
                                   const ClusterLimits& limits) {
  ClusterParseResult result;
  Reader r(source, limits, result);
  HealthView parsed;
  Json root;
  if (http_status != 200 && http_status != 503) {
    r.fail("answer", "HTTP " + std::to_string(http_status) + "; expected 200 (OK) or 503 (DOWN)");
  } else if (std::string e = parse_bounded(body, root, limits); !e.empty()) {
    r.fail("body", e);
  } else if (!root.is_object() || !root.contains("status")) {
    r.fail("body", "expected {\"status\": \"OK\"|\"DOWN\", ...}, found " + found(root) + " without \"status\"");
  } else {
    std::string status;
    if (r.string(root["status"], "status", status)) {
      const bool ok = status == "OK";
      if (!ok && status != "DOWN") {
        r.fail("status", shown_text(status) + "; expected \"OK\" or \"DOWN\"");
      } else if (ok != (http_status == 200)) {
        r.fail("status", shown_text(status) + " with HTTP " + std::to_string(http_status) +
                             "; expected OK with 200, DOWN with 503");
      } else {
        parsed.ok = ok;
        if (const auto it = root.find("reasons"); it != root.end() && !it->is_null()) {
          if (!it->is_array()) {
            r.fail("reasons", "expected a list of strings, found " + found(*it));
          } else {
            std::size_t i = 0;
            for (const Json& reason : *it) {
              std::string text;
              if (!r.string(reason, "reasons[" + std::to_string(i++) + "]", text)) break;
              if (parsed.reasons.size() >= limits.max_reasons) {
                ++parsed.reasons_dropped;
                continue;
              }
              parsed.reasons.push_back(std::move(text));
            }
            if (parsed.reasons_dropped > 0) {
              r.note(std::to_string(parsed.reasons_dropped) + " reasons beyond the first " +
                     std::to_string(limits.max_reasons) + " not kept");
            }
          }
        }
      }
    }
  }
  return finish(std::move(result), out, std::move(parsed));
}

}  // namespace

ClusterParseResult parse_health(long http_status, std::string_view body, HealthView& out, const ClusterLimits& limits) {
  return parse_health_as(cluster_source_spec(ClusterSource::health).path, http_status, body, out, limits);
}

ClusterParseResult parse_api_cluster_show(std::string_view body, ApiClusterView& out, const ClusterLimits& limits) {
  ClusterParseResult result;
  Reader r(cluster_source_spec(ClusterSource::api_cluster_show).path, limits, result);
  ApiClusterView parsed;
  Json root;
  if (std::string e = parse_bounded(body, root, limits); !e.empty()) {
    r.fail("body", e);
  } else if (const Json* table = find_table(r, root)) {
    std::size_t i = 0;
    for (const Json& row : *table) {
      const std::string at = "table[" + std::to_string(i++) + "]";
      if (!row.is_object() || !row.contains("Node") || !row.contains("Running")) {
        r.fail(at, "expected {\"Node\": name, \"Running\": true|false}, found " + found(row));
        break;
      }
      ClusterMember m;
      if (!r.string(row["Node"], at + ".Node", m.name) || !r.boolean(row["Running"], at + ".Running", m.running)) break;
      if (parsed.members.size() >= limits.max_members) {
        ++parsed.members_dropped;
        continue;
      }
      parsed.members.push_back(std::move(m));
    }
    if (parsed.members_dropped > 0) {
      r.note(std::to_string(parsed.members_dropped) + " members beyond the first " +
             std::to_string(limits.max_members) + " not kept");
    }
  }
  return finish(std::move(result), out, std::move(parsed));
}

ClusterParseResult parse_api_listener_show(std::string_view body, ApiListenerView& out, const ClusterLimits& limits) {
  ClusterParseResult result;
  Reader r(cluster_source_spec(ClusterSource::api_listener_show).path, limits, result);
  ApiListenerView parsed;
  Json root;
  if (std::string e = parse_bounded(body, root, limits); !e.empty()) {
    r.fail("body", e);
  } else if (const Json* table = find_table(r, root)) {
    if (read_listeners(r, *table, "table", parsed.listeners, parsed.listeners_dropped) &&
        parsed.listeners_dropped > 0) {
      r.note(std::to_string(parsed.listeners_dropped) + " listeners beyond the first " +
             std::to_string(limits.max_listeners) + " not kept");
    }
  }
  return finish(std::move(result), out, std::move(parsed));
}

ClusterParseResult parse_cluster_source(ClusterSource source, long http_status, std::string_view body,
                                        ClusterView& view, const ClusterLimits& limits) {
  // Only /health speaks with its status code; elsewhere anything but 200 is the fetch's error.
  const bool health = source == ClusterSource::health || source == ClusterSource::health_listeners_full_cluster;
  if (!health && http_status != 200) {
    ClusterParseResult r;
    r.error = std::string(cluster_source_spec(source).path) + ": answer: HTTP " + std::to_string(http_status) +
              "; expected 200";
    switch (source) {
      case ClusterSource::status_json: view.status = {}; break;
      case ClusterSource::api_cluster_show: view.api_cluster = {}; break;
      case ClusterSource::api_listener_show: view.api_listeners = {}; break;
      default: break;
    }
    return r;
  }
  switch (source) {
    case ClusterSource::status_json: return parse_status_json(body, view.status, limits);
    case ClusterSource::health: return parse_health(http_status, body, view.health, limits);
    case ClusterSource::health_listeners_full_cluster:
      return parse_health_as(cluster_source_spec(source).path, http_status, body, view.health_full_cluster, limits);
    case ClusterSource::api_cluster_show: return parse_api_cluster_show(body, view.api_cluster, limits);
    case ClusterSource::api_listener_show: return parse_api_listener_show(body, view.api_listeners, limits);
  }
  return {};
}

MemberSummary summarize_members(const StatusView& status, std::string_view local) {
  MemberSummary out;
  const NodeStatus* self = status.find(local);
  if (self == nullptr) return out;
  out.known = true;
  std::map<std::string, bool> mine;
  for (const ClusterMember& m : self->members) {
    mine[m.name] = m.running;
    if (m.running) {
      ++out.running;
    } else {
      ++out.not_running;
      out.down.push_back(m.name);
    }
  }
  for (const NodeStatus& other : status.nodes) {
    if (&other == self) continue;
    std::map<std::string, bool> theirs;
    for (const ClusterMember& m : other.members) theirs[m.name] = m.running;
    if (theirs != mine) ++out.disagreeing_nodes;
  }
  return out;
}

}  // namespace vmq
