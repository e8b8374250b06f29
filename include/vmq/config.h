// SPDX-License-Identifier: GPL-3.0-or-later
// Configuration: the YAML file (go.d's vernemq.conf shape) → validated job descriptions.
// Start-up code: problems that make the whole file unusable throw ConfigError; a bad job is
// skipped and described in Config::problems, the other jobs still run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vmq/cluster_config.h"
#include "vmq/url.h"  // redact_url, declared here before

namespace vmq {
namespace cfg {
struct KeyRead;  // what a key's reader is given (config_readers.h)
}

inline constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8888/metrics";
inline constexpr std::size_t kDefaultMaxBodySize = 16u * 1024u * 1024u;

// Thrown for a file that cannot be used at all; what() says file, line, column (where known),
// what was found and what was expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct JobConfig {
  std::string name;        // unique within the file
  std::string url;         // http:// or https://
  int update_every = 0;    // seconds; 0 = the file's update_every
  double timeout_s = 1.0;  // connect and total, seconds
  std::string username;    // HTTP basic auth
  std::string password;
  std::string api_key;                                       // VerneMQ's own, sent as x-api-key
  std::string bearer_token_file;                             // read at each request: Authorization: Bearer <token>
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers, in order
  std::string proxy_url;
  std::string proxy_username;
  std::string proxy_password;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool tls_skip_verify = false;
  bool not_follow_redirects = false;
  std::size_t max_body_size = kDefaultMaxBodySize;  // bytes; a larger body is an error
  std::uint64_t host_memory = 0;                    // bytes, the broker host's memory; 0 = not set (host_memory.h)
  ClusterConfig cluster;                            // cluster_sources, cluster_update_every

  // Every secret of this job (password, api key, proxy password, URL userinfo), for redaction.
  [[nodiscard]] std::vector<std::string> secrets() const;
};

struct Config {
  std::string source;                 // the file read, or "built-in default"
  int update_every = 1;               // seconds, the file's default for jobs
  int autodetection_retry = 0;        // seconds between retries of a failed first check; 0 = never
  std::vector<JobConfig> jobs;        // usable jobs, in file order
  std::vector<std::string> problems;  // one message per skipped job or ignored key
};

// What a key with no value (`key:`) means.
enum class OnNull : std::uint8_t {
  keep_default,  // the default stays, as in go.d
  read,          // the reader decides (a required key, a key that is noted whatever its value)
};

// One configuration key: how the parser reads it, what its messages say, and what
// conf.d/vernemq.conf documents (a test keeps the file in step with this table).
struct ConfigKey {
  std::string_view name;
  bool global;            // a top-level key (else a job key)
  std::string_view type;  // integer, duration, string, bool, map, list, size, url
  // The reference's line for the key is "Type: <type>[, <range>]. Default: <default_value>."
  std::string_view default_value;  // "" when it has none
  std::string_view range;          // the accepted values, "" when any of its type
  std::string_view help;           // the first line of its entry in conf.d/vernemq.conf
  // Validates the value, reports what is wrong (located) and stores it; false when it reported.
  // One of the typed readers of config_readers.h bound to a member, or a custom function for a
  // nested key. nullptr only for `jobs`, which the parser walks itself.
  bool (*read)(const cfg::KeyRead&) = nullptr;
  std::string_view expected;  // "expected ..." in its messages ("" = the reader's own); why, for an ignored key
  double min = 0;             // bounds of the integer, duration and size readers
  double max = 0;
  OnNull on_null = OnNull::keep_default;
  bool required = false;  // a job without it is skipped
};

// Every key, top-level ones first, each group in the order messages list them.
std::span<const ConfigKey> config_keys();

// Parses YAML text. `source` names it in messages (a path, or "<string>").
Config parse_config(std::string_view yaml_text, std::string_view source);

// Reads and parses a file; a missing/unreadable file or a directory is a ConfigError.
Config load_config_file(const std::string& path);

// Which file to read: the --config path when given; else $NETDATA_USER_CONFIG_DIR/vernemq.conf
// if it exists; else $NETDATA_STOCK_CONFIG_DIR/vernemq.conf if it exists; else nullopt
// (→ default_config()). `getenv` is injectable for tests.
std::optional<std::string> find_config_file(const std::optional<std::string>& cli_path,
                                            const char* (*getenv_fn)(const char*));

// One job named "local" on kDefaultUrl.
Config default_config();

}  // namespace vmq
