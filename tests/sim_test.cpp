// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq-sim: the scenario model in-process (no clock: time is a parameter), then the built
// executable as a real process spoken to over HTTP.
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scenario.h"
#include "sim_server.h"
#include "vernemq_body.h"
#include "vmq/catalogue.h"

namespace vmq::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kSentV4 = 9;  // index of mqtt_puback_sent{mqtt_version="4"} in Scenario::counters

std::size_t sent(const Scenario& sc, std::string_view reason) {
  return sc.counter_index(CounterId{false, 5, std::string(reason)}).value();
}

// ---------------------------------------------------------------------------------------------
// Parsing

TEST(SimScenario, DefaultsAndTheTwentyStandardCountersComeFirst) {
  const Scenario sc = parse_scenario("steps: []\n", "t.yaml");
  EXPECT_EQ(sc.prefix, "vernemq_");
  ASSERT_EQ(sc.nodes.size(), 1u);
  EXPECT_EQ(sc.nodes[0], "VerneMQ@127.0.0.1");
  EXPECT_EQ(sc.repeat, 0);
  ASSERT_EQ(sc.counters.size(), 20u);
  for (std::size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(sc.counters[i].reason, kPubackReasons[i]);
    EXPECT_FALSE(sc.counters[i].received);
    EXPECT_EQ(sc.counters[10 + i].reason, kPubackReasons[i]);
    EXPECT_TRUE(sc.counters[10 + i].received);
  }
  EXPECT_EQ(sc.counters[kSentV4].mqtt_version, 4);
  EXPECT_EQ(sc.counters[19].mqtt_version, 4);
  EXPECT_TRUE(sc.counters[19].received);
}

TEST(SimScenario, EmptyPrefixAndUnknownReasonsAreAccepted) {
  const Scenario sc = parse_scenario(
      "prefix: \"\"\nnodes: [a@h, b@h]\nsteps:\n  - {at: 2, add: {brand_new: 3, received: {other_new: 1}}}\n",
      "t.yaml");
  EXPECT_EQ(sc.prefix, "");
  EXPECT_EQ(sc.nodes, (std::vector<std::string>{"a@h", "b@h"}));
  ASSERT_EQ(sc.counters.size(), 22u);
  EXPECT_EQ(sc.counters[20].reason, "brand_new");
  EXPECT_FALSE(sc.counters[20].received);
  EXPECT_EQ(sc.counters[21].reason, "other_new");
  EXPECT_TRUE(sc.counters[21].received);
}

struct BadScenario {
  const char* yaml;
  const char* where;     // "LINE:COL"
  const char* expected;  // a fragment of the message
};

// Readable test names in ctest (instead of the struct's bytes).
void PrintTo(const BadScenario& bad, std::ostream* os) { *os << bad.where << ' ' << bad.expected; }

class SimScenarioErrors : public ::testing::TestWithParam<BadScenario> {};

TEST_P(SimScenarioErrors, ReportFileLineColumnAndWhatWasExpected) {
  const BadScenario& bad = GetParam();
  try {
    (void)parse_scenario(bad.yaml, "bad.yaml");
    FAIL() << "accepted: " << bad.yaml;
  } catch (const ScenarioError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(std::string("bad.yaml:") + bad.where + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(bad.expected), std::string::npos) << msg;
  }
}

// Columns are 1-based positions of the offending token, counted by hand from the YAML text.
INSTANTIATE_TEST_SUITE_P(
    Cases, SimScenarioErrors,
    ::testing::Values(BadScenario{"steps:\n  - {at: 1, fault: boom}\n", "2:20", "unknown fault 'boom'"},
                      BadScenario{"steps:\n  - {at: x}\n", "2:10", "expected 'at' as whole seconds"},
                      BadScenario{"steps:\n  - {at: -1, add: {success: 1}}\n", "2:10", "expected 'at'"},
                      BadScenario{"stepz: []\n", "1:1", "unknown key 'stepz'"},
                      BadScenario{"steps:\n  - {at: 1, ad: {success: 1}}\n", "2:13", "unknown key 'ad'"},
                      BadScenario{"steps:\n  - {at: 1}\n", "2:5", "step does nothing"},
                      BadScenario{"steps:\n  - {add: {success: 1}}\n", "2:5", "no 'at'"},
                      BadScenario{"nodes: [a@h]\nsteps:\n  - {at: 1, node: b@h, restart: true}\n", "3:19",
                                  "unknown node 'b@h'"},
                      BadScenario{"repeat: 10\nsteps:\n  - {at: 10, restart: true}\n", "3:10", "below repeat (10)"},
                      BadScenario{"steps:\n  - {at: 1, add: {v5: 1}}\n", "2:19", "'v5' is not a key"},
                      BadScenario{"steps:\n  - {at: 1, add: {Bad-Name: 1}}\n", "2:19", "expected a reason code name"},
                      BadScenario{"steps:\n  - {at: 1, rate: {success: fast}}\n", "2:29", "packets per second"},
                      BadScenario{"steps:\n  - {at: 1, restart: maybe}\n", "2:22", "expected true or false"},
                      BadScenario{"steps:\n  - {at: 1, add: {success: 1}\n", "3:1", "invalid YAML"},
                      BadScenario{"nodes: []\n", "1:8", "non-empty list of node names"},
                      BadScenario{"prefix: \"bad prefix\"\n", "1:9", "metric name prefix"}));

TEST(SimScenario, ForWithoutFaultIsRejectedAtTheForValue) {
  try {
    (void)parse_scenario("steps:\n  - {at: 1, add: {success: 1}, for: 3}\n", "f.yaml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()), "f.yaml:2:37: 'for' needs a 'fault' in the same step");
  }
}

TEST(SimScenario, MissingFileIsAnError) {
  EXPECT_THROW((void)load_scenario_file("/nonexistent/x.yaml"), ScenarioError);
}

// ---------------------------------------------------------------------------------------------
// The timeline: values as a function of elapsed time

TEST(SimTimeline, RatesIncrementOncePerWholeSecondFromTheSecondAfterTheStep) {
  const Timeline tl(
      parse_scenario("steps:\n  - {at: 0, rate: {success: 20, v4: 3}}\n  - {at: 5, rate: {success: 1}}\n", "t"));
  const std::size_t ok = sent(tl.scenario(), "success");
  auto at = [&](std::int64_t ms) { return tl.snapshot(0, ms).counters; };
  EXPECT_EQ(at(-1)[ok], 0u);
  EXPECT_FALSE(tl.snapshot(0, -1).started);
  EXPECT_EQ(at(0)[ok], 0u);
  EXPECT_EQ(at(999)[ok], 0u);
  EXPECT_EQ(at(1000)[ok], 20u);
  EXPECT_EQ(at(4999)[ok], 4u * 20u);
  EXPECT_EQ(at(5000)[ok], 5u * 20u);  // the increment at 5 still uses the old rate
  EXPECT_EQ(at(6000)[ok], 5u * 20u + 1u);
  EXPECT_EQ(at(105'000)[ok], 5u * 20u + 100u);
  // `rate` replaces the whole set: v4 stopped at 5 s.
  EXPECT_EQ(at(5000)[kSentV4], 15u);
  EXPECT_EQ(at(60'000)[kSentV4], 15u);
}

TEST(SimTimeline, AddAppearsExactlyAtItsSecondAndRestartZeroes) {
  const Timeline tl(
      parse_scenario("nodes: [a@h, b@h]\nsteps:\n"
                     "  - {at: 0, rate: {success: 2}}\n"
                     "  - {at: 3, add: {not_authorized: 7, received: {v4: 4}}}\n"
                     "  - {at: 6, node: b@h, restart: true}\n",
                     "t"));
  const Scenario& sc = tl.scenario();
  const std::size_t na = sent(sc, "not_authorized");
  const std::size_t ok = sent(sc, "success");
  EXPECT_EQ(tl.snapshot(0, 2999).counters[na], 0u);
  EXPECT_EQ(tl.snapshot(0, 3000).counters[na], 7u);
  EXPECT_EQ(tl.snapshot(0, 3000).counters[19], 4u);
  EXPECT_EQ(tl.snapshot(1, 5999).counters[na], 7u);
  EXPECT_EQ(tl.snapshot(1, 5999).uptime_ms, 5999);
  // The increment at 6 happens first, then the restart wipes it; a happens on as before.
  const NodeSnapshot b = tl.snapshot(1, 6000);
  EXPECT_EQ(b.counters[na], 0u);
  EXPECT_EQ(b.counters[ok], 0u);
  EXPECT_EQ(b.uptime_ms, 0);
  EXPECT_EQ(tl.snapshot(1, 7500).counters[ok], 2u);
  EXPECT_EQ(tl.snapshot(1, 7500).uptime_ms, 1500);
  EXPECT_EQ(tl.snapshot(0, 7500).counters[ok], 14u);
  EXPECT_EQ(tl.snapshot(0, 7500).counters[na], 7u);
}

TEST(SimTimeline, FaultWindowsAndFaultsUntilChanged) {
  const Timeline tl(
      parse_scenario("steps:\n"
                     "  - {at: 0, rate: {success: 1}}\n"
                     "  - {at: 3, fault: http_503, for: 2}\n"
                     "  - {at: 8, fault: hang}\n"
                     "  - {at: 11, fault: none}\n",
                     "t"));
  EXPECT_EQ(tl.snapshot(0, 2999).fault, Fault::none);
  EXPECT_EQ(tl.snapshot(0, 3000).fault, Fault::http_503);
  EXPECT_EQ(tl.snapshot(0, 4999).fault, Fault::http_503);
  EXPECT_EQ(tl.snapshot(0, 5000).fault, Fault::none);
  EXPECT_EQ(tl.snapshot(0, 8000).fault, Fault::hang);
  EXPECT_EQ(tl.snapshot(0, 10'999).fault, Fault::hang);
  EXPECT_EQ(tl.snapshot(0, 11'000).fault, Fault::none);
  // The broker keeps counting during the fault.
  EXPECT_EQ(tl.snapshot(0, 4000).counters[sent(tl.scenario(), "success")], 4u);
}

// An independent, second-by-second reading of the documented rules, to check the fast model
// (which jumps over whole cycles) against.
struct Reference {
  explicit Reference(const Scenario& s, std::size_t node) : sc(s), node_index(node) {}

  NodeSnapshot at(std::int64_t seconds) {
    std::vector<std::uint64_t> c(sc.counters.size()), r(sc.counters.size());
    Fault fault = Fault::none;
    std::int64_t until = -1;
    std::int64_t restarted_at = 0;
    for (std::int64_t k = 0; k <= seconds; ++k) {
      if (k > 0) {
        for (std::size_t i = 0; i < c.size(); ++i) c[i] += r[i];
      }
      for (const Step& s : sc.steps) {
        const bool now = sc.repeat > 0 ? k % sc.repeat == s.at : k == s.at;
        if (!now || (s.node && *s.node != node_index)) continue;
        if (s.restart) {
          c.assign(c.size(), 0);
          restarted_at = k;
        }
        for (const auto& [i, v] : s.add) c[i] += v;
        if (s.rate) {
          r.assign(r.size(), 0);
          for (const auto& [i, v] : *s.rate) r[i] = v;
        }
        if (s.fault) {
          fault = *s.fault;
          until = s.fault_for > 0 ? k + s.fault_for : std::numeric_limits<std::int64_t>::max();
        }
      }
    }
    NodeSnapshot out;
    out.counters = c;
    out.fault = seconds < until ? fault : Fault::none;
    out.uptime_ms = (seconds - restarted_at) * 1000;
    return out;
  }
  const Scenario& sc;
  std::size_t node_index;
};

TEST(SimTimeline, RepeatingCyclesMatchASecondBySecondReference) {
  const char* yaml =
      "nodes: [a@h, b@h]\n"
      "repeat: 7\n"
      "steps:\n"
      "  - {at: 0, rate: {success: 3, v4: 1}}\n"
      "  - {at: 2, add: {not_authorized: 5}}\n"
      "  - {at: 3, fault: hang, for: 9}\n"
      "  - {at: 4, node: b@h, restart: true}\n"
      "  - {at: 5, rate: {success: 1, received: {success: 2}}}\n"
      "  - {at: 6, node: a@h, fault: none}\n"
      "  - {at: 6, node: b@h, add: {quota_exceeded: 1}, fault: close}\n";
  const Timeline tl(parse_scenario(yaml, "t"));
  for (std::size_t node = 0; node < 2; ++node) {
    Reference ref(tl.scenario(), node);
    for (std::int64_t s : {0, 1, 2, 3, 6, 7, 8, 13, 14, 15, 20, 21, 27, 28, 29, 34, 35, 99, 100, 1234, 70'001}) {
      const NodeSnapshot want = ref.at(s);
      for (std::int64_t ms : {s * 1000, s * 1000 + 999}) {
        const NodeSnapshot got = tl.snapshot(node, ms);
        EXPECT_EQ(got.counters, want.counters) << "node " << node << " at " << ms << " ms";
        EXPECT_EQ(got.fault, want.fault) << "node " << node << " at " << ms << " ms";
        EXPECT_EQ(got.uptime_ms, want.uptime_ms + ms - s * 1000) << "node " << node << " at " << ms << " ms";
      }
    }
  }
}

TEST(SimTimeline, StepsAtAndDescribeNameWhatHappens) {
  const Timeline tl(
      parse_scenario("repeat: 10\nsteps:\n  - {at: 3, add: {not_authorized: 7}, fault: http_503, for: 2}\n", "t"));
  EXPECT_EQ(tl.steps_at(3).size(), 1u);
  EXPECT_EQ(tl.steps_at(13).size(), 1u);
  EXPECT_TRUE(tl.steps_at(4).empty());
  const std::string text = tl.describe(*tl.steps_at(3)[0]);
  EXPECT_NE(text.find("not_authorized+7"), std::string::npos) << text;
  EXPECT_NE(text.find("http_503 for 2 s"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------------
// The body

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string value;
};

// A strict reader of the subset VerneMQ writes: HELP, TYPE, name{labels} integer.
struct ParsedBody {
  std::vector<Sample> samples;
  std::map<std::string, int> help_count;
  std::map<std::string, int> type_count;
  std::vector<std::string> errors;
  std::set<std::string> names_with_header_before_first_sample;

  explicit ParsedBody(const std::string& body) {
    std::istringstream in(body);
    std::string line;
    std::set<std::string> described;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        const std::string name = line.substr(7, line.find(' ', 7) - 7);
        (line[2] == 'H' ? help_count : type_count)[name]++;
        described.insert(name);
        continue;
      }
      Sample s;
      const std::size_t brace = line.find('{');
      const std::size_t close = line.find("} ");
      if (brace == std::string::npos || close == std::string::npos) {
        errors.push_back("line " + std::to_string(n) + ": " + line);
        continue;
      }
      s.name = line.substr(0, brace);
      std::string labels = line.substr(brace + 1, close - brace - 1);
      while (!labels.empty()) {
        const std::size_t eq = labels.find("=\"");
        const std::size_t endq = labels.find('"', eq + 2);
        if (eq == std::string::npos || endq == std::string::npos) {
          errors.push_back("labels line " + std::to_string(n));
          break;
        }
        s.labels.emplace_back(labels.substr(0, eq), labels.substr(eq + 2, endq - eq - 2));
        labels.erase(0, endq + 1);
        if (!labels.empty() && labels[0] == ',') labels.erase(0, 1);
      }
      s.value = line.substr(close + 2);
      if (s.value.empty() || s.value.find_first_not_of("0123456789") != std::string::npos) {
        errors.push_back("value line " + std::to_string(n));
      }
      std::string family = s.name;
      for (const char* suffix : {"_bucket", "_count", "_sum"}) {
        const std::string sfx = suffix;
        if (family.size() > sfx.size() && family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0 &&
            !described.count(family)) {
          family.erase(family.size() - sfx.size());
        }
      }
      if (described.count(family)) names_with_header_before_first_sample.insert(family);
      samples.push_back(std::move(s));
    }
  }

  [[nodiscard]] std::optional<std::string> value(std::string_view name, std::string_view label,
                                                 std::string_view v) const {
    for (const Sample& s : samples) {
      if (s.name != name) continue;
      for (const auto& [k, lv] : s.labels) {
        if (k == label && lv == v) return s.value;
      }
    }
    return std::nullopt;
  }
};

TEST(SimBody, HasVerneMqShape) {
  const Timeline tl(
      parse_scenario("nodes: [VerneMQ@10.1.2.3]\nsteps:\n  - {at: 0, rate: {success: 20, v4: 2}, add: {not_authorized: "
                     "7, weird_new: 5}}\n",
                     "t"));
  const VernemqBody body(tl.scenario(), 0);
  std::string text;
  body.render(tl.snapshot(0, 3500), text);

  EXPECT_GE(text.size(), 30'000u);
  EXPECT_LE(text.size(), 45'000u);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\r'), std::string::npos);

  const ParsedBody p(text);
  EXPECT_TRUE(p.errors.empty()) << p.errors.front();
  std::set<std::string> families;
  for (const Sample& s : p.samples) {
    EXPECT_EQ(s.name.rfind("vernemq_", 0), 0u) << s.name;
    ASSERT_FALSE(s.labels.empty());
    EXPECT_EQ(s.labels[0], (std::pair<std::string, std::string>{"node", "VerneMQ@10.1.2.3"}));
  }
  for (const auto& [name, count] : p.help_count) {
    EXPECT_EQ(count, 1) << name;
    EXPECT_EQ(p.type_count.at(name), 1) << name;
    families.insert(name);
  }
  EXPECT_GE(families.size(), 100u);
  // Every sample's family was described before its first sample.
  for (const Sample& s : p.samples) {
    std::string fam = s.name;
    if (!p.help_count.count(fam)) {
      for (const char* sfx : {"_bucket", "_count", "_sum"}) {
        if (fam.size() > std::strlen(sfx) && fam.ends_with(sfx)) fam.erase(fam.size() - std::strlen(sfx));
      }
    }
    EXPECT_TRUE(p.help_count.count(fam)) << s.name;
  }

  // PUBACK series: v4 early, the nine reasons (and the scenario's extra one) later, not contiguous.
  for (std::string_view r : kPubackReasons) {
    EXPECT_TRUE(p.value("vernemq_mqtt_puback_sent", "reason_code", r)) << r;
    EXPECT_TRUE(p.value("vernemq_mqtt_puback_received", "reason_code", r)) << r;
  }
  EXPECT_EQ(p.value("vernemq_mqtt_puback_sent", "reason_code", "success"), std::to_string(3 * 20));
  EXPECT_EQ(p.value("vernemq_mqtt_puback_sent", "reason_code", "not_authorized"), "7");
  EXPECT_EQ(p.value("vernemq_mqtt_puback_sent", "reason_code", "weird_new"), "5");
  EXPECT_EQ(p.value("vernemq_mqtt_puback_sent", "mqtt_version", "4"), std::to_string(3 * 2));
  // mqtt_publish_received{5} counts what was PUBACKed (derived family).
  EXPECT_EQ(p.value("vernemq_mqtt_publish_received", "mqtt_version", "5"), std::to_string(3 * 20 + 7 + 5));
  std::size_t first_v4 = 0;
  std::size_t first_reason = 0;
  for (std::size_t i = 0; i < p.samples.size(); ++i) {
    if (p.samples[i].name != "vernemq_mqtt_puback_sent") continue;
    if (p.samples[i].labels.size() == 2 && first_v4 == 0) first_v4 = i;
    if (p.samples[i].labels.size() == 3 && first_reason == 0) first_reason = i;
  }
  ASSERT_GT(first_v4, 0u);
  ASSERT_GT(first_reason, first_v4 + 1);
  EXPECT_NE(p.samples[first_v4 + 1].name, "vernemq_mqtt_puback_sent");
  EXPECT_EQ(p.samples[first_reason].labels[1], (std::pair<std::string, std::string>{"mqtt_version", "5"}));
  EXPECT_EQ(
      text.find("vernemq_mqtt_puback_sent{node=\"VerneMQ@10.1.2.3\",mqtt_version=\"5\",reason_code=\"success\"} 60\n"),
      text.find("vernemq_mqtt_puback_sent{node=\"VerneMQ@10.1.2.3\",mqtt_version=\"5\""));
  // The reason block is not preceded by its own HELP.
  const std::size_t block = text.find("vernemq_mqtt_puback_sent{node=\"VerneMQ@10.1.2.3\",mqtt_version=\"5\"");
  EXPECT_EQ(text.rfind("# HELP vernemq_mqtt_puback_sent "), text.find("# HELP vernemq_mqtt_puback_sent "));
  EXPECT_LT(text.find("# HELP vernemq_mqtt_puback_sent "), block);

  // It serves every family of the catalogue, with every reason code the catalogue declares, so a
  // new chart is served the day it is added. (Plugin families only when the plugin is loaded.)
  for (const catalogue::Family& f : catalogue::families()) {
    if (catalogue::from_a_plugin(f.name)) continue;
    EXPECT_EQ(p.type_count.count("vernemq_" + std::string(f.name)), 1u) << f.name;
    for (const int version : {4, 5}) {
      for (std::string_view r : catalogue::reason_codes(f.name, version)) {
        EXPECT_TRUE(p.value("vernemq_" + std::string(f.name), version == 4 ? "return_code" : "reason_code", r))
            << f.name << " " << r;
      }
    }
  }
}

TEST(SimBody, PrefixIsVerbatimAndRenderingIsStable) {
  const Timeline tl(parse_scenario("prefix: \"\"\nsteps:\n  - {at: 0, add: {success: 1}}\n", "t"));
  const VernemqBody body(tl.scenario(), 0);
  std::string a;
  std::string b;
  body.render(tl.snapshot(0, 1500), a);
  body.render(tl.snapshot(0, 1500), b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.find("vernemq_"), std::string::npos);
  EXPECT_EQ(a.rfind("# HELP socket_open ", 0), 0u);
  const ParsedBody p(a);
  EXPECT_EQ(p.value("mqtt_puback_sent", "reason_code", "success"), "1");
}

TEST(SimBody, MetricsDriveAnySeriesOfTheBodyAndNothingElse) {
  const Timeline tl(
      parse_scenario("steps:\n"
                     "  - {at: 0, rate: {success: 4, metrics: {socket_error: 3}}}\n"
                     "  - {at: 2, add: {metrics: {\"mqtt_connack_sent{mqtt_version=4,return_code=not_authorized}\": 6, "
                     "vm_memory_total: 9000000000}}}\n",
                     "t"));
  const VernemqBody body(tl.scenario(), 0);
  std::string text;
  // 3.5 s: three whole seconds of rate (at 1, 2, 3) and the add at 2.
  body.render(tl.snapshot(0, 3500), text);
  const ParsedBody p(text);
  EXPECT_TRUE(p.errors.empty());
  EXPECT_EQ(p.value("vernemq_socket_error", "node", "VerneMQ@127.0.0.1"), "9");
  EXPECT_EQ(p.value("vernemq_mqtt_connack_sent", "return_code", "not_authorized"), "6");
  EXPECT_EQ(p.value("vernemq_mqtt_connack_sent", "reason_code", "not_authorized"), "0");  // MQTT 5: untouched
  EXPECT_EQ(p.value("vernemq_mqtt_connack_sent", "return_code", "success"), "0");
  EXPECT_EQ(p.value("vernemq_vm_memory_total", "node", "VerneMQ@127.0.0.1"), "9000000000");
  // The derived PUBLISH totals count the PUBACK counters only: 4 a second, 3 seconds.
  std::optional<std::string> publish_v5;
  for (const Sample& s : p.samples) {
    if (s.name == "vernemq_mqtt_publish_received" && s.labels.size() == 2 && s.labels[1].second == "5") {
      publish_v5 = s.value;
    }
  }
  EXPECT_EQ(publish_v5, "12");
  EXPECT_NE(tl.describe(tl.scenario().steps[1]).find("mqtt_connack_sent,mqtt_version=\"4\",return_code="),
            std::string::npos);
}

TEST(SimBody, MetricsThatNameNoSeriesAreRefused) {
  // A family the body lacks, and labels in another order than the body's.
  for (const char* key : {"no_such_family", "\"mqtt_connack_sent{return_code=not_authorized,mqtt_version=4}\""}) {
    SCOPED_TRACE(key);
    const Scenario sc = parse_scenario(std::string("steps:\n  - {at: 0, add: {metrics: {") + key + ": 1}}}\n", "t");
    try {
      const VernemqBody body(sc, 0);
      ADD_FAILURE() << "accepted";
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("does not have"), std::string::npos) << e.what();
    }
  }
  // Malformed keys are refused where they are written.
  for (const char* key : {"\"Bad\"", "\"a{b}\"", "\"a{b=c,}\"", "\"a{b=\\\"c\\\"}\""}) {
    SCOPED_TRACE(key);
    try {
      (void)parse_scenario(std::string("steps:\n  - {at: 0, add: {metrics: {") + key + ": 1}}}\n", "t.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const ScenarioError& e) {
      EXPECT_NE(std::string(e.what()).find("t.yaml:2:"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("FAMILY{label=value"), std::string::npos) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP behaviour as a function (no sockets)

loopback::Request get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  loopback::Request r;
  r.method = "GET";
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

std::string header_of(const loopback::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(SimRespond, PathsMethodsNegotiationAndApiKey) {
  const Timeline tl(parse_scenario("api_key: s3cret\nversion: 2.1.0\nsteps:\n  - {at: 0, add: {success: 4}}\n", "t"));
  const VernemqBody body(tl.scenario(), 0);
  auto call = [&](const loopback::Request& req) { return respond(tl, body, 0, req, 1500, 8888); };

  EXPECT_EQ(call(get("/metrics")).status, 401);
  EXPECT_EQ(header_of(call(get("/metrics")), "www-authenticate"), "Authorization realm=\"VerneMQ\"");
  EXPECT_EQ(call(get("/metrics", {{"x-api-key", "wrong"}})).status, 401);
  const auto ok = call(get("/metrics?x=1", {{"x-api-key", "s3cret"}}));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(header_of(ok, "content-type"), "text/plain");
  EXPECT_EQ(header_of(ok, "x-vernemq-sim-elapsed-ms"), "1500");
  EXPECT_NE(ok.body.find("reason_code=\"success\"} 4\n"), std::string::npos);
  // Basic auth with the key as user name ("s3cret:x" in base64), password ignored.
  EXPECT_EQ(call(get("/metrics", {{"Authorization", "Basic czNjcmV0Ong="}})).status, 200);
  EXPECT_EQ(call(get("/metrics", {{"Authorization", "Basic d3Jvbmc6eA=="}})).status, 401);
  EXPECT_EQ(call(get("/metrics", {{"x-api-key", "s3cret"}, {"Accept", "application/openmetrics-text"}})).status, 406);
  EXPECT_EQ(
      call(get("/metrics", {{"x-api-key", "s3cret"}, {"Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"}})).status,
      200);

  const auto health = call(get("/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body), nlohmann::json({{"status", "OK"}}));
  const auto status = call(get("/status.json"));
  ASSERT_EQ(status.status, 200);
  const auto js = nlohmann::json::parse(status.body);
  ASSERT_TRUE(js.is_array());
  const auto& info = js.at(0).at("VerneMQ@127.0.0.1");
  EXPECT_EQ(info.at("version"), "2.1.0");
  EXPECT_EQ(info.at("msg_in"), 4);
  EXPECT_EQ(info.at("mystatus").at(0).at("VerneMQ@127.0.0.1"), true);
  EXPECT_EQ(info.at("listeners").at(1).at("port"), 8888);

  EXPECT_EQ(call(get("/nope")).status, 404);
  loopback::Request post = get("/metrics");
  post.method = "POST";
  EXPECT_EQ(call(post).status, 405);
}

TEST(SimRespond, EveryFaultMode) {
  const Timeline tl(
      parse_scenario("steps:\n"
                     "  - {at: 1, fault: http_503, for: 1}\n"
                     "  - {at: 2, fault: http_500, for: 1}\n"
                     "  - {at: 3, fault: http_401, for: 1}\n"
                     "  - {at: 4, fault: hang, for: 1}\n"
                     "  - {at: 5, fault: close, for: 1}\n"
                     "  - {at: 6, fault: garbage, for: 1}\n"
                     "  - {at: 7, fault: not_vernemq, for: 1}\n"
                     "  - {at: 8, fault: trickle, for: 1}\n",
                     "t"));
  const VernemqBody body(tl.scenario(), 0);
  auto at = [&](int s, std::string path = "/metrics") {
    return respond(tl, body, 0, get(std::move(path)), s * 1000 + 500, 1);
  };
  using Mode = loopback::Response::Mode;

  EXPECT_EQ(at(0).status, 200);
  EXPECT_EQ(at(1).status, 503);
  EXPECT_EQ(nlohmann::json::parse(at(1).body).at("status"), "DOWN");
  EXPECT_EQ(at(1, "/health").status, 503);  // a fault covers the whole listener
  EXPECT_EQ(at(2).status, 500);
  EXPECT_EQ(at(3).status, 401);
  EXPECT_EQ(header_of(at(3), "www-authenticate"), "Authorization realm=\"VerneMQ\"");
  EXPECT_EQ(at(4).mode, Mode::hang);
  EXPECT_EQ(at(5).mode, Mode::close);
  const auto garbage = at(6);
  EXPECT_EQ(garbage.status, 200);
  EXPECT_NE(garbage.body.find('\0'), std::string::npos);
  const auto other = at(7);
  EXPECT_EQ(other.status, 200);
  EXPECT_NE(other.body.find("# TYPE "), std::string::npos);
  EXPECT_EQ(other.body.find("mqtt_"), std::string::npos);
  const auto slow = at(8);
  EXPECT_EQ(slow.mode, Mode::trickle);
  EXPECT_GE(slow.trickle_interval, 1000ms);
  EXPECT_NE(slow.body.find("mqtt_puback_sent"), std::string::npos);
  EXPECT_EQ(at(9).status, 200);
  EXPECT_EQ(at(9).mode, Mode::normal);
}

// ---------------------------------------------------------------------------------------------
// The executable as a process

std::string write_temp(const std::string& content) {
  char path[] = "/tmp/vmq_sim_test_XXXXXX.yaml";
  const int fd = mkstemps(path, 5);
  if (fd < 0) throw std::runtime_error("mkstemps failed");
  const auto n = ::write(fd, content.data(), content.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(content.size())) throw std::runtime_error("short write");
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs vernemq-sim; stdout through a pipe (the ready lines), stderr into a file (never blocks).
class SimProcess {
 public:
  explicit SimProcess(const std::string& scenario_yaml, std::vector<std::string> extra_args = {}) {
    scenario_ = write_temp(scenario_yaml);
    stderr_path_ = scenario_ + ".err";
    std::vector<std::string> args = {VMQ_SIM_PATH, "--scenario", scenario_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_ = fork();
    if (pid_ == 0) {
      const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out[1], 1);
      if (err >= 0) dup2(err, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(out[1]);
    out_fd_ = out[0];
  }

  ~SimProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    std::remove(scenario_.c_str());
    std::remove(stderr_path_.c_str());
  }

  // Reads stdout lines until "ready" (or EOF / 5 s). Returns the lines before "ready".
  std::vector<std::string> read_ready() {
    std::vector<std::string> lines;
    std::string buf;
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
      pollfd pfd{out_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 100) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<std::size_t>(n));
      std::size_t nl = 0;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (line == "ready") {
          ready_ = true;
          return lines;
        }
        lines.push_back(line);
      }
    }
    return lines;
  }

  // The timeline start, from the log line "... (unix SECONDS.MMM)".
  std::chrono::system_clock::time_point start_time() {
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
      const std::string err = slurp(stderr_path_);
      const std::size_t at = err.find("(unix ");
      if (at != std::string::npos && err.find(')', at) != std::string::npos) {
        const long long sec = std::stoll(err.substr(at + 6));
        const long long ms = std::stoll(err.substr(err.find('.', at) + 1, 3));
        return std::chrono::system_clock::time_point(std::chrono::seconds(sec) + std::chrono::milliseconds(ms));
      }
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("no start time in the log");
  }

  // Sends `sig` and waits up to `limit` for the exit; returns the exit status or -1.
  int stop(int sig = SIGTERM, std::chrono::milliseconds limit = 3000ms) {
    ::kill(pid_, sig);
    return wait_exit(limit);
  }
  int wait_exit(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  [[nodiscard]] bool ready() const { return ready_; }
  [[nodiscard]] std::string log() const { return slurp(stderr_path_); }
  [[nodiscard]] const std::string& scenario_path() const { return scenario_; }

 private:
  std::string scenario_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool ready_ = false;
  bool exited_ = false;
};

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string headers;
  [[nodiscard]] std::int64_t elapsed_ms() const {
    const std::size_t at = headers.find("x-vernemq-sim-elapsed-ms: ");
    return at == std::string::npos ? INT64_MIN : std::stoll(headers.substr(at + 26));
  }
};

std::size_t append_to(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

HttpResult http_get(const std::string& url, long timeout_ms = 3000) {
  HttpResult r;
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    r.code = CURLE_FAILED_INIT;
    return r;
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_to);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, append_to);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
  r.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(h);
  return r;
}

// Node name → URL from the ready lines.
std::vector<std::pair<std::string, std::string>> endpoints_of(const std::vector<std::string>& lines) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& l : lines) {
    const std::size_t sp = l.find(' ');
    if (sp != std::string::npos) out.emplace_back(l.substr(0, sp), l.substr(sp + 1));
  }
  return out;
}

std::uint64_t value_in(const std::string& body, const std::string& series_prefix) {
  const std::size_t at = body.find(series_prefix);
  if (at == std::string::npos) return UINT64_MAX;
  const std::size_t sp = body.find("} ", at);
  return std::stoull(body.substr(sp + 2));
}

// Sleeps until `offset` after the timeline start: offsets of k + 0.55 s land 50 ms after a whole
// wall-clock second, where Netdata scrapes, half a second away from any scenario change.
void sleep_until_elapsed(std::chrono::system_clock::time_point start, std::chrono::milliseconds offset) {
  std::this_thread::sleep_until(start + offset);
}

TEST(SimRespond, BodyFaultsHideCorruptAndLeaveOutSeries) {
  const Timeline tl(
      parse_scenario("steps:\n"
                     "  - {at: 0, add: {not_authorized: 4, success: 9}}\n"
                     "  - {at: 1, fault: hide, series: [not_authorized], for: 1}\n"
                     "  - {at: 2, fault: corrupt, series: [not_authorized, v4], for: 1}\n"
                     "  - {at: 3, fault: absent, for: 1}\n",
                     "t"));
  const VernemqBody body(tl.scenario(), 0);
  auto at = [&](int s) { return respond(tl, body, 0, get("/metrics"), s * 1000 + 500, 1); };
  const std::string na =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"not_authorized\"} ";
  const std::string ok =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"success\"} 9\n";
  const std::string v4 = "vernemq_mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"4\"} 0";
  const auto normal = at(0);
  EXPECT_NE(normal.body.find(na + "4\n"), std::string::npos);
  const auto hidden = at(1);
  EXPECT_EQ(hidden.status, 200);
  EXPECT_EQ(hidden.body.find(na), std::string::npos);          // the line is gone
  EXPECT_NE(hidden.body.find(ok), std::string::npos);          // the others stay
  EXPECT_TRUE(hidden.body.find("\n\n") == std::string::npos);  // and no empty line is left behind
  const auto corrupt = at(2);
  EXPECT_NE(corrupt.body.find(na + "4oops\n"), std::string::npos);
  EXPECT_NE(corrupt.body.find(v4 + "oops\n"), std::string::npos);
  EXPECT_NE(corrupt.body.find(ok), std::string::npos);
  const auto absent = at(3);
  EXPECT_EQ(absent.status, 200);
  EXPECT_TRUE(absent.body.empty());
  EXPECT_NE(at(4).body.find(na + "4\n"), std::string::npos);  // the fault is over
}

TEST(SimScenario, BodyFaultsNeedTheirSeries) {
  EXPECT_THROW((void)parse_scenario("steps:\n  - {at: 0, fault: hide}\n", "t"), ScenarioError);
  EXPECT_THROW((void)parse_scenario("steps:\n  - {at: 0, fault: close, series: [success]}\n", "t"), ScenarioError);
  EXPECT_THROW((void)parse_scenario("steps:\n  - {at: 0, fault: hide, series: [Bad]}\n", "t"), ScenarioError);
  EXPECT_THROW((void)parse_scenario("merge: maybe\nsteps: []\n", "t"), ScenarioError);
  EXPECT_TRUE(parse_scenario("merge: true\nsteps: []\n", "t").merge);
}

TEST(SimProcess, MergedNodesShareOneListenerAndOneBody) {
  SimProcess sim(
      "nodes: [VerneMQ@10.0.0.1, VerneMQ@10.0.0.2]\n"
      "merge: true\n"
      "steps:\n"
      "  - {at: 0, node: VerneMQ@10.0.0.2, add: {success: 777777}, fault: absent, for: 2}\n");
  const auto eps = endpoints_of(sim.read_ready());
  ASSERT_TRUE(sim.ready());
  ASSERT_EQ(eps.size(), 1u);  // one listener for both
  const std::string b_success =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.2\",mqtt_version=\"5\",reason_code=\"success\"} 777777\n";
  const std::string a_success =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.1\",mqtt_version=\"5\",reason_code=\"success\"} 0\n";
  sleep_until_elapsed(sim.start_time(), 550ms);
  const HttpResult first = http_get(eps[0].second);
  ASSERT_EQ(first.status, 200);
  EXPECT_NE(first.body.find(a_success), std::string::npos);
  EXPECT_EQ(first.body.find("VerneMQ@10.0.0.2"), std::string::npos);  // absent until 2 s
  sleep_until_elapsed(sim.start_time(), 2550ms);
  const HttpResult later = http_get(eps[0].second);
  EXPECT_NE(later.body.find(a_success), std::string::npos);
  EXPECT_NE(later.body.find(b_success), std::string::npos);
}

TEST(SimProcess, ServesTheScenarioExactlyOnTwoNodes) {
  SimProcess sim(
      "nodes: [VerneMQ@10.0.0.1, VerneMQ@10.0.0.2]\n"
      "steps:\n"
      "  - {at: 0, rate: {success: 20}}\n"
      "  - {at: 1, node: VerneMQ@10.0.0.1, add: {not_authorized: 7}}\n"
      "  - {at: 1, node: VerneMQ@10.0.0.2, add: {not_authorized: 1}}\n"
      "  - {at: 2, node: VerneMQ@10.0.0.2, restart: true}\n");
  const auto eps = endpoints_of(sim.read_ready());
  ASSERT_TRUE(sim.ready());
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].first, "VerneMQ@10.0.0.1");
  EXPECT_EQ(eps[1].first, "VerneMQ@10.0.0.2");
  EXPECT_EQ(eps[0].second.rfind("http://127.0.0.1:", 0), 0u);
  EXPECT_NE(eps[0].second, eps[1].second);
  EXPECT_TRUE(eps[0].second.ends_with("/metrics"));
  const auto start = sim.start_time();
  // Half a second past a whole wall-clock second, so that scenario changes never race scrapes.
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count() % 1000, 500);

  const std::string ok_a =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.1\",mqtt_version=\"5\",reason_code=\"success\"}";
  const std::string na_a =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.1\",mqtt_version=\"5\",reason_code=\"not_authorized\"}";
  const std::string ok_b =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.2\",mqtt_version=\"5\",reason_code=\"success\"}";
  const std::string na_b =
      "vernemq_mqtt_puback_sent{node=\"VerneMQ@10.0.0.2\",mqtt_version=\"5\",reason_code=\"not_authorized\"}";

  // What the scenario says for whole elapsed second n (n < 0: before the start): success grows
  // by 20 per whole second; the adds land at 1; b restarts at 2, after that second's increment.
  auto ok_a_at = [](std::int64_t n) -> std::uint64_t { return n <= 0 ? 0 : 20 * static_cast<std::uint64_t>(n); };
  auto na_a_at = [](std::int64_t n) -> std::uint64_t { return n >= 1 ? 7 : 0; };
  auto ok_b_at = [](std::int64_t n) -> std::uint64_t {
    return n < 2 ? (n <= 0 ? 0 : 20 * static_cast<std::uint64_t>(n)) : 20 * static_cast<std::uint64_t>(n - 2);
  };
  auto na_b_at = [](std::int64_t n) -> std::uint64_t { return n == 1 ? 1 : 0; };
  auto second_of = [](const HttpResult& r) { return r.elapsed_ms() >= 0 ? r.elapsed_ms() / 1000 : -1; };

  // Scrapes at elapsed k + 0.55 s for k = -1 (before the start), 0, 1, 2 and 3. The expectations
  // follow the second the server reports, so a late scrape on a loaded machine still checks the
  // right thing; on time, each event is seen exactly at the first scrape after it.
  std::set<std::int64_t> seconds_seen;
  for (int k = -1; k <= 3; ++k) {
    sleep_until_elapsed(start, std::chrono::milliseconds(k * 1000 + 550));
    const HttpResult a = http_get(eps[0].second);
    const HttpResult b = http_get(eps[1].second);
    ASSERT_EQ(a.code, CURLE_OK);
    ASSERT_EQ(a.status, 200);
    ASSERT_EQ(b.status, 200);
    // The server's clock agrees with the logged start (never earlier than our wake-up time).
    EXPECT_GE(a.elapsed_ms(), k * 1000 + 550 - 20);
    const std::int64_t na = second_of(a);
    const std::int64_t nb = second_of(b);
    seconds_seen.insert(na);
    EXPECT_EQ(value_in(a.body, ok_a), ok_a_at(na)) << "second " << na;
    EXPECT_EQ(value_in(a.body, na_a), na_a_at(na)) << "second " << na;
    EXPECT_EQ(value_in(b.body, ok_b), ok_b_at(nb)) << "second " << nb;
    EXPECT_EQ(value_in(b.body, na_b), na_b_at(nb)) << "second " << nb;
  }
  EXPECT_GE(seconds_seen.size(), 4u);  // nearly always all five; a badly loaded machine may skip one
  EXPECT_TRUE(seconds_seen.count(-1));
  const std::string url = eps[0].second;
  const std::string base = url.substr(0, url.size() - std::string("/metrics").size());
  EXPECT_EQ(http_get(base + "/health").body, "{\"status\":\"OK\"}");
  EXPECT_EQ(http_get(base + "/nothing").status, 404);

  EXPECT_EQ(sim.stop(SIGTERM), 0);
  const std::string log = sim.log();
  EXPECT_NE(log.find("restart"), std::string::npos) << log;
}

TEST(SimProcess, FaultModesOverRealSockets) {
  // One node per fault, all active from the start, so one wait covers them all; node "recovers"
  // shows a fault ending while its counters kept advancing.
  SimProcess sim(
      "nodes: [n503, n500, n401, hang, close, garbage, other, trickle, recovers]\n"
      "steps:\n"
      "  - {at: 0, rate: {success: 10}}\n"
      "  - {at: 0, node: n503, fault: http_503}\n"
      "  - {at: 0, node: n500, fault: http_500}\n"
      "  - {at: 0, node: n401, fault: http_401}\n"
      "  - {at: 0, node: hang, fault: hang}\n"
      "  - {at: 0, node: close, fault: close}\n"
      "  - {at: 0, node: garbage, fault: garbage}\n"
      "  - {at: 0, node: other, fault: not_vernemq}\n"
      "  - {at: 0, node: trickle, fault: trickle}\n"
      "  - {at: 0, node: recovers, fault: http_503, for: 2}\n");
  const auto eps = endpoints_of(sim.read_ready());
  ASSERT_EQ(eps.size(), 9u);
  const auto start = sim.start_time();
  sleep_until_elapsed(start, 550ms);

  EXPECT_EQ(http_get(eps[0].second).status, 503);
  EXPECT_EQ(http_get(eps[0].second).body, "{\"status\":\"DOWN\"}");
  EXPECT_EQ(http_get(eps[1].second).status, 500);
  const HttpResult unauthorized = http_get(eps[2].second);
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_NE(unauthorized.headers.find("www-authenticate: Authorization realm=\"VerneMQ\""), std::string::npos);
  EXPECT_EQ(http_get(eps[3].second, 300).code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(http_get(eps[4].second).code, CURLE_GOT_NOTHING);
  const HttpResult garbage = http_get(eps[5].second);
  EXPECT_EQ(garbage.status, 200);
  EXPECT_NE(garbage.body.find('\0'), std::string::npos);
  const HttpResult other = http_get(eps[6].second);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body.find("puback"), std::string::npos);
  EXPECT_NE(other.body.find("# TYPE"), std::string::npos);
  const HttpResult slow = http_get(eps[7].second, 600);
  EXPECT_EQ(slow.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_LT(slow.body.size(), 10u);
  EXPECT_EQ(http_get(eps[8].second).status, 503);

  sleep_until_elapsed(start, 2550ms);
  const HttpResult back = http_get(eps[8].second);
  ASSERT_EQ(back.status, 200);
  ASSERT_EQ(back.elapsed_ms() / 1000, 2);
  EXPECT_EQ(
      value_in(back.body, "vernemq_mqtt_puback_sent{node=\"recovers\",mqtt_version=\"5\",reason_code=\"success\"}"),
      20u);

  // SIGINT too, with a hung and a trickling connection open: it must still exit at once.
  std::thread hung([&] { (void)http_get(eps[3].second, 5000); });
  std::thread trickling([&] { (void)http_get(eps[7].second, 5000); });
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sim.stop(SIGINT, 2000ms), 0);
  hung.join();
  trickling.join();
  const std::string log = sim.log();
  EXPECT_NE(log.find("node recovers: fault http_503 ends"), std::string::npos) << log;
}

TEST(SimProcess, EmptyPrefixBeforeTheStartAllZero) {
  SimProcess sim("prefix: \"\"\nsteps:\n  - {at: 0, add: {success: 5}}\n");
  const auto eps = endpoints_of(sim.read_ready());
  ASSERT_EQ(eps.size(), 1u);
  const HttpResult r = http_get(eps[0].second);
  ASSERT_EQ(r.status, 200);
  ASSERT_LT(r.elapsed_ms(), 0);  // the timeline starts ≥ 0.5 s after the ready line
  EXPECT_EQ(r.body.find("vernemq_"), std::string::npos);
  EXPECT_EQ(value_in(r.body, "mqtt_puback_sent{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"success\"}"),
            0u);
  EXPECT_EQ(r.body.rfind("# HELP socket_open ", 0), 0u);
  EXPECT_EQ(sim.stop(), 0);
}

TEST(SimProcess, FixedPortGivesConsecutivePorts) {
  // Find two free consecutive ports (bind and release; loopback only).
  auto free_pair = []() -> int {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
      const int p = ntohs(a.sin_port);
      const int s2 = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in b = a;
      b.sin_port = htons(static_cast<std::uint16_t>(p + 1));
      const bool ok = p < 65535 && ::bind(s2, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0;
      ::close(s);
      ::close(s2);
      if (ok) return p;
    }
    return 0;
  };
  const int port = free_pair();
  ASSERT_NE(port, 0);
  SimProcess sim("nodes: [a@h, b@h]\n", {"--port", std::to_string(port)});
  const auto eps = endpoints_of(sim.read_ready());
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].second, "http://127.0.0.1:" + std::to_string(port) + "/metrics");
  EXPECT_EQ(eps[1].second, "http://127.0.0.1:" + std::to_string(port + 1) + "/metrics");
  EXPECT_EQ(http_get(eps[1].second).status, 200);
  EXPECT_EQ(sim.stop(), 0);
}

TEST(SimProcess, BadScenarioExitsWithALocatedMessage) {
  SimProcess sim("nodes: [a@h]\nsteps:\n  - {at: 1, fault: boom}\n");
  EXPECT_TRUE(sim.read_ready().empty());
  EXPECT_FALSE(sim.ready());
  EXPECT_EQ(sim.wait_exit(3000ms), 2);
  const std::string log = sim.log();
  EXPECT_NE(log.find(sim.scenario_path() + ":3:20: unknown fault 'boom'"), std::string::npos) << log;
}

TEST(SimProcess, UsageErrorsAndHelp) {
  auto run = [](std::vector<std::string> args, std::string* out) {
    std::string cmd = VMQ_SIM_PATH;
    for (auto& a : args) cmd += " '" + a + "'";
    cmd += " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
    const int st = ::pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  std::string out;
  EXPECT_EQ(run({"--help"}, &out), 0);
  EXPECT_NE(out.find("--scenario FILE"), std::string::npos);
  out.clear();
  EXPECT_EQ(run({}, &out), 2);
  out.clear();
  EXPECT_EQ(run({"--scenario", "/x.yaml", "--port", "70000"}, &out), 2);
  EXPECT_NE(out.find("--port"), std::string::npos);
  out.clear();
  EXPECT_EQ(run({"--scenario", "/nonexistent/x.yaml"}, &out), 2);
  EXPECT_NE(out.find("/nonexistent/x.yaml"), std::string::npos);
}

TEST(SimProcess, ShippedScenariosLoad) {
  for (const char* name : {"demo.yaml", "restart-outage.yaml"}) {
    const Scenario sc = load_scenario_file(std::string(VMQ_SOURCE_DIR) + "/scenarios/" + name);
    EXPECT_FALSE(sc.steps.empty()) << name;
    EXPECT_GT(sc.repeat, 0) << name;
  }
  // The demo shows not_authorized within seconds of the start.
  const Timeline demo(load_scenario_file(std::string(VMQ_SOURCE_DIR) + "/scenarios/demo.yaml"));
  EXPECT_GT(demo.snapshot(0, 2000).counters[sent(demo.scenario(), "not_authorized")], 0u);
  // restart-outage restarts and has an outage.
  const Timeline ro(load_scenario_file(std::string(VMQ_SOURCE_DIR) + "/scenarios/restart-outage.yaml"));
  bool restart = false;
  bool outage = false;
  for (const Step& s : ro.scenario().steps) {
    restart = restart || s.restart;
    outage = outage || (s.fault && *s.fault == Fault::http_503);
  }
  EXPECT_TRUE(restart);
  EXPECT_TRUE(outage);
}

}  // namespace
}  // namespace vmq::sim
