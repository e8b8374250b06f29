// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration keys, as one table: what each key is called, its type, default and range as
// conf.d/vernemq.conf documents them (a test keeps that file in step), how it is read and where
// its value goes. A new key is a new row: a typed reader from config_readers.h bound to a member
// with store<>, or a custom reader for a nested key.
#include <array>
#include <limits>

#include "vmq/cluster_config.h"
#include "vmq/config.h"
#include "vmq/config_readers.h"

namespace vmq {
namespace {

using cfg::note_ignored;
using cfg::read_bool;
using cfg::read_duration;
using cfg::read_headers;
using cfg::read_integer;
using cfg::read_job_name;
using cfg::read_line;
using cfg::read_metrics_url;
using cfg::read_proxy_url;
using cfg::read_size;
using cfg::store;

constexpr double kMaxUpdateEvery = 86'400;
// libcurl timeouts are whole milliseconds and 0 means "never": anything below 1 ms would
// silently become an infinite timeout.
constexpr double kMinTimeoutS = 0.001;
constexpr double kMaxTimeoutS = 3600;
constexpr double kMinBodySize = 1024;
constexpr double kMaxBodySize = 1024.0 * 1024.0 * 1024.0;
constexpr double kMaxInt = std::numeric_limits<int>::max();

constexpr std::string_view kUpdateEveryExpected = "expected an integer number of seconds, 1 to 86400";
constexpr std::string_view kTimeoutExpected =
    "expected seconds > 0 and <= 3600, as a number (1, 0.5) or a duration (500ms, 2s)";
constexpr std::string_view kBodySizeExpected =
    "expected bytes from 1024 to 1073741824, as an integer or with a KiB, MiB or GiB suffix";
constexpr std::string_view kHostMemoryExpected =
    "expected bytes from 1 MiB to 1048576 GiB, as an integer or with a KiB, MiB or GiB suffix";
constexpr double kMinHostMemory = 1024.0 * 1024.0;
constexpr double kMaxHostMemory = 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0;  // 1 PiB
constexpr std::string_view kUrlExpected =
    "expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:8888/metrics";
constexpr std::string_view kProxyExpected =
    "expected a proxy URL with a host, e.g. http://proxy:3128 (schemes http, https, socks4, "
    "socks4a, socks5, socks5h)";

// One row; the arguments after the reader are only needed by the readers that use them.
constexpr ConfigKey key(std::string_view name, bool global, std::string_view type, std::string_view default_value,
                        std::string_view range, std::string_view help, bool (*read)(const cfg::KeyRead&),
                        std::string_view expected = {}, double min = 0, double max = 0,
                        OnNull on_null = OnNull::keep_default, bool required = false) {
  return ConfigKey{name, global, type, default_value, range, help, read, expected, min, max, on_null, required};
}

// The two cluster keys are read by cluster_config.cpp, whose messages are located already.
bool read_cluster_key(const cfg::KeyRead& r) {
  const std::vector<ClusterConfigError> errors = parse_cluster_key(r.key.name, r.value, r.job->cluster);
  for (const ClusterConfigError& e : errors) r.errors.emplace_back(cfg::Loc{e.line, e.column}, e.what);
  return errors.empty();
}

constexpr bool kGlobal = true;
constexpr bool kJob = false;

// Top-level keys first, then job keys, each group in the order messages list them.
// name, global, type, default, range, help, reader, expected, min, max, on null, required
constexpr std::array<ConfigKey, 25> kKeys = {{
    key("update_every", kGlobal, "integer", "1", "1..86400", "Collection interval in seconds, the jobs' default.",
        &store<&Config::update_every, read_integer>, kUpdateEveryExpected, 1, kMaxUpdateEvery),
    key("autodetection_retry", kGlobal, "integer", "0", ">= 0",
        "Seconds before a failed first check is retried; 0 drops the job.",
        &store<&Config::autodetection_retry, read_integer>, "expected an integer number of seconds >= 0 (0 = never)", 0,
        kMaxInt),
    key("priority", kGlobal, "integer", "", "", "Accepted for go.d compatibility and ignored.", &note_ignored,
        "chart priorities are fixed in Netdata's VerneMQ range", 0, 0, OnNull::read),
    key("jobs", kGlobal, "list", "", "", "The jobs, each a map of job keys.", nullptr),  // walked by the parser

    key("name", kJob, "string", "vernemq", "unique",
        "The job's name, part of the chart ids and the _collect_job label.", &store<&JobConfig::name, read_job_name>,
        "", 0, 0, OnNull::read),
    key("url", kJob, "url", "", "http:// or https://", "The VerneMQ metrics URL.",
        &store<&JobConfig::url, read_metrics_url>, kUrlExpected, 0, 0, OnNull::read, true),
    key("timeout", kJob, "duration", "1", "0.001..3600 s", "HTTP connect and request timeout.",
        &store<&JobConfig::timeout_s, read_duration>, kTimeoutExpected, kMinTimeoutS, kMaxTimeoutS),
    key("update_every", kJob, "integer", "the GLOBAL update_every", "1..86400",
        "This job's collection interval in seconds.", &store<&JobConfig::update_every, read_integer>,
        kUpdateEveryExpected, 1, kMaxUpdateEvery),
    key("username", kJob, "string", "none", "", "HTTP basic authentication user and password.",
        &store<&JobConfig::username, read_line>),
    key("password", kJob, "string", "none", "", "HTTP basic authentication user and password.",
        &store<&JobConfig::password, read_line>),
    key("api_key", kJob, "string", "none", "", "VerneMQ's HTTP API key, sent as the x-api-key header.",
        &store<&JobConfig::api_key, read_line>),
    key("bearer_token_file", kJob, "string", "none", "",
        "A file holding a token, sent as \"Authorization: Bearer <token>\".",
        &store<&JobConfig::bearer_token_file, read_line>),
    key("headers", kJob, "map", "none", "", "Extra HTTP request headers, a map of name: value.",
        &store<&JobConfig::headers, read_headers>),
    key("proxy_url", kJob, "url", "none", "http, https, socks4, socks4a, socks5, socks5h", "The proxy to use.",
        &store<&JobConfig::proxy_url, read_proxy_url>, kProxyExpected),
    key("proxy_username", kJob, "string", "none", "", "Proxy basic authentication user and password.",
        &store<&JobConfig::proxy_username, read_line>),
    key("proxy_password", kJob, "string", "none", "", "Proxy basic authentication user and password.",
        &store<&JobConfig::proxy_password, read_line>),
    key("tls_ca", kJob, "string", "the system CAs", "", "A CA certificate file (PEM) to verify the server with.",
        &store<&JobConfig::tls_ca, read_line>),
    key("tls_cert", kJob, "string", "none", "",
        "A client certificate and its key (PEM), for TLS client authentication.",
        &store<&JobConfig::tls_cert, read_line>),
    key("tls_key", kJob, "string", "none", "", "A client certificate and its key (PEM), for TLS client authentication.",
        &store<&JobConfig::tls_key, read_line>),
    key("tls_skip_verify", kJob, "bool", "false", "",
        "Do not verify the server's certificate and host name (insecure).",
        &store<&JobConfig::tls_skip_verify, read_bool>),
    key("not_follow_redirects", kJob, "bool", "false", "",
        "Treat an HTTP redirect as a failure instead of following it.",
        &store<&JobConfig::not_follow_redirects, read_bool>),
    key("max_body_size", kJob, "size", "16 MiB", "1 KiB..1 GiB",
        "The largest /metrics body accepted; a larger body fails that update.",
        &store<&JobConfig::max_body_size, read_size>, kBodySizeExpected, kMinBodySize, kMaxBodySize),
    key("host_memory", kJob, "size", "MemTotal for a loopback url, else unknown", "1 MiB..1048576 GiB",
        "The broker host's memory, for the Erlang VM memory alert's thresholds.",
        &store<&JobConfig::host_memory, read_size>, kHostMemoryExpected, kMinHostMemory, kMaxHostMemory),
    key("cluster_sources", kJob, "map", "status_json and health on; api_* with an api_key", "",
        "The cluster sources read beside /metrics, on the same host: status_json (/status.json),", &read_cluster_key),
    key("cluster_update_every", kJob, "integer", "10", "1..86400",
        "Seconds between two polls of the cluster sources (status.json makes the node ask every", &read_cluster_key),
}};

// What the parser relies on, checked when the table is compiled: names unique within their
// group, a bounded reader has min <= max. (That every key but `jobs` has a reader is checked by
// config_test: under AddressSanitizer GCC cannot compare function addresses at compile time.)
constexpr bool table_is_sound() {
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    const ConfigKey& k = kKeys[i];
    if (k.min > k.max) return false;
    for (std::size_t j = i + 1; j < kKeys.size(); ++j) {
      if (kKeys[j].global == k.global && kKeys[j].name == k.name) return false;
    }
  }
  return true;
}
static_assert(table_is_sound(), "a key is listed twice or has min > max");

}  // namespace

std::span<const ConfigKey> config_keys() { return kKeys; }

}  // namespace vmq
