// SPDX-License-Identifier: GPL-3.0-or-later
// End-to-end test support: a private, loopback-only Netdata (the machine's /usr/sbin/netdata,
// Debian's 1.37) that runs vernemq.plugin as the project's own install rules put it
// (`cmake --install BUILD` with DESTDIR = the instance's tree), with Netdata's real stock health
// directory in place; plus vernemq-sim as the broker and a model of what a scenario implies.
// How such an instance is set up: /work/shared/docs/netdata-test-harness.md.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmq::testing {

// Where `cmake --install` put things in an instance's tree (absolute paths, DESTDIR included).
struct InstallLayout {
  std::string destdir;           // the DESTDIR the install ran with
  std::string plugins_dir;       // DESTDIR + VMQ_NETDATA_PLUGINS_DIR
  std::string stock_config_dir;  // DESTDIR + VMQ_NETDATA_STOCK_CONFIG_DIR
  std::string user_config_dir;   // DESTDIR + VMQ_NETDATA_USER_CONFIG_DIR
  std::string plugin;            // plugins_dir/vernemq.plugin
  std::string stock_conf;        // stock_config_dir/vernemq.conf
  std::string health_file;       // user_config_dir/health.d/vernemq_plugin.conf
};

// Runs `cmake --install build_dir` with DESTDIR=destdir and reads the install directories from
// the build's CMakeCache.txt. On failure returns nullopt and says why in `why`.
std::optional<InstallLayout> install_project(const std::string& build_dir, const std::string& destdir,
                                             std::string& why);

// A build tree of this project configured for VMQ_NETDATA_LAYOUT=`layout`, with the plugin built:
// BUILD/e2e-tree-LAYOUT (configured and built once, then only brought up to date). nullopt and
// `why` on failure.
std::optional<std::string> layout_build_tree(const std::string& build_dir, const std::string& layout, std::string& why);

// The build tree that holds `executable` (VMQ_PLUGIN_PATH is BUILD/vernemq.plugin).
std::string build_dir_of(const std::string& executable);

struct NetdataOptions {
  std::string build_dir;  // the CMake build tree to install from
  int update_every = 1;   // [plugin:vernemq] update every: the plugin's argv[1]
  // The user's $NETDATA_USER_CONFIG_DIR/vernemq.conf; "" = none (the installed stock copy applies).
  std::string vernemq_conf;
  // Runs after the install, before Netdata starts: edit the installed health file for a fast
  // variant, add a probe plugin, break something on purpose. Empty = the install as it is.
  std::function<void(const InstallLayout&)> after_install;
  // More [plugins] NAME = yes lines (vernemq is always enabled, every other plugin is off).
  std::vector<std::string> enable_plugins;
  std::string stock_health_dir = "/usr/lib/netdata/conf.d/health.d";  // the real Debian one
  std::string netdata = "/usr/sbin/netdata";
  // v2 mode: the install of a tree configured for this layout (layout_build_tree) instead of
  // build_dir's own, and v2's netdata.conf (logs per source, `bind to` with the port, a web and
  // run directory): set `netdata` and `stock_health_dir` to a v2 build's. "" = 1.37 as above.
  std::string layout;
  [[nodiscard]] bool v2() const { return layout.rfind("v2", 0) == 0; }
};

// What stopping an instance showed.
struct StopReport {
  std::optional<int> netdata_exit;     // exit code, or 128 + signal; nullopt: had to be SIGKILLed
  std::optional<int> plugin_exit;      // the same for vernemq.plugin, seen with ptrace at its exit
  std::string plugin_exit_unknown;     // why plugin_exit is empty
  std::vector<std::string> leftovers;  // "PID CMDLINE" of this instance's processes still alive
  std::chrono::milliseconds took{0};   // SIGTERM to Netdata's exit
};

class NetdataInstance {
 public:
  // Installs into a fresh temporary tree and starts Netdata on a free loopback port; ok() tells
  // whether it answers on its API. Start instances from the main thread: Netdata is told to die
  // with the thread that forked it.
  explicit NetdataInstance(NetdataOptions options);
  // stop() if still running; removes the tree, unless VMQ_E2E_KEEP is set (for a post-mortem of
  // error.log and the installed files).
  ~NetdataInstance();
  NetdataInstance(const NetdataInstance&) = delete;
  NetdataInstance& operator=(const NetdataInstance&) = delete;

  [[nodiscard]] bool ok() const { return failure_.empty(); }
  [[nodiscard]] const std::string& failure() const { return failure_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string base_url() const;  // http://127.0.0.1:PORT
  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] const InstallLayout& layout() const { return layout_; }
  // 1.37: error.log, everything. v2: collector.log, where plugins' stderr goes (daemon.log and
  // health.log hold the rest).
  [[nodiscard]] std::string error_log_path() const {
    return root_ + (options_.v2() ? "/var/log/collector.log" : "/var/log/error.log");
  }
  [[nodiscard]] std::string daemon_log_path() const { return root_ + "/var/log/daemon.log"; }
  [[nodiscard]] std::string notify_log_path() const { return root_ + "/notify.log"; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Seconds from fork to the first answer of /api/v1/info.
  [[nodiscard]] double startup_seconds() const { return startup_seconds_; }

  // GET PATH (e.g. "/api/v1/charts"); nullopt unless HTTP 200 and valid JSON.
  [[nodiscard]] std::optional<nlohmann::json> get_json(const std::string& path) const;
  [[nodiscard]] std::string error_log() const;
  // The running vernemq.plugin (a child of Netdata whose executable is the installed one).
  [[nodiscard]] std::optional<pid_t> plugin_pid() const;

  // SIGTERM to Netdata, waits for it (SIGKILL after `timeout`), and reports how Netdata and the
  // plugin ended and what is left. Only the first call does anything.
  StopReport stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
  [[nodiscard]] bool running() const { return pid_ > 0 && !stopped_; }

 private:
  bool start_once(std::string& why);
  void write_config();
  void write_config_v2();

  NetdataOptions options_;
  std::string root_;
  InstallLayout layout_;
  std::string failure_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool stopped_ = false;
  double startup_seconds_ = 0;
  std::optional<StopReport> stop_report_;
};

// The lines of a 1.37 error.log that show a problem with the plugin or with `health_file`:
// protocol errors and disconnects of the plugin, a "disabled" line for it, the plugin's own
// ERROR lines, health configuration errors in that file, and log flood protection (after which
// the log is no longer complete).
std::vector<std::string> error_log_problems(std::string_view log, std::string_view health_file);

// /api/v1/data of one chart, oldest point first, from its first stored point on (the API pads
// the window with empty points from before the chart existed). A missing value is nullopt.
struct ChartData {
  std::vector<std::string> dims;                         // dimension names, in the API's order
  std::vector<long long> times;                          // unix seconds, ascending
  std::vector<std::vector<std::optional<double>>> rows;  // rows[i][d]: dims[d] at times[i]
  [[nodiscard]] std::optional<std::size_t> row_at(long long t) const;
  [[nodiscard]] std::optional<double> value(long long t, const std::string& dim) const;
  // Sum of every dimension but the successes (`success`, `no_matching_subscribers`) at time t;
  // nullopt when the point or a value is missing.
  [[nodiscard]] std::optional<double> unsuccessful_at(long long t) const;
  // Sum of the named dimensions at time t; nullopt when the point, a dimension or a value is missing.
  [[nodiscard]] std::optional<double> sum_at(long long t, const std::vector<std::string>& names) const;
};
std::optional<ChartData> chart_data(const NetdataInstance& nd, const std::string& chart, int after = -600);

// /api/v1/alarms?all entry "CHART.NAME", when listed.
std::optional<nlohmann::json> alarm_of(const NetdataInstance& nd, const std::string& chart, const std::string& name);

// Stops `nd` and checks (gtest EXPECTs) what every e2e run must end with: Netdata and the plugin
// exit 0, no process of the instance is left, and error.log shows no problem for the plugin or
// the installed health file over the whole run. Returns the report.
// `expected`: substrings of log lines the test itself caused (e.g. an outage's "scrape failed").
StopReport expect_clean_stop(NetdataInstance& nd, const std::vector<std::string>& expected = {});

// GET on loopback; nullopt when there was no HTTP answer. Sets `status`.
std::optional<std::string> http_get(const std::string& url, long& status,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// ---------------------------------------------------------------------------------------------
// The broker: a scenario written as data, so the test knows exactly what it implies.

struct SimStep {
  int at = 0;
  std::map<std::string, long long> add;
  std::optional<std::map<std::string, long long>> rate;
  bool restart = false;
  int unreachable_for = 0;  // > 0: the endpoint refuses connections for that many seconds
};

using Counters = std::map<std::string, long long>;
inline SimStep add_at(int at, Counters add) {
  SimStep s;
  s.at = at;
  s.add = std::move(add);
  return s;
}
inline SimStep rate_at(int at, Counters rate) {
  SimStep s;
  s.at = at;
  s.rate = std::move(rate);
  return s;
}
inline SimStep restart_at(int at) {
  SimStep s;
  s.at = at;
  s.restart = true;
  return s;
}
// The broker restarts at `at` and its endpoint is unreachable for `seconds` (the counters keep
// following the scenario meanwhile, as a real broker's do once it is back).
inline SimStep restart_with_outage_at(int at, int seconds) {
  SimStep s = restart_at(at);
  s.unreachable_for = seconds;
  return s;
}

// The scenario as vernemq-sim's YAML (one node, prefix vernemq_, played once).
std::string scenario_yaml(const std::vector<SimStep>& steps);

// vernemq-sim's counter `reason` (an MQTT 5 PUBACK reason) `elapsed` seconds after the timeline
// start, following the simulator's documented rules: steps at second 0 apply at once; at each
// whole second k >= 1 the rates set before k add one increment, then the steps at k apply
// (restart, add, rate).
long long scenario_counter(const std::vector<SimStep>& steps, const std::string& reason, double elapsed);

// What the chart must show at the points `times` (unix seconds, one scrape each, ascending),
// per design decision 1: deltas between scrapes (a counter that went down counts from 0), summed
// over the scrapes in the last 60 s; `baseline` is the time of the plugin's first scrape, which
// counts nothing. Netdata 1.37 does not store a chart's first collected point, so the baseline
// is one update interval before the chart's first stored point.
std::vector<long long> expected_minute_values(const std::vector<SimStep>& steps, const std::string& reason,
                                              double timeline_start, long long baseline,
                                              const std::vector<long long>& times);

class VernemqSim {
 public:
  // Starts `sim_path --scenario FILE` (the file written under `dir`) and waits for "ready".
  VernemqSim(const std::string& sim_path, const std::string& dir, const std::vector<SimStep>& steps);
  VernemqSim(const std::string& sim_path, const std::string& scenario_file);
  ~VernemqSim();
  VernemqSim(const VernemqSim&) = delete;
  VernemqSim& operator=(const VernemqSim&) = delete;

  [[nodiscard]] bool ok() const { return !url_.empty() && timeline_start_ > 0; }
  [[nodiscard]] const std::string& url() const { return url_; }  // the first node's /metrics
  // The timeline start it logged (unix seconds, always on a half second).
  [[nodiscard]] double timeline_start() const { return timeline_start_; }
  [[nodiscard]] std::string log() const;
  // Sleeps until `elapsed` seconds after the timeline start.
  void wait_until(double elapsed) const;

 private:
  void start(const std::string& sim_path, const std::string& scenario_file);
  struct Proc;
  std::unique_ptr<Proc> proc_;
  std::string url_;
  double timeline_start_ = 0;
};

// The shipped health file's text made fast for tests: `every: 1s` instead of the shipped
// interval, and no `delay:` line; the lookup stays as shipped. nullopt when the text has no
// `every:` or `delay:` line to change.
std::optional<std::string> fast_health_variant(const std::string& shipped);

// Whole file as text; "" when it cannot be read. And its counterpart (replaces the file).
std::string read_text(const std::string& path);
bool write_text(const std::string& path, const std::string& text);

// A loopback port nobody listens on right now (the kernel's pick); 0 when none.
int free_loopback_port();

// The live descendants of `root` (pid -> start time) and whether one of them still runs.
std::map<pid_t, unsigned long long> process_tree(pid_t root);
bool process_alive(pid_t pid, unsigned long long start_time);

// Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), so a test can wait for a
// page's scripts in real time, read the rendered DOM and take screenshots.
class HeadlessChromium {
 public:
  // Starts it with a new empty profile in `profile_dir` and attaches to its page.
  explicit HeadlessChromium(const std::string& profile_dir, const std::string& chromium = "/usr/bin/chromium");
  ~HeadlessChromium();  // closes the browser, SIGKILL if it does not go
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  [[nodiscard]] bool ok() const { return failure_.empty(); }
  [[nodiscard]] const std::string& failure() const { return failure_; }
  // Loads `url` and waits for its load event.
  bool navigate(const std::string& url, std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  // Evaluates a JavaScript expression in the page; its value as JSON.
  std::optional<nlohmann::json> evaluate(const std::string& expression);
  // Polls `expression` until it returns something truthy (not null/false/""), or `timeout`.
  std::optional<nlohmann::json> wait_for(const std::string& expression, std::chrono::milliseconds timeout);
  // A PNG of the viewport.
  bool screenshot(const std::string& png_path);
  [[nodiscard]] std::string log() const;  // chromium's stdout and stderr

 private:
  std::optional<nlohmann::json> call(const std::string& method, const nlohmann::json& params, bool in_page,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  bool read_messages(std::chrono::milliseconds timeout);

  std::string failure_;
  std::string log_path_;
  pid_t pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  long long next_id_ = 0;
  std::string session_;
  std::string inbox_;
  std::vector<nlohmann::json> messages_;
};

// Wall clock, unix seconds.
double unix_now();

}  // namespace vmq::testing
