// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>

namespace vmq::testing {

namespace {
int g_counter = 0;
}

Sim::Sim(const std::string& sim_path, const TempDir& dir, const std::string& scenario)
    : proc({sim_path, "--scenario", dir.write("scenario-" + std::to_string(++g_counter) + ".yaml", scenario)}) {
  if (!proc.wait_for_stdout("ready\n", std::chrono::seconds(10))) {
    ADD_FAILURE() << "vernemq-sim did not get ready: " << proc.err();
    return;
  }
  const std::regex line(R"((\S+) (http://\S+)\n)");
  for (std::sregex_iterator it(proc.out().begin(), proc.out().end(), line), end; it != end; ++it) {
    urls.push_back((*it)[2]);
  }
}

std::string job_yaml(const std::string& name, const std::string& url, const std::string& extra) {
  return "  - name: " + name + "\n    url: " + url + "\n" + extra;
}

std::vector<std::optional<long long>> series(const NetdataValidator& v, const std::string& chart,
                                             const std::string& dim) {
  std::vector<std::optional<long long>> out;
  for (const auto& p : v.points_of(chart)) {
    const auto it = p.values.find(dim);
    out.push_back(it == p.values.end() ? std::nullopt : it->second);
  }
  return out;
}

std::vector<long long> distinct(const std::vector<std::optional<long long>>& s) {
  std::vector<long long> d;
  for (const auto& v : s) {
    if (v && (d.empty() || d.back() != *v)) d.push_back(*v);
  }
  return d;
}

}  // namespace vmq::testing
