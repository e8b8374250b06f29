// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/plugin.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "vmq/autodetection.h"
#include "vmq/catalogue.h"
#include "vmq/cluster_poller.h"
#include "vmq/functions.h"
#include "vmq/host_memory.h"
#include "vmq/http_fetch.h"
#include "vmq/job_charts.h"
#include "vmq/log.h"
#include "vmq/netdata_writer.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {

namespace {

using nlohmann::json;

constexpr std::int64_t kSummaryEveryUs = 60'000'000;
constexpr std::int64_t kKeepaliveEveryUs = 1'000'000;
// A scrape must end before its job's next tick: its timeout is cut to the interval minus this.
constexpr long kTimeoutMarginMs = 50;

std::atomic<HttpClient*> g_running_client{nullptr};

// Writes all of `data`; false when the reader is gone (EPIPE) or the fd is unusable.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string seconds_text(std::int64_t us) { return std::to_string((us + 500000) / 1000000) + " s"; }

// What a body needs while it arrives and is charted: the extraction's output and its parser
// (~25 KB once warm). The jobs share them: one is taken when a body's first bytes arrive and
// given back once the body is charted. Many jobs are spread over the interval (spread_phase),
// so only the few whose bodies are in flight hold one, however many jobs there are.
struct Extraction {
  VerneMQScrape scrape;
  VerneMQStream stream{scrape};
};

class ExtractionPool {
 public:
  std::unique_ptr<Extraction> take() {
    if (free_.empty()) return std::make_unique<Extraction>();
    std::unique_ptr<Extraction> e = std::move(free_.back());
    free_.pop_back();
    return e;
  }
  void give(std::unique_ptr<Extraction> e) {
    // One that an unusual body grew (a many-node proxy's, a hostile one's) is freed: pooled, it
    // would go to the next job as big, and in time every pooled one would be.
    if (e && e->stream.retained_bytes() <= kMaxPooledBytes) free_.push_back(std::move(e));
  }

  static constexpr std::size_t kMaxPooledBytes = 512 * 1024;  // a node's body needs ~30 KB

 private:
  std::vector<std::unique_ptr<Extraction>> free_;
};

// A job parses its body as the HTTP client receives it (BodyConsumer), so no job keeps a body.
struct Job final : BodyConsumer {
  // A job's interval: its own, else the file's, and never faster than Netdata's.
  Job(const JobConfig& c, std::size_t index, std::size_t job_count, int file_every, int netdata_every,
      int autodetection_retry, ExtractionPool& extractions)
      : cfg(c),
        detect(autodetection_retry),
        every(std::max(c.update_every > 0 ? c.update_every : file_every, netdata_every)),
        schedule(every, spread_phase(index, job_count, static_cast<std::int64_t>(every) * 1'000'000)),
        charts(c.name, every),
        failures(c.name),
        // The Erlang VM memory alert's thresholds, for this job's host (host_memory.h).
        memory(memory_thresholds(c.host_memory, c.url, read_proc_meminfo)),
        pool(extractions) {
    charts.set_chart_variable(kMemoryChartId, kMemoryWarnVariable, static_cast<std::int64_t>(memory.warn));
    charts.set_chart_variable(kMemoryChartId, kMemoryCritVariable, static_cast<std::int64_t>(memory.crit));
  }

  JobConfig cfg;
  AutodetectionRetry detect;  // go.d's autodetection_retry, until the first good scrape
  int every;
  TickSchedule schedule;
  JobCharts charts;
  FailureLog failures;
  MemoryThresholds memory;  // the Erlang memory alert's, for this job's host
  ExtractionPool& pool;
  std::unique_ptr<Extraction> extraction;  // while a body arrives and is charted
  std::optional<std::string> prefix;       // of the job's last VerneMQ body: the next is read with it
  std::size_t http = 0;
  std::size_t cluster = 0;  // its handle in ClusterJobs
  std::int64_t pending_tick = 0;
  std::int64_t pending_mono = 0;
  std::int64_t last_problem_log_us = -kSummaryEveryUs;
  std::optional<std::int64_t> last_good_mono;      // for the `vernemq` function
  std::optional<std::uint64_t> last_wallclock_ms;  // the first node's, at the last good scrape
  std::optional<std::uint64_t> last_connections;   // summed over the nodes, at the last good scrape

  [[nodiscard]] long timeout_ms() const {
    const auto configured = static_cast<long>(cfg.timeout_s * 1000.0);
    return std::max(1L, std::min(configured, static_cast<long>(every) * 1000 - kTimeoutMarginMs));
  }

  // A response starts: anything read of an earlier one (a redirect's) is forgotten.
  void body_begin() override { release(); }
  void body_data(std::string_view data) override { current().stream.feed(data); }
  // The transfer is over: the extraction, complete (an empty body when none came).
  VerneMQScrape& finish() {
    current().stream.finish();
    return extraction->scrape;
  }
  // The body's extraction, taken from the pool at its first bytes.
  Extraction& current() {
    if (!extraction) {
      extraction = pool.take();
      extraction->stream.begin(prefix);
    }
    return *extraction;
  }
  void release() {
    if (!extraction) return;
    if (extraction->scrape.is_vernemq) prefix = extraction->scrape.prefix;
    pool.give(std::move(extraction));
  }
};

// True when every node holds all the MQTT 5 PUBACK reasons every VerneMQ exports.
bool has_all_known_reasons(const VerneMQScrape& scrape) {
  if (scrape.n_nodes == 0) return false;
  const std::optional<std::size_t> family = catalogue::find_family(kPubackSent);
  for (std::size_t n = 0; n < scrape.n_nodes; ++n) {
    for (std::string_view known : catalogue::reason_codes(kPubackSent)) {
      bool found = false;
      for (std::int32_t i = scrape.nodes[n].last_of_family[*family]; i >= 0 && !found;
           i = scrape.series[static_cast<std::size_t>(i)].prev_same) {
        const std::string_view labels = scrape.labels(scrape.series[static_cast<std::size_t>(i)]);
        found = catalogue::labels_match(labels, "mqtt_version=5") &&
                catalogue::label_value(labels, kLabelReasonCode) == known;
      }
      if (!found) return false;
    }
  }
  return true;
}

// Why an extracted body cannot be charted, or "" when it can. Used by the loop and by --check,
// so both refuse the same bodies.
std::string scrape_error(const VerneMQScrape& scrape) {
  if (!scrape.is_vernemq) return not_vernemq_message(scrape);
  // A body that stops mid-line may have been cut short (a proxy, a wrong Content-Length): its
  // last value may be a prefix of the real number and the series after it are missing, which
  // the window would later count as restarts. But VerneMQ 1.10 itself ends its body without a
  // final newline (its last line is system_context_switches), so an unterminated body is
  // refused only when it lacks some of the nine reasons every VerneMQ exports: then it was cut
  // before or inside the MQTT 5 block, and charting it would not be true.
  if (scrape.unterminated && !has_all_known_reasons(scrape)) {
    return "the body ends in the middle of line " + std::to_string(scrape.lines) +
           " (no final newline): it was cut short, so its counters cannot be trusted";
  }
  if (!scrape.rejected.empty()) return "unusable counter: " + scrape.rejected;
  // A body without some family is still good: its charts carry what is known (decision 1).
  return {};
}

std::string body_error(std::string_view body, VerneMQScrape& scrape) {
  extract_vernemq(body, scrape);
  return scrape_error(scrape);
}

// True when every label of a series is one VerneMQ declares (an MQTT version, a reason code of
// its family): those are never touched by redaction (a short password that happens to be "5"
// or occur in "success" must not rename a dimension).
bool labels_are_known(const ScrapedSeries& s, std::string_view labels) {
  const std::string_view family = catalogue::families()[s.family].name;
  std::string_view rest = labels;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find(catalogue::kLabelSeparator), rest.size());
    const std::string_view pair = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (name == kLabelMqttVersion && (value == "4" || value == "5")) continue;
    const auto codes = catalogue::reason_codes(family, name == "return_code" ? 4 : 5);
    if (std::find(codes.begin(), codes.end(), value) == codes.end()) return false;
  }
  return true;
}

// A hostile or compromised server can echo the credentials it was sent into node names or
// label values; they must not reach Netdata's charts.
void redact_scrape(const HttpClient& http, std::size_t idx, VerneMQScrape& scrape) {
  if (!http.has_secrets(idx)) return;  // most jobs: a tenth of a tick's work saved
  for (std::size_t n = 0; n < scrape.n_nodes; ++n) http.redact(idx, scrape.nodes[n].node);
  // Each series' labels on their own (a secret must not be found across two of them); the label
  // text is rebuilt only when something was masked, which changes lengths.
  thread_local std::string one;
  std::optional<std::string> rebuilt;
  for (std::size_t i = 0; i < scrape.n_series; ++i) {
    ScrapedSeries& s = scrape.series[i];
    const std::string_view labels = scrape.labels(s);
    std::string_view now = labels;
    if (!labels_are_known(s, labels)) {
      one.assign(labels);
      http.redact(idx, one);
      now = one;
    }
    if (!rebuilt && now != labels) rebuilt = scrape.label_text.substr(0, s.labels_at);
    if (rebuilt) {
      s.labels_at = static_cast<std::uint32_t>(rebuilt->size());
      s.labels_size = static_cast<std::uint32_t>(now.size());
      rebuilt->append(now);
    }
  }
  if (rebuilt) scrape.label_text.swap(*rebuilt);
}

// What --check says of each node of a body: the founding chart's numbers, which catalogue
// families were found and which were not, and the charts the job would draw.
json check_nodes(const VerneMQScrape& scrape) {
  const auto families = catalogue::families();
  json nodes = json::array();
  for (std::size_t n = 0; n < scrape.n_nodes; ++n) {
    const NodeMetrics& node = scrape.nodes[n];
    json reasons = json::object();
    json found = json::array();
    json missing = json::array();
    for (std::size_t f = 0; f < families.size(); ++f) {
      (node.last_of_family[f] >= 0 ? found : missing).push_back(families[f].name);
    }
    const auto feeds = [&](const catalogue::Chart& chart) {
      for (const catalogue::Dim& d : chart.dims) {
        const std::optional<std::size_t> f = catalogue::find_family(d.family);
        for (std::int32_t i = node.last_of_family[*f]; i >= 0;
             i = scrape.series[static_cast<std::size_t>(i)].prev_same) {
          const std::string_view labels = scrape.labels(scrape.series[static_cast<std::size_t>(i)]);
          if (catalogue::labels_match(labels, d.match) &&
              (chart.split.empty() || catalogue::label_value(labels, chart.split))) {
            return true;
          }
        }
      }
      return false;
    };
    json charts = json::array();
    for (const catalogue::Chart& chart : catalogue::charts()) {
      if (feeds(chart)) charts.push_back(chart.id);
    }
    const std::optional<std::size_t> puback = catalogue::find_family(kPubackSent);
    for (std::int32_t i = node.last_of_family[*puback]; i >= 0;
         i = scrape.series[static_cast<std::size_t>(i)].prev_same) {
      const ScrapedSeries& s = scrape.series[static_cast<std::size_t>(i)];
      const std::optional<std::string_view> reason = catalogue::label_value(scrape.labels(s), kLabelReasonCode);
      if (reason && catalogue::labels_match(scrape.labels(s), "mqtt_version=5")) {
        reasons[std::string(*reason)] = s.u64;
      }
    }
    nodes.push_back(json{{"node", node.node},
                         {"mqtt5_puback_sent_by_reason", reasons},
                         {"families_found", found.size()},
                         {"families_missing", missing},
                         {"charts", charts}});
  }
  return nodes;
}

// Applies one finished transfer to its job and renders the tick into `out`.
bool handle_result(const HttpClient& http, Job& job, const FetchResult& r, std::int64_t now_mono, std::string& out) {
  if (!r.ok) {
    std::string error = r.error;
    http.redact(job.http, error);  // a server's words
    job.failures.failure(now_mono, error);
    job.charts.on_failure(job.pending_tick, job.pending_mono, out);
    return false;
  }
  VerneMQScrape& scrape = job.finish();  // the body was parsed as it arrived
  std::string error = scrape_error(scrape);
  http.redact(job.http, error);  // names found in the body
  if (error.empty()) redact_scrape(http, job.http, scrape);
  if (!error.empty()) {
    job.failures.failure(now_mono, error);
    job.charts.on_failure(job.pending_tick, job.pending_mono, out);
    return false;
  }
  job.failures.success(now_mono);
  if (scrape.problems_total > 0 && now_mono - job.last_problem_log_us >= kSummaryEveryUs) {
    job.last_problem_log_us = now_mono;
    // Body text: a server may echo the credentials it got (the bearer token is read from its
    // file at each request, so only the HTTP client knows it).
    std::string first = scrape.problems.empty() ? std::string("?") : scrape.problems.front();
    http.redact(job.http, first);
    log::warning(job.cfg.name, std::to_string(scrape.problems_total) +
                                   " problem(s) in the scraped body were skipped (logged at most once a minute); "
                                   "first: " +
                                   first);
  }
  job.charts.on_success(scrape, job.pending_tick, job.pending_mono, out, now_mono);
  // What the `vernemq` Function shows of the node, as of this scrape.
  job.last_wallclock_ms.reset();
  job.last_connections.reset();
  for (std::size_t n = 0; n < scrape.n_nodes; ++n) {
    const NodeMetrics& node = scrape.nodes[n];
    if (node.has_wallclock && !job.last_wallclock_ms) job.last_wallclock_ms = node.wallclock_ms;
    if (node.has_connections) job.last_connections = job.last_connections.value_or(0) + node.connections;
  }
  for (const std::string& m : job.charts.take_messages()) log::info(job.cfg.name, m);
  return true;
}

// One row of the `vernemq` function's table (functions.h).
JobStatus status_of(const Job& job) {
  JobStatus st;
  st.name = job.cfg.name;
  st.url = redact_url(job.cfg.url);
  st.up = job.last_good_mono.has_value() && !job.failures.failing();
  st.last_error = job.failures.failing() ? job.failures.last_error() : std::string();
  st.last_good_mono_us = job.last_good_mono;
  if (st.up && job.last_wallclock_ms) st.uptime_s = static_cast<double>(*job.last_wallclock_ms) / 1000.0;
  if (st.up && job.last_connections) st.connections = static_cast<long long>(*job.last_connections);
  if (job.last_good_mono) {
    // Refused: the founding chart's failure codes (0x80 and above), and any code the catalogue
    // does not declare (VerneMQ adds no success code without a new release).
    const std::vector<std::uint64_t> values = job.charts.per_minute(job.pending_tick);
    const std::vector<std::string> reasons = job.charts.reasons();
    const catalogue::Chart& chart = catalogue::charts()[*catalogue::find_chart(kReasonChartId)];
    for (std::size_t i = 0; i < reasons.size() && i < values.size(); ++i) {
      const bool known = std::find(chart.known.begin(), chart.known.end(), reasons[i]) != chart.known.end();
      const bool failure = std::find(chart.failures.begin(), chart.failures.end(), reasons[i]) != chart.failures.end();
      if (failure || !known) st.refused_last_minute[reasons[i]] = values[i];
    }
  }
  return st;
}

}  // namespace

void FailureLog::failure(std::int64_t mono_us, std::string_view error) {
  ++total_;
  ++since_summary_;
  if (!failing_) {
    failing_ = true;
    since_us_ = mono_us;
    last_summary_us_ = mono_us;
    since_summary_ = 0;
    last_error_.assign(error);
    log::error(job_, "scrape failed: " + last_error_ +
                         " (retrying every tick; further failures are summarised once a minute)");
    return;
  }
  last_error_.assign(error);
  if (mono_us - last_summary_us_ >= kSummaryEveryUs) {
    log::error(job_, "still failing: " + std::to_string(since_summary_) + " failed scrape(s) in the last " +
                         seconds_text(mono_us - last_summary_us_) + "; last error: " + last_error_);
    last_summary_us_ = mono_us;
    since_summary_ = 0;
  }
}

void FailureLog::success(std::int64_t mono_us) {
  if (!failing_) return;
  log::info(job_, "recovered after " + std::to_string(total_) + " failed scrape(s) over " +
                      seconds_text(mono_us - since_us_));
  failing_ = false;
  total_ = 0;
  since_summary_ = 0;
}

void wake_running_plugin() {
  HttpClient* c = g_running_client.load();
  if (c != nullptr) c->wakeup();
}

int run_plugin(const Config& config, const RunOptions& options, const Clock& clock, std::atomic<bool>& stop) {
  ExtractionPool extractions;  // outlives the jobs and the client that feeds them
  HttpClient http;
  ClusterJobs cluster(http);
  std::vector<std::unique_ptr<Job>> jobs;
  for (const JobConfig& c : config.jobs) {
    auto job = std::make_unique<Job>(c, jobs.size(), config.jobs.size(), config.update_every,
                                     options.netdata_update_every, config.autodetection_retry, extractions);
    try {
      job->http = http.add_job(c);
      http.set_body_consumer(job->http, job.get());
    } catch (const ConfigError& e) {
      log::error(c.name, std::string("job skipped: ") + e.what());
      continue;
    }
    log::info(c.name, "collecting " + redact_url(c.url) + " every " + std::to_string(job->every) + " s; " +
                          describe(job->memory));
    job->cluster = cluster.add(c, job->charts.type(), job->every);
    jobs.push_back(std::move(job));
  }
  std::string out;
  if (jobs.empty()) {
    log::error("main", "no usable job; disabling the plugin");
    ProtocolWriter(out).disable();
    write_all(options.out_fd, out);
    return 0;
  }
  std::vector<Job*> by_http(jobs.size(), nullptr);
  for (auto& j : jobs) {
    if (j->http >= by_http.size()) by_http.resize(j->http + 1, nullptr);
    by_http[j->http] = j.get();
  }

  g_running_client.store(&http);
  struct Unregister {
    ~Unregister() { g_running_client.store(nullptr); }
  } unregister;

  // Written out whenever it holds this much after a job's whole blocks: a thousand jobs'
  // first chart definitions (~50 KB each) would otherwise grow it, and keep it, to 50 MB.
  constexpr std::size_t kFlushAt = 64 * 1024;
  out.reserve(2 * kFlushAt);
  std::int64_t last_write_mono = clock.mono_us();
  bool stdout_closed = false;
  // Initialise the schedules (each job's first tick is the next one of its phase).
  for (auto& j : jobs) j->schedule.due(clock.wall_us());

  // Made once: a std::function built from this lambda at every poll() would allocate each time.
  const std::function<void(std::size_t, const FetchResult&)> on_done = [&](std::size_t idx, const FetchResult& r) {
    if (cluster.on_done(idx, r, clock.mono_us())) return;
    if (idx >= by_http.size() || by_http[idx] == nullptr) return;
    Job& job = *by_http[idx];
    const bool ok = handle_result(http, job, r, clock.mono_us(), out);
    if (ok) job.last_good_mono = clock.mono_us();
    if (ok && job.extraction->scrape.n_nodes > 0) {
      cluster.set_local_node(job.cluster, job.extraction->scrape.nodes[0].node);
    }
    job.release();
    cluster.render(job.cluster, clock.mono_us(), out);
    cluster.after_scrape(job.cluster, clock.mono_us());
    autodetection_result(job.cfg.name, job.detect, ok, clock.mono_us(), config.autodetection_retry);
    if (out.size() >= kFlushAt && !stdout_closed) {
      stdout_closed = !write_all(options.out_fd, out);
      out.clear();
      last_write_mono = clock.mono_us();
    }
  };
  // Netdata v2's Functions: registered once; calls read between ticks and answered when `out`
  // holds only whole blocks (never inside BEGIN..END).
  FunctionServer functions(options.netdata, options.in_fd);
  functions.register_functions(out);
  while (!stop.load()) {
    const std::int64_t now_wall = clock.wall_us();
    const std::int64_t now_mono = clock.mono_us();
    std::int64_t next_wall = now_wall + kKeepaliveEveryUs;
    for (auto& j : jobs) {
      if (j->schedule.due(now_wall) && j->detect.may_scrape(now_mono)) {
        if (http.in_flight(j->http)) {
          // Cannot happen with the timeout cut below the interval, unless the host stalled.
          log::debug(j->cfg.name, "previous scrape still running at the next tick; tick skipped");
        } else {
          j->pending_tick = j->schedule.fired_tick(now_wall, now_mono);
          j->pending_mono = now_mono;
          http.start(j->http, j->timeout_ms());
        }
      }
      next_wall = std::min(next_wall, j->schedule.next_wall_us());
    }
    const auto wait_ms =
        static_cast<int>(std::clamp<std::int64_t>((next_wall - clock.wall_us() + 999) / 1000, 0, 1000));
    http.poll(wait_ms, on_done, functions.wait_fd());
    if (std::all_of(jobs.begin(), jobs.end(), [](const auto& j) { return j->detect.dropped(); })) {
      log::error("main", "no job left (autodetection_retry is 0 and every first check failed); disabling the plugin");
      ProtocolWriter(out).disable();
      write_all(options.out_fd, out);
      return 0;
    }
    if (functions.read_input()) {
      log::info("main", "Netdata asked the plugin to quit (QUIT or stdin closed); exiting");
      write_all(options.out_fd, out);
      return 0;
    }
    if (functions.pending() > 0) {
      std::vector<JobStatus> rows;
      for (const auto& j : jobs) {
        rows.push_back(status_of(*j));
        rows.back().vernemq_version = cluster.version(j->cluster);
        http.redact(j->http, rows.back().last_error);  // a server may echo the credentials it got
      }
      functions.answer(rows, clock.mono_us(), clock.wall_us() / 1000000, out);
    }
    const std::int64_t after = clock.mono_us();
    if (out.empty() && after - last_write_mono >= kKeepaliveEveryUs) ProtocolWriter(out).keepalive();
    if (!out.empty() || stdout_closed) {
      if (stdout_closed || !write_all(options.out_fd, out)) {
        log::info("main", "stdout closed by the reader; exiting");
        return 0;
      }
      out.clear();
      last_write_mono = after;
    }
  }
  log::info("main", "stop requested; exiting");
  return 0;
}

int run_check(const Config& config, int out_fd) {
  using nlohmann::json;
  HttpClient http;
  struct Entry {
    const JobConfig* cfg;
    std::size_t http = 0;
    bool added = false;
    std::string add_error;
    json report;
  };
  std::vector<Entry> entries;
  entries.reserve(config.jobs.size());
  for (const JobConfig& c : config.jobs) {
    Entry e{&c, 0, false, {}, json::object()};
    try {
      e.http = http.add_job(c);
      e.added = true;
    } catch (const ConfigError& ex) {
      e.add_error = ex.what();
    }
    entries.push_back(std::move(e));
  }
  std::vector<Entry*> by_http;
  for (Entry& e : entries) {
    if (!e.added) continue;
    if (e.http >= by_http.size()) by_http.resize(e.http + 1, nullptr);
    by_http[e.http] = &e;
    http.start(e.http, std::max(1L, static_cast<long>(e.cfg->timeout_s * 1000.0)));
  }
  VerneMQScrape scrape;
  while (http.in_flight_count() > 0) {
    http.poll(1000, [&](std::size_t idx, const FetchResult& r) {
      Entry& e = *by_http.at(idx);
      json& j = e.report;
      // Everything from the network is redacted: a server may echo the credentials it was sent.
      auto clean = [&](std::string text) {
        http.redact(idx, text);
        return text;
      };
      j["http_status"] = r.http_status;
      j["bytes"] = r.bytes;
      j["fetch_ms"] = r.seconds * 1000.0;
      if (!r.ok) {
        j["ok"] = false;
        j["error"] = clean(r.error);
        return;
      }
      const auto t0 = std::chrono::steady_clock::now();
      const std::string error = body_error(r.body, scrape);
      j["parse_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      j["lines"] = scrape.lines;
      json problems = json::array();
      for (const std::string& p : scrape.problems) problems.push_back(clean(p));
      j["problems"] = problems;
      j["problems_total"] = scrape.problems_total;
      if (scrape.is_vernemq) {
        j["prefix"] = clean(scrape.prefix);
        redact_scrape(http, idx, scrape);
        j["nodes"] = check_nodes(scrape);
      }
      j["ok"] = error.empty();
      if (!error.empty()) j["error"] = clean(error);
    });
  }
  json report = json::object();
  report["config"] = config.source;
  report["problems"] = config.problems;
  json jobs = json::array();
  bool all_ok = !config.jobs.empty();
  for (Entry& e : entries) {
    json j = json::object();
    j["name"] = e.cfg->name;
    j["url"] = redact_url(e.cfg->url);
    if (!e.added) {
      j["ok"] = false;
      j["error"] = e.add_error;
    } else {
      j.update(e.report);
    }
    all_ok = all_ok && j.value("ok", false);
    jobs.push_back(std::move(j));
  }
  report["jobs"] = jobs;
  report["ok"] = all_ok;
  // Replace invalid UTF-8 from scraped data rather than throwing.
  const std::string text = report.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  write_all(out_fd, text);
  return all_ok ? 0 : 1;
}

}  // namespace vmq
