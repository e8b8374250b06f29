// SPDX-License-Identifier: GPL-3.0-or-later
// The plugin speaks the protocol of the Netdata it is told it runs under (NETDATA_VERSION): with
// the variable unset, unreadable or 1.37's, not one line a 1.37 would not accept, and no keyword
// newer than 1.37; with v2's, a stream v2's profile accepts.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "netdata_validator.h"
#include "subprocess.h"
#include "vmq/netdata_version.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
using testing::TempDir;

constexpr const char* kScenario = R"(
prefix: vernemq_
nodes: [VerneMQ@127.0.0.1]
steps:
  - {at: 0, rate: {success: 10, not_authorized: 1}}
)";

// Every keyword 1.37 accepts from a plugin (v1.37.1 parser/parser.c:54-77 minus its streaming
// ones); anything else written under 1.37 kills the plugin.
const std::set<std::string> k137Keywords = {"FLUSH", "CHART",     "DIMENSION", "DISABLE",       "VARIABLE",
                                            "LABEL", "OVERWRITE", "END",       "CLABEL_COMMIT", "CLABEL",
                                            "BEGIN", "SET",       "FUNCTION"};

// Keywords only v2 (or 1.38+) accepts, netdata-v2.md §1.2.
const std::vector<std::string> kNewerKeywords = {"FUNCTION_RESULT_BEGIN",
                                                 "FUNCTION_RESULT_END",
                                                 "EXIT",
                                                 "HOST_DEFINE",
                                                 "HOST_DEFINE_END",
                                                 "HOST_LABEL",
                                                 "HOST",
                                                 "FUNCTION_PROGRESS",
                                                 "CONFIG",
                                                 "PLUGIN_KEEPALIVE",
                                                 "TRUST_DURATIONS",
                                                 "FUNCTION_DEL",
                                                 "DYNCFG_ENABLE",
                                                 "REPORT_JOB_STATUS"};

// Runs the plugin against vernemq-sim until it has sent `ticks` data blocks; its stdout.
std::string run_plugin(const std::optional<std::string>& netdata_version, int ticks = 3) {
  TempDir dir;
  Subprocess sim({VMQ_SIM_PATH, "--scenario", dir.write("s.yaml", kScenario)});
  if (!sim.wait_for_stdout("ready\n", 10s)) {
    ADD_FAILURE() << "vernemq-sim did not get ready: " << sim.err();
    return {};
  }
  std::smatch m;
  const std::string sim_out = sim.out();
  if (!std::regex_search(sim_out, m, std::regex(R"((http://\S+))"))) {
    ADD_FAILURE() << sim_out;
    return {};
  }
  const std::string conf = dir.write("vernemq.conf", "jobs:\n  - name: local\n    url: " + m[1].str() + "\n");
  std::map<std::string, std::string> env;
  if (netdata_version) env["NETDATA_VERSION"] = *netdata_version;
  // A pipe on stdin, as Netdata gives it: on v2 the plugin reads it and ends at its EOF.
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf}, env, true);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  auto ends = [&] {
    const std::string& o = plugin.out();
    std::size_t n = 0;
    for (std::size_t p = o.find("\nEND\n"); p != std::string::npos; p = o.find("\nEND\n", p + 1)) ++n;
    return n;
  };
  while (ends() < static_cast<std::size_t>(ticks) * 2 && std::chrono::steady_clock::now() < deadline) {
    plugin.pump(100ms);
  }
  plugin.signal(SIGTERM);
  EXPECT_EQ(plugin.wait_exit(10s), 0) << plugin.err();
  EXPECT_GE(ends(), static_cast<std::size_t>(ticks) * 2) << plugin.out() << plugin.err();
  return plugin.out();
}

class On137 : public ::testing::TestWithParam<std::optional<std::string>> {};

TEST_P(On137, NothingNewerThan137IsEverWritten) {
  const std::string out = run_plugin(GetParam());
  const NetdataVersion told = NetdataVersion::parse(GetParam() ? GetParam()->c_str() : nullptr);
  ASSERT_FALSE(told.at_least(1, 38));  // the model: each of these means 1.37
  testing::NetdataValidator v(told);
  v.feed(out);
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
  for (const std::string& k : v.keywords_seen()) EXPECT_TRUE(k137Keywords.count(k)) << k;
  // Also by plain text, whatever the validator made of it: no line starts with a newer keyword.
  for (const std::string& k : kNewerKeywords) {
    EXPECT_EQ(out.find("\n" + k), std::string::npos) << k;
    EXPECT_FALSE(out.starts_with(k)) << k;
  }
  // Functions are a v2 feature (unreachable on Debian's 1.37): not even registered.
  EXPECT_TRUE(v.functions().empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, On137,
                         ::testing::Values(std::nullopt, std::optional<std::string>("v1.37.1"),
                                           std::optional<std::string>(""), std::optional<std::string>("garbage")),
                         [](const auto& p) {
                           if (!p.param) return std::string("unset");
                           if (p.param->empty()) return std::string("empty");
                           return *p.param == "garbage" ? std::string("garbage") : std::string("v1_37_1");
                         });

TEST(OnV2, TheStreamFitsV2sProfile) {
  const std::string out = run_plugin(std::string("v2.10.4"));
  testing::NetdataValidator v(NetdataVersion::parse("v2.10.4"));
  v.feed(out);
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
  EXPECT_NE(v.chart("vernemq_local.mqtt_puback_sent_reason"), nullptr);
}

}  // namespace
}  // namespace vmq
