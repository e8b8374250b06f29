// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration loader: go.d's vernemq.conf YAML shape → validated JobConfigs.
//
// Start-up code, so exceptions are allowed here (style.md): a file that cannot be used at all
// throws ConfigError; a bad job is skipped and explained in Config::problems.
#include "vmq/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "vmq/netdata_writer.h"

namespace vmq {
namespace {

// A YAML alias bomb costs yaml-cpp little (aliases share nodes) but a walk over it can be
// exponential, and an anchor may even refer to itself; every node we touch is counted.
constexpr std::size_t kMaxYamlNodes = 100'000;
// A config file is a few KiB; refusing huge ones keeps a wrong --config (a log, a core) cheap.
constexpr std::size_t kMaxConfigFileBytes = 4u * 1024u * 1024u;
constexpr int kMaxUpdateEvery = 86'400;
constexpr double kMaxTimeoutS = 3600.0;
// libcurl timeouts are whole milliseconds and 0 means "never": anything below 1 ms would
// silently become an infinite timeout.
constexpr double kMinTimeoutS = 0.001;
constexpr std::size_t kMinBodySize = 1024u;
constexpr std::size_t kMaxBodySize = 1024u * 1024u * 1024u;
// go.d names a job without `name` after its module.
constexpr std::string_view kModuleName = "vernemq";
constexpr std::size_t kMaxShownValue = 80;

// The one list of keys: what is known (and listed in messages, in this order) and what the
// reference in conf.d/vernemq.conf documents.
constexpr std::array<ConfigKey, 24> kKeys = {{
    {"update_every", true, "integer", "1", "1..86400", "collection interval in seconds, the jobs' default"},
    {"autodetection_retry", true, "integer", "0", ">= 0",
     "seconds before a failed first check is retried; 0 drops the job"},
    {"priority", true, "integer", "", "", "accepted for go.d compatibility and ignored"},
    {"jobs", true, "list", "", "", "the jobs, each a map of job keys"},
    {"name", false, "string", "vernemq", "unique", "the job's name, part of the chart ids"},
    {"url", false, "url", "", "http:// or https://", "the VerneMQ metrics URL (required)"},
    {"timeout", false, "duration", "1", "0.001..3600 s", "connect and total timeout"},
    {"update_every", false, "integer", "the GLOBAL update_every", "1..86400", "this job's interval"},
    {"username", false, "string", "none", "", "HTTP basic authentication user"},
    {"password", false, "string", "none", "", "HTTP basic authentication password"},
    {"api_key", false, "string", "none", "", "VerneMQ's API key, sent as x-api-key"},
    {"bearer_token_file", false, "string", "none", "", "a file holding a bearer token, read at every scrape"},
    {"headers", false, "map", "none", "", "extra request headers"},
    {"proxy_url", false, "url", "none", "http, https, socks4, socks4a, socks5, socks5h", "the proxy"},
    {"proxy_username", false, "string", "none", "", "proxy basic authentication user"},
    {"proxy_password", false, "string", "none", "", "proxy basic authentication password"},
    {"tls_ca", false, "string", "the system CAs", "", "CA certificate file (PEM)"},
    {"tls_cert", false, "string", "none", "", "client certificate file (PEM)"},
    {"tls_key", false, "string", "none", "", "client key file (PEM)"},
    {"tls_skip_verify", false, "bool", "false", "", "do not verify the server's certificate"},
    {"not_follow_redirects", false, "bool", "false", "", "treat a redirect as a failure"},
    {"max_body_size", false, "size", "16 MiB", "1 KiB..1 GiB", "the largest body accepted"},
    {"cluster_sources", false, "map", "status_json and health on; api_* with an api_key", "",
     "the cluster sources polled beside /metrics (docs/cluster.md)"},
    {"cluster_update_every", false, "integer", "10", "1..86400", "seconds between cluster source polls"},
}};

template <std::size_t N>
constexpr std::array<std::string_view, N> key_names(bool global) {
  std::array<std::string_view, N> out{};
  std::size_t i = 0;
  for (const ConfigKey& k : kKeys) {
    if (k.global == global && i < N) out[i++] = k.name;
  }
  return out;
}
constexpr std::size_t count_keys(bool global) {
  std::size_t n = 0;
  for (const ConfigKey& k : kKeys) n += k.global == global ? 1 : 0;
  return n;
}
constexpr auto kTopKeys = key_names<count_keys(true)>(true);
constexpr auto kJobKeys = key_names<count_keys(false)>(false);

// Keys a go.d vernemq job may carry (go.d's job keys and web.HTTPConfig keys) that mean nothing
// here: accepted so a go.d file works unchanged, reported so nobody believes they took effect.
struct CompatKey {
  std::string_view name;
  std::string_view why;
};
constexpr std::array<CompatKey, 10> kCompatJobKeys = {{
    {"method", "the plugin always sends GET, which is what VerneMQ's /metrics serves"},
    {"body", "a GET request has no body"},
    {"force_http2", "libcurl negotiates the HTTP version by itself"},
    {"vnode", "virtual nodes are a go.d feature; the charts belong to the host Netdata runs on"},
    {"autodetection_retry", "only the top-level autodetection_retry is read"},
    {"priority", "chart priorities are fixed in Netdata's VerneMQ range"},
    {"labels", "custom chart labels are not supported; charts carry 'node' and '_collect_job'"},
    {"module", "this plugin only runs the vernemq module"},
    {"max_time_series", "the plugin keeps only the VerneMQ series it charts"},
    {"max_time_series_per_metric", "the plugin keeps only the VerneMQ series it charts"},
}};

// The job keys whose value is a plain string, and where each goes.
constexpr std::array<std::pair<std::string_view, std::string JobConfig::*>, 10> kStringKeys = {{
    {"username", &JobConfig::username},
    {"password", &JobConfig::password},
    {"api_key", &JobConfig::api_key},
    {"bearer_token_file", &JobConfig::bearer_token_file},
    {"proxy_url", &JobConfig::proxy_url},
    {"proxy_username", &JobConfig::proxy_username},
    {"proxy_password", &JobConfig::proxy_password},
    {"tls_ca", &JobConfig::tls_ca},
    {"tls_cert", &JobConfig::tls_cert},
    {"tls_key", &JobConfig::tls_key},
}};

constexpr std::string_view kTimeoutExpected =
    "expected seconds > 0 and <= 3600, as a number (1, 0.5) or a duration (500ms, 2s)";
constexpr std::string_view kUpdateEveryExpected = "expected an integer number of seconds, 1 to 86400";
constexpr std::string_view kBoolExpected =
    "expected a YAML boolean: true or false (yes/no and on/off also work), without quotes";
constexpr std::string_view kBodySizeExpected =
    "expected bytes from 1024 to 1073741824, as an integer or with a KiB, MiB or GiB suffix";
constexpr std::string_view kUrlExpected =
    "expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:8888/metrics";
constexpr std::string_view kProxyExpected =
    "expected a proxy URL with a host, e.g. http://proxy:3128 (schemes http, https, socks4, "
    "socks4a, socks5, socks5h)";

// ---------------------------------------------------------------- small text helpers

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// A value as it appears in a message: single-quoted, control characters escaped (a message is
// one log line), long values cut.
std::string shown(std::string_view v) {
  std::string out = "'";
  std::size_t n = 0;
  for (char c : v) {
    if (n++ == kMaxShownValue) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (is_control(c)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string join(const auto& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "unknown key 'x'; known keys: ..." with a guess when the key is a near miss (a typo).
template <std::size_t N>
std::string unknown_key_text(std::string_view key, const std::array<std::string_view, N>& known) {
  std::string out = "unknown key " + shown(key);
  std::string_view best;
  std::size_t best_distance = 3;  // more than two edits is not a typo
  for (std::string_view k : known) {
    const std::size_t d = edit_distance(lower(key), k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  if (!best.empty()) out += " (did you mean '" + std::string(best) + "'?)";
  out += "; known keys: " + join(known);
  return out;
}

// ---------------------------------------------------------------- URLs

struct UrlParts {
  std::string_view scheme;  // empty when the URL has none
  std::size_t authority_begin = 0;
  std::size_t authority_end = 0;
  std::size_t userinfo_end = std::string_view::npos;  // index of the '@', npos when none
};

bool is_scheme(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
           c == '.';
  });
}

// RFC 3986 / WHATWG splitting: the authority runs to the first '/', '?' or '#', and the
// userinfo ends at the authority's last '@' (an unencoded '@' in a password is common).
UrlParts split_url(std::string_view url) {
  UrlParts p;
  const std::size_t sep = url.find("://");
  if (sep != std::string_view::npos && is_scheme(url.substr(0, sep))) {
    p.scheme = url.substr(0, sep);
    p.authority_begin = sep + 3;
  } else if (url.substr(0, 2) == "//") {
    p.authority_begin = 2;
  }
  p.authority_end = url.find_first_of("/?#", p.authority_begin);
  if (p.authority_end == std::string_view::npos) p.authority_end = url.size();
  const std::string_view authority = url.substr(p.authority_begin, p.authority_end - p.authority_begin);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) p.userinfo_end = p.authority_begin + at;
  return p;
}

// For messages about a URL that failed validation: redact_url, and if an '@' survives (a
// password holding a '/' makes the authority end early), drop everything up to the last '@'.
std::string shown_url(std::string_view url) {
  std::string r = redact_url(url);
  const std::size_t at = r.rfind('@');
  if (at != std::string::npos) {
    const UrlParts p = split_url(r);
    r = r.substr(0, p.authority_begin) + "<redacted>" + r.substr(at);
  }
  return shown(r);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Host and port of an authority (userinfo already removed). Returns the reason it is bad.
std::optional<std::string> check_host_port(std::string_view hostport) {
  std::string_view host = hostport;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) return "has an IPv6 address without its closing ']'";
    host = hostport.substr(1, close - 1);
    const std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "has characters after the IPv6 address's ']'";
      port = rest.substr(1);
      has_port = true;
    }
    if (host.empty()) return "has an empty IPv6 address";
  } else {
    const std::size_t colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      if (hostport.find(':', colon + 1) != std::string_view::npos) {
        return "has several ':' in its host (an IPv6 address must be written in [brackets])";
      }
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return "has no host";
  if (has_port && !port.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return "has port " + shown(port) + ", not a number from 1 to 65535";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_url_text(std::string_view url) {
  if (url.empty()) return "is empty";
  if (std::any_of(url.begin(), url.end(), [](char c) { return c == ' ' || is_control(c); })) {
    return "contains a space or a control character (percent-encode it)";
  }
  return std::nullopt;
}

// The job's metrics URL: http or https, with a host.
std::optional<std::string> check_metrics_url(std::string_view url) {
  if (auto bad = check_url_text(url)) return bad;
  const UrlParts p = split_url(url);
  if (p.scheme.empty()) return "has no scheme";
  if (!iequals(p.scheme, "http") && !iequals(p.scheme, "https")) {
    return "has scheme " + shown(p.scheme);
  }
  const std::size_t host_begin = p.userinfo_end == std::string_view::npos ? p.authority_begin : p.userinfo_end + 1;
  return check_host_port(url.substr(host_begin, p.authority_end - host_begin));
}

// A proxy: libcurl takes a scheme-less host[:port] (meaning http) or one of its proxy schemes.
std::optional<std::string> check_proxy_url(std::string_view url) {
  if (auto bad = check_url_text(url)) return bad;
  const UrlParts p = split_url(url);
  if (!p.scheme.empty()) {
    static constexpr std::array<std::string_view, 6> kProxySchemes = {"http",    "https",  "socks4",
                                                                      "socks4a", "socks5", "socks5h"};
    if (std::none_of(kProxySchemes.begin(), kProxySchemes.end(),
                     [&](std::string_view s) { return iequals(s, p.scheme); })) {
      return "has scheme " + shown(p.scheme);
    }
  }
  const std::size_t host_begin = p.userinfo_end == std::string_view::npos ? p.authority_begin : p.userinfo_end + 1;
  return check_host_port(url.substr(host_begin, p.authority_end - host_begin));
}

// ---------------------------------------------------------------- YAML helpers

struct Loc {
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
};

Loc loc_of(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return {};
  return {m.line + 1, m.column + 1};
}

std::string where(std::string_view source, Loc loc) {
  std::string out(source);
  if (loc.line > 0) out += ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
  return out;
}

// yaml-cpp tags a quoted or block scalar "!" and a plain one "?": only a plain scalar can be a
// YAML boolean or number (go.d's yaml.v2 refuses "true" in quotes for a bool field, too).
bool is_plain(const YAML::Node& n) { return n.Tag() == "?"; }

bool looks_numeric(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc{} && ptr == s.data() + s.size() && std::isfinite(d);
}

// What a value is, for "found ..." in messages.
std::string found(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "nothing (null)";
    case YAML::NodeType::Scalar: break;
  }
  if (!is_plain(n)) return "the quoted string " + shown(n.Scalar());
  if (looks_numeric(n.Scalar())) return "the number " + shown(n.Scalar());
  return "the string " + shown(n.Scalar());
}

class NodeBudget {
 public:
  explicit NodeBudget(std::string_view source) : source_(source) {}

  void visit(const YAML::Node& n) {
    if (++count_ > kMaxYamlNodes) {
      throw ConfigError(where(source_, loc_of(n.Mark())) + ": the YAML expands to more than " +
                        std::to_string(kMaxYamlNodes) +
                        " nodes (anchors and aliases that multiply, or refer to themselves?); "
                        "expected a small configuration file");
    }
  }

 private:
  std::string_view source_;
  std::size_t count_ = 0;
};

// ---------------------------------------------------------------- value parsers
// Each returns the value, or nullopt with `why` set to "value '...' is ...; expected ...".

std::optional<long long> parse_integer(const YAML::Node& n, long long lo, long long hi, std::string_view expected,
                                       std::string& why) {
  if (!n.IsScalar() || !is_plain(n)) {
    why = "found " + found(n) + "; " + std::string(expected);
    return std::nullopt;
  }
  std::string_view s = n.Scalar();
  const std::string_view text = s;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    why = "value " + shown(text) + " is out of range; " + std::string(expected);
    return std::nullopt;
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) {
    why = "value " + shown(text) + " is not an integer; " + std::string(expected);
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    why = "value " + shown(text) + " is out of range; " + std::string(expected);
    return std::nullopt;
  }
  return v;
}

std::optional<bool> parse_bool(const YAML::Node& n, std::string& why) {
  bool v = false;
  if (n.IsScalar() && is_plain(n) && YAML::convert<bool>::decode(n, v)) return v;
  why = "found " + found(n) + ", not a boolean; " + std::string(kBoolExpected);
  return std::nullopt;
}

// Any scalar is a string (yaml.v2 does the same: `password: 1234` is the text "1234").
std::optional<std::string> parse_string(const YAML::Node& n, std::string& why) {
  if (n.IsNull()) return std::string();
  if (n.IsScalar()) return n.Scalar();
  why = "found " + found(n) + "; expected a string";
  return std::nullopt;
}

std::optional<double> parse_plain_double(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// A Go duration as go.d's confopt.ParseDuration reads it: spaces ignored, an optional sign,
// then one or more <number><unit>. Stricter than go.d in one way: nothing else may appear
// (go.d's regexp skips junk between the pairs).
std::optional<double> parse_go_duration(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != ' ') s += c;
  }
  std::string_view rest = s;
  double sign = 1.0;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    sign = rest.front() == '-' ? -1.0 : 1.0;
    rest.remove_prefix(1);
  }
  // Longest first, so "ms" is not read as "m" and "mo" not as "m".
  static constexpr std::array<std::pair<std::string_view, double>, 14> kUnits = {{
      {"ns", 1e-9},
      {"us", 1e-6},
      {"\xc2\xb5s", 1e-6},  // U+00B5 micro sign
      {"\xce\xbcs", 1e-6},  // U+03BC greek mu
      {"ms", 1e-3},
      {"mo", 30.0 * 86400.0},
      {"wk", 7.0 * 86400.0},
      {"s", 1.0},
      {"m", 60.0},
      {"h", 3600.0},
      {"d", 86400.0},
      {"w", 7.0 * 86400.0},
      {"M", 30.0 * 86400.0},
      {"y", 365.0 * 86400.0},
  }};
  if (rest.empty()) return std::nullopt;
  double total = 0;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && ((rest[digits] >= '0' && rest[digits] <= '9') || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    double value = 0;
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + digits, value);
    if (ec != std::errc{} || ptr != rest.data() + digits) return std::nullopt;
    rest.remove_prefix(digits);
    bool matched = false;
    for (const auto& [unit, scale] : kUnits) {
      if (rest.substr(0, unit.size()) == unit) {
        total += value * scale;
        rest.remove_prefix(unit.size());
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;
  }
  return sign * total;
}

// go.d's timeout: seconds (integer or fractional) or a duration string, quoted or not.
std::optional<double> parse_timeout(const YAML::Node& n, std::string& why) {
  if (!n.IsScalar()) {
    why = "found " + found(n) + "; " + std::string(kTimeoutExpected);
    return std::nullopt;
  }
  const std::string& text = n.Scalar();
  std::optional<double> v = parse_plain_double(text);
  if (!v) v = parse_go_duration(text);
  if (!v || !std::isfinite(*v)) {
    why = "value " + shown(text) + " is not a number or a duration; " + std::string(kTimeoutExpected);
    return std::nullopt;
  }
  if (*v <= 0) {
    why = "value " + shown(text) + " is not > 0; " + std::string(kTimeoutExpected);
    return std::nullopt;
  }
  if (*v > kMaxTimeoutS) {
    why = "value " + shown(text) + " is more than 3600 seconds; " + std::string(kTimeoutExpected);
    return std::nullopt;
  }
  if (*v < kMinTimeoutS) {
    why = "value " + shown(text) + " is less than 1 ms, the HTTP client's resolution; " + std::string(kTimeoutExpected);
    return std::nullopt;
  }
  return v;
}

std::optional<std::size_t> parse_body_size(const YAML::Node& n, std::string& why) {
  if (!n.IsScalar()) {
    why = "found " + found(n) + "; " + std::string(kBodySizeExpected);
    return std::nullopt;
  }
  const std::string& text = n.Scalar();
  std::string_view s = text;
  std::uint64_t scale = 1;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 3> kSuffixes = {
      {{"KiB", 1024u}, {"MiB", 1024u * 1024u}, {"GiB", 1024u * 1024u * 1024u}}};
  for (const auto& [suffix, factor] : kSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
      s.remove_suffix(suffix.size());
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      scale = factor;
      break;
    }
  }
  // A bare integer must be a plain scalar like any YAML number; with a suffix it is text anyway.
  if (scale == 1 && !is_plain(n)) {
    why = "found " + found(n) + "; " + std::string(kBodySizeExpected);
    return std::nullopt;
  }
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc{} && ptr == s.data() + s.size() && v > std::numeric_limits<std::uint64_t>::max() / scale)) {
    why = "value " + shown(text) + " is out of range; " + std::string(kBodySizeExpected);
    return std::nullopt;
  }
  if (ec != std::errc{} || ptr != s.data() + s.size()) {
    why = "value " + shown(text) + " is not a size in bytes; " + std::string(kBodySizeExpected);
    return std::nullopt;
  }
  v *= scale;
  if (v < kMinBodySize || v > kMaxBodySize) {
    why = "value " + shown(text) + " is out of range; " + std::string(kBodySizeExpected);
    return std::nullopt;
  }
  return static_cast<std::size_t>(v);
}

bool is_header_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// ---------------------------------------------------------------- the parser

// One key: value of a job map, after resolving YAML merge keys (`<<: *defaults`), which go.d's
// yaml.v2 supports and yaml-cpp 0.7 leaves to the application.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source), budget_(source) {}

  Config parse(std::string_view text);

 private:
  [[noreturn]] void fail(Loc loc, const std::string& what) const {
    throw ConfigError(where(source_, loc) + ": " + what);
  }
  void problem(Loc loc, const std::string& what) { config_.problems.push_back(where(source_, loc) + ": " + what); }
  // Where a value is: a missing value (`key:`) has no useful mark of its own, use the key's.
  static Loc value_loc(const YAML::Node& key, const YAML::Node& value) {
    return value.IsNull() ? loc_of(key.Mark()) : loc_of(value.Mark());
  }

  void parse_top_level(const YAML::Node& root);
  void parse_jobs(const YAML::Node& jobs, Loc jobs_loc);
  // A job's errors, located, without the job's label (the name may not be known yet).
  using Errors = std::vector<std::pair<Loc, std::string>>;
  void gather_entries(const YAML::Node& map, std::vector<Entry>& out, std::unordered_set<std::string>& seen,
                      Errors& errors, int depth);
  std::optional<JobConfig> parse_job(const YAML::Node& node, std::size_t index);

  std::string_view source_;
  NodeBudget budget_;
  Config config_;
  struct SeenName {
    std::string name;
    Loc loc;
  };
  // Keyed by the chart type the name becomes, so "a.b" and "a_b" collide here as they would
  // in Netdata.
  std::unordered_map<std::string, SeenName> names_;
};

// Walks the documents of a YAML stream, noting where each one's first node is and whether it
// holds anything. yaml-cpp 0.7's own LoadAll() never returns on some malformed input (a stray
// ',' where a node is expected, e.g. the file ",a:"): the parser reports an empty document
// without consuming anything, again and again, and LoadAll keeps each one until memory runs
// out (jbeder/yaml-cpp#1040, fixed upstream after 0.8.0; found here by fuzz/fuzz_config).
// This walk stops as soon as a document does not move forward.
class DocumentScout final : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark first;      // of its first node
    bool content = false;  // anything but an empty (null) document
  };

  // Returns every document, or stops at the first that did not advance (its mark is then
  // reported through `stuck`).
  std::vector<Document> walk(std::istream& in, std::optional<YAML::Mark>& stuck) {
    YAML::Parser parser(in);
    std::vector<Document> docs;
    for (;;) {
      current_ = Document{};
      seen_ = false;
      if (!parser.HandleNextDocument(*this)) break;
      if (!docs.empty() && seen_ && !docs.back().first.is_null() && current_.first.pos <= docs.back().first.pos) {
        stuck = current_.first;
        break;
      }
      docs.push_back(current_);
    }
    return docs;
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { note(m, true); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, true);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, true);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m, bool content) {
    if (!seen_) {
      current_.first = m;
      seen_ = true;
    }
    current_.content = current_.content || content;
  }
  Document current_;
  bool seen_ = false;
};

Config Parser::parse(std::string_view text) {
  config_.source = std::string(source_);
  YAML::Node root;
  try {
    std::istringstream in{std::string(text)};
    std::optional<YAML::Mark> stuck;
    const std::vector<DocumentScout::Document> docs = DocumentScout().walk(in, stuck);
    if (stuck) {
      const std::string found_char = stuck->pos >= 0 && static_cast<std::size_t>(stuck->pos) < text.size()
                                         ? " " + shown(text.substr(static_cast<std::size_t>(stuck->pos), 1))
                                         : std::string();
      fail(loc_of(*stuck), "YAML syntax error: unexpected" + found_char +
                               " where a value should start (a ',' belongs inside [...] or {...})");
    }
    // A trailing "---" yields an extra empty document; only real extra content is an error.
    for (std::size_t i = 1; i < docs.size(); ++i) {
      if (docs[i].content) {
        fail(loc_of(docs[i].first), "a second YAML document starts here; expected one document");
      }
    }
    // Only the first document is built into nodes (YAML::Load reads one document).
    if (!docs.empty() && docs[0].content) root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    fail(loc_of(e.mark), "YAML nesting is too deep; expected a small configuration file");
  } catch (const YAML::Exception& e) {
    fail(loc_of(e.mark), "YAML syntax error: " + e.msg);
  }
  // go.d treats an empty file (or one with only comments) as "no configuration", not an error.
  if (!root.IsDefined() || root.IsNull()) {
    config_.problems.push_back(std::string(source_) + " has no jobs (it holds nothing but comments or blank lines)");
    return std::move(config_);
  }
  parse_top_level(root);
  return std::move(config_);
}

void Parser::parse_top_level(const YAML::Node& root) {
  budget_.visit(root);
  if (!root.IsMap()) {
    fail(loc_of(root.Mark()), "the top level is " + found(root) + "; expected a map with the keys " + join(kTopKeys));
  }
  std::unordered_map<std::string, Loc> seen;
  YAML::Node jobs;
  Loc jobs_loc;
  bool have_jobs = false;
  for (const auto& kv : root) {
    const YAML::Node& key = kv.first;
    const YAML::Node& value = kv.second;
    budget_.visit(key);
    budget_.visit(value);
    const Loc kloc = loc_of(key.Mark());
    if (!key.IsScalar()) fail(kloc, "a top-level key is " + found(key) + "; expected a name");
    const std::string& name = key.Scalar();
    if (auto [it, inserted] = seen.emplace(name, kloc); !inserted) {
      fail(kloc, "key " + shown(name) + " appears twice (first at line " + std::to_string(it->second.line) +
                     "); expected each key once");
    }
    std::string why;
    if (name == "update_every") {
      if (value.IsNull()) continue;
      const auto v = parse_integer(value, 1, kMaxUpdateEvery, kUpdateEveryExpected, why);
      if (!v) fail(value_loc(key, value), "key 'update_every': " + why);
      config_.update_every = static_cast<int>(*v);
    } else if (name == "autodetection_retry") {
      if (value.IsNull()) continue;
      const auto v = parse_integer(value, 0, std::numeric_limits<int>::max(),
                                   "expected an integer number of seconds >= 0 (0 = never)", why);
      if (!v) fail(value_loc(key, value), "key 'autodetection_retry': " + why);
      config_.autodetection_retry = static_cast<int>(*v);
    } else if (name == "priority") {
      problem(kloc,
              "key 'priority' is ignored: chart priorities are fixed in Netdata's VerneMQ range "
              "(accepted for go.d compatibility)");
    } else if (name == "jobs") {
      jobs = value;
      jobs_loc = kloc;
      have_jobs = true;
    } else {
      // go.d warns and goes on: one misspelt key must not stop the jobs that are fine.
      problem(kloc, unknown_key_text(name, kTopKeys) + "; the key is ignored");
    }
  }
  if (!have_jobs || jobs.IsNull()) {
    config_.problems.push_back(std::string(source_) +
                               " has no jobs; expected a 'jobs' list, e.g. jobs: [{name: local, "
                               "url: 'http://127.0.0.1:8888/metrics'}]");
    return;
  }
  parse_jobs(jobs, jobs_loc);
}

void Parser::parse_jobs(const YAML::Node& jobs, Loc jobs_loc) {
  if (!jobs.IsSequence()) {
    fail(jobs.IsNull() ? jobs_loc : loc_of(jobs.Mark()),
         "key 'jobs': found " + found(jobs) + "; expected a list of jobs, each item starting with '- name:'");
  }
  std::size_t index = 0;
  for (const auto& item : jobs) {
    ++index;
    budget_.visit(item);
    if (auto job = parse_job(item, index)) config_.jobs.push_back(std::move(*job));
  }
  if (index == 0) {
    config_.problems.push_back(std::string(source_) + " has no jobs; the 'jobs' list is empty");
  } else if (config_.jobs.empty()) {
    config_.problems.push_back(std::string(source_) + ": none of its " + std::to_string(index) +
                               " job(s) is usable (see the messages above)");
  }
}

void Parser::gather_entries(const YAML::Node& map, std::vector<Entry>& out, std::unordered_set<std::string>& seen,
                            Errors& errors, int depth) {
  // Explicit keys win over merged ones, and earlier merge sources over later ones (YAML's
  // merge-key rules, as yaml.v2 applies them).
  std::unordered_map<std::string, Loc> own;
  std::vector<YAML::Node> merges;
  for (const auto& kv : map) {
    budget_.visit(kv.first);
    budget_.visit(kv.second);
    const Loc kloc = loc_of(kv.first.Mark());
    if (!kv.first.IsScalar()) {
      errors.emplace_back(kloc, "a key is " + found(kv.first) + "; expected a name");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (key == "<<" && is_plain(kv.first)) {
      merges.push_back(kv.second);
      continue;
    }
    if (auto [it, inserted] = own.emplace(key, kloc); !inserted) {
      errors.emplace_back(kloc, "key " + shown(key) + " appears twice (first at line " +
                                    std::to_string(it->second.line) + "); expected each key once");
      continue;
    }
    if (seen.insert(key).second) out.push_back({key, kv.first, kv.second});
  }
  for (const YAML::Node& m : merges) {
    if (depth > 16) {
      errors.emplace_back(loc_of(m.Mark()), "merge keys ('<<') nest too deep; expected at most 16 levels");
      return;
    }
    if (m.IsMap()) {
      gather_entries(m, out, seen, errors, depth + 1);
    } else if (m.IsSequence()) {
      for (const auto& source : m) {
        budget_.visit(source);
        if (!source.IsMap()) {
          errors.emplace_back(loc_of(source.Mark()), "a merge ('<<') source is " + found(source) + "; expected a map");
          continue;
        }
        gather_entries(source, out, seen, errors, depth + 1);
      }
    } else {
      errors.emplace_back(loc_of(m.Mark()), "key '<<' is " + found(m) + "; expected a map or a list of maps to merge");
    }
  }
}

std::optional<JobConfig> Parser::parse_job(const YAML::Node& node, std::size_t index) {
  const std::string index_label = "job #" + std::to_string(index);
  const Loc job_loc = loc_of(node.Mark());
  if (!node.IsMap()) {
    problem(job_loc, index_label + ": found " + found(node) +
                         "; expected a map of job keys (name, url, ...); the job is skipped");
    return std::nullopt;
  }

  std::vector<Entry> entries;
  std::unordered_set<std::string> seen;
  Errors errors;
  gather_entries(node, entries, seen, errors, 0);

  JobConfig job;
  std::string label = index_label;
  auto error = [&](Loc loc, std::string what) { errors.emplace_back(loc, std::move(what)); };

  // The name first, so every other message can name the job.
  bool named = false;
  Loc name_loc = job_loc;
  for (const Entry& e : entries) {
    if (e.key != "name") continue;
    name_loc = value_loc(e.key_node, e.value);
    if (!e.value.IsScalar()) {
      error(name_loc, "key 'name': found " + found(e.value) + "; expected a non-empty job name");
    } else if (std::all_of(e.value.Scalar().begin(), e.value.Scalar().end(),
                           [](char c) { return c == ' ' || c == '\t'; })) {
      error(name_loc, "key 'name': value " + shown(e.value.Scalar()) + " is empty; expected a non-empty job name");
    } else if (std::any_of(e.value.Scalar().begin(), e.value.Scalar().end(), is_control)) {
      error(name_loc, "key 'name': value " + shown(e.value.Scalar()) +
                          " contains a control character; expected a printable job name");
    } else {
      job.name = e.value.Scalar();
      named = true;
      label = "job '" + job.name + "'";
    }
  }
  if (!named && seen.count("name") == 0) {
    job.name = std::string(kModuleName);  // go.d: a job without a name takes the module's
    named = true;
  }

  bool have_url = false;
  for (const Entry& e : entries) {
    const std::string& key = e.key;
    const YAML::Node& v = e.value;
    const Loc kloc = loc_of(e.key_node.Mark());
    const Loc vloc = value_loc(e.key_node, v);
    const std::string key_text = "key '" + key + "': ";
    std::string why;
    if (key == "name") continue;

    if (const auto compat = std::find_if(kCompatJobKeys.begin(), kCompatJobKeys.end(),
                                         [&](const CompatKey& c) { return c.name == key; });
        compat != kCompatJobKeys.end()) {
      problem(kloc, label + ": key '" + key + "' is ignored: " + std::string(compat->why) +
                        " (accepted for go.d compatibility)");
      continue;
    }
    if (std::find(kJobKeys.begin(), kJobKeys.end(), key) == kJobKeys.end()) {
      error(kloc, unknown_key_text(key, kJobKeys));
      continue;
    }
    if (is_cluster_key(key)) {  // parsed in cluster_config.cpp
      for (ClusterConfigError& ce : parse_cluster_key(key, v, job.cluster)) {
        error(ce.line > 0 ? Loc{ce.line, ce.column} : vloc, std::move(ce.what));
      }
      continue;
    }
    // A key with no value (`timeout:`) leaves the default, as in go.d.
    if (v.IsNull() && key != "url") continue;

    if (key == "url") {
      if (v.IsNull()) {
        error(vloc, key_text + "has no value; " + std::string(kUrlExpected));
        have_url = true;  // reported; do not report "missing" as well
        continue;
      }
      if (!v.IsScalar()) {
        error(vloc, key_text + "found " + found(v) + "; " + std::string(kUrlExpected));
      } else if (auto bad = check_metrics_url(v.Scalar())) {
        error(vloc, key_text + "value " + shown_url(v.Scalar()) + " " + *bad + "; " + std::string(kUrlExpected));
      } else {
        job.url = v.Scalar();
      }
      have_url = true;
    } else if (key == "timeout") {
      if (auto t = parse_timeout(v, why)) {
        job.timeout_s = *t;
      } else {
        error(vloc, key_text + why);
      }
    } else if (key == "update_every") {
      if (auto u = parse_integer(v, 1, kMaxUpdateEvery, kUpdateEveryExpected, why)) {
        job.update_every = static_cast<int>(*u);
      } else {
        error(vloc, key_text + why);
      }
    } else if (key == "tls_skip_verify" || key == "not_follow_redirects") {
      if (auto b = parse_bool(v, why)) {
        (key == "tls_skip_verify" ? job.tls_skip_verify : job.not_follow_redirects) = *b;
      } else {
        error(vloc, key_text + why);
      }
    } else if (key == "max_body_size") {
      if (auto size = parse_body_size(v, why)) {
        job.max_body_size = *size;
      } else {
        error(vloc, key_text + why);
      }
    } else if (key == "headers") {
      if (!v.IsMap()) {
        error(vloc, key_text + "found " + found(v) + "; expected a map of header name: value, e.g. {X-Scope: vernemq}");
        continue;
      }
      std::vector<std::pair<std::string, Loc>> names;
      for (const auto& h : v) {
        budget_.visit(h.first);
        budget_.visit(h.second);
        const Loc hloc = loc_of(h.first.Mark());
        if (!h.first.IsScalar() || h.first.Scalar().empty() ||
            !std::all_of(h.first.Scalar().begin(), h.first.Scalar().end(), is_header_token_char)) {
          error(hloc, key_text + "header name " + (h.first.IsScalar() ? shown(h.first.Scalar()) : found(h.first)) +
                          " is not a valid HTTP header name; expected letters, digits and "
                          "!#$%&'*+-.^_`|~");
          continue;
        }
        const std::string& hname = h.first.Scalar();
        const auto dup =
            std::find_if(names.begin(), names.end(), [&](const auto& p) { return iequals(p.first, hname); });
        if (dup != names.end()) {
          error(hloc, key_text + "header " + shown(hname) + " appears twice (first at line " +
                          std::to_string(dup->second.line) + "); expected each header once (names ignore case)");
          continue;
        }
        names.emplace_back(hname, hloc);
        auto value = parse_string(h.second, why);
        if (!value) {
          error(value_loc(h.first, h.second), key_text + "header " + shown(hname) + ": " + why);
          continue;
        }
        // The value is not shown: headers often carry credentials.
        if (std::any_of(value->begin(), value->end(), [](char c) { return is_control(c) && c != '\t'; })) {
          error(value_loc(h.first, h.second),
                key_text + "header " + shown(hname) +
                    ": the value contains a line break or control character; expected one line");
          continue;
        }
        job.headers.emplace_back(hname, std::move(*value));
      }
    } else {
      // The remaining keys are plain strings.
      auto s = parse_string(v, why);
      if (!s) {
        error(vloc, key_text + why);
        continue;
      }
      if (key == "proxy_url" && !s->empty()) {
        if (auto bad = check_proxy_url(*s)) {
          error(vloc, key_text + "value " + shown_url(*s) + " " + *bad + "; " + std::string(kProxyExpected));
          continue;
        }
      }
      if (std::any_of(s->begin(), s->end(), is_control)) {
        // Secrets and paths alike: a line break here is a copy-paste accident, not data.
        error(vloc, key_text +
                        "the value contains a line break or control character; "
                        "expected one line");
        continue;
      }
      const auto field =
          std::find_if(kStringKeys.begin(), kStringKeys.end(), [&](const auto& entry) { return entry.first == key; });
      if (field != kStringKeys.end()) job.*(field->second) = std::move(*s);
    }
  }
  if (!have_url) {
    error(job_loc, "key 'url' is missing; " + std::string(kUrlExpected));
  }
  if (!job.url.empty()) {
    for (std::string& m : check_cluster_config(job.cluster, job.url)) error(job_loc, std::move(m));
  }

  // Names that make chart ids collide: as go.d, the later job is skipped and the others run.
  // The chart type is built exactly as the charts code does ("vernemq_" + the sanitised name,
  // then the writer's own sanitising and length cap), so names that differ only in characters
  // Netdata ids cannot hold count as duplicates too. Only a usable job claims its name.
  if (named && errors.empty()) {
    const std::string chart_type = sanitize_id("vernemq_" + sanitize_id(job.name));
    if (auto [it, inserted] = names_.emplace(chart_type, SeenName{job.name, name_loc}); !inserted) {
      const std::string unnamed = seen.count("name") == 0 ? " (a job without 'name' is named 'vernemq')" : "";
      if (it->second.name == job.name) {
        error(name_loc, "duplicate job name " + shown(job.name) + unnamed + ": also used by the job at " +
                            where(source_, it->second.loc) + "; expected unique job names");
      } else {
        error(name_loc, "its name" + unnamed + " and the name " + shown(it->second.name) + " of the job at " +
                            where(source_, it->second.loc) + " both become the chart type " + shown(chart_type) +
                            "; expected names that differ in letters, digits, '_' or '-' (other "
                            "characters become '_', and only the first 92 count)");
      }
    }
  }

  if (!errors.empty()) {
    for (const auto& [loc, what] : errors) {
      config_.problems.push_back(where(source_, loc) + ": " + label + ": " + what + "; the job is skipped");
    }
    return std::nullopt;
  }
  return job;
}

void add_secret(std::vector<std::string>& out, std::string s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    const bool two = i + 1 < in.size();
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += two ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// HTTP Basic auth sends "user:password" in base64, which a server can echo back as easily as
// the password itself: that form is a secret too.
void add_basic_auth_secret(std::vector<std::string>& out, std::string_view user, std::string_view password) {
  if (password.empty()) return;
  std::string pair(user);
  pair += ':';
  pair += password;
  add_secret(out, base64(pair));
}

void add_url_secrets(std::vector<std::string>& out, std::string_view url) {
  const UrlParts p = split_url(url);
  if (p.userinfo_end == std::string_view::npos) return;
  const std::string_view userinfo = url.substr(p.authority_begin, p.userinfo_end - p.authority_begin);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return;  // a user name alone is not a secret
  add_secret(out, std::string(userinfo));
  const std::string_view password = userinfo.substr(colon + 1);
  add_secret(out, std::string(password));
  add_secret(out, percent_decode(password));
  add_basic_auth_secret(out, percent_decode(userinfo.substr(0, colon)), percent_decode(password));
}

}  // namespace

std::vector<std::string> JobConfig::secrets() const {
  std::vector<std::string> out;
  add_secret(out, password);
  add_secret(out, api_key);
  add_secret(out, proxy_password);
  add_basic_auth_secret(out, username, password);
  add_basic_auth_secret(out, proxy_username, proxy_password);
  add_url_secrets(out, url);
  add_url_secrets(out, proxy_url);
  // Every header the user set may carry a credential (go.d users put API keys and tokens there
  // under any name): each value is a secret, and its last word too ("Bearer abc" → "abc").
  for (const auto& header : headers) {
    const std::string& value = header.second;
    add_secret(out, value);
    if (const std::size_t sp = value.find_last_of(" \t"); sp != std::string::npos)
      add_secret(out, value.substr(sp + 1));
  }
  return out;
}

std::span<const ConfigKey> config_keys() { return kKeys; }

Config parse_config(std::string_view yaml_text, std::string_view source) {
  Parser parser(source);
  return parser.parse(yaml_text);
}

Config load_config_file(const std::string& path) {
  auto os_error = [&](std::string_view what, int err) {
    return ConfigError(path + ": " + std::string(what) + ": " + std::system_category().message(err));
  };
  // O_NONBLOCK: opening a FIFO given by mistake must not hang start-up.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw os_error("cannot open the configuration file", errno);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw os_error("cannot stat the configuration file", errno);
  if (S_ISDIR(st.st_mode)) {
    throw ConfigError(path + ": is a directory; expected a YAML configuration file");
  }
  if (!S_ISREG(st.st_mode)) {
    throw ConfigError(path + ": is not a regular file; expected a YAML configuration file");
  }
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw os_error("cannot read the configuration file", errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigFileBytes) {
      throw ConfigError(path + ": is larger than " + std::to_string(kMaxConfigFileBytes) +
                        " bytes; expected a small YAML configuration file");
    }
  }
  return parse_config(text, path);
}

std::optional<std::string> find_config_file(const std::optional<std::string>& cli_path,
                                            const char* (*getenv_fn)(const char*)) {
  if (cli_path) return cli_path;
  for (const char* var : {"NETDATA_USER_CONFIG_DIR", "NETDATA_STOCK_CONFIG_DIR"}) {
    const char* dir = getenv_fn != nullptr ? getenv_fn(var) : std::getenv(var);
    if (dir == nullptr || *dir == '\0') continue;
    std::string candidate(dir);
    if (candidate.back() != '/') candidate += '/';
    candidate += "vernemq.conf";
    // Existence only: a file we cannot read must be reported by load_config_file, not skipped
    // in favour of the stock one.
    std::error_code ec;
    if (std::filesystem::exists(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

Config default_config() {
  Config config;
  config.source = "built-in default";
  JobConfig job;
  job.name = "local";
  job.url = std::string(kDefaultUrl);
  config.jobs.push_back(std::move(job));
  return config;
}

std::string redact_url(std::string_view url) {
  const UrlParts p = split_url(url);
  if (p.userinfo_end == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, p.authority_begin));
  out += url.substr(p.userinfo_end + 1);
  return out;
}

}  // namespace vmq
