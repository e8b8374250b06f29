// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration loader: every key, every message, the go.d compatibility rules, and the
// files and directories it is pointed at. Configurations are written here as strings.
#include "vmq/config.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "vmq/config_readers.h"

namespace vmq {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSource = "test.conf";

Config parse(std::string_view yaml) { return parse_config(yaml, kSource); }

// The ConfigError message for `yaml`; fails the test when it parses.
std::string error_of(std::string_view yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << yaml;
  return {};
}

std::string all_problems(const Config& c) {
  std::string out;
  for (const auto& p : c.problems) out += p + "\n";
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

#define EXPECT_HAS(text, needle) \
  EXPECT_TRUE(contains((text), (needle))) << "missing \"" << (needle) << "\" in:\n" << (text)
#define EXPECT_LACKS(text, needle) \
  EXPECT_FALSE(contains((text), (needle))) << "unexpected \"" << (needle) << "\" in:\n" << (text)

// A fresh temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vmq_config_test.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, std::string_view text) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path path_;
};

// ------------------------------------------------------------------ the happy paths

TEST(ConfigParse, GoDExampleLoadsWithDefaults) {
  const Config c = parse(
      "update_every: 1\n"
      "autodetection_retry: 0\n"
      "jobs:\n"
      "  - name: local\n"
      "    url: http://127.0.0.1:8888/metrics\n");
  EXPECT_EQ(c.source, kSource);
  EXPECT_EQ(c.update_every, 1);
  EXPECT_EQ(c.autodetection_retry, 0);
  EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  ASSERT_EQ(c.jobs.size(), 1u);
  const JobConfig& j = c.jobs[0];
  EXPECT_EQ(j.name, "local");
  EXPECT_EQ(j.url, "http://127.0.0.1:8888/metrics");
  // Every default, as documented in config.h and conf.d/vernemq.conf.
  EXPECT_EQ(j.update_every, 0);
  EXPECT_DOUBLE_EQ(j.timeout_s, 1.0);
  EXPECT_EQ(j.max_body_size, 16u * 1024u * 1024u);
  EXPECT_FALSE(j.tls_skip_verify);
  EXPECT_FALSE(j.not_follow_redirects);
  EXPECT_TRUE(j.username.empty());
  EXPECT_TRUE(j.password.empty());
  EXPECT_TRUE(j.api_key.empty());
  EXPECT_TRUE(j.bearer_token_file.empty());
  EXPECT_TRUE(j.headers.empty());
  EXPECT_TRUE(j.proxy_url.empty());
  EXPECT_TRUE(j.proxy_username.empty());
  EXPECT_TRUE(j.proxy_password.empty());
  EXPECT_TRUE(j.tls_ca.empty());
  EXPECT_TRUE(j.tls_cert.empty());
  EXPECT_TRUE(j.tls_key.empty());
}

TEST(ConfigParse, EveryKeyReachesItsField) {
  const Config c = parse(R"(
update_every: 7
autodetection_retry: 30
jobs:
  - name: full
    url: https://broker.example:8443/metrics
    timeout: 2.5
    update_every: 10
    username: alice
    password: s3cret
    api_key: key-123
    bearer_token_file: /run/token
    headers:
      X-Scope: vernemq
      Accept-Language: en
      X-Empty:
    proxy_url: socks5h://proxy:1080
    proxy_username: bob
    proxy_password: pr0xy
    tls_ca: /etc/ca.pem
    tls_cert: /etc/cert.pem
    tls_key: /etc/key.pem
    tls_skip_verify: yes
    not_follow_redirects: true
    max_body_size: 2048
)");
  EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  EXPECT_EQ(c.update_every, 7);
  EXPECT_EQ(c.autodetection_retry, 30);
  ASSERT_EQ(c.jobs.size(), 1u);
  const JobConfig& j = c.jobs[0];
  EXPECT_EQ(j.name, "full");
  EXPECT_EQ(j.url, "https://broker.example:8443/metrics");
  EXPECT_DOUBLE_EQ(j.timeout_s, 2.5);
  EXPECT_EQ(j.update_every, 10);
  EXPECT_EQ(j.username, "alice");
  EXPECT_EQ(j.password, "s3cret");
  EXPECT_EQ(j.api_key, "key-123");
  EXPECT_EQ(j.bearer_token_file, "/run/token");
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Scope", "vernemq"}, {"Accept-Language", "en"}, {"X-Empty", ""}};
  EXPECT_EQ(j.headers, headers);  // file order kept
  EXPECT_EQ(j.proxy_url, "socks5h://proxy:1080");
  EXPECT_EQ(j.proxy_username, "bob");
  EXPECT_EQ(j.proxy_password, "pr0xy");
  EXPECT_EQ(j.tls_ca, "/etc/ca.pem");
  EXPECT_EQ(j.tls_cert, "/etc/cert.pem");
  EXPECT_EQ(j.tls_key, "/etc/key.pem");
  EXPECT_TRUE(j.tls_skip_verify);
  EXPECT_TRUE(j.not_follow_redirects);
  EXPECT_EQ(j.max_body_size, 2048u);
}

TEST(ConfigParse, ScalarsThatLookLikeNumbersAreStillStrings) {
  // yaml.v2 (go.d) reads `password: 1234` as the text "1234"; so must we.
  const Config c = parse(
      "jobs:\n  - name: 42\n    url: http://h/\n    password: 0123\n"
      "    username: true\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].name, "42");
  EXPECT_EQ(c.jobs[0].password, "0123");
  EXPECT_EQ(c.jobs[0].username, "true");
}

TEST(ConfigParse, KeyWithoutValueKeepsTheDefault) {
  const Config c = parse(
      "update_every:\njobs:\n  - name: a\n    url: http://h/\n    timeout:\n"
      "    tls_skip_verify:\n    max_body_size: ~\n    headers:\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  EXPECT_EQ(c.update_every, 1);
  EXPECT_DOUBLE_EQ(c.jobs[0].timeout_s, 1.0);
  EXPECT_FALSE(c.jobs[0].tls_skip_verify);
  EXPECT_EQ(c.jobs[0].max_body_size, kDefaultMaxBodySize);
}

struct GoodValue {
  const char* key;
  const char* yaml_value;
  double timeout_s;       // for key == timeout
  std::size_t body_size;  // for key == max_body_size
  bool flag;              // for the booleans
};

void PrintTo(const GoodValue& g, std::ostream* os) { *os << g.key << ": " << g.yaml_value; }

class ConfigGoodValue : public ::testing::TestWithParam<GoodValue> {};

TEST_P(ConfigGoodValue, IsAccepted) {
  const GoodValue& g = GetParam();
  const std::string yaml =
      std::string("jobs:\n  - name: a\n    url: http://h/\n    ") + g.key + ": " + g.yaml_value + "\n";
  const Config c = parse(yaml);
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  const std::string key = g.key;
  if (key == "timeout") {
    EXPECT_NEAR(c.jobs[0].timeout_s, g.timeout_s, 1e-12) << g.yaml_value;
  } else if (key == "max_body_size") {
    EXPECT_EQ(c.jobs[0].max_body_size, g.body_size) << g.yaml_value;
  } else if (key == "tls_skip_verify") {
    EXPECT_EQ(c.jobs[0].tls_skip_verify, g.flag) << g.yaml_value;
  } else if (key == "not_follow_redirects") {
    EXPECT_EQ(c.jobs[0].not_follow_redirects, g.flag) << g.yaml_value;
  } else {
    FAIL() << "no check for key " << key;
  }
}

// go.d's timeout: seconds, fractional, or a Go duration string (confopt.Duration).
INSTANTIATE_TEST_SUITE_P(
    Forms, ConfigGoodValue,
    ::testing::Values(
        GoodValue{"timeout", "1", 1.0, 0, false}, GoodValue{"timeout", "0.5", 0.5, 0, false},
        GoodValue{"timeout", ".25", 0.25, 0, false}, GoodValue{"timeout", "'0.5'", 0.5, 0, false},
        GoodValue{"timeout", "+2", 2.0, 0, false}, GoodValue{"timeout", "3e0", 3.0, 0, false},
        GoodValue{"timeout", "500ms", 0.5, 0, false}, GoodValue{"timeout", "\"2s\"", 2.0, 0, false},
        GoodValue{"timeout", "1.5s", 1.5, 0, false}, GoodValue{"timeout", "1m30s", 90.0, 0, false},
        GoodValue{"timeout", "1 s", 1.0, 0, false}, GoodValue{"timeout", "1h", 3600.0, 0, false},
        GoodValue{"timeout", "2000\xc2\xb5s", 0.002, 0, false}, GoodValue{"timeout", "0.001", 0.001, 0, false},
        GoodValue{"max_body_size", "1024", 0, 1024, false}, GoodValue{"max_body_size", "64 KiB", 0, 64u * 1024u, false},
        GoodValue{"max_body_size", "32MiB", 0, 32u * 1024u * 1024u, false},
        GoodValue{"max_body_size", "1 GiB", 0, 1024u * 1024u * 1024u, false},
        GoodValue{"tls_skip_verify", "true", 0, 0, true}, GoodValue{"tls_skip_verify", "True", 0, 0, true},
        GoodValue{"tls_skip_verify", "on", 0, 0, true}, GoodValue{"tls_skip_verify", "no", 0, 0, false},
        GoodValue{"not_follow_redirects", "yes", 0, 0, true}, GoodValue{"not_follow_redirects", "FALSE", 0, 0, false},
        GoodValue{"not_follow_redirects", "off", 0, 0, false}));

TEST(ConfigParse, JobWithoutNameTakesTheModuleName) {
  const Config c = parse("jobs:\n  - url: http://h/\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].name, "vernemq");
}

TEST(ConfigParse, MergeKeysWorkAsInGoD) {
  // go.d's yaml.v2 resolves `<<`; yaml-cpp leaves it to us. Explicit keys win over merged ones.
  const Config c = parse(R"(
jobs:
  - &base
    name: a
    url: http://h/
    timeout: 2
    api_key: k
  - <<: *base
    name: b
    timeout: 3
  - <<: [*base]
    name: c
)");
  ASSERT_EQ(c.jobs.size(), 3u) << all_problems(c);
  EXPECT_EQ(c.jobs[1].name, "b");
  EXPECT_EQ(c.jobs[1].url, "http://h/");
  EXPECT_EQ(c.jobs[1].api_key, "k");
  EXPECT_DOUBLE_EQ(c.jobs[1].timeout_s, 3.0);
  EXPECT_EQ(c.jobs[2].name, "c");
  EXPECT_DOUBLE_EQ(c.jobs[2].timeout_s, 2.0);
}

TEST(ConfigParse, ThousandJobsLoad) {
  std::string yaml = "jobs:\n";
  for (int i = 0; i < 1000; ++i) {
    yaml += "  - name: node" + std::to_string(i) + "\n    url: http://10.0." + std::to_string(i / 250) + "." +
            std::to_string(i % 250) + ":8888/metrics\n" + "    timeout: 0.5\n    headers: {X-Node: n" +
            std::to_string(i) + "}\n";
  }
  const Config c = parse(yaml);
  EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  ASSERT_EQ(c.jobs.size(), 1000u);
  EXPECT_EQ(c.jobs[0].name, "node0");
  EXPECT_EQ(c.jobs[999].name, "node999");
  EXPECT_EQ(c.jobs[999].url, "http://10.0.3.249:8888/metrics");
  EXPECT_EQ(c.jobs[999].headers.at(0).second, "n999");
}

// ------------------------------------------------------------------ bad values: job skipped

struct BadValue {
  const char* key;
  const char* yaml_value;  // as written after "key: "
  const char* shown;       // how the message quotes the value (or what it found)
  const char* why;         // what it says is wrong
  const char* expected;    // the "expected ..." part
  int column = 0;          // where the message points, when not at the value itself
};

void PrintTo(const BadValue& b, std::ostream* os) { *os << b.key << ": " << b.yaml_value; }

class ConfigBadValue : public ::testing::TestWithParam<BadValue> {};

// The bad key sits on line 6 of the file, the value right after "    KEY: ".
TEST_P(ConfigBadValue, SkipsOnlyThatJobWithALocatedMessage) {
  const BadValue& b = GetParam();
  const std::string key = b.key;
  std::string yaml =
      "jobs:\n"
      "  - name: good\n"
      "    url: http://127.0.0.1:1/metrics\n"
      "  - name: bad\n"
      "    username: filler\n"
      "    " +
      key + ":" + (std::string(b.yaml_value).empty() ? "" : " ") + b.yaml_value + "\n";
  if (key != "url") yaml += "    url: http://127.0.0.1:2/metrics\n";
  const Config c = parse(yaml);
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].name, "good");
  ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
  const std::string& p = c.problems[0];
  // A missing value has no position of its own: the key's is used.
  int column = std::string(b.yaml_value).empty() ? 5 : 5 + static_cast<int>(key.size()) + 2;
  if (b.column != 0) column = b.column;
  EXPECT_HAS(p, "test.conf:6:" + std::to_string(column) + ": ");
  EXPECT_HAS(p, "job 'bad'");
  EXPECT_HAS(p, "key '" + key + "'");
  EXPECT_HAS(p, b.shown);
  EXPECT_HAS(p, b.why);
  EXPECT_HAS(p, b.expected);
  EXPECT_HAS(p, "the job is skipped");
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigBadValue,
    ::testing::Values(
        BadValue{"timeout", "abc", "'abc'", "is not a number or a duration", "expected seconds > 0 and <= 3600"},
        BadValue{"timeout", "0", "'0'", "is not > 0", "expected seconds > 0 and <= 3600"},
        BadValue{"timeout", "-1", "'-1'", "is not > 0", "expected seconds > 0 and <= 3600"},
        BadValue{"timeout", "3601", "'3601'", "more than 3600", "expected seconds > 0"},
        BadValue{"timeout", "2h", "'2h'", "more than 3600", "expected seconds > 0"},
        BadValue{"timeout", "0.0001", "'0.0001'", "less than 1 ms", "expected seconds > 0"},
        BadValue{"timeout", ".nan", "'.nan'", "is not a number", "expected seconds > 0"},
        BadValue{"timeout", "1x", "'1x'", "is not a number", "expected seconds > 0"},
        BadValue{"timeout", "[1]", "found a list", "found a list", "expected seconds > 0"},
        BadValue{"update_every", "0", "'0'", "out of range",
                 "expected an integer number of "
                 "seconds, 1 to 86400"},
        BadValue{"update_every", "86401", "'86401'", "out of range", "1 to 86400"},
        BadValue{"update_every", "1.5", "'1.5'", "is not an integer", "1 to 86400"},
        BadValue{"update_every", "\"5\"", "quoted string '5'", "found", "1 to 86400"},
        BadValue{"update_every", "99999999999999999999", "'99999999999999999999'", "out of range", "1 to 86400"},
        BadValue{"tls_skip_verify", "1", "the number '1'", "not a boolean", "expected a YAML boolean: true or false"},
        BadValue{"tls_skip_verify", "\"true\"", "the quoted string 'true'", "not a boolean", "expected a YAML boolean"},
        BadValue{"not_follow_redirects", "maybe", "the string 'maybe'", "not a boolean", "expected a YAML boolean"},
        BadValue{"not_follow_redirects", "{a: 1}", "found a map", "not a boolean", "expected a YAML boolean"},
        BadValue{"max_body_size", "100", "'100'", "out of range", "expected bytes from 1024 to 1073741824"},
        BadValue{"max_body_size", "2 GiB", "'2 GiB'", "out of range", "expected bytes from 1024"},
        BadValue{"max_body_size", "lots", "'lots'", "is not a size in bytes", "expected bytes from 1024"},
        BadValue{"max_body_size", "16M", "'16M'", "is not a size in bytes", "KiB, MiB or GiB suffix"},
        BadValue{"url", "ftp://host/metrics", "'ftp://host/metrics'", "has scheme 'ftp'",
                 "expected an http:// or https:// URL with a host"},
        BadValue{"url", "http:///metrics", "'http:///metrics'", "has no host", "expected an http:// or https:// URL"},
        BadValue{"url", "127.0.0.1:8888/metrics", "'127.0.0.1:8888/metrics'", "has no scheme",
                 "expected an http:// or https:// URL"},
        BadValue{"url", "http://host:99999/", "'http://host:99999/'", "port '99999', not a number from 1 to 65535",
                 "expected an http://"},
        BadValue{"url", "http://::1/metrics", "'http://::1/metrics'", "[brackets]", "expected an http://"},
        BadValue{"url", "'http://a b/'", "'http://a b/'", "contains a space", "expected an http://"},
        BadValue{"url", "{a: 1}", "found a map", "found a map", "expected an http://"},
        BadValue{"url", "", "key 'url'", "has no value", "expected an http://"},
        BadValue{"proxy_url", "ftp://proxy:21", "'ftp://proxy:21'", "has scheme 'ftp'",
                 "expected a proxy URL with a host"},
        BadValue{"proxy_url", "http://:3128", "'http://:3128'", "has no host", "expected a proxy URL"},
        BadValue{"password", "{a: 1}", "found a map", "found a map", "expected a string"},
        BadValue{"tls_ca", "[a, b]", "found a list", "found a list", "expected a string"},
        BadValue{"api_key", "\"a\\nb\"", "key 'api_key'", "line break or control character", "expected one line"},
        BadValue{"headers", "[a]", "found a list", "found a list", "expected a map of header name: value"},
        BadValue{"headers", "{bad name: x}", "'bad name'", "not a valid HTTP header name", "expected letters, digits",
                 15},
        BadValue{"headers", "{X-A: {b: c}}", "header 'X-A'", "found a map", "expected a string", 20},
        BadValue{"headers", "{X-A: 1, x-a: 2}", "header 'x-a'", "appears twice", "expected each header once", 23},
        BadValue{"headers", "{X-A: \"v\\r\\nX-Injected: 1\"}", "header 'X-A'", "line break or control character",
                 "expected one line", 20}));

TEST(ConfigBadJob, HeaderValueWithLineBreakIsNotShown) {
  // Header values often carry credentials; the message names the header, never its value.
  const Config c = parse(
      "jobs:\n  - name: a\n    url: http://h/\n"
      "    headers: {Authorization: \"Bearer t0ps3cret\\nX: y\"}\n");
  ASSERT_TRUE(c.jobs.empty());
  EXPECT_LACKS(all_problems(c), "t0ps3cret");
}

TEST(ConfigBadJob, BadUrlMessageDoesNotLeakThePassword) {
  for (const char* url :
       {"ftp://user:hunter2@host/metrics", "http://user:hun/ter2@host/metrics", "http://user:hunter2@/metrics"}) {
    const Config c = parse(std::string("jobs:\n  - name: a\n    url: '") + url + "'\n");
    ASSERT_TRUE(c.jobs.empty()) << url;
    ASSERT_FALSE(c.problems.empty()) << url;
    EXPECT_HAS(c.problems[0], "key 'url'");
    EXPECT_LACKS(all_problems(c), "hunter2");
    EXPECT_LACKS(all_problems(c), "ter2");
  }
}

TEST(ConfigBadJob, UnnamedJobIsNamedByItsIndex) {
  const Config c = parse(
      "jobs:\n  - name: a\n    url: http://h/\n  - url: http://h/\n"
      "    timeout: abc\n");
  ASSERT_EQ(c.jobs.size(), 1u);
  ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
  EXPECT_HAS(c.problems[0], "test.conf:5:14: job #2: key 'timeout': value 'abc'");
}

TEST(ConfigBadJob, EmptyNamesAreRejected) {
  for (const char* name : {"\"\"", "' '", ""}) {
    const Config c = parse(std::string("jobs:\n  - name:") + (*name ? " " : "") + name + "\n    url: http://h/\n");
    EXPECT_TRUE(c.jobs.empty()) << name;
    ASSERT_FALSE(c.problems.empty()) << name;
    EXPECT_HAS(c.problems[0], "test.conf:2:");
    EXPECT_HAS(c.problems[0], "job #1: key 'name'");
    EXPECT_HAS(c.problems[0], "expected a non-empty job name");
  }
}

TEST(ConfigBadJob, MissingUrlIsReportedAtTheJob) {
  const Config c = parse("jobs:\n  - name: a\n    timeout: 1\n");
  EXPECT_TRUE(c.jobs.empty());
  EXPECT_HAS(all_problems(c), "test.conf:2:5: job 'a': key 'url' is missing; expected an http://");
}

TEST(ConfigBadJob, EveryErrorOfAJobIsReported) {
  const Config c = parse(
      "jobs:\n  - name: a\n    url: http://h/\n    timeout: x\n"
      "    update_every: y\n");
  EXPECT_TRUE(c.jobs.empty());
  const std::string p = all_problems(c);
  EXPECT_HAS(p, "test.conf:4:14: job 'a': key 'timeout'");
  EXPECT_HAS(p, "test.conf:5:19: job 'a': key 'update_every'");
}

TEST(ConfigBadJob, JobThatIsNotAMapIsSkipped) {
  const Config c = parse("jobs:\n  - just a string\n  - [a, b]\n  - name: ok\n    url: http://h/\n");
  ASSERT_EQ(c.jobs.size(), 1u);
  EXPECT_EQ(c.jobs[0].name, "ok");
  const std::string p = all_problems(c);
  EXPECT_HAS(p, "test.conf:2:5: job #1: found the string 'just a string'; expected a map");
  EXPECT_HAS(p, "test.conf:3:5: job #2: found a list; expected a map");
}

TEST(ConfigBadJob, DuplicateKeyInAJobIsAnError) {
  const Config c = parse("jobs:\n  - name: a\n    url: http://h/\n    url: http://i/\n");
  EXPECT_TRUE(c.jobs.empty());
  EXPECT_HAS(all_problems(c), "test.conf:4:5: job 'a': key 'url' appears twice (first at line 3)");
}

TEST(ConfigBadJob, AllJobsBadGivesNoJobsAndExplains) {
  const Config c = parse("jobs:\n  - name: a\n    url: ftp://x/\n  - name: b\n");
  EXPECT_TRUE(c.jobs.empty());
  const std::string p = all_problems(c);
  EXPECT_HAS(p, "job 'a'");
  EXPECT_HAS(p, "job 'b'");
  EXPECT_HAS(p, "none of its 2 job(s) is usable");
}

// ------------------------------------------------------------------ unknown and go.d keys

TEST(ConfigKeys, EveryKeyButJobsHasAReader) {
  // The walk calls the row's reader; `jobs` is walked by the parser itself.
  for (const ConfigKey& k : config_keys()) {
    EXPECT_EQ(k.read == nullptr, k.global && k.name == "jobs") << k.name;
  }
}

TEST(ConfigKeys, UnknownJobKeySkipsTheJobAndListsKnownKeys) {
  const Config c = parse(
      "jobs:\n  - name: a\n    url: http://h/\n    tiemout: 2\n"
      "  - name: b\n    url: http://h/\n");
  ASSERT_EQ(c.jobs.size(), 1u);
  EXPECT_EQ(c.jobs[0].name, "b");
  ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
  const std::string& p = c.problems[0];
  EXPECT_HAS(p, "test.conf:4:5: job 'a': unknown key 'tiemout'");
  EXPECT_HAS(p, "did you mean 'timeout'?");
  EXPECT_HAS(p, "known keys: name, url, timeout, update_every");
  EXPECT_HAS(p, "max_body_size");
}

TEST(ConfigKeys, UnknownTopLevelKeyIsAWarningAndTheJobsRun) {
  // go.d: a misspelt key beside a healthy job is reported, the job still runs.
  const Config c = parse("update_everyy: 1\njobs:\n  - name: a\n    url: http://h/\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.update_every, 1);
  ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
  EXPECT_HAS(c.problems[0], "test.conf:1:1: unknown key 'update_everyy'");
  EXPECT_HAS(c.problems[0], "did you mean 'update_every'?");
  EXPECT_HAS(c.problems[0], "known keys: update_every, autodetection_retry, priority, jobs");
  EXPECT_HAS(c.problems[0], "the key is ignored");
}

TEST(ConfigKeys, UnrelatedUnknownKeyHasNoGuess) {
  const Config c = parse("something_else: 1\njobs:\n  - name: a\n    url: http://h/\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  const std::string e = all_problems(c);
  EXPECT_HAS(e, "unknown key 'something_else'");
  EXPECT_LACKS(e, "did you mean");
}

class ConfigCompatKey : public ::testing::TestWithParam<const char*> {};

TEST_P(ConfigCompatKey, IsIgnoredWithAMessage) {
  const std::string key = GetParam();
  const Config c = parse("jobs:\n  - name: a\n    url: http://h/\n    " + key + ": whatever\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
  EXPECT_HAS(c.problems[0], "test.conf:4:5: job 'a': key '" + key + "' is ignored: ");
  EXPECT_HAS(c.problems[0], "(accepted for go.d compatibility)");
}

INSTANTIATE_TEST_SUITE_P(GoD, ConfigCompatKey,
                         ::testing::Values("method", "body", "force_http2", "vnode", "autodetection_retry", "priority",
                                           "labels", "module", "max_time_series", "max_time_series_per_metric"));

TEST(ConfigKeys, TopLevelPriorityIsIgnoredWithAMessage) {
  const Config c = parse("priority: 70000\njobs:\n  - name: a\n    url: http://h/\n");
  ASSERT_EQ(c.jobs.size(), 1u);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_HAS(c.problems[0], "test.conf:1:1: key 'priority' is ignored");
}

TEST(ConfigKeys, DuplicateTopLevelKeyIsAConfigError) {
  EXPECT_HAS(error_of("update_every: 1\nupdate_every: 2\n"),
             "test.conf:2:1: key 'update_every' appears twice (first at line 1)");
}

// ------------------------------------------------------------------ file-level errors

TEST(ConfigDuplicates, TheLaterJobIsSkippedNamingBothLinesAndTheOthersRun) {
  const Config c = parse(
      "jobs:\n  - name: a\n    url: http://h/\n"
      "  - name: a\n    url: http://i/\n"
      "  - name: b\n    url: http://j/\n");
  ASSERT_EQ(c.jobs.size(), 2u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].name, "a");
  EXPECT_EQ(c.jobs[0].url, "http://h/");  // the first one keeps the name
  EXPECT_EQ(c.jobs[1].name, "b");
  ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
  EXPECT_HAS(c.problems[0], "test.conf:4:11: job 'a': duplicate job name 'a'");
  EXPECT_HAS(c.problems[0], "also used by the job at test.conf:2:11");
  EXPECT_HAS(c.problems[0], "the job is skipped");
}

TEST(ConfigDuplicates, AnUnusableJobDoesNotClaimItsName) {
  const Config c = parse(
      "jobs:\n  - name: a\n    url: gopher://h/\n"
      "  - name: a\n    url: http://i/\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].url, "http://i/");
  EXPECT_LACKS(all_problems(c), "duplicate");
}

TEST(ConfigDuplicates, OnlyDuplicatesOfOneJobLeaveOneJob) {
  const Config c = parse("jobs:\n  - name: a\n    url: http://h/\n  - name: a\n    url: http://h/\n");
  EXPECT_EQ(c.jobs.size(), 1u) << all_problems(c);
}

TEST(ConfigDuplicates, NamesThatBecomeTheSameChartIdCollide) {
  // Netdata ids keep only [A-Za-z0-9_-]: "a.b" and "a_b" would share their charts.
  const Config c = parse(
      "jobs:\n  - name: a.b\n    url: http://h/\n"
      "  - name: a_b\n    url: http://i/\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].name, "a.b");
  const std::string e = all_problems(c);
  EXPECT_HAS(e, "test.conf:4:11: job 'a_b': its name and the name 'a.b' of the job at test.conf:2:11");
  EXPECT_HAS(e, "both become the chart type 'vernemq_a_b'");
  EXPECT_HAS(e, "expected names that differ");
  // Different names that stay different load fine.
  EXPECT_EQ(parse("jobs:\n  - name: a-b\n    url: http://h/\n  - name: a_b\n    url: http://h/\n").jobs.size(), 2u);
}

TEST(ConfigDuplicates, TwoUnnamedJobsCollideOnTheModuleName) {
  const Config c = parse("jobs:\n  - url: http://h/\n  - url: http://i/\n");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  const std::string e = all_problems(c);
  EXPECT_HAS(e, "duplicate job name 'vernemq'");
  EXPECT_HAS(e, "test.conf:3:5");
  EXPECT_HAS(e, "test.conf:2:5");
}

TEST(ConfigFileErrors, SyntaxErrorNamesFileLineColumnAndYamlCppText) {
  // The second ':' on line 2 (column 12) cannot start a map value there.
  const std::string e = error_of("jobs:\n  - name: x: y\n");
  EXPECT_HAS(e, "test.conf:2:12: YAML syntax error: ");
  EXPECT_HAS(e, "illegal map value");
  // A tab at the start of line 3.
  EXPECT_HAS(error_of("jobs:\n  - name: a\n\turl: b\n"), "test.conf:3:1: YAML syntax error: ");
}

TEST(ConfigFileErrors, StructureErrors) {
  EXPECT_HAS(error_of("- name: a\n  url: http://h/\n"),
             "test.conf:1:1: the top level is a list; expected a map with the keys update_every");
  EXPECT_HAS(error_of("just text\n"), "test.conf:1:1: the top level is the string 'just text'");
  EXPECT_HAS(error_of("jobs:\n  name: a\n  url: http://h/\n"),
             "test.conf:2:3: key 'jobs': found a map; expected a list of jobs");
  EXPECT_HAS(error_of("jobs: 5\n"), "test.conf:1:7: key 'jobs': found the number '5'");
  EXPECT_HAS(error_of("update_every: fast\njobs: []\n"),
             "test.conf:1:15: key 'update_every': value 'fast' is not an integer; expected an "
             "integer number of seconds, 1 to 86400");
  EXPECT_HAS(error_of("autodetection_retry: -1\n"),
             "test.conf:1:22: key 'autodetection_retry': value '-1' is out of range");
  EXPECT_HAS(error_of("jobs: []\n---\njobs: []\n"), "test.conf:3:1: a second YAML document");
}

TEST(ConfigFileErrors, EmptyOrCommentOnlyFileHasNoJobs) {
  for (const char* text : {"", "\n\n", "# only a comment\n#jobs:\n#  - name: local\n", "---\n"}) {
    const Config c = parse(text);
    EXPECT_TRUE(c.jobs.empty()) << text;
    ASSERT_EQ(c.problems.size(), 1u) << text;
    EXPECT_HAS(c.problems[0], "test.conf has no jobs");
  }
  for (const char* text : {"update_every: 2\n", "jobs:\n", "jobs: []\n"}) {
    const Config c = parse(text);
    EXPECT_TRUE(c.jobs.empty()) << text;
    ASSERT_EQ(c.problems.size(), 1u) << text;
    EXPECT_HAS(c.problems[0], "test.conf has no jobs");
  }
}

// ------------------------------------------------------------------ hostile YAML

// Ten levels of ten aliases: 10^9 scalars if expanded.
std::string laughs(const std::string& indent) {
  std::string out;
  for (int level = 0; level < 10; ++level) {
    out += indent + "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) {
      if (i) out += ", ";
      out += level == 0 ? std::string("lol") : "*l" + std::to_string(level - 1);
    }
    out += "]\n";
  }
  return out;
}

TEST(ConfigHostile, BillionLaughsInAnIgnoredKeyIsNotWalked) {
  const std::string yaml = "jobs:\n  - name: a\n    url: http://h/\n    labels:\n" + laughs("      ") +
                           "  - name: b\n    url: http://h/\n" + "    headers: {X-A: *l9}\n";
  const Config c = parse(yaml);
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  EXPECT_EQ(c.jobs[0].name, "a");
  EXPECT_HAS(all_problems(c), "job 'b': key 'headers': header 'X-A': found a list");
}

TEST(ConfigHostile, MergeKeyBombIsCutOffByTheNodeBudget) {
  // Each level merges the previous one ten times: an exponential walk without the budget.
  std::string yaml = "jobs:\n  - name: a\n    url: http://h/\n    labels:\n      m0: &m0 {x: 1}\n";
  for (int level = 1; level < 10; ++level) {
    yaml += "      m" + std::to_string(level) + ": &m" + std::to_string(level) + " {<<: [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", *m" : "*m") + std::to_string(level - 1);
    yaml += "]}\n";
  }
  yaml += "  - name: b\n    url: http://h/\n    <<: *m9\n";
  const std::string e = error_of(yaml);
  EXPECT_HAS(e, "test.conf:");
  EXPECT_HAS(e, "more than 100000 nodes");
}

TEST(ConfigHostile, SelfReferentialAnchorTerminates) {
  const Config c = parse("jobs:\n  - &j {name: a, url: 'http://h/', <<: *j}\n");
  EXPECT_TRUE(c.jobs.empty());
  EXPECT_HAS(all_problems(c), "nest too deep");
}

TEST(ConfigHostile, DeepNestingIsAConfigError) {
  EXPECT_HAS(error_of(std::string(100000, '[')), "YAML nesting is too deep");
}

// ------------------------------------------------------------------ files

TEST(ConfigFile, LoadsAFileAndNamesItAsSource) {
  TempDir dir;
  const fs::path p = dir.write("vernemq.conf", "jobs:\n  - name: f\n    url: http://h/\n");
  const Config c = load_config_file(p.string());
  EXPECT_EQ(c.source, p.string());
  ASSERT_EQ(c.jobs.size(), 1u);
  EXPECT_EQ(c.jobs[0].name, "f");
}

TEST(ConfigFile, MessagesNameThePath) {
  TempDir dir;
  const fs::path p = dir.write("bad.conf", "jobs:\n  - name: a\n    url: ftp://h/\n");
  const Config c = load_config_file(p.string());
  ASSERT_FALSE(c.problems.empty());
  EXPECT_HAS(c.problems[0], p.string() + ":3:10: job 'a'");
}

std::string load_error(const std::string& path) {
  try {
    load_config_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for " << path;
  return {};
}

TEST(ConfigFile, MissingFile) {
  TempDir dir;
  const std::string p = (dir.path() / "nope.conf").string();
  const std::string e = load_error(p);
  EXPECT_HAS(e, p + ": ");
  EXPECT_HAS(e, "No such file or directory");
}

TEST(ConfigFile, Directory) {
  TempDir dir;
  const std::string e = load_error(dir.path().string());
  EXPECT_HAS(e, dir.path().string() + ": is a directory; expected a YAML configuration file");
}

TEST(ConfigFile, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const fs::path p = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  EXPECT_HAS(load_error(p.string()), p.string() + ": is not a regular file");
}

// load_error() as an unprivileged user: root reads any file, so as root the call runs in a
// child that drops to nobody (65534) and sends the message back through a pipe.
std::string load_error_unprivileged(const std::string& path) {
  if (::geteuid() != 0) return load_error(path);
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string e = (::setgroups(0, nullptr) == 0 && ::setgid(65534) == 0 && ::setuid(65534) == 0)
                        ? load_error(path)
                        : "cannot drop to nobody";
    const char* d = e.data();
    for (std::size_t left = e.size(); left > 0;) {
      const ssize_t n = ::write(fds[1], d, left);
      if (n <= 0) break;
      d += n;
      left -= static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string e;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) e.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return e;
}

TEST(ConfigFile, UnreadableFile) {
  TempDir dir;
  // The directory must be searchable by the unprivileged user; only the file is closed to it.
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const fs::path p = dir.write("secret.conf", "jobs: []\n");
  fs::permissions(p, fs::perms::none);
  const std::string e = load_error_unprivileged(p.string());
  EXPECT_HAS(e, p.string() + ": ");
  EXPECT_HAS(e, "Permission denied");
}

TEST(ConfigFile, ShippedStockFileLoadsClean) {
  const std::string path = std::string(VMQ_SOURCE_DIR) + "/conf.d/vernemq.conf";
  const Config c = load_config_file(path);
  EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  EXPECT_EQ(c.update_every, 1);
  ASSERT_EQ(c.jobs.size(), 1u);
  EXPECT_EQ(c.jobs[0].name, "local");
  EXPECT_EQ(c.jobs[0].url, kDefaultUrl);
}

// The reference comments of conf.d/vernemq.conf against the key table (config_keys()): every
// key has an entry in its section whose first line is the key's help and which holds the line
// "Type: <type>[, <range>]. Default: <default>." (or "Required."), and every entry is a known key.
struct RefEntry {
  bool global;
  std::vector<std::string> names;  // "#  - username, password" documents two keys
  std::vector<std::string> lines;  // its text, one comment line each
  std::string text;
};

std::vector<RefEntry> reference_entries(const std::string& conf) {
  std::vector<RefEntry> out;
  bool global = true;
  bool in_sections = false;
  std::istringstream in(conf);
  for (std::string line; std::getline(in, line);) {
    if (line == "# [ GLOBAL ]") in_sections = true, global = true;
    if (line == "# [ JOBS ]") global = false;
    if (!in_sections || !line.starts_with("#")) continue;
    if (line.starts_with("#  - ")) {
      RefEntry e{global, {}, {}, ""};
      std::istringstream names(line.substr(5));
      for (std::string n; std::getline(names, n, ',');) e.names.push_back(n.substr(n.find_first_not_of(' ')));
      out.push_back(std::move(e));
    } else if (!out.empty() && line.starts_with("#    ")) {
      out.back().text += line.substr(5) + " ";
      out.back().lines.push_back(line.substr(5));
    }
  }
  return out;
}

// The one line the reference gives each key's type, range and default, written out by hand
// from the format the file promises (not from the parser's code).
std::string type_line(const ConfigKey& key) {
  std::string out = "Type: " + std::string(key.type);
  if (!key.range.empty()) out += ", " + std::string(key.range);
  out += ".";
  if (key.required) {
    out += " Required.";
  } else if (!key.default_value.empty()) {
    out += " Default: " + std::string(key.default_value) + ".";
  }
  return out;
}

TEST(ConfigFile, ShippedStockFileDocumentsEveryKeyAsTheTableSays) {
  std::ifstream in(std::string(VMQ_SOURCE_DIR) + "/conf.d/vernemq.conf");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<RefEntry> entries = reference_entries(text);
  ASSERT_GE(entries.size(), 15u) << "the reference section was not found";
  for (const ConfigKey& key : config_keys()) {
    if (key.name == "jobs") continue;  // the JOBS section itself
    SCOPED_TRACE(std::string(key.name) + (key.global ? " (global)" : " (job)"));
    const auto it = std::find_if(entries.begin(), entries.end(), [&](const RefEntry& e) {
      return e.global == key.global && std::find(e.names.begin(), e.names.end(), key.name) != e.names.end();
    });
    ASSERT_NE(it, entries.end()) << "no entry in conf.d/vernemq.conf";
    if (!key.default_value.empty()) {
      EXPECT_HAS(it->text, "Default: " + std::string(key.default_value));
    }
    ASSERT_FALSE(it->lines.empty());
    EXPECT_EQ(it->lines.front(), key.help) << "the entry's first line is not the key's help";
    EXPECT_NE(std::find(it->lines.begin(), it->lines.end(), type_line(key)), it->lines.end())
        << "no line \"" << type_line(key) << "\" in the entry:\n"
        << it->text;
  }
  for (const RefEntry& e : entries) {
    for (const std::string& name : e.names) {
      const bool known = std::any_of(config_keys().begin(), config_keys().end(),
                                     [&](const ConfigKey& k) { return k.name == name && k.global == e.global; });
      EXPECT_TRUE(known) << "conf.d/vernemq.conf documents '" << name << "', which the table does not know";
    }
  }
}

// The type line itself, for a few keys whose type, range and default were read off
// conf.d/vernemq.conf and config.h by hand: the table says what the reference says.
TEST(ConfigKeys, TheTableHoldsTheDocumentedTypeRangeAndDefault) {
  const std::map<std::pair<std::string, bool>, std::string> expected = {
      {{"update_every", true}, "Type: integer, 1..86400. Default: 1."},
      {{"autodetection_retry", true}, "Type: integer, >= 0. Default: 0."},
      {{"url", false}, "Type: url, http:// or https://. Required."},
      {{"timeout", false}, "Type: duration, 0.001..3600 s. Default: 1."},
      {{"tls_skip_verify", false}, "Type: bool. Default: false."},
      {{"max_body_size", false}, "Type: size, 1 KiB..1 GiB. Default: 16 MiB."},
  };
  for (const auto& [name_global, line] : expected) {
    const auto it = std::find_if(config_keys().begin(), config_keys().end(), [&](const ConfigKey& k) {
      return k.name == name_global.first && k.global == name_global.second;
    });
    ASSERT_NE(it, config_keys().end()) << name_global.first;
    EXPECT_EQ(type_line(*it), line);
  }
}

TEST(ConfigKeys, TheTableDrivesTheKnownKeysInMessages) {
  std::string expected;
  for (const ConfigKey& k : config_keys()) {
    if (k.global) continue;
    expected += (expected.empty() ? "" : ", ") + std::string(k.name);
  }
  const Config c = parse("jobs:\n  - name: a\n    url: http://h/\n    tiemout: 1\n");
  EXPECT_HAS(all_problems(c), "known keys: " + expected);
}

// ------------------------------------------------------------------ each reader's bounds

// A value at a bound of its row is accepted; one step beyond it is refused with the whole
// message: where (file:line:column of the value), what was found, what was expected. Bounds and
// texts are the documented ones (conf.d/vernemq.conf), written out here by hand.
struct Bound {
  std::string key;
  std::string yaml_value;
  std::string message;  // "" = accepted
};

void PrintTo(const Bound& b, std::ostream* os) { *os << b.key << ": " << b.yaml_value; }

class ConfigJobKeyBound : public ::testing::TestWithParam<Bound> {};

TEST_P(ConfigJobKeyBound, EdgeIsAcceptedAndBeyondIsRefusedWithTheWholeMessage) {
  const Bound& b = GetParam();
  // The value is on line 4, at column 5 + len(key) + 2; a second, good job runs regardless.
  const Config c = parse("jobs:\n  - name: a\n    url: http://h/\n    " + b.key + ": " + b.yaml_value +
                         "\n  - name: ok\n    url: http://h/\n");
  if (b.message.empty()) {
    EXPECT_EQ(c.jobs.size(), 2u) << all_problems(c);
    EXPECT_TRUE(c.problems.empty()) << all_problems(c);
  } else {
    ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
    EXPECT_EQ(c.jobs[0].name, "ok");
    ASSERT_EQ(c.problems.size(), 1u) << all_problems(c);
    EXPECT_EQ(c.problems[0], b.message);
  }
}

const std::string kEveryWant = "; expected an integer number of seconds, 1 to 86400; the job is skipped";
const std::string kTimeoutWant =
    "; expected seconds > 0 and <= 3600, as a number (1, 0.5) or a duration (500ms, 2s); the job is skipped";
const std::string kSizeWant =
    "; expected bytes from 1024 to 1073741824, as an integer or with a KiB, MiB or GiB suffix; the job is skipped";

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigJobKeyBound,
    ::testing::Values(
        Bound{"update_every", "1", ""}, Bound{"update_every", "86400", ""},
        Bound{"update_every", "86401",
              "test.conf:4:19: job 'a': key 'update_every': value '86401' is out of range" + kEveryWant},
        Bound{"update_every", "0",
              "test.conf:4:19: job 'a': key 'update_every': value '0' is out of range" + kEveryWant},
        Bound{"timeout", "0.001", ""}, Bound{"timeout", "1ms", ""}, Bound{"timeout", "3600", ""},
        Bound{"timeout", "60m", ""},
        Bound{"timeout", "3600.5",
              "test.conf:4:14: job 'a': key 'timeout': value '3600.5' is more than 3600 seconds" + kTimeoutWant},
        Bound{"timeout", "999us",
              "test.conf:4:14: job 'a': key 'timeout': value '999us' is less than 1 ms, the HTTP client's resolution" +
                  kTimeoutWant},
        Bound{"max_body_size", "1024", ""}, Bound{"max_body_size", "1 KiB", ""},
        Bound{"max_body_size", "1073741824", ""}, Bound{"max_body_size", "1 GiB", ""},
        Bound{"max_body_size", "1073741825",
              "test.conf:4:20: job 'a': key 'max_body_size': value '1073741825' is out of range" + kSizeWant},
        Bound{"max_body_size", "1023",
              "test.conf:4:20: job 'a': key 'max_body_size': value '1023' is out of range" + kSizeWant},
        Bound{"max_body_size", "'1024'",
              "test.conf:4:20: job 'a': key 'max_body_size': found the quoted string '1024'" + kSizeWant},
        Bound{
            "tls_skip_verify", "'yes'",
            "test.conf:4:22: job 'a': key 'tls_skip_verify': found the quoted string 'yes', not a boolean; expected a "
            "YAML boolean: true or false (yes/no and on/off also work), without quotes; the job is skipped"},
        Bound{"username", "[a]",
              "test.conf:4:15: job 'a': key 'username': found a list; expected a string; the job is skipped"},
        Bound{"api_key", "\"a\\tb\"",
              "test.conf:4:14: job 'a': key 'api_key': the value contains a line break or control character; "
              "expected one line; the job is skipped"}));

// Top-level keys are read by the same rows; a bad value there concerns every job, so the file
// is refused.
TEST(ConfigTopLevelBound, EdgesAreAcceptedAndBeyondIsAConfigError) {
  EXPECT_EQ(parse("update_every: 86400\njobs: []\n").update_every, 86400);
  EXPECT_EQ(parse("autodetection_retry: 0\n").autodetection_retry, 0);
  EXPECT_EQ(parse("autodetection_retry: 2147483647\n").autodetection_retry, 2147483647);
  EXPECT_EQ(error_of("jobs: []\nupdate_every: 86401\n"),
            "test.conf:2:15: key 'update_every': value '86401' is out of range; expected an integer number of "
            "seconds, 1 to 86400");
  EXPECT_EQ(error_of("autodetection_retry: 2147483648\n"),
            "test.conf:1:22: key 'autodetection_retry': value '2147483648' is out of range; expected an integer "
            "number of seconds >= 0 (0 = never)");
  // A key without a value keeps its default; priority is noted whatever its value.
  const Config c = parse("autodetection_retry:\npriority:\njobs: []\n");
  EXPECT_EQ(c.autodetection_retry, 0);
  EXPECT_HAS(all_problems(c), "test.conf:2:1: key 'priority' is ignored: chart priorities are fixed");
}

// The extension point for nested keys: a row whose reader is a custom function that walks its
// own map and reads each inner value with a typed reader through KeyRead::nested, so inner
// messages are located and labelled like any other. This reader has the shape a
// `cluster_sources: {NAME: {enabled: bool, url: string}}` row would have.
struct Source {
  std::string name;
  bool enabled = true;
  std::string url;
};
std::vector<Source> g_sources;  // where this test's reader stores (a JobConfig member in real rows)

constexpr ConfigKey kEnabledRow{"enabled", false, "bool", "true", "", "", nullptr, "", 0, 0, OnNull::keep_default,
                                false};
constexpr ConfigKey kUrlRow{"url", false, "string", "", "", "", nullptr, "", 0, 0, OnNull::keep_default, false};

bool read_sources(const cfg::KeyRead& r) {
  if (!r.value.IsMap()) {
    r.fail("found " + cfg::found(r.value) + "; expected a map of source name: {enabled, url}");
    return false;
  }
  bool ok = true;
  for (const auto& source : r.value) {
    r.budget.visit(source.second);
    Source s{source.first.Scalar(), true, ""};
    for (const auto& kv : source.second) {
      const std::string key = kv.first.Scalar();
      const std::string label = "source '" + s.name + "': key '" + key + "'";
      if (key == "enabled") {
        const auto v = cfg::read_bool(r.nested(kv.first, kv.second, label, kEnabledRow));
        ok = ok && v.has_value();
        s.enabled = v.value_or(s.enabled);
      } else if (key == "url") {
        const auto v = cfg::read_line(r.nested(kv.first, kv.second, label, kUrlRow));
        ok = ok && v.has_value();
        s.url = v.value_or("");
      }
    }
    g_sources.push_back(s);
  }
  return ok;
}

TEST(ConfigCustomReader, NestedValuesAreReadByTheTypedReadersWithLocatedMessages) {
  const ConfigKey row{"cluster_sources",    false, "map", "", "", "", &read_sources, "", 0, 0,
                      OnNull::keep_default, false};
  const YAML::Node doc = YAML::Load("cluster_sources:\n  health: {enabled: no}\n  status_json:\n    enabled: 2\n");
  const YAML::Node key = doc.begin()->first;
  Config config;
  JobConfig job;
  cfg::Errors errors;
  cfg::NodeBudget budget("test.conf");
  g_sources.clear();
  EXPECT_FALSE(row.read(cfg::KeyRead{row, "key 'cluster_sources'", key, doc["cluster_sources"], "test.conf", config,
                                     &job, errors, budget}));
  ASSERT_EQ(g_sources.size(), 2u);
  EXPECT_EQ(g_sources[0].name, "health");
  EXPECT_FALSE(g_sources[0].enabled);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(cfg::where("test.conf", errors[0].first), "test.conf:4:14");
  EXPECT_EQ(errors[0].second,
            "key 'cluster_sources': source 'status_json': key 'enabled': found the number '2', not a boolean; "
            "expected a YAML boolean: true or false (yes/no and on/off also work), without quotes");
}

// ------------------------------------------------------------------ which file

// find_config_file takes a plain function pointer; the fake environment lives here.
std::map<std::string, std::string>& fake_env() {
  static std::map<std::string, std::string> env;
  return env;
}
const char* fake_getenv(const char* name) {
  const auto it = fake_env().find(name);
  return it == fake_env().end() ? nullptr : it->second.c_str();
}

TEST(ConfigFind, Order) {
  TempDir user;
  TempDir stock;
  fake_env().clear();
  fake_env()["NETDATA_USER_CONFIG_DIR"] = user.path().string();
  fake_env()["NETDATA_STOCK_CONFIG_DIR"] = stock.path().string() + "/";  // trailing slash

  // Nothing anywhere → the built-in default is the caller's choice.
  EXPECT_EQ(find_config_file(std::nullopt, &fake_getenv), std::nullopt);

  // Only the stock file.
  const fs::path stock_file = stock.write("vernemq.conf", "jobs: []\n");
  EXPECT_EQ(find_config_file(std::nullopt, &fake_getenv), stock_file.string());

  // The user's file wins over the stock one.
  const fs::path user_file = user.write("vernemq.conf", "jobs: []\n");
  EXPECT_EQ(find_config_file(std::nullopt, &fake_getenv), user_file.string());

  // --config wins over both, and is returned even when it does not exist.
  const std::string missing = (user.path() / "missing.conf").string();
  EXPECT_EQ(find_config_file(missing, &fake_getenv), missing);

  // Unset or empty variables are skipped.
  fake_env()["NETDATA_USER_CONFIG_DIR"] = "";
  EXPECT_EQ(find_config_file(std::nullopt, &fake_getenv), stock_file.string());
  fake_env().clear();
  EXPECT_EQ(find_config_file(std::nullopt, &fake_getenv), std::nullopt);
}

TEST(ConfigFind, UnreadableUserFileIsNotSkippedInFavourOfStock) {
  TempDir user;
  TempDir stock;
  fake_env().clear();
  fake_env()["NETDATA_USER_CONFIG_DIR"] = user.path().string();
  fake_env()["NETDATA_STOCK_CONFIG_DIR"] = stock.path().string();
  stock.write("vernemq.conf", "jobs: []\n");
  fs::create_directory(user.path() / "vernemq.conf");  // broken: a directory
  const auto found = find_config_file(std::nullopt, &fake_getenv);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, (user.path() / "vernemq.conf").string());
  EXPECT_HAS(load_error(*found), "is a directory");
  fake_env().clear();
}

TEST(ConfigDefault, OneLocalJobOnTheDefaultUrl) {
  const Config c = default_config();
  EXPECT_EQ(c.source, "built-in default");
  EXPECT_EQ(c.update_every, 1);
  EXPECT_TRUE(c.problems.empty());
  ASSERT_EQ(c.jobs.size(), 1u);
  EXPECT_EQ(c.jobs[0].name, "local");
  EXPECT_EQ(c.jobs[0].url, "http://127.0.0.1:8888/metrics");
  EXPECT_DOUBLE_EQ(c.jobs[0].timeout_s, 1.0);
}

// ------------------------------------------------------------------ secrets and redaction

struct RedactCase {
  const char* in;
  const char* out;
};

void PrintTo(const RedactCase& r, std::ostream* os) { *os << r.in; }

class ConfigRedact : public ::testing::TestWithParam<RedactCase> {};

TEST_P(ConfigRedact, RemovesUserinfo) { EXPECT_EQ(redact_url(GetParam().in), GetParam().out); }

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigRedact,
    ::testing::Values(RedactCase{"http://user:pass@host:8080/metrics", "http://host:8080/metrics"},
                      RedactCase{"http://user:p@ss@host/x", "http://host/x"},          // '@' in the password
                      RedactCase{"https://u:p@[::1]:8443/m", "https://[::1]:8443/m"},  // IPv6 host
                      RedactCase{"http://[fe80::1%25eth0]:8888/metrics", "http://[fe80::1%25eth0]:8888/metrics"},
                      RedactCase{"user:pass@host:8888/metrics", "host:8888/metrics"},  // no scheme
                      RedactCase{"//u:p@host/", "//host/"}, RedactCase{"http://user@host/", "http://host/"},
                      RedactCase{"HTTP://U:P@H", "HTTP://H"}, RedactCase{"http://u:p%40x@h/?q=1", "http://h/?q=1"},
                      RedactCase{"socks5h://u:p@proxy:1080", "socks5h://proxy:1080"},
                      RedactCase{"http://host/path@x", "http://host/path@x"},  // '@' after the host
                      RedactCase{"http://host/?q=a@b#c@d", "http://host/?q=a@b#c@d"},
                      RedactCase{"http://127.0.0.1:8888/metrics", "http://127.0.0.1:8888/metrics"},
                      RedactCase{"", ""}));

TEST(ConfigSecrets, ListsEveryConfiguredSecret) {
  const Config c = parse(R"(
jobs:
  - name: a
    url: http://urluser:urlpass@h/metrics
    username: alice
    password: pw
    api_key: ak
    proxy_url: http://pu:p%40p@proxy:3128
    proxy_username: pu
    proxy_password: ppw
    headers:
      Authorization: Bearer tok
      X-Other: visible
)");
  ASSERT_EQ(c.jobs.size(), 1u) << all_problems(c);
  const std::vector<std::string> s = c.jobs[0].secrets();
  auto has = [&](const std::string& v) { return std::find(s.begin(), s.end(), v) != s.end(); };
  EXPECT_TRUE(has("pw"));
  EXPECT_TRUE(has("ak"));
  EXPECT_TRUE(has("ppw"));
  EXPECT_TRUE(has("urlpass"));
  EXPECT_TRUE(has("urluser:urlpass"));
  EXPECT_TRUE(has("p%40p"));
  EXPECT_TRUE(has("p@p"));  // the decoded form is what goes on the wire
  EXPECT_TRUE(has("Bearer tok"));
  EXPECT_TRUE(has("tok"));
  EXPECT_FALSE(has("alice"));   // user names are not secrets
  EXPECT_TRUE(has("visible"));  // every header the user set: any name may carry a credential
  EXPECT_FALSE(has(""));
  EXPECT_EQ(std::set<std::string>(s.begin(), s.end()).size(), s.size());  // no duplicates
}

TEST(ConfigSecrets, NoneForAPlainJob) {
  EXPECT_TRUE(default_config().jobs[0].secrets().empty());
  JobConfig j;
  j.url = "http://user@h/";  // a user name alone is not a secret
  EXPECT_TRUE(j.secrets().empty());
}

}  // namespace
}  // namespace vmq
