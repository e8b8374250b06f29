// SPDX-License-Identifier: GPL-3.0-or-later
// The built vernemq-sim as a process for the plugin's process tests, and small helpers to read
// what the plugin wrote.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netdata_validator.h"
#include "subprocess.h"

namespace vmq::testing {

// Starts the simulator at `sim_path` on `scenario` (written into `dir`) and waits for "ready".
struct Sim {
  Sim(const std::string& sim_path, const TempDir& dir, const std::string& scenario);
  Subprocess proc;
  std::vector<std::string> urls;  // one /metrics URL per listener
};

// A job entry of a config file's `jobs:` list.
std::string job_yaml(const std::string& name, const std::string& url, const std::string& extra = "");

// The values of one dimension over the stream's points (nullopt: an empty SET).
std::vector<std::optional<long long>> series(const NetdataValidator& v, const std::string& chart,
                                             const std::string& dim);

// The distinct successive values, ignoring empty ticks.
std::vector<long long> distinct(const std::vector<std::optional<long long>>& s);

}  // namespace vmq::testing
