// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile configuration, beyond config_test.cpp: every job key given every wrong YAML type, the
// top-level keys likewise, yaml-cpp 0.7's endless loop on a stray ',' (found by fuzzing), the
// Basic-auth forms of secrets; and at process level, every unusable file ends in DISABLE and a
// clean exit, and a thousand jobs run in one process.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hostile_bodies.h"
#include "loopback_http.h"
#include "netdata_validator.h"
#include "subprocess.h"
#include "vmq/config.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
using testing::TempDir;

std::string problems_of(const Config& c) {
  std::string out;
  for (const auto& p : c.problems) out += p + "\n";
  return out;
}

std::string error_of(const std::string& yaml) {
  try {
    (void)parse_config(yaml, "hostile.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

// ------------------------------------------------------------- every key, every wrong type

struct WrongType {
  const char* key;
  const char* value;  // YAML after "key: "
  const char* found;  // what the message says it found
};

void PrintTo(const WrongType& w, std::ostream* os) { *os << w.key << ": " << w.value; }

class HostileConfigWrongType : public ::testing::TestWithParam<WrongType> {};

TEST_P(HostileConfigWrongType, SkipsTheJobNamingKeyTypeAndPlace) {
  const WrongType& w = GetParam();
  const std::string key = w.key;
  std::string yaml = "jobs:\n  - name: good\n    url: http://127.0.0.1:1/metrics\n  - ";
  if (key != "name") yaml += "name: bad\n    ";
  yaml += key + ": " + w.value + "\n";
  if (key != "url") yaml += "    url: http://127.0.0.1:2/metrics\n";
  const Config c = parse_config(yaml, "hostile.conf");
  ASSERT_EQ(c.jobs.size(), 1u) << problems_of(c);
  EXPECT_EQ(c.jobs[0].name, "good");
  ASSERT_EQ(c.problems.size(), 1u) << problems_of(c);
  const std::string& p = c.problems[0];
  EXPECT_NE(p.find("hostile.conf:" + std::string(key == "name" ? "4:" : "5:")), std::string::npos) << p;
  EXPECT_NE(p.find("key '" + key + "'"), std::string::npos) << p;
  EXPECT_NE(p.find(w.found), std::string::npos) << p;
  EXPECT_NE(p.find("expected"), std::string::npos) << p;
  EXPECT_NE(p.find("the job is skipped"), std::string::npos) << p;
}

// Every job key with a list and with a map (and a scalar where a map is wanted).
INSTANTIATE_TEST_SUITE_P(
    Table, HostileConfigWrongType,
    ::testing::Values(
        WrongType{"name", "[a, b]", "found a list"}, WrongType{"name", "{a: b}", "found a map"},
        WrongType{"url", "[http://h/]", "found a list"}, WrongType{"url", "{http: h}", "found a map"},
        WrongType{"timeout", "[1]", "found a list"}, WrongType{"timeout", "{s: 1}", "found a map"},
        WrongType{"update_every", "[1]", "found a list"}, WrongType{"update_every", "{s: 1}", "found a map"},
        WrongType{"username", "[u]", "found a list"}, WrongType{"username", "{u: 1}", "found a map"},
        WrongType{"password", "[p]", "found a list"}, WrongType{"password", "{p: 1}", "found a map"},
        WrongType{"api_key", "[k]", "found a list"}, WrongType{"api_key", "{k: 1}", "found a map"},
        WrongType{"bearer_token_file", "[f]", "found a list"}, WrongType{"bearer_token_file", "{f: 1}", "found a map"},
        WrongType{"headers", "just-text", "found the string 'just-text'"},
        WrongType{"headers", "[a, b]", "found a list"}, WrongType{"proxy_url", "[p]", "found a list"},
        WrongType{"proxy_url", "{p: 1}", "found a map"}, WrongType{"proxy_username", "[p]", "found a list"},
        WrongType{"proxy_username", "{p: 1}", "found a map"}, WrongType{"proxy_password", "[p]", "found a list"},
        WrongType{"proxy_password", "{p: 1}", "found a map"}, WrongType{"tls_ca", "[c]", "found a list"},
        WrongType{"tls_ca", "{c: 1}", "found a map"}, WrongType{"tls_cert", "[c]", "found a list"},
        WrongType{"tls_cert", "{c: 1}", "found a map"}, WrongType{"tls_key", "[k]", "found a list"},
        WrongType{"tls_key", "{k: 1}", "found a map"}, WrongType{"tls_skip_verify", "[true]", "found a list"},
        WrongType{"tls_skip_verify", "{a: 1}", "found a map"},
        WrongType{"not_follow_redirects", "[true]", "found a list"},
        WrongType{"max_body_size", "[1024]", "found a list"}, WrongType{"max_body_size", "{a: 1}", "found a map"}));

TEST(HostileConfig, TopLevelKeysOfTheWrongTypeNameKeyAndPlace) {
  EXPECT_NE(error_of("update_every: [1]\njobs: []\n").find("hostile.conf:1:15: key 'update_every': found a list"),
            std::string::npos)
      << error_of("update_every: [1]\njobs: []\n");
  EXPECT_NE(error_of("update_every: {a: 1}\n").find("key 'update_every': found a map"), std::string::npos)
      << error_of("update_every: {a: 1}\n");
  EXPECT_NE(error_of("autodetection_retry: [0]\n").find("key 'autodetection_retry': found a list"), std::string::npos)
      << error_of("autodetection_retry: [0]\n");
  EXPECT_NE(error_of("jobs: just text\n").find("key 'jobs': found the string 'just text'; expected a list of jobs"),
            std::string::npos)
      << error_of("jobs: just text\n");
  EXPECT_NE(error_of("jobs: \"quoted\"\n").find("key 'jobs': found the quoted string 'quoted'"), std::string::npos)
      << error_of("jobs: \"quoted\"\n");
}

// ------------------------------------------------------------- yaml-cpp 0.7's endless loop

// YAML::LoadAll() in yaml-cpp 0.7 never returns on these (each "document" it reports is empty
// and nothing is consumed; it keeps them all until memory runs out). Found by fuzz/fuzz_config.
TEST(HostileConfig, StrayCommaIsASyntaxErrorNotAnEndlessLoop) {
  EXPECT_NE(error_of(",").find("hostile.conf:1:1: YAML syntax error: unexpected ',' where a value should start"),
            std::string::npos)
      << error_of(",");
  EXPECT_NE(error_of(",a:").find("hostile.conf:1:1: YAML syntax error: unexpected ','"), std::string::npos)
      << error_of(",a:");
  EXPECT_NE(error_of("- a\n,b:\n").find("hostile.conf:2:1: YAML syntax error: unexpected ','"), std::string::npos)
      << error_of("- a\n,b:\n");
  EXPECT_NE(error_of("# comment\n,0.1: ,\n").find("hostile.conf:2:1: "), std::string::npos)
      << error_of("# comment\n,0.1: ,\n");
  // Several documents still behave as before: an empty trailing one is fine, content is not.
  EXPECT_TRUE(parse_config("jobs: []\n---\n---\n", "hostile.conf").jobs.empty());
  EXPECT_NE(error_of("jobs: []\n---\njobs: []\n").find("hostile.conf:3:1: a second YAML document"), std::string::npos);
}

// ------------------------------------------------------------- secrets in their wire forms

TEST(HostileConfig, BasicAuthHeaderFormsAreSecretsToo) {
  const Config c = parse_config(
      "jobs:\n  - name: a\n    url: http://u%40x:p%3Ass@h/metrics\n    username: alice\n    password: s3cret\n"
      "    proxy_url: http://proxy:3128\n    proxy_username: pu\n    proxy_password: ppw\n",
      "hostile.conf");
  ASSERT_EQ(c.jobs.size(), 1u) << problems_of(c);
  const auto s = c.jobs[0].secrets();
  auto has = [&](const std::string& v) { return std::find(s.begin(), s.end(), v) != s.end(); };
  EXPECT_TRUE(has("YWxpY2U6czNjcmV0"));  // base64("alice:s3cret"), what goes on the wire
  EXPECT_TRUE(has("cHU6cHB3"));          // base64("pu:ppw")
  EXPECT_TRUE(has("dUB4OnA6c3M="));      // base64("u@x:p:ss"): the URL's userinfo, decoded
  EXPECT_FALSE(has("alice"));
}

// ------------------------------------------------------------- process level

struct UnusableFile {
  const char* what;
  std::string content;  // written to vernemq.conf (ignored for "directory")
  const char* log_has;
};

class HostileConfigProcess : public ::testing::TestWithParam<UnusableFile> {};

// Netdata must be told DISABLE (never restart a plugin whose configuration cannot work), the
// exit is 0, and the log says why, naming the file.
TEST_P(HostileConfigProcess, DisablesAndExitsZeroNamingTheProblem) {
  const UnusableFile& u = GetParam();
  TempDir dir;
  std::string path = dir.path() + "/vernemq.conf";
  if (std::string(u.what) == "directory") {
    ASSERT_TRUE(std::filesystem::create_directory(path));
  } else {
    dir.write("vernemq.conf", u.content);
  }
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", path});
  const auto code = plugin.wait_exit(10s);
  ASSERT_TRUE(code.has_value()) << "no exit: " << plugin.err();
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(plugin.out(), "DISABLE\n");
  EXPECT_NE(plugin.err().find(u.log_has), std::string::npos) << plugin.err();
  EXPECT_NE(plugin.err().find(path), std::string::npos) << plugin.err();
}

// go.d's forgiveness, in the real process: two jobs of one name and a misspelt top-level key
// beside a healthy job. The later duplicate is skipped, the others collect; no DISABLE.
TEST(HostileConfigProcess, DuplicateNamesAndAMisspeltKeySkipOnlyWhatIsWrong) {
  std::atomic<std::uint64_t> n{0};
  loopback::Server server([&](const loopback::Request&) {
    loopback::Response r;
    r.body = testing::vernemq_body(n.fetch_add(1));
    return r;
  });
  TempDir dir;
  const std::string path = dir.write("vernemq.conf",
                                     "update_everyy: 1\njobs:\n"
                                     "  - name: twin\n    url: " +
                                         server.url() +
                                         "\n"
                                         "  - name: twin\n    url: " +
                                         server.url("/other") +
                                         "\n"
                                         "  - name: third\n    url: " +
                                         server.url() + "\n");
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", path});
  ASSERT_TRUE(plugin.wait_for_stdout("BEGIN vernemq_third.mqtt_puback_sent_reason", 20s))
      << plugin.out() << plugin.err();
  ASSERT_TRUE(plugin.wait_for_stdout("BEGIN vernemq_twin.mqtt_puback_sent_reason", 20s))
      << plugin.out() << plugin.err();
  plugin.signal(SIGTERM);
  ASSERT_EQ(plugin.wait_exit(10s), 0);
  EXPECT_EQ(plugin.out().find("DISABLE"), std::string::npos);
  EXPECT_NE(plugin.err().find(path + ":1:1: unknown key 'update_everyy'"), std::string::npos) << plugin.err();
  EXPECT_NE(plugin.err().find(path + ":5:11: job 'twin': duplicate job name 'twin'"), std::string::npos)
      << plugin.err();
  EXPECT_NE(plugin.err().find("the job is skipped"), std::string::npos) << plugin.err();
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
}

// autodetection_retry as go.d, in the real process.
TEST(HostileConfigProcess, AutodetectionRetryZeroDropsAJobWhoseFirstCheckFailsThenDisables) {
  TempDir dir;
  const std::string dead = "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/metrics";
  const std::string path =
      dir.write("vernemq.conf", "autodetection_retry: 0\njobs:\n  - name: gone\n    url: " + dead + "\n");
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", path});
  const auto code = plugin.wait_exit(20s);
  ASSERT_TRUE(code.has_value()) << "still running: " << plugin.err();
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(plugin.out().ends_with("DISABLE\n")) << plugin.out();
  EXPECT_NE(plugin.err().find("gone : the first check failed and autodetection_retry is 0: the job is dropped"),
            std::string::npos)
      << plugin.err();
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  EXPECT_TRUE(v.ok()) << v.error_report();
}

TEST(HostileConfigProcess, AutodetectionRetryDropsOnlyTheFailingJobAndRetriesEveryNSeconds) {
  std::atomic<std::uint64_t> n{0};
  loopback::Server good([&](const loopback::Request&) {
    loopback::Response r;
    r.body = testing::vernemq_body(n.fetch_add(1));
    return r;
  });
  std::atomic<std::uint64_t> retried{0};
  loopback::Server failing([&](const loopback::Request&) {
    retried.fetch_add(1);
    loopback::Response r;
    r.status = 503;
    r.body = "down";
    return r;
  });
  TempDir dir;
  const std::string path = dir.write("vernemq.conf",
                                     "autodetection_retry: 2\njobs:\n"
                                     "  - name: good\n    url: " +
                                         good.url() +
                                         "\n"
                                         "  - name: later\n    url: " +
                                         failing.url() + "\n");
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", path});
  // The failing server's third check is the sign (the first check, then two retries).
  ASSERT_TRUE(plugin.wait_for_stdout("BEGIN vernemq_good.mqtt_puback_sent_reason", 20s)) << plugin.err();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (retried.load() < 3 && std::chrono::steady_clock::now() < deadline) plugin.pump(100ms);
  const auto good_before = n.load();
  plugin.signal(SIGTERM);
  ASSERT_EQ(plugin.wait_exit(10s), 0);
  ASSERT_GE(retried.load(), 3u) << plugin.err();
  // Retried 2 s after each failure, not every tick: the third check comes at the 7th tick, when
  // the good job has about 6 scrapes; at one check a tick there would be as many as good scrapes.
  EXPECT_GE(good_before, retried.load() + 2) << "checks: " << retried.load() << ", good scrapes: " << good_before;
  EXPECT_NE(plugin.err().find("later : check failed; next check in 2 s (autodetection_retry)"), std::string::npos)
      << plugin.err();
  EXPECT_EQ(plugin.out().find("DISABLE"), std::string::npos);
}

std::string merge_bomb() {
  std::string yaml = "jobs:\n  - name: a\n    url: http://h/\n    labels:\n      m0: &m0 {x: 1}\n";
  for (int level = 1; level < 10; ++level) {
    yaml += "      m" + std::to_string(level) + ": &m" + std::to_string(level) + " {<<: [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", *m" : "*m") + std::to_string(level - 1);
    yaml += "]}\n";
  }
  return yaml + "  - name: b\n    url: http://h/\n    <<: *m9\n";
}

INSTANTIATE_TEST_SUITE_P(
    Table, HostileConfigProcess,
    ::testing::Values(UnusableFile{"empty", "", "has no jobs"}, UnusableFile{"directory", "", "is a directory"},
                      UnusableFile{"stray_comma", ",a:\n", "YAML syntax error: unexpected ','"},
                      UnusableFile{"yaml_bomb", merge_bomb(), "more than 100000 nodes"},
                      UnusableFile{"binary", std::string("\x00\x01\xff\xfe", 4), "configuration"},
                      UnusableFile{"every_job_bad", "jobs:\n  - name: x\n    url: gopher://h/\n  - name: y\n",
                                   "no usable job"},
                      UnusableFile{"wrong_top_level", "- just\n- a list\n", "the top level is a list"}),
    [](const ::testing::TestParamInfo<UnusableFile>& i) { return std::string(i.param.what); });

TEST(HostileConfig, AThousandJobsRunInOneProcess) {
  TempDir dir;
  loopback::Server server([](const loopback::Request&) {
    loopback::Response r;
    r.body = testing::vernemq_body(1);  // the same counters every time: every value is 0
    return r;
  });
  // A first scrape the loaded machine cannot serve in time must not drop its job (go.d's default
  // autodetection_retry, 0): retried, every job still gets its charts.
  std::string conf = "autodetection_retry: 2\njobs:\n";
  for (int i = 0; i < 1000; ++i) conf += "  - name: node" + std::to_string(i) + "\n    url: " + server.url() + "\n";
  // Every 2 s: a thousand transfers a tick on a loaded 2-core machine (a parallel ctest, a
  // sanitizer build) need the room; what is tested is that all of them run in one process.
  Subprocess plugin({VMQ_PLUGIN_PATH, "2", "--config", dir.write("vernemq.conf", conf)});
  // Run until every job has two points, or a minute: how long a thousand first scrapes take
  // depends on the machine (a sanitizer build, a parallel ctest), not on what is tested.
  const auto jobs_with_two_points = [&plugin] {
    std::map<std::string, int> begins;
    const std::string& out = plugin.out();
    const std::string needle = "BEGIN vernemq_node";
    for (std::size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at + 1)) {
      const std::size_t end = out.find_first_of(" \n", at + needle.size());
      const std::string chart = out.substr(at + 6, end - at - 6);
      if (chart.size() > 24 && chart.compare(chart.size() - 24, 24, ".mqtt_puback_sent_reason") == 0) ++begins[chart];
    }
    std::size_t n = 0;
    for (const auto& [chart, count] : begins) n += count >= 2 ? 1 : 0;
    return n;
  };
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       jobs_with_two_points() < 1000 && std::chrono::steady_clock::now() < deadline;)
    plugin.pump(1s);
  ASSERT_FALSE(plugin.raw_status().has_value())
      << plugin.err().substr(plugin.err().size() > 2000 ? plugin.err().size() - 2000 : 0);
  plugin.signal(SIGTERM);
  ASSERT_EQ(plugin.wait_exit(10s), 0);
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  const std::string& err = plugin.err();
  const std::size_t failure = err.find("scrape failed");
  const std::string first_failure =
      failure == std::string::npos ? "" : err.substr(failure, err.find('\n', failure) - failure);
  // Every job defined its charts and got ticks; a value, when there is one, is exact (a tick
  // the loaded machine could not serve in time is empty, never wrong).
  std::size_t charted = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto points = v.points_of("vernemq_node" + std::to_string(i) + ".mqtt_puback_sent_reason");
    if (points.size() >= 2) ++charted;
    for (const auto& p : points) {
      const auto value = p.values.at("success");
      EXPECT_TRUE(!value || *value == 0) << "node" << i;
    }
  }
  EXPECT_EQ(charted, 1000u) << first_failure;
}

}  // namespace
}  // namespace vmq
