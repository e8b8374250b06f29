// SPDX-License-Identifier: GPL-3.0-or-later
// The log formats Netdata asks for (netdata-v2.md §4): logfmt checked field by field with a
// parser written here (Netdata's quoting: nd_log-format-logfmt.c), JSON, the choice made from the
// environment, flood protection, and the plugin process logging in each.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"
#include "vmq/log.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using log::Format;
using log::Level;
using testing::Subprocess;
using testing::TempDir;

// A logfmt line as ordered (key, decoded value) pairs; nullopt when it is not valid logfmt.
using Fields = std::vector<std::pair<std::string, std::string>>;
std::optional<Fields> parse_logfmt(std::string_view line) {
  Fields out;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t eq = line.find('=', i);
    if (eq == std::string_view::npos || eq == i) return std::nullopt;
    std::string key(line.substr(i, eq - i));
    if (key.find_first_of(" \"\\") != std::string::npos) return std::nullopt;
    i = eq + 1;
    std::string value;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;  // raw control character
          value.push_back(c);
          continue;
        }
        if (i >= line.size()) return std::nullopt;
        const char e = line[i++];
        if (e == 'n')
          value.push_back('\n');
        else if (e == 'r')
          value.push_back('\r');
        else if (e == 't')
          value.push_back('\t');
        else if (e == '"' || e == '\\')
          value.push_back(e);
        else if (e == 'u' && i + 4 <= line.size()) {
          value.push_back(static_cast<char>(std::stoi(std::string(line.substr(i, 4)), nullptr, 16)));
          i += 4;
        } else {
          return std::nullopt;
        }
      }
      if (!closed) return std::nullopt;
    } else {
      const std::size_t end = std::min(line.find(' ', i), line.size());
      value = std::string(line.substr(i, end - i));
      if (value.find_first_of("\"\\=") != std::string::npos) return std::nullopt;  // should have been quoted
      i = end;
    }
    out.emplace_back(std::move(key), std::move(value));
    if (i < line.size()) {
      if (line[i] != ' ') return std::nullopt;
      ++i;
    }
  }
  return out;
}

std::map<std::string, std::string> as_map(const Fields& f) { return {f.begin(), f.end()}; }

// Runs `body` with TZ set to `tz` (restored after).
template <class F>
void with_tz(const char* tz, F body) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  setenv("TZ", tz, 1);
  tzset();
  body();
  if (old != nullptr)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

constexpr std::int64_t kAt = 1764633600123456;  // 2025-12-02 00:00:00.123456 UTC

TEST(LogFormat, LogfmtValueQuotesAndEscapesAsNetdata) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "abc"},
      {"http://x:8888/metrics", "http://x:8888/metrics"},
      {"", "\"\""},
      {"a b", "\"a b\""},
      {"a=b", "\"a=b\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"C:\\dir", "\"C:\\\\dir\""},
      {"l1\nl2", "\"l1\\nl2\""},
      {"a\tb\rc", "\"a\\tb\\rc\""},
      {std::string("x\x01y", 3), "\"x\\u0001y\""},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(log::logfmt_value(in), want) << in;
}

TEST(LogFormat, LogfmtLineHasNetdatasFieldsInOrder) {
  const std::string message = "scrape failed: \"HTTP 503\"\nsecond line \\ backslash = equals";
  with_tz("UTC0", [&] {
    const std::string line = log::format_line(Format::logfmt, Level::error, "local", message, kAt);
    ASSERT_FALSE(line.empty());
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "one line: " << line;
    const auto f = parse_logfmt(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(f) << line;
    const Fields want = {{"time", "2025-12-02T00:00:00.123456+00:00"},
                         {"comm", "vernemq.plugin"},
                         {"source", "collector"},
                         {"level", "error"},
                         {"job", "local"},
                         {"msg", message}};
    EXPECT_EQ(*f, want) << line;
  });
}

TEST(LogFormat, TimeCarriesTheLocalOffset) {
  // POSIX TZ: "<+0530>-5:30" is 5 h 30 min east of UTC.
  with_tz("<+0530>-5:30", [&] {
    std::string line = log::format_line(Format::logfmt, Level::info, "main", "x", kAt + 7);
    line.pop_back();
    const auto f = parse_logfmt(line);
    ASSERT_TRUE(f) << line;
    EXPECT_EQ(as_map(*f)["time"], "2025-12-02T05:30:00.123463+05:30");
  });
  with_tz("<-0330>3:30", [&] {
    std::string line = log::format_line(Format::logfmt, Level::info, "main", "x", kAt);
    line.pop_back();
    EXPECT_EQ(as_map(*parse_logfmt(line))["time"], "2025-12-01T20:30:00.123456-03:30");
  });
}

TEST(LogFormat, LevelsAndTheMainComponent) {
  const std::vector<std::pair<Level, std::string>> levels = {
      {Level::error, "error"}, {Level::warning, "warning"}, {Level::info, "info"}, {Level::debug, "debug"}};
  for (const auto& [level, name] : levels) {
    std::string line = log::format_line(Format::logfmt, level, "main", "m", kAt);
    line.pop_back();
    const auto f = parse_logfmt(line);
    ASSERT_TRUE(f) << line;
    const auto m = as_map(*f);
    EXPECT_EQ(m.at("level"), name);
    EXPECT_EQ(m.count("job"), 0u) << "the plugin itself is not a job: " << line;
  }
  // A job name that needs quoting is quoted like any value.
  std::string line = log::format_line(Format::logfmt, Level::info, "my job", "m", kAt);
  line.pop_back();
  EXPECT_EQ(as_map(*parse_logfmt(line)).at("job"), "my job");
}

TEST(LogFormat, SecretsAreRedactedBeforeEscaping) {
  const std::string secret = "pa\"ss\\word";  // would no longer match once escaped
  log::add_secret(secret);
  std::string line = log::format_line(Format::logfmt, Level::error, "j", "auth with " + secret + " failed", kAt);
  EXPECT_EQ(line.find("pa"), std::string::npos) << line;
  line.pop_back();
  EXPECT_EQ(as_map(*parse_logfmt(line)).at("msg"), "auth with *** failed");
  const std::string json = log::format_line(Format::json, Level::error, "j", "x " + secret, kAt);
  EXPECT_EQ(json.find("ss"), std::string::npos) << json;
}

TEST(LogFormat, JsonLineHasTheSameFields) {
  with_tz("UTC0", [&] {
    const std::string line = log::format_line(Format::json, Level::warning, "local", "a \"b\"\nc", kAt);
    ASSERT_EQ(line.find('\n'), line.size() - 1);
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("time"), "2025-12-02T00:00:00.123456+00:00");
    EXPECT_EQ(j.at("comm"), "vernemq.plugin");
    EXPECT_EQ(j.at("source"), "collector");
    EXPECT_EQ(j.at("level"), "warning");
    EXPECT_EQ(j.at("job"), "local");
    EXPECT_EQ(j.at("msg"), "a \"b\"\nc");
  });
}

TEST(LogFormat, The137FormatIsUnchanged) {
  const std::string line = log::format_line(Format::netdata137, Level::error, "local", "boom\nx", kAt);
  EXPECT_TRUE(
      std::regex_match(line, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: vernemq\.plugin ERROR : local : boom x\n)")))
      << line;
}

TEST(LogFormat, FormatChosenFromTheEnvironment) {
  struct Case {
    const char* format;
    const char* method;
    Format want;
  };
  const std::vector<Case> cases = {
      {nullptr, nullptr, Format::netdata137},  // 1.37 sets neither
      {"logfmt", "stderr", Format::logfmt},   {"logfmt", nullptr, Format::logfmt},     {"json", "stderr", Format::json},
      {"journal", "journal", Format::logfmt},  // stderr reaches the journal; logfmt is what it parses
      {nullptr, "journal", Format::logfmt},   {nullptr, "stderr", Format::netdata137},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(log::format_for(c.format, c.method), c.want)
        << (c.format ? c.format : "(unset)") << " " << (c.method ? c.method : "(unset)");
  }
}

TEST(LogFloodProtection, HoldsBackAfterTheThresholdAndResumesAfterThePeriod) {
  log::FloodProtection f(10, 3);
  std::string notice;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(f.admit(100 + i, notice));
    EXPECT_EQ(notice, "");
  }
  EXPECT_FALSE(f.admit(103, notice));
  EXPECT_NE(notice.find("too many logs (4 logs in 3 seconds, threshold is set to 3 logs in 10 seconds)"),
            std::string::npos)
      << notice;
  EXPECT_FALSE(f.admit(105, notice));
  EXPECT_EQ(notice, "") << "one notice per flood";
  EXPECT_FALSE(f.admit(110, notice));  // 10 s after the start: still the same period
  EXPECT_TRUE(f.admit(111, notice));
  EXPECT_NE(notice.find("resuming logging (prevented 3 logs in the last 11 seconds)"), std::string::npos) << notice;
  EXPECT_TRUE(f.admit(112, notice));
  EXPECT_EQ(notice, "");
}

TEST(LogFloodProtection, ZeroPeriodIsOffAndZeroLinesIsSilence) {
  log::FloodProtection off(0, 1);
  log::FloodProtection silent(60, 0);
  std::string notice;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(off.admit(i, notice));
    EXPECT_FALSE(silent.admit(i, notice));
  }
}

// The plugin process, as Netdata v2 starts it: a job on a closed port fails at once and is logged
// (and kept, to be retried: autodetection_retry is not 0).
struct PluginRun {
  std::vector<std::string> lines;  // stderr, line by line
};

PluginRun run_plugin(const TempDir& dir, const std::map<std::string, std::string>& env, std::size_t want_lines,
                     const std::string& until) {
  const std::string conf = dir.write("vernemq.conf",
                                     "update_every: 1\nautodetection_retry: 60\njobs:\n"
                                     "  - name: closed one\n    url: http://127.0.0.1:1/metrics\n"
                                     "  - name: closed2\n    url: http://127.0.0.1:1/metrics\n");
  Subprocess p({VMQ_PLUGIN_PATH, "1", "--config", conf}, env);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  auto count = [&] { return static_cast<std::size_t>(std::count(p.err().begin(), p.err().end(), '\n')); };
  while (std::chrono::steady_clock::now() < deadline &&
         (count() < want_lines || (!until.empty() && p.err().find(until) == std::string::npos))) {
    p.pump(100ms);
  }
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(10s), 0) << p.err();
  PluginRun r;
  std::istringstream in(p.err());
  for (std::string line; std::getline(in, line);) r.lines.push_back(line);
  return r;
}

TEST(LogProcess, PluginLogsLogfmtWhenNetdataAsks) {
  TempDir dir;
  const auto r =
      run_plugin(dir, {{"NETDATA_LOG_FORMAT", "logfmt"}, {"NETDATA_LOG_METHOD", "stderr"}}, 0, "scrape failed");
  ASSERT_GE(r.lines.size(), 3u);
  bool job_error = false;
  for (const std::string& line : r.lines) {
    const auto f = parse_logfmt(line);
    ASSERT_TRUE(f) << line;
    ASSERT_GE(f->size(), 5u) << line;
    EXPECT_EQ((*f)[0].first, "time");
    EXPECT_TRUE(std::regex_match((*f)[0].second, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d)")))
        << line;
    EXPECT_EQ((*f)[1], (std::pair<std::string, std::string>("comm", "vernemq.plugin")));
    EXPECT_EQ((*f)[2], (std::pair<std::string, std::string>("source", "collector")));
    EXPECT_EQ(f->back().first, "msg");
    const auto m = as_map(*f);
    if (m.count("job") && m.at("job") == "closed one" && m.at("level") == "error" &&
        m.at("msg").starts_with("scrape failed:")) {
      job_error = true;
    }
  }
  EXPECT_TRUE(job_error) << ::testing::PrintToString(r.lines);
}

TEST(LogProcess, PluginKeeps137FormatWithoutNetdataLogVariables) {
  TempDir dir;
  const auto r = run_plugin(dir, {}, 0, "scrape failed");
  ASSERT_FALSE(r.lines.empty());
  for (const std::string& line : r.lines) {
    EXPECT_TRUE(std::regex_match(
        line, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: vernemq\.plugin (ERROR|WARNING|INFO|DEBUG) : .* : .*)")))
        << line;
  }
}

TEST(LogProcess, LevelAndFloodProtectionFromTheEnvironment) {
  TempDir dir;
  // Errors only: the two jobs' first failures, never the start-up INFO lines.
  auto r = run_plugin(dir, {{"NETDATA_LOG_FORMAT", "logfmt"}, {"NETDATA_LOG_LEVEL", "error"}}, 2, "closed2");
  ASSERT_EQ(r.lines.size(), 2u) << ::testing::PrintToString(r.lines);
  for (const std::string& line : r.lines) EXPECT_EQ(as_map(*parse_logfmt(line)).at("level"), "error") << line;
  // Two lines an hour: the first two start-up lines, then the notice, then nothing.
  r = run_plugin(dir,
                 {{"NETDATA_LOG_FORMAT", "logfmt"},
                  {"NETDATA_ERRORS_THROTTLE_PERIOD", "3600"},
                  {"NETDATA_ERRORS_PER_PERIOD", "2"}},
                 3, "LOG FLOOD PROTECTION");
  ASSERT_EQ(r.lines.size(), 3u) << ::testing::PrintToString(r.lines);
  EXPECT_NE(as_map(*parse_logfmt(r.lines[2])).at("msg").find("too many logs (3 logs in"), std::string::npos)
      << r.lines[2];
}

}  // namespace
}  // namespace vmq
