// SPDX-License-Identifier: GPL-3.0-or-later
// Netdata Functions (netdata-v2.md §2): the `vernemq` function answers a table, one row per job,
// to the dashboard and /api/v1/function?function=vernemq. Only when NETDATA_VERSION is v2.0 or
// later; on 1.37 nothing is registered and stdin is not read.
//
// Netdata writes calls to the plugin's stdin, one line each:
//   FUNCTION <transaction> <timeout_s> "<name and params>" ["<access>" "<source>"]   (v2; 1.37: 3 words)
//   FUNCTION_CANCEL <transaction>, FUNCTION_PROGRESS <transaction>, QUIT,
//   FUNCTION_PAYLOAD <transaction> ... FUNCTION_PAYLOAD_END (skipped: this function takes none)
// and the plugin replies on stdout, between two ticks (never inside a BEGIN..END block):
//   FUNCTION_RESULT_BEGIN <transaction> <status> application/json <expires>
//   <one line of JSON>
//   FUNCTION_RESULT_END
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmq/netdata_version.h"

namespace vmq {

// What the loop knows about one job, for the table. Empty optionals are shown as null.
struct JobStatus {
  std::string name;
  std::string url;  // without credentials (redact_url)
  bool up = false;
  std::string last_error;                         // "" when up or never scraped
  std::optional<std::int64_t> last_good_mono_us;  // the last successful scrape, monotonic
  std::optional<double> uptime_s;                 // the node's uptime (filled by the lead later)
  std::optional<std::string> vernemq_version;
  std::optional<long long> connections;
  std::map<std::string, std::uint64_t> refused_last_minute;  // non-success reason -> PUBACKs
};

inline constexpr std::string_view kFunctionName = "vernemq";
inline constexpr int kFunctionTimeoutS = 10;

class FunctionServer {
 public:
  // `in_fd`: where Netdata's calls arrive (stdin). Made non-blocking when enabled.
  FunctionServer(const NetdataVersion& netdata, int in_fd);

  [[nodiscard]] bool enabled() const { return enabled_; }
  // The fd to wait on with the scrapes, or -1 (disabled, or stdin closed).
  [[nodiscard]] int wait_fd() const { return enabled_ && !eof_ ? in_fd_ : -1; }
  // The registration, once at start (empty when disabled).
  void register_functions(std::string& out) const;

  // Reads what stdin holds without blocking and queues the calls. True when Netdata asked the
  // plugin to quit: QUIT, or its end of the pipe closed (EOF).
  bool read_input();
  // Answers every queued call into `out`: call it when `out` holds only whole blocks.
  void answer(const std::vector<JobStatus>& jobs, std::int64_t now_mono_us, std::int64_t now_unix_s, std::string& out);

  // The pieces, for tests.
  void feed(std::string_view bytes);  // as read_input() does with what it read
  [[nodiscard]] std::size_t pending() const { return calls_.size(); }
  [[nodiscard]] bool quit() const { return quit_; }
  static std::string table_json(const std::vector<JobStatus>& jobs, std::int64_t now_mono_us);

 private:
  struct Call {
    std::string transaction;
    std::string name;
    bool cancelled = false;
  };
  void on_line(std::string_view line);

  bool enabled_;
  int in_fd_;
  bool eof_ = false;
  bool quit_ = false;
  bool in_payload_ = false;
  std::string partial_;
  std::vector<Call> calls_;
};

}  // namespace vmq
