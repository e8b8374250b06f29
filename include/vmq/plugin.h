// SPDX-License-Identifier: GPL-3.0-or-later
// The running plugin: jobs, their schedules, the HTTP client, and the loop that turns
// completed scrapes into protocol output on stdout.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "vmq/config.h"
#include "vmq/netdata_version.h"
#include "vmq/scheduler.h"

namespace vmq {

// Failure logging for one job: the first failure is logged at once, further failures are
// summarised at most once a minute, and the recovery is logged.
class FailureLog {
 public:
  explicit FailureLog(std::string job) : job_(std::move(job)) {}
  void failure(std::int64_t mono_us, std::string_view error);
  void success(std::int64_t mono_us);
  [[nodiscard]] bool failing() const { return failing_; }
  [[nodiscard]] const std::string& last_error() const { return last_error_; }

 private:
  std::string job_;
  bool failing_ = false;
  std::int64_t since_us_ = 0;
  std::int64_t last_summary_us_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t since_summary_ = 0;
  std::string last_error_;
};

struct RunOptions {
  int netdata_update_every = 1;  // argv[1]
  int out_fd = 1;
  NetdataVersion netdata;  // from NETDATA_VERSION: Functions only on v2
  int in_fd = 0;           // Netdata's function calls
};

// Runs until `stop` becomes true (a signal), stdout closes, or no job is usable.
// Returns the process exit code.
int run_plugin(const Config& config, const RunOptions& options, const Clock& clock, std::atomic<bool>& stop);

// Makes a running run_plugin() notice `stop` at once (async-signal-safe).
void wake_running_plugin();

// `--check`: fetches every job once, prints a JSON report to `out_fd`; 0 when every job is usable.
int run_check(const Config& config, int out_fd);

}  // namespace vmq
