// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/vernemq_metrics.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "vmq/prometheus_text.h"

namespace vmq {

namespace {

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

// Compares a raw (possibly escaped) label value with plain text without allocating.
bool raw_equals(const prom::Label& label, std::string_view plain, std::string& scratch) {
  if (!label.has_escapes) return label.raw_value == plain;
  scratch.clear();
  prom::append_unescaped(label.raw_value, scratch);
  return scratch == plain;
}

std::string_view unescaped(const prom::Label* label, std::string& scratch) {
  if (label == nullptr) return {};
  if (!label->has_escapes) return label->raw_value;
  scratch.clear();
  prom::append_unescaped(label->raw_value, scratch);
  return scratch;
}

class VerneMQSink final : public prom::SampleSink {
 public:
  explicit VerneMQSink(VerneMQScrape& out) : out_(out) {}

  // A new body: clears `out` (keeping its storage) and what was learnt from the previous body.
  void begin() {
    out_.is_vernemq = false;
    out_.prefix.clear();
    out_.n_nodes = 0;
    out_.lines = 0;
    out_.samples = 0;
    out_.problems_total = 0;
    out_.problems.clear();
    out_.found_names.clear();
    out_.rejected.clear();
    out_.unterminated = false;
    filters_ = {};
    found_count_ = 0;
    last_found_at_ = 0;
  }

  void end(const prom::ParseStats& stats) {
    out_.lines = stats.lines;
    out_.unterminated = stats.unterminated;
  }

  bool wants(std::string_view name) override {
    if (!out_.is_vernemq) {
      if (detect(name, kPubackSent) || detect(name, kPubackReceived) || detect(name, kPublishError)) {
        set_filter_after_detection();
      } else {
        note_found(name);
        return false;
      }
    }
    return is_prefixed(name, kPubackSent) || is_prefixed(name, kPubackReceived) ||
           is_prefixed(name, kSystemWallclock) || is_prefixed(name, kTotalActiveConnections);
  }

  // Which lines the parser must read (prom::SampleSink::line_filters). Every charted line holds
  // PREFIX + "mqtt_puback_", PREFIX + "system_wallclock" or PREFIX + "total_active_connections",
  // so once the prefix is known every
  // other line is only counted, and every line that holds one (any charted sample, well-formed
  // or not, and the few others that contain it) is parsed and checked in full. Before that,
  // every line is read until a few names are noted for the "not VerneMQ" message, then only
  // lines holding "mqtt_pub", which every name that identifies VerneMQ contains.
  std::span<const std::string_view> line_filters() override {
    if (out_.is_vernemq) return filters_;
    if (found_count_ < kFoundNamesKept) return {};
    return std::span<const std::string_view>(&kDetectFilter, 1);
  }

  void on_sample(const prom::Sample& s) override {
    // Per-node values that only inform (restart detection, the `vernemq` Function): a bad one is
    // reported and ignored, never fatal to the scrape.
    if (is_prefixed(s.name, kTotalActiveConnections)) {
      return node_value(s, "connections", &NodeMetrics::connections, &NodeMetrics::has_connections);
    }
    if (is_prefixed(s.name, kSystemWallclock)) {
      return node_value(s, "milliseconds", &NodeMetrics::wallclock_ms, &NodeMetrics::has_wallclock);
    }
    const bool sent = is_prefixed(s.name, kPubackSent);
    if (!s.value.is_u64) {
      // A counter that is negative, fractional, NaN or beyond 64 bits cannot be turned into a
      // true count: the whole scrape is refused rather than charting a made-up number.
      problem(s, "has a value that is not a non-negative 64-bit integer counter");
      if (out_.rejected.empty()) out_.rejected = out_.problems.empty() ? "bad counter value" : out_.problems.back();
      return;
    }
    NodeMetrics* node = find_node(unescaped(s.label(kLabelNode), node_scratch_), s);
    if (node == nullptr) return;
    ++out_.samples;
    const std::uint64_t v = s.value.as_u64;
    if (!sent) {
      node->received_total_add(v);
      return;
    }
    const prom::Label* version = s.label(kLabelMqttVersion);
    const prom::Label* reason = s.label(kLabelReasonCode);
    if (version != nullptr && reason != nullptr && raw_equals(*version, "5", version_scratch_)) {
      const std::string_view reason_text = unescaped(reason, reason_scratch_);
      for (std::size_t i = 0; i < node->n_reasons; ++i) {
        if (node->puback_sent_v5[i].reason == reason_text) {
          problem(s, "repeats a series already seen (same node and reason_code); the repeat is ignored");
          return;
        }
      }
      if (node->n_reasons == kMaxReasonsPerNode) {
        problem(s, "brings more than 128 reason codes for one node; the extra reason is dropped");
        return;
      }
      if (node->n_reasons == node->puback_sent_v5.size()) node->puback_sent_v5.emplace_back();
      ReasonCount& rc = node->puback_sent_v5[node->n_reasons++];
      rc.reason.assign(reason_text);
      rc.value = v;
    }
    node->sent_total_add(v);
  }

  void on_error(const prom::ParseError& e) override {
    ++out_.problems_total;
    if (out_.problems.size() < kMaxProblemsKept) out_.problems.push_back(prom::format_error(e));
  }

 private:
  static constexpr std::size_t kFoundNamesKept = 5;
  static constexpr std::string_view kPubackFamilies = "mqtt_puback_";  // common to both PUBACK names
  static constexpr std::string_view kDetectFilter = "mqtt_pub";
  // The filters hold at most this much of the prefix (its end): a substring of every charted
  // name whatever the prefix's length, kept in fixed buffers so extraction never allocates.
  static constexpr std::size_t kFilterPrefixMax = 48;

  bool detect(std::string_view name, std::string_view suffix) {
    if (!name.ends_with(suffix)) return false;
    out_.is_vernemq = true;
    out_.prefix.assign(name.substr(0, name.size() - suffix.size()));
    return true;
  }

  // PREFIX + suffix, compared without building the string.
  bool is_prefixed(std::string_view name, std::string_view suffix) const {
    return name.size() == out_.prefix.size() + suffix.size() && name.ends_with(suffix) && name.starts_with(out_.prefix);
  }

  void set_filter_after_detection() {
    const std::string_view prefix = out_.prefix;
    const std::string_view tail = prefix.substr(prefix.size() - std::min(prefix.size(), kFilterPrefixMax));
    const auto fill = [&](std::array<char, kFilterPrefixMax + 24>& buf, std::string_view suffix) {
      std::memcpy(buf.data(), tail.data(), tail.size());
      std::memcpy(buf.data() + tail.size(), suffix.data(), suffix.size());
      return std::string_view(buf.data(), tail.size() + suffix.size());
    };
    filters_[0] = fill(puback_filter_, kPubackFamilies);
    filters_[1] = fill(wallclock_filter_, kSystemWallclock);
    filters_[2] = fill(connections_filter_, kTotalActiveConnections);
  }

  void note_found(std::string_view name) {
    // A short list of what the body does hold, for the "not VerneMQ" message. (The previous
    // name is compared as stored: a streamed body's earlier pieces are gone.)
    name = name.substr(0, 80);
    if (found_count_ >= kFoundNamesKept ||
        (found_count_ > 0 && std::string_view(out_.found_names).substr(last_found_at_) == name)) {
      return;
    }
    if (!out_.found_names.empty()) out_.found_names += ", ";
    last_found_at_ = out_.found_names.size();
    out_.found_names.append(name);
    ++found_count_;
  }

  NodeMetrics* find_node(std::string_view name, const prom::Sample& s) {
    for (std::size_t i = 0; i < out_.n_nodes; ++i) {
      if (out_.nodes[i].node == name) return &out_.nodes[i];
    }
    if (out_.n_nodes == kMaxNodesPerJob) {
      problem(s, "brings more than 16 node names in one body; the extra node is dropped");
      return nullptr;
    }
    if (out_.n_nodes == out_.nodes.size()) out_.nodes.emplace_back();
    NodeMetrics& n = out_.nodes[out_.n_nodes++];
    n.node.assign(name);
    n.n_reasons = 0;
    n.puback_sent_total = 0;
    n.puback_received_total = 0;
    n.has_sent_total = false;
    n.has_received_total = false;
    n.has_wallclock = false;
    n.has_connections = false;
    return &n;
  }

  void node_value(const prom::Sample& s, const char* unit, std::uint64_t NodeMetrics::*value, bool NodeMetrics::*has) {
    if (!s.value.is_u64) {
      problem(s, ("has a value that is not a whole number of " + std::string(unit) + "; ignored").c_str());
      return;
    }
    if (NodeMetrics* node = find_node(unescaped(s.label(kLabelNode), node_scratch_), s)) {
      node->*value = s.value.as_u64;
      node->*has = true;
    }
  }

  void problem(const prom::Sample& s, const char* what) {
    ++out_.problems_total;
    if (out_.problems.size() < kMaxProblemsKept) {
      out_.problems.push_back("line " + std::to_string(s.line) + ": " + std::string(s.name) + " sample " + what);
    }
  }

  VerneMQScrape& out_;
  std::array<char, kFilterPrefixMax + 24> puback_filter_{};
  std::array<char, kFilterPrefixMax + 24> wallclock_filter_{};
  std::array<char, kFilterPrefixMax + 24> connections_filter_{};
  std::array<std::string_view, 3> filters_{};
  std::string node_scratch_;
  std::string version_scratch_;
  std::string reason_scratch_;
  std::size_t last_found_at_ = 0;  // where the last noted name starts in found_names
  std::size_t found_count_ = 0;
};

}  // namespace

void NodeMetrics::sent_total_add(std::uint64_t v) {
  puback_sent_total = saturating_add(puback_sent_total, v);
  has_sent_total = true;
}

void NodeMetrics::received_total_add(std::uint64_t v) {
  puback_received_total = saturating_add(puback_received_total, v);
  has_received_total = true;
}

void extract_vernemq(std::string_view body, VerneMQScrape& out) {
  VerneMQSink sink(out);
  sink.begin();
  sink.end(prom::parse(body, sink));
}

struct VerneMQStream::Impl {
  explicit Impl(VerneMQScrape& out) : sink(out) {}
  VerneMQSink sink;
  prom::StreamParser parser;
  bool begun = false;
};

VerneMQStream::VerneMQStream(VerneMQScrape& out) : impl_(std::make_unique<Impl>(out)) {}
VerneMQStream::~VerneMQStream() = default;

void VerneMQStream::begin() {
  impl_->sink.begin();
  impl_->parser.begin(impl_->sink);
  impl_->begun = true;
}

void VerneMQStream::feed(std::string_view piece) {
  if (impl_->begun) impl_->parser.feed(piece);
}

void VerneMQStream::finish() {
  if (!impl_->begun) begin();  // no body at all: an empty one
  impl_->sink.end(impl_->parser.finish());
  impl_->begun = false;
}

std::string not_vernemq_message(const VerneMQScrape& scrape) {
  std::string m =
      "not VerneMQ metrics: no metric named *mqtt_puback_sent, *mqtt_puback_received or "
      "*mqtt_publish_error";
  if (scrape.found_names.empty()) {
    m += scrape.lines == 0 ? " (the body is empty)" : " (no valid sample line found)";
  } else {
    m += "; found: " + scrape.found_names;
  }
  return m;
}

}  // namespace vmq
