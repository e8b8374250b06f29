// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzzes the cluster sources: the JSON parsers and the allow-listed URL derivation. Input: one
// mode byte, then the body (or URL). Properties beyond "no crash, no sanitizer report": a parse
// is either ok with its part of the view filled within the limits, or a one-line error naming
// its source with that part empty, and the other parts untouched; a derived URL is always on the
// allow-list and on the job's host.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vmq/cluster_json.h"
#include "vmq/cluster_sources.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_text(const std::string& s, const vmq::ClusterLimits& limits) { check(s.size() <= limits.max_string); }

void check_listeners(const std::vector<vmq::ClusterListener>& ls, const vmq::ClusterLimits& limits) {
  check(ls.size() <= limits.max_listeners);
  for (const auto& l : ls) {
    check_text(l.type, limits);
    check_text(l.status, limits);
    check_text(l.ip, limits);
    check(l.port <= 65535);
    check(!(l.max_conns_infinite && l.max_conns.has_value()));
  }
}

void fuzz_json(std::uint8_t mode, std::string_view body) {
  const auto source = static_cast<vmq::ClusterSource>(mode % vmq::kClusterSourceCount);
  const long statuses[] = {200, 503, 404};
  const long status = statuses[(mode / 8) % 3];
  vmq::ClusterLimits limits;
  if (mode & 0x80u) {  // small limits, so the cutting paths run on small inputs
    limits.max_depth = 4;
    limits.max_members = 2;
    limits.max_nodes = 2;
    limits.max_listeners = 2;
    limits.max_reasons = 1;
    limits.max_string = 5;
    limits.max_values = 64;
  }
  vmq::ClusterView view;
  // A sentinel in another source's part: a parse must never touch it.
  const bool sentinel_in_health = source != vmq::ClusterSource::health;
  if (sentinel_in_health) {
    view.health.valid = true;
    view.health.reasons = {"sentinel"};
  } else {
    view.status.valid = true;
    view.status.nodes.resize(1);
  }
  const vmq::ClusterParseResult r = vmq::parse_cluster_source(source, status, body, view, limits);
  check(r.ok == r.error.empty());
  const std::string path(vmq::cluster_source_spec(source).path);
  if (!r.ok) {
    check(r.error.starts_with(path + ": "));
    check(r.error.find('\n') == std::string::npos);
    check(r.notes.empty());
  }
  for (const std::string& n : r.notes) check(n.starts_with(path + ": ") && n.find('\n') == std::string::npos);
  if (sentinel_in_health) {
    check(view.health.valid && view.health.reasons.size() == 1 && view.health.reasons[0] == "sentinel");
  } else {
    check(view.status.valid && view.status.nodes.size() == 1);
  }
  switch (source) {
    case vmq::ClusterSource::status_json:
      check(view.status.valid == r.ok);
      if (!r.ok) check(view.status.nodes.empty());
      check(view.status.nodes.size() <= limits.max_nodes);
      for (const auto& n : view.status.nodes) {
        check_text(n.name, limits);
        check_text(n.version, limits);
        check(n.members.size() <= limits.max_members);
        for (const auto& m : n.members) check_text(m.name, limits);
        check_listeners(n.listeners, limits);
      }
      if (r.ok && !view.status.nodes.empty()) {
        const vmq::MemberSummary s = vmq::summarize_members(view.status, view.status.nodes[0].name);
        check(s.known && s.running + s.not_running == view.status.nodes[0].members.size());
        check(s.down.size() == s.not_running && s.disagreeing_nodes < view.status.nodes.size());
      }
      break;
    case vmq::ClusterSource::health:
    case vmq::ClusterSource::health_listeners_full_cluster: {
      const vmq::HealthView& h = source == vmq::ClusterSource::health ? view.health : view.health_full_cluster;
      check(h.valid == r.ok);
      if (r.ok) check(h.ok == (status == 200));
      check(h.reasons.size() <= limits.max_reasons);
      for (const auto& s : h.reasons) check_text(s, limits);
      break;
    }
    case vmq::ClusterSource::api_cluster_show:
      check(view.api_cluster.valid == r.ok && view.api_cluster.members.size() <= limits.max_members);
      for (const auto& m : view.api_cluster.members) check_text(m.name, limits);
      break;
    case vmq::ClusterSource::api_listener_show:
      check(view.api_listeners.valid == r.ok);
      check_listeners(view.api_listeners.listeners, limits);
      break;
  }
}

void fuzz_url(std::uint8_t mode, std::string_view text) {
  const auto source = static_cast<vmq::ClusterSource>(mode % vmq::kClusterSourceCount);
  const std::string path(vmq::cluster_source_spec(source).path);
  const std::string job = "http://127.0.0.1:8888/metrics";
  // As an override of a good job URL: only 127.0.0.1 and the source's own path may come out.
  const vmq::ClusterSourceUrl o = vmq::cluster_source_url(source, job, {true, std::string(text)});
  check(o.url.empty() != o.error.empty() && !o.disabled);
  if (!o.url.empty()) {
    check(o.url.starts_with("http://127.0.0.1") || o.url.starts_with("https://127.0.0.1"));
    check(o.url.ends_with(path) && vmq::check_cluster_request(o.url, job).empty());
    const std::size_t authority = o.url.find("//") + 2;
    check(o.url.find_first_of("@?#", authority) == std::string::npos);
    check(o.url.find('/', authority) == o.url.size() - path.size());
  }
  // As the job's own URL: its origin and the source's own path, nothing else.
  const vmq::ClusterSourceUrl j = vmq::cluster_source_url(source, text);
  check(j.url.empty() != j.error.empty());
  if (!j.url.empty()) {
    check(j.url.ends_with(path) && vmq::check_cluster_request(j.url, text).empty());
    const std::size_t authority = j.url.find("//") + 2;
    check(j.url.find_first_of("@?#", authority) == std::string::npos);
    check(j.url.find('/', authority) == j.url.size() - path.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // A copy of exactly the rest, so ASan catches any read past the end of the body.
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 0x60u) == 0x60u) {
    fuzz_url(data[0], rest);
  } else {
    fuzz_json(data[0], rest);
  }
  return 0;
}
