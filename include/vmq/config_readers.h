// SPDX-License-Identifier: GPL-3.0-or-later
// The typed readers the key table (config_keys.cpp) is made of: each validates one YAML value,
// reports what is wrong with file:line:column, and hands back the value to store.
//
// Every message reads "<file>:<line>:<column>: [job 'x': ]key 'k': <what was found>; expected
// <what the key takes>", the expected part from the key's row.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "vmq/config.h"

namespace vmq::cfg {

struct Loc {
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
};

Loc loc_of(const YAML::Mark& m);
// "file:line:column", or just "file" when the place is unknown.
std::string where(std::string_view source, Loc loc);

// yaml-cpp tags a quoted or block scalar "!" and a plain one "?": only a plain scalar can be a
// YAML boolean or number (go.d's yaml.v2 refuses "true" in quotes for a bool field, too).
bool is_plain(const YAML::Node& n);

// What a value is, for "found ..." in messages: "a map", "the quoted string 'x'", ...
std::string found(const YAML::Node& n);

// A YAML alias bomb costs yaml-cpp little (aliases share nodes) but a walk over it can be
// exponential, and an anchor may even refer to itself: every node touched is counted, and past
// the limit the file is refused with a ConfigError.
class NodeBudget {
 public:
  explicit NodeBudget(std::string_view source) : source_(source) {}
  void visit(const YAML::Node& n);

 private:
  std::string_view source_;
  std::size_t count_ = 0;
};

// Problems found in one job (or one top-level key), located, in the order found.
using Errors = std::vector<std::pair<Loc, std::string>>;

// What a reader is given: one key's value, where its result goes, and where to report.
struct KeyRead {
  const ConfigKey& key;  // the row: bounds and the "expected ..." text
  std::string label;     // "key 'timeout'": every message about the value starts with it
  YAML::Node key_node;
  YAML::Node value;
  std::string_view source;  // the file, for warnings
  Config& config;           // where a top-level key's value goes (and where warnings go)
  JobConfig* job;           // where a job key's value goes; nullptr for a top-level key
  Errors& errors;
  NodeBudget& budget;  // a reader that walks a map or list visits every node

  Loc key_loc() const { return loc_of(key_node.Mark()); }
  // A missing value (`key:`) has no useful mark of its own: the key's.
  Loc value_loc() const { return value.IsNull() ? key_loc() : loc_of(value.Mark()); }
  // "<label>: <why>" at the value, or at `loc`.
  void fail(const std::string& why) const { fail_at(value_loc(), why); }
  void fail_at(Loc loc, const std::string& why) const { errors.emplace_back(loc, label + ": " + why); }
  // A warning that does not stop anything, located at the key.
  void warn(const std::string& what) const;
  // A value inside this one, for a custom reader's nested keys: read as `row` says (its bounds
  // and expected text), labelled "<label>: <sub_label>".
  KeyRead nested(const YAML::Node& sub_key, const YAML::Node& sub_value, std::string_view sub_label,
                 const ConfigKey& row) const;
};

// ---- the typed readers: the value, or nullopt after a located message

// An integer (a plain YAML scalar) from key.min to key.max.
std::optional<long long> read_integer(const KeyRead& r);
// Seconds: a number (1, 0.5) or a Go duration (500ms, 2s), more than 0, from key.min to
// key.max; key.min is the HTTP client's resolution (1 ms).
std::optional<double> read_duration(const KeyRead& r);
// Bytes: an integer or with a KiB, MiB or GiB suffix, from key.min to key.max.
std::optional<std::size_t> read_size(const KeyRead& r);
// A YAML boolean (true/false, yes/no, on/off), not quoted.
std::optional<bool> read_bool(const KeyRead& r);
// Any scalar as text, on one line (no line break or control character).
std::optional<std::string> read_line(const KeyRead& r);
// The job's metrics URL: http:// or https:// with a host.
std::optional<std::string> read_metrics_url(const KeyRead& r);
// A proxy URL (or "" for none): http, https, socks4, socks4a, socks5, socks5h, or no scheme.
std::optional<std::string> read_proxy_url(const KeyRead& r);
// A non-empty, printable job name.
std::optional<std::string> read_job_name(const KeyRead& r);
// A map of HTTP header name: value, names valid and unique (ignoring case), values one line.
std::optional<std::vector<std::pair<std::string, std::string>>> read_headers(const KeyRead& r);
// go.d compatibility: accepted, ignored, and said so (a top-level key; the row's `expected`
// says why).
bool note_ignored(const KeyRead& r);

template <class M>
struct MemberClass;
template <class C, class T>
struct MemberClass<T C::*> {
  using type = C;
};

// A row's reader: `Read` validates, the result goes to `Member` (of Config for a top-level
// key, of JobConfig for a job key).
template <auto Member, auto Read>
bool store(const KeyRead& r) {
  auto v = Read(r);
  if (!v) return false;
  if constexpr (std::is_same_v<typename MemberClass<decltype(Member)>::type, Config>) {
    r.config.*Member = static_cast<std::remove_reference_t<decltype(r.config.*Member)>>(std::move(*v));
  } else {
    r.job->*Member = static_cast<std::remove_reference_t<decltype(r.job->*Member)>>(std::move(*v));
  }
  return true;
}

}  // namespace vmq::cfg
