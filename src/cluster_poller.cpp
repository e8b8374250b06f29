// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster sources' polling (docs/cluster.md, "Polling"): one round per job every
// cluster_update_every seconds; a round's sources run one after another on one easy handle of
// the shared multi handle (one connection to the node, not one per source), and the charts are
// rendered when the last one is back.
#include "vmq/cluster_poller.h"

#include <curl/curl.h>

#include <algorithm>
#include <set>

#include "vmq/cluster_charts.h"
#include "vmq/cluster_json.h"
#include "vmq/log.h"

namespace vmq {
namespace {

constexpr long kTimeoutMarginMs = 50;
constexpr std::size_t kMaxNotesRemembered = 64;
// A round's order: the small liveness answers first, so a slow /status.json (it asks every
// other node) cannot leave them without time.
constexpr std::array<ClusterSource, kClusterSourceCount> kRoundOrder{
    ClusterSource::health, ClusterSource::health_listeners_full_cluster, ClusterSource::status_json,
    ClusterSource::api_cluster_show, ClusterSource::api_listener_show};

// Only health sources answer 503 with a body worth reading (DOWN and its reasons).
bool body_on_503(ClusterSource s) {
  return s == ClusterSource::health || s == ClusterSource::health_listeners_full_cluster;
}

void redact_view(const HttpClient& http, std::size_t idx, ClusterSource s, ClusterView& v) {
  const auto members = [&](std::vector<ClusterMember>& ms) {
    for (ClusterMember& m : ms) http.redact(idx, m.name);
  };
  const auto listeners = [&](std::vector<ClusterListener>& ls) {
    for (ClusterListener& l : ls) {
      http.redact(idx, l.type);
      http.redact(idx, l.status);
      http.redact(idx, l.ip);
    }
  };
  switch (s) {
    case ClusterSource::status_json:
      for (NodeStatus& n : v.status.nodes) {
        http.redact(idx, n.name);
        http.redact(idx, n.version);
        members(n.members);
        listeners(n.listeners);
      }
      break;
    case ClusterSource::health:
      for (std::string& r : v.health.reasons) http.redact(idx, r);
      break;
    case ClusterSource::health_listeners_full_cluster:
      for (std::string& r : v.health_full_cluster.reasons) http.redact(idx, r);
      break;
    case ClusterSource::api_cluster_show: members(v.api_cluster.members); break;
    case ClusterSource::api_listener_show: listeners(v.api_listeners.listeners); break;
  }
}

// Basic auth given as the job URL's userinfo (user:password@): the sources' URLs never copy it,
// so it is handed over as username and password, as the job's /metrics requests send it.
void userinfo_as_basic_auth(JobConfig& source_cfg, const std::string& job_url) {
  if (!source_cfg.username.empty()) return;
  CURLU* u = curl_url();
  if (u == nullptr) return;
  char* user = nullptr;
  char* password = nullptr;
  if (curl_url_set(u, CURLUPART_URL, job_url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK) {
    source_cfg.username = user;
    if (curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE) == CURLUE_OK) source_cfg.password = password;
  }
  curl_free(user);
  curl_free(password);
  curl_url_cleanup(u);
}

void clear_part(ClusterSource s, ClusterView& v) {
  switch (s) {
    case ClusterSource::status_json: v.status = {}; break;
    case ClusterSource::health: v.health = {}; break;
    case ClusterSource::health_listeners_full_cluster: v.health_full_cluster = {}; break;
    case ClusterSource::api_cluster_show: v.api_cluster = {}; break;
    case ClusterSource::api_listener_show: v.api_listeners = {}; break;
  }
}

}  // namespace

struct ClusterJobs::Job {
  // One source: its URL and the body, received whatever the HTTP status.
  struct Source final : BodyConsumer {
    ClusterSource id{};
    bool configured = false;  // enabled and its URL accepted
    std::string request;      // the URL requested
    std::string url;          // the same, as logs show it (redacted)
    bool missing = false;     // 404/401: not polled until reprobe_at
    std::int64_t reprobe_at = 0;
    bool in_round = false;  // in the current round, its answer not handled yet
    std::int64_t last_log_us = -kClusterLogEveryUs;
    std::size_t failures_since_log = 0;
    bool failing = false;
    std::string body;

    void body_begin() override { body.clear(); }
    void body_data(std::string_view data) override { body.append(data); }
  };

  // The charts follow the job's own interval: each tick re-sends the last round's values, so
  // Netdata stores whole per-second points instead of interpolating between 10-second ones
  // (which gave an alert value of 0.09 nodes and moved changes by up to an interval).
  Job(const JobConfig& c, std::string_view type, int every, int job_every)
      : name(c.name), every_s(every), job_every_s(job_every), charts(c.name, std::string(type), job_every) {}

  std::string name;
  int every_s;
  int job_every_s;
  long timeout_ms = 1000;
  std::optional<std::size_t> http;     // the handle every source of the job uses
  std::optional<std::size_t> current;  // the source in flight
  std::int64_t round_deadline_us = 0;  // a round ends before the next one is due
  std::array<Source, kClusterSourceCount> sources;
  ClusterView view;  // being filled by the current round
  std::array<SourceState, kClusterSourceCount> state{};
  ClusterView shown;  // the last complete round: what the charts show
  std::array<SourceState, kClusterSourceCount> shown_state{};
  bool have_round = false;

  // The local entry's version, kept through failed rounds.
  void note_version() {
    if (const NodeStatus* self = view.status.find(local_node); self != nullptr && !self->version.empty()) {
      version = self->version;
    }
  }
  ClusterCharts charts;
  std::string local_node;
  std::string version;  // of the local entry, at the last good /status.json
  std::int64_t next_round_us = 0;
  bool started = false;
  std::size_t pending = 0;
  std::set<std::string> notes_logged;
};

ClusterJobs::ClusterJobs(HttpClient& http) : http_(http) {}
ClusterJobs::~ClusterJobs() = default;

std::size_t ClusterJobs::add(const JobConfig& c, std::string_view chart_type, int job_every) {
  const int every = std::max(c.cluster.update_every, job_every);
  auto job = std::make_unique<Job>(c, chart_type, every, job_every);
  job->timeout_ms = std::max(
      1L, std::min(static_cast<long>(c.timeout_s * 1000.0), static_cast<long>(every) * 1000 - kTimeoutMarginMs));
  std::string polled;
  for (const ClusterSourceSpec& spec : kClusterSources) {
    Job::Source& s = job->sources[static_cast<std::size_t>(spec.id)];
    s.id = spec.id;
    if (!cluster_source_enabled(c.cluster, spec.id, !c.api_key.empty())) {
      if (spec.needs_api_key && c.api_key.empty() && !c.cluster.given[static_cast<std::size_t>(spec.id)]) {
        log::debug(c.name, "cluster source " + std::string(spec.key) + " (" + std::string(spec.path) +
                               ") not polled: set api_key to read it");
      }
      continue;
    }
    const ClusterSourceUrl u = cluster_source_url(spec.id, c.url, c.cluster.sources[static_cast<std::size_t>(spec.id)]);
    if (!u.error.empty() || u.url.empty()) {
      log::error(c.name, "cluster source not polled: " + (u.error.empty() ? std::string(spec.key) : u.error));
      continue;
    }
    // The last gate: whatever built the URL, nothing outside the allow-list is requested.
    if (const std::string why = check_cluster_request(u.url, c.url); !why.empty()) {
      log::error(c.name, "cluster source " + std::string(spec.key) + " not polled: " + why);
      continue;
    }
    if (!job->http) {
      // The job's handle, made with the first source's URL; the others differ only in it.
      JobConfig source_cfg = c;
      source_cfg.url = u.url;
      userinfo_as_basic_auth(source_cfg, c.url);
      // A redirect could lead to any path, /api/v1's destructive commands included: never followed.
      source_cfg.not_follow_redirects = true;
      source_cfg.max_body_size = std::min(c.max_body_size, ClusterLimits{}.max_body_bytes);
      try {
        job->http = http_.add_job(source_cfg);
      } catch (const ConfigError& e) {
        log::error(c.name, "cluster source " + std::string(spec.key) + " not polled: " + e.what());
        continue;
      }
      if (by_http_.size() <= *job->http) by_http_.resize(*job->http + 1, nullptr);
      by_http_[*job->http] = job.get();
    }
    s.configured = true;
    s.request = u.url;
    s.url = redact_url(u.url);
    polled += (polled.empty() ? "" : ", ") + std::string(spec.path);
  }
  if (!polled.empty()) {
    log::info(c.name, "cluster sources " + polled + " every " + std::to_string(every) + " s");
  }
  jobs_.push_back(std::move(job));
  return jobs_.size() - 1;
}

void ClusterJobs::set_local_node(std::size_t job, std::string_view node) {
  if (job >= jobs_.size() || jobs_[job]->local_node == node) return;
  Job& j = *jobs_[job];
  j.local_node.assign(node);
  // A renamed node (another node behind the same URL) may already be in the last /status.json.
  j.note_version();
}

std::optional<std::string> ClusterJobs::version(std::size_t job) const {
  if (job >= jobs_.size() || jobs_[job]->version.empty()) return std::nullopt;
  return jobs_[job]->version;
}

void ClusterJobs::after_scrape(std::size_t job_idx, std::int64_t now) {
  if (job_idx >= jobs_.size()) return;
  Job& job = *jobs_[job_idx];
  // Not before the job's first good scrape: it names the node (which /status.json entry is
  // this one), and a job that never answers (autodetection_retry) polls nothing else either.
  if (job.local_node.empty()) return;
  if (job.started && now < job.next_round_us) return;
  if (job.pending > 0) return;  // the last round is still out (cannot outlive its timeout)
  job.started = true;
  const std::int64_t every_us = static_cast<std::int64_t>(job.every_s) * 1'000'000;
  // Due half a job interval early: the scrape ending just after it starts the next round, so
  // rounds keep their cadence instead of slipping a tick whenever a scrape ends a little early.
  job.next_round_us = now + every_us - static_cast<std::int64_t>(job.job_every_s) * 500'000;
  job.round_deadline_us = now + every_us - kTimeoutMarginMs * 1000;
  for (Job::Source& s : job.sources) {
    const auto i = static_cast<std::size_t>(s.id);
    job.state[i] = SourceState::off;
    if (!s.configured) continue;
    if (s.missing && now < s.reprobe_at) continue;
    job.state[i] = s.missing ? SourceState::off : SourceState::failed;  // until its answer says more
    s.in_round = true;
    ++job.pending;
  }
  start_next(job, now);
}

// Starts the round's next source, or ends the round when none is left. A source the round has
// no time left for fails without a request (the round must end before the next one is due).
void ClusterJobs::start_next(Job& job, std::int64_t now) {
  for (const ClusterSource id : kRoundOrder) {
    Job::Source& s = job.sources[static_cast<std::size_t>(id)];
    if (!s.in_round) continue;
    const long left_ms = static_cast<long>((job.round_deadline_us - now) / 1000);
    if (left_ms < 1) {
      FetchResult r;
      r.error = "not requested: the round's " + std::to_string(job.every_s) +
                " s were used up by the sources before it (cluster_update_every)";
      finish(job, static_cast<std::size_t>(id), r, now);
      continue;
    }
    job.current = static_cast<std::size_t>(id);
    http_.set_url(*job.http, s.request);
    http_.set_body_consumer(*job.http, &s);
    http_.start(*job.http, std::min(job.timeout_ms, left_ms));
    return;
  }
}

bool ClusterJobs::on_done(std::size_t idx, const FetchResult& r, std::int64_t now) {
  if (idx >= by_http_.size() || by_http_[idx] == nullptr) return false;
  Job& job = *by_http_[idx];
  if (!job.current) return true;  // an aborted transfer's late report
  const std::size_t source = *job.current;
  job.current.reset();
  finish(job, source, r, now);
  start_next(job, now);
  return true;
}

// One source's answer (or failure) in the current round; the round is shown once all are in.
void ClusterJobs::finish(Job& job, std::size_t source, const FetchResult& r, std::int64_t now) {
  Job::Source& s = job.sources[source];
  const ClusterSourceSpec& spec = cluster_source_spec(s.id);
  const auto i = static_cast<std::size_t>(s.id);
  const std::size_t idx = *job.http;
  if (!s.in_round) return;
  s.in_round = false;

  const std::string what = std::string(spec.key) + " (" + s.url + ")";
  if (r.http_status == 404 || r.http_status == 401) {
    clear_part(s.id, job.view);
    job.state[i] = SourceState::off;
    if (!s.missing) {
      std::string msg = "cluster source " + what + ": HTTP " + std::to_string(r.http_status) +
                        (r.http_status == 404 ? ": the node does not serve it" : ": not authorised (check api_key)") +
                        "; its charts are off, probed again every 5 minutes";
      http_.redact(idx, msg);
      log::warning(job.name, msg);
    }
    s.missing = true;
    s.reprobe_at = now + kClusterReprobeUs;
  } else {
    if (s.missing) log::info(job.name, "cluster source " + what + " is served now; its charts are on");
    s.missing = false;
    std::string error;
    const bool usable = r.ok || (body_on_503(s.id) && r.http_status == 503 && r.error.starts_with("HTTP 503"));
    if (usable) {
      clear_part(s.id, job.view);
      const ClusterParseResult p = parse_cluster_source(s.id, r.http_status, s.body, job.view);
      if (p.ok) {
        redact_view(http_, idx, s.id, job.view);
        job.state[i] = SourceState::fresh;
        if (s.id == ClusterSource::status_json) job.note_version();
        for (const std::string& note : p.notes) {
          if (job.notes_logged.size() < kMaxNotesRemembered && job.notes_logged.insert(note).second) {
            std::string msg = "cluster source " + what + ": " + note;
            http_.redact(idx, msg);
            log::warning(job.name, msg);
          }
        }
      } else {
        clear_part(s.id, job.view);
        error = p.error;
      }
    } else {
      error = r.error;
    }
    s.body.clear();
    s.body.shrink_to_fit();  // a node's body is kept only while it is parsed
    if (!error.empty()) {
      job.state[i] = SourceState::failed;
      ++s.failures_since_log;
      if (now - s.last_log_us >= kClusterLogEveryUs) {
        std::string msg = "cluster source " + what + " failed: " + error;
        if (s.failures_since_log > 1) {
          msg += " (" + std::to_string(s.failures_since_log) + " failures since the last message)";
        }
        msg += "; its charts have a gap (logged at most once a minute)";
        http_.redact(idx, msg);
        log::warning(job.name, msg);  // a gap in secondary charts; /metrics failing says ERROR
        s.last_log_us = now;
        s.failures_since_log = 0;
      }
      s.failing = true;
    } else if (s.failing) {
      s.failing = false;
      s.failures_since_log = 0;
      log::info(job.name, "cluster source " + what + " recovered");
    }
  }
  if (job.pending > 0) --job.pending;
  if (job.pending == 0) {
    job.shown = job.view;
    job.shown_state = job.state;
    job.have_round = true;
    http_.release_handle(idx);  // idle until the next round: its ~5 KB freed meanwhile
  }
}

void ClusterJobs::render(std::size_t job, std::int64_t now_mono_us, std::string& out) {
  if (job >= jobs_.size() || !jobs_[job]->have_round) return;
  Job& j = *jobs_[job];
  ClusterRound round;
  round.view = &j.shown;
  round.state = j.shown_state;
  round.local_node = j.local_node;
  round.mono_us = now_mono_us;
  j.charts.render(round, out);
}

}  // namespace vmq
