// SPDX-License-Identifier: GPL-3.0-or-later
// Generates a VerneMQ 2.x-shaped /metrics body. The family list below is data: the order, the
// label sets and the split of a family over two blocks mirror VerneMQ 2.0.1; the HELP texts are
// our own short descriptions.
#include "vernemq_body.h"

#include "vmq/catalogue.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace vmq::sim {
namespace {

using Source = VernemqBody::Source;
using Value = VernemqBody::Value;
using Segment = VernemqBody::Segment;

constexpr Value kZero{};
constexpr Value constant(std::uint64_t v) { return Value{Source::constant, 1, 1, v, 0}; }
constexpr Value from(Source s, std::uint64_t mul = 1, std::uint64_t div = 1, std::uint64_t add = 0) {
  return Value{s, mul, div, add, 0};
}

constexpr int kSchedulers = 8;
constexpr int kSwcGroups = 10;

// Accumulates literal text and value holes; emits HELP/TYPE at a name's first series only.
class Builder {
 public:
  // `metrics`: the scenario's `metrics:` counters, family + labels → counter index; a series
  // named there takes the counter's value instead of its built-in one.
  Builder(std::string prefix, std::string node, std::map<std::string, std::size_t, std::less<>> metrics)
      : prefix_(std::move(prefix)), node_(std::move(node)), metrics_(std::move(metrics)) {}

  // One series. `labels` goes after node="…" (e.g. ,mqtt_version="4"); `type_name` is the name
  // HELP/TYPE describe (differs from `name` only for histogram _bucket/_count/_sum lines).
  void series(std::string_view name, std::string_view labels, Value value, std::string_view help, std::string_view type,
              std::string_view type_name = {}) {
    const std::string_view described = type_name.empty() ? name : type_name;
    if (seen_.insert(std::string(described)).second) {
      pending_ += "# HELP ";
      pending_ += prefix_;
      pending_ += described;
      pending_ += ' ';
      pending_ += help;
      pending_ += "\n# TYPE ";
      pending_ += prefix_;
      pending_ += described;
      pending_ += ' ';
      pending_ += type;
      pending_ += '\n';
    }
    pending_ += prefix_;
    pending_ += name;
    pending_ += "{node=\"";
    pending_ += node_;
    pending_ += '"';
    pending_ += labels;
    pending_ += "} ";
    if (!metrics_.empty()) {
      const auto m = metrics_.find(std::string(name) + std::string(labels));
      if (m != metrics_.end()) {
        value = Value{Source::counter, 1, 1, 0, m->second};
        used_.insert(m->first);
      }
    }
    segments_.push_back(Segment{std::move(pending_), value});
    pending_.assign("\n");
  }

  // A counter with mqtt_version="4" (and "5" when v5 is set).
  void mqtt(std::string_view name, std::string_view help, Value v4, std::optional<Value> v5 = std::nullopt) {
    series(name, ",mqtt_version=\"4\"", v4, help, "counter");
    if (v5) series(name, ",mqtt_version=\"5\"", *v5, help, "counter");
  }

  void reasons(std::string_view name, std::string_view help, std::string_view version, std::string_view label,
               std::initializer_list<std::string_view> list) {
    for (std::string_view r : list) reason(name, help, version, label, r, kZero);
  }
  // Every reason code the catalogue declares for the family and version, at zero.
  void reasons(std::string_view name, std::string_view help, std::string_view version, std::string_view label) {
    for (std::string_view r : catalogue::reason_codes(name, version == "4" ? 4 : 5)) {
      reason(name, help, version, label, r, kZero);
    }
  }
  void reason(std::string_view name, std::string_view help, std::string_view version, std::string_view label,
              std::string_view reason_name, Value v) {
    std::string labels = ",mqtt_version=\"";
    labels += version;
    labels += "\",";
    labels += label;
    labels += "=\"";
    labels += reason_name;
    labels += '"';
    series(name, labels, v, help, "counter");
  }

  void plain(std::string_view name, std::string_view help, std::string_view type, Value v) {
    series(name, "", v, help, type);
  }

  // A VerneMQ latency histogram: buckets from +Inf down (as VerneMQ orders them), then count, sum.
  void histogram(std::string_view name, std::string_view help, std::uint64_t per_minute) {
    // Cumulative counts must not decrease with `le`: the share below each bound only shrinks.
    constexpr std::pair<std::string_view, std::uint64_t> kBuckets[] = {
        {"+Inf", 100}, {"1000000", 100}, {"100000", 100}, {"10000", 100}, {"1000", 97}, {"100", 55}, {"10", 0}};
    const std::string bucket = std::string(name) + "_bucket";
    for (const auto& [le, percent] : kBuckets) {
      series(bucket, std::string(",le=\"") + std::string(le) + "\"", from(Source::uptime_s, per_minute * percent, 6000),
             help, "histogram", name);
    }
    series(std::string(name) + "_count", "", from(Source::uptime_s, per_minute, 60), help, "histogram", name);
    series(std::string(name) + "_sum", "", from(Source::uptime_s, per_minute * 110, 60), help, "histogram", name);
  }

  std::vector<Segment> take_segments() { return std::move(segments_); }
  // The `metrics:` keys that named no series of the body.
  [[nodiscard]] std::vector<std::string> unused_metrics() const {
    std::vector<std::string> out;
    for (const auto& [k, i] : metrics_) {
      if (!used_.contains(k)) out.push_back(k);
    }
    return out;
  }
  std::string take_tail() { return std::move(pending_); }

 private:
  std::string prefix_;
  std::string node_;
  std::set<std::string, std::less<>> seen_;
  std::map<std::string, std::size_t, std::less<>> metrics_;
  std::set<std::string, std::less<>> used_;
  std::vector<Segment> segments_;
  std::string pending_;
};

}  // namespace

VernemqBody::VernemqBody(const Scenario& sc, std::size_t node) {
  std::map<std::string, std::size_t, std::less<>> metrics;
  for (std::size_t i = 0; i < sc.counters.size(); ++i) {
    if (sc.counters[i].generic()) metrics[sc.counters[i].reason] = i;
  }
  Builder b(sc.prefix, sc.nodes.at(node), std::move(metrics));
  auto counter = [&sc](bool received, int version, std::string_view reason) {
    const auto i = sc.counter_index(CounterId{received, version, std::string(reason)});
    return Value{Source::counter, 1, 1, 0, i.value_or(0)};
  };

  // --- sockets and bytes
  b.plain("socket_open", "Times an MQTT socket was opened.", "counter", from(Source::uptime_s, 1, 20, 2));
  b.plain("socket_close", "Times an MQTT socket was closed.", "counter", from(Source::uptime_s, 1, 20));
  b.plain("socket_close_timeout", "Sockets closed because no CONNECT arrived in time.", "counter", kZero);
  b.plain("socket_error", "Socket errors seen.", "counter", kZero);
  b.plain("bytes_received", "Bytes received from MQTT clients.", "counter", from(Source::sent_all, 87, 1));
  b.plain("bytes_sent", "Bytes sent to MQTT clients.", "counter", from(Source::received_all, 83, 1));

  // --- MQTT packets received/sent: the MQTT 3.1.1 series (and the MQTT 5 total where VerneMQ has one)
  b.mqtt("mqtt_connect_received", "CONNECT packets received.", from(Source::uptime_s, 1, 20, 2), constant(1));
  b.mqtt("mqtt_publish_received", "PUBLISH packets received.", from(Source::sent_v4), from(Source::sent_v5));
  b.mqtt("mqtt_puback_received", "PUBACK packets received.", counter(true, 4, {}));
  b.mqtt("mqtt_pubrec_received", "PUBREC packets received.", kZero);
  b.mqtt("mqtt_pubrel_received", "PUBREL packets received.", kZero);
  b.mqtt("mqtt_pubcomp_received", "PUBCOMP packets received.", kZero);
  b.mqtt("mqtt_subscribe_received", "SUBSCRIBE packets received.", constant(2), constant(1));
  b.mqtt("mqtt_unsubscribe_received", "UNSUBSCRIBE packets received.", kZero, kZero);
  b.mqtt("mqtt_pingreq_received", "PINGREQ packets received.", from(Source::uptime_s, 1, 30),
         from(Source::uptime_s, 1, 60));
  b.mqtt("mqtt_disconnect_received", "DISCONNECT packets received.", from(Source::uptime_s, 1, 20));
  b.mqtt("mqtt_connack_accepted_sent", "CONNACKs accepting a connection.", from(Source::uptime_s, 1, 20, 2));
  b.mqtt("mqtt_connack_unacceptable_protocol_sent", "CONNACKs refusing the protocol version.", kZero);
  b.mqtt("mqtt_connack_identifier_rejected_sent", "CONNACKs refusing the client identifier.", kZero);
  b.mqtt("mqtt_connack_server_unavailable_sent", "CONNACKs sent while the broker was unavailable.", kZero);
  b.mqtt("mqtt_connack_bad_credentials_sent", "CONNACKs refusing bad credentials.", kZero);
  b.mqtt("mqtt_connack_not_authorized_sent", "CONNACKs refusing an unauthorized client.", kZero);
  b.mqtt("mqtt_publish_sent", "PUBLISH packets sent.", from(Source::received_v4), from(Source::received_v5));
  b.mqtt("mqtt_puback_sent", "PUBACK packets sent.", counter(false, 4, {}));
  b.mqtt("mqtt_pubrec_sent", "PUBREC packets sent.", kZero);
  b.mqtt("mqtt_pubrel_sent", "PUBREL packets sent.", kZero);
  b.mqtt("mqtt_pubcomp_sent", "PUBCOMP packets sent.", kZero);
  b.mqtt("mqtt_suback_sent", "SUBACK packets sent.", constant(2), constant(1));
  b.mqtt("mqtt_unsuback_sent", "UNSUBACK packets sent.", kZero, kZero);
  b.mqtt("mqtt_pingresp_sent", "PINGRESP packets sent.", from(Source::uptime_s, 1, 30), from(Source::uptime_s, 1, 60));

  // --- errors
  b.mqtt("mqtt_publish_auth_error", "Publishes refused by the auth plugins.", kZero,
         counter(false, 5, "not_authorized"));
  b.mqtt("mqtt_subscribe_auth_error", "Subscriptions refused by the auth plugins.", kZero, kZero);
  b.mqtt("mqtt_invalid_msg_size_error", "Packets larger than the allowed maximum.", kZero, kZero);
  b.mqtt("mqtt_puback_invalid_error", "Unexpected PUBACK packets.", kZero, kZero);
  b.mqtt("mqtt_pubrec_invalid_error", "Unexpected PUBREC packets.", kZero);
  b.mqtt("mqtt_pubcomp_invalid_error", "Unexpected PUBCOMP packets.", kZero, kZero);
  b.mqtt("mqtt_publish_error", "Publishes that failed.", kZero, counter(false, 5, "impl_specific_error"));
  b.mqtt("mqtt_subscribe_error", "Subscriptions that failed.", kZero, kZero);
  b.mqtt("mqtt_unsubscribe_error", "Unsubscriptions that failed.", kZero, kZero);
  b.mqtt("client_keepalive_expired", "Clients that missed their keepalive.", kZero, kZero);

  // --- queues, cluster, router
  b.plain("queue_setup", "Queues created.", "counter", from(Source::uptime_s, 1, 20, 2));
  b.plain("queue_initialized_from_storage", "Queues restored from storage.", "counter", kZero);
  b.plain("queue_teardown", "Queues torn down.", "counter", from(Source::uptime_s, 1, 20));
  b.plain("queue_message_drop", "Messages dropped by full queues.", "counter", kZero);
  b.plain("queue_message_expired", "Messages that expired in a queue.", "counter", kZero);
  b.plain("queue_message_unhandled", "Messages with no queue to go to.", "counter", kZero);
  b.plain("queue_message_in", "Messages put into queues.", "counter", from(Source::received_all));
  b.plain("queue_message_out", "Messages taken out of queues.", "counter", from(Source::received_all));
  b.plain("client_expired", "Sessions that expired.", "counter", kZero);
  b.plain("cluster_bytes_received", "Bytes received from other cluster nodes.", "counter", kZero);
  b.plain("cluster_bytes_sent", "Bytes sent to other cluster nodes.", "counter", kZero);
  b.plain("cluster_bytes_dropped", "Bytes dropped on the way to other nodes.", "counter", kZero);
  b.plain("router_matches_local", "Subscriptions matched on this node.", "counter", from(Source::received_all));
  b.plain("router_matches_remote", "Subscriptions matched on other nodes.", "counter", kZero);

  // --- return/reason-code families. VerneMQ lists these after the totals above, and the MQTT 5
  // series of families that already appeared (disconnect_received, connack_sent, puback_*, …)
  // come here without HELP/TYPE: the families are not contiguous.
  b.reasons("mqtt_connack_sent", "CONNACK packets sent, by return or reason code.", "4", "return_code");
  b.reasons("mqtt_disconnect_received", "", "5", "reason_code");
  b.reasons("mqtt_disconnect_sent", "DISCONNECT packets sent, by reason code.", "5", "reason_code");
  b.reasons("mqtt_connack_sent", "", "5", "reason_code");
  for (bool received : {false, true}) {
    // The nine known reasons in VerneMQ's order, then any other reason the scenario uses.
    const char* name = received ? "mqtt_puback_received" : "mqtt_puback_sent";
    for (std::size_t i = 0; i < sc.counters.size(); ++i) {
      const CounterId& c = sc.counters[i];
      if (c.received != received || c.mqtt_version != 5) continue;
      b.reason(name, "", "5", "reason_code", c.reason, Value{Source::counter, 1, 1, 0, i});
    }
  }
  b.reasons("mqtt_pubrec_sent", "", "5", "reason_code");
  b.reasons("mqtt_pubrec_received", "", "5", "reason_code");
  b.reasons("mqtt_pubrel_sent", "", "5", "reason_code");
  b.reasons("mqtt_pubrel_received", "", "5", "reason_code");
  b.reasons("mqtt_pubcomp_sent", "", "5", "reason_code");
  b.reasons("mqtt_pubcomp_received", "", "5", "reason_code");
  b.reasons("mqtt_auth_sent", "AUTH packets sent, by reason code.", "5", "reason_code");
  b.reasons("mqtt_auth_received", "AUTH packets received, by reason code.", "5", "reason_code");

  // --- gauges
  b.plain("total_active_connections", "Open connections of every kind.", "gauge", constant(3));
  b.plain("active_mqtt_connections", "Open MQTT(S) connections.", "gauge", constant(3));
  b.plain("active_mqttws_connections", "Open MQTT over WebSocket connections.", "gauge", kZero);
  b.plain("queue_processes", "MQTT queue processes.", "gauge", constant(3));
  b.plain("retain_memory", "Bytes used by retained messages.", "gauge", constant(15664));
  b.plain("retain_messages", "Retained messages stored.", "gauge", kZero);
  b.plain("router_memory", "Bytes used by the routing table.", "gauge", constant(20480));
  b.plain("router_subscriptions", "Subscriptions in the routing table.", "gauge", constant(3));
  b.plain("netsplit_resolved", "Netsplits resolved.", "counter", kZero);
  b.plain("netsplit_detected", "Netsplits detected.", "counter", kZero);

  // --- Erlang VM: one gauge name per scheduler, highest first (as VerneMQ lists them)
  for (int s = kSchedulers; s >= 1; --s) {
    b.plain("system_utilization_scheduler_" + std::to_string(s), "Utilization of one scheduler (percent).", "gauge",
            constant(static_cast<std::uint64_t>(s == 1 ? 9 : (s * 7) % 5)));
  }
  b.plain("system_utilization", "Mean scheduler utilization (percent).", "gauge", constant(2));
  b.plain("vm_memory_ets", "Bytes allocated for ETS tables.", "gauge", constant(6291456));
  b.plain("vm_memory_code", "Bytes allocated for code.", "gauge", constant(13631488));
  b.plain("vm_memory_binary", "Bytes allocated for binaries.", "gauge", constant(786432));
  b.plain("vm_memory_atom_used", "Bytes used by atoms.", "gauge", constant(622592));
  b.plain("vm_memory_atom", "Bytes allocated for atoms.", "gauge", constant(630784));
  b.plain("vm_memory_system", "Bytes allocated by the emulator itself.", "gauge", constant(44040192));
  b.plain("vm_memory_processes_used", "Bytes used by Erlang processes.", "gauge", constant(13369344));
  b.plain("vm_memory_processes", "Bytes allocated for Erlang processes.", "gauge", constant(13631488));
  b.plain("vm_memory_total", "Bytes allocated in total.", "gauge", constant(57671680));
  b.plain("system_process_count", "Erlang processes.", "gauge", constant(470));
  b.plain("system_wallclock", "Milliseconds since the node started.", "counter", from(Source::uptime_ms));
  b.plain("system_runtime", "Milliseconds of runtime summed over threads.", "counter", from(Source::uptime_ms, 1, 900));
  b.plain("system_run_queue", "Processes and ports ready to run.", "gauge", kZero);
  b.plain("system_reductions", "Reductions since the node started.", "counter", from(Source::uptime_s, 6700));
  b.plain("system_io_out", "Bytes written to ports.", "counter", from(Source::uptime_s, 33, 1, 1700000));
  b.plain("system_io_in", "Bytes read from ports.", "counter", from(Source::uptime_s, 600, 1, 30000000));
  b.plain("system_words_reclaimed_by_gc", "Words reclaimed by garbage collection.", "counter",
          from(Source::uptime_s, 13000));
  b.plain("system_gc_count", "Garbage collections.", "counter", from(Source::uptime_s, 7));
  b.plain("system_exact_reductions", "Exact count of reductions.", "counter", from(Source::uptime_s, 6690));
  b.plain("system_context_switches", "Context switches.", "counter", from(Source::uptime_s, 77));

  // --- 2.x storage/metadata latency histograms and SWC gauges
  b.histogram("storage_scan_microseconds", "Latency of storage scans.", 1);
  b.histogram("storage_write_microseconds", "Latency of storage writes.", 1300);
  b.histogram("storage_read_microseconds", "Latency of storage reads.", 7);
  b.histogram("metadata_put_microseconds", "Latency of metadata puts.", 2);
  b.histogram("metadata_get_microseconds", "Latency of metadata gets.", 7);
  b.histogram("metadata_delete_microseconds", "Latency of metadata deletes.", 1);
  b.histogram("metadata_fold_microseconds", "Latency of metadata folds.", 1);
  // VerneMQ sorts the groups as strings: meta1, meta10, meta2, …
  std::vector<std::string> groups;
  for (int g = 1; g <= kSwcGroups; ++g) groups.push_back("meta" + std::to_string(g));
  std::sort(groups.begin(), groups.end());
  const std::pair<std::string_view, std::string_view> kSwc[] = {
      {"swc_dotkeymap_memory", "Words used by an SWC group's dot-key map."},
      {"swc_object_count", "Objects replicated by an SWC group."},
      {"swc_tombstone_count", "Tombstones replicated by an SWC group."}};
  for (const auto& [name, help] : kSwc) {
    for (const std::string& g : groups) {
      b.series(name, ",group=\"" + g + "\"", constant(name == "swc_dotkeymap_memory" ? 915 : 0), help, "gauge");
    }
  }

  if (const auto unused = b.unused_metrics(); !unused.empty()) {
    std::string msg = "scenario `metrics:` names a series the body does not have:";
    for (const std::string& k : unused) msg += " " + k;
    throw ScenarioError(msg + " (the family after the prefix, then its labels after node in the body's order)");
  }
  segments_ = b.take_segments();
  tail_ = b.take_tail();
  text_size_ = tail_.size();
  for (const Segment& s : segments_) text_size_ += s.text.size() + 1;

  v4_.resize(sc.counters.size());
  received_.resize(sc.counters.size());
  for (std::size_t i = 0; i < sc.counters.size(); ++i) {
    v4_[i] = sc.counters[i].mqtt_version == 4 ? 1 : 0;
    received_[i] = sc.counters[i].received ? 1 : 0;
    generic_.push_back(sc.counters[i].generic() ? 1 : 0);
  }
}

void VernemqBody::render(const NodeSnapshot& snap, std::string& out) const {
  // Sums over the scenario counters, once per render.
  std::uint64_t sums[2][2] = {{0, 0}, {0, 0}};  // [received][v4]
  for (std::size_t i = 0; i < snap.counters.size() && i < v4_.size(); ++i) {
    if (generic_[i] == 0) sums[received_[i]][v4_[i]] += snap.counters[i];
  }
  const auto uptime_ms = static_cast<std::uint64_t>(snap.uptime_ms > 0 ? snap.uptime_ms : 0);

  out.clear();
  if (snap.fault == Fault::absent) return;
  if (out.capacity() < text_size_ + segments_.size() * 8) out.reserve(text_size_ + segments_.size() * 8);
  char digits[24];
  const auto faulted = [&snap](const Segment& s) {
    return s.value.source == Source::counter &&
           std::find(snap.fault_series.begin(), snap.fault_series.end(), s.value.index) != snap.fault_series.end();
  };
  for (const Segment& s : segments_) {
    if (snap.fault == Fault::hide && faulted(s)) {
      // Leave the sample line out: a segment's text ends with the start of its own line.
      const std::size_t line_start = s.text.rfind('\n');
      out.append(s.text, 0, line_start == std::string::npos ? 0 : line_start);
      continue;
    }
    out += s.text;
    std::uint64_t x = 0;
    switch (s.value.source) {
      case Source::constant: x = 0; break;
      case Source::counter: x = s.value.index < snap.counters.size() ? snap.counters[s.value.index] : 0; break;
      case Source::uptime_s: x = uptime_ms / 1000; break;
      case Source::uptime_ms: x = uptime_ms; break;
      case Source::sent_v4: x = sums[0][1]; break;
      case Source::sent_v5: x = sums[0][0]; break;
      case Source::sent_all: x = sums[0][0] + sums[0][1]; break;
      case Source::received_v4: x = sums[1][1]; break;
      case Source::received_v5: x = sums[1][0]; break;
      case Source::received_all: x = sums[1][0] + sums[1][1]; break;
    }
    const std::uint64_t v = s.value.add + x * s.value.mul / s.value.div;
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    (void)ec;  // 24 bytes always hold a 64-bit number
    out.append(digits, end);
    if (snap.fault == Fault::corrupt && faulted(s)) out += "oops";  // not a number: a malformed line
  }
  out += tail_;
}

}  // namespace vmq::sim
