// SPDX-License-Identifier: GPL-3.0-or-later
// The catalogue as data: its rows are consistent, it covers what a real VerneMQ 2.0.1 exports,
// and every chart it defines shows, for two real consecutive scrapes, the numbers computed here
// by hand from the two bodies (a parser and the arithmetic of this file, not the plugin's).
#include "vmq/catalogue.h"
#include "vmq/netdata_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "chart_model.h"
#include "test_files.h"
#include "vmq/chart_reference.h"
#include "vmq/job_charts.h"
#include "vmq/vernemq_metrics.h"

namespace vmq {
namespace {

using catalogue::Algo;

TEST(Catalogue, RowsAreConsistent) {
  std::set<std::string_view> ids, families;
  std::set<long> priorities;
  for (const catalogue::Family& f : catalogue::families()) {
    EXPECT_TRUE(families.insert(f.name).second) << "family twice: " << f.name;
    EXPECT_EQ(catalogue::find_family(f.name).has_value(), true) << f.name;
  }
  std::set<std::string_view> read;
  for (const catalogue::Chart& c : catalogue::charts()) {
    EXPECT_TRUE(ids.insert(c.id).second) << "chart twice: " << c.id;
    EXPECT_TRUE(priorities.insert(c.priority).second) << "priority twice: " << c.id;
    EXPECT_GE(c.priority, 70000) << c.id;
    EXPECT_LE(c.id.size() + 1 + JobCharts::kMaxTypeLength, 199u) << c.id;  // 1.37 keeps 199 of "type.id"
    EXPECT_FALSE(c.dims.empty()) << c.id;
    // The writer copies chart and dimension ids as they are (ProtocolWriter::begin_clean/set_clean).
    EXPECT_EQ(sanitize_id(c.id), c.id);
    for (const catalogue::Dim& d : c.dims) {
      if (c.split.empty()) {
        EXPECT_EQ(sanitize_id(d.id), d.id) << c.id;  // a split chart's come from sanitize_id
      }
    }
    EXPECT_TRUE(c.type == "line" || c.type == "area" || c.type == "stacked") << c.id;
    // A count chart's title says what it counts, in the last minute; a rate's units say "/s".
    if (c.algo == Algo::count) {
      EXPECT_NE(std::string(c.title).find("Last Minute"), std::string::npos) << c.id;
    }
    if (c.algo == Algo::quantile) {
      for (const catalogue::Dim& d : c.dims) {
        EXPECT_TRUE(catalogue::quantile_of(d.id).has_value()) << c.id << " " << d.id;
        EXPECT_EQ(catalogue::families()[*catalogue::find_family(d.family)].type, catalogue::FamilyType::histogram)
            << c.id;
      }
    }
    if (c.algo == Algo::ratio) {
      EXPECT_NE(std::string(c.title).find("Last 5 Minutes"), std::string::npos) << c.id;
      EXPECT_EQ(c.units, "percentage") << c.id;
      ASSERT_EQ(c.dims.size(), 2u) << c.id;
      EXPECT_TRUE(!c.dims[0].denominator && c.dims[1].denominator && c.dims[0].id == c.dims[1].id) << c.id;
    } else {
      for (const catalogue::Dim& d : c.dims) EXPECT_FALSE(d.denominator) << c.id;
    }
    if (c.algo == Algo::rate) {
      EXPECT_TRUE(c.units.ends_with("/s") || c.units == "percentage") << c.id;
    }
    if (c.algo != Algo::rate) {
      EXPECT_FALSE(c.units.ends_with("/s")) << c.id;
    }
    for (const catalogue::Dim& d : c.dims) {
      ASSERT_TRUE(catalogue::find_family(d.family).has_value()) << c.id << ": no family " << d.family;
      read.insert(d.family);
      // Events are never subtracted: a count or rate of "a minus b" means nothing.
      if (c.algo != Algo::gauge) {
        EXPECT_EQ(d.sign, 1) << c.id;
      }
      EXPECT_GE(d.divisor, 1) << c.id;
    }
    if (!c.split.empty()) {
      // Several dims are summed per value: none may have an id of its own to show.
      for (const catalogue::Dim& d : c.dims) EXPECT_TRUE(d.id.empty()) << c.id;
      EXPECT_TRUE(c.dims.size() == 1 || c.known.empty()) << c.id;
      // Reason codes are declared; other labels (SWC groups) are what the broker sends.
      EXPECT_EQ(c.known.empty(), c.split != "reason_code" && c.split != "return_code") << c.id;
      for (std::string_view f : c.failures) {
        EXPECT_NE(std::find(c.known.begin(), c.known.end(), f), c.known.end()) << c.id << ": " << f;
      }
    }
  }
  // No dead rows: every family is read by some chart.
  for (const catalogue::Family& f : catalogue::families()) EXPECT_TRUE(read.count(f.name)) << f.name;
  // The founding chart is as it always was.
  const auto founding = catalogue::find_chart("mqtt_puback_sent_reason");
  ASSERT_TRUE(founding.has_value());
  EXPECT_EQ(catalogue::charts()[*founding].algo, Algo::count);
  EXPECT_EQ(catalogue::context_of(catalogue::charts()[*founding]), "vernemq.mqtt_puback_sent_reason");
}

TEST(Catalogue, AFamilyNamedAfterAnInstanceIsFoundWithIt) {
  const auto out0 = catalogue::find_family("vmq_bridge_publish_out_0");
  ASSERT_TRUE(out0.has_value());
  EXPECT_EQ(catalogue::families()[*out0].named_by, "bridge");
  const auto br = catalogue::find_named_family("br0_vmq_bridge_publish_out_0");
  ASSERT_TRUE(br.has_value());
  EXPECT_EQ(br->family, *out0);
  EXPECT_EQ(br->instance, "br0");
  const auto underscored = catalogue::find_named_family("edge_site_1_vmq_bridge_publish_in_2");
  ASSERT_TRUE(underscored.has_value());
  EXPECT_EQ(catalogue::families()[underscored->family].name, "vmq_bridge_publish_in_2");
  EXPECT_EQ(underscored->instance, "edge_site_1");
  EXPECT_FALSE(catalogue::find_named_family("vmq_bridge_publish_out_0").has_value());   // no instance
  EXPECT_FALSE(catalogue::find_named_family("_vmq_bridge_publish_out_0").has_value());  // an empty one
  EXPECT_FALSE(catalogue::find_named_family("br0vmq_bridge_publish_out_0").has_value());
  EXPECT_FALSE(catalogue::find_named_family("br0_vmq_bridge_dropped_msgs").has_value());  // not named after one
  EXPECT_FALSE(catalogue::find_named_family("br0_mqtt_publish_error").has_value());
}

TEST(Catalogue, UnsuccessfulMeansCodesOf0x80AndAbove) {
  // MQTT 5 (section 2.4): codes below 0x80 are successes. no_matching_subscribers is 0x10.
  const catalogue::Chart& c = catalogue::charts()[*catalogue::find_chart("mqtt_puback_sent_reason")];
  const std::set<std::string_view> failures(c.failures.begin(), c.failures.end());
  EXPECT_EQ(failures, (std::set<std::string_view>{"unspecified_error", "impl_specific_error", "not_authorized",
                                                  "topic_name_invalid", "packet_id_in_use", "quota_exceeded",
                                                  "payload_format_invalid"}));
  const catalogue::Chart& v4 = catalogue::charts()[*catalogue::find_chart("mqtt_connack_sent_return_code")];
  EXPECT_EQ(v4.failures.size(), 5u);  // every MQTT 3.1.1 return code but 0
  EXPECT_EQ(std::find(v4.failures.begin(), v4.failures.end(), "success"), v4.failures.end());
}

TEST(Catalogue, LabelTextHelpers) {
  const std::string labels = std::string("mqtt_version=5") + catalogue::kLabelSeparator + "reason_code=a=b";
  EXPECT_EQ(catalogue::label_value(labels, "reason_code"), std::optional<std::string_view>("a=b"));
  EXPECT_EQ(catalogue::label_value(labels, "mqtt_version"), std::optional<std::string_view>("5"));
  EXPECT_FALSE(catalogue::label_value(labels, "mqtt").has_value());
  EXPECT_TRUE(catalogue::labels_match(labels, "mqtt_version=5"));
  EXPECT_FALSE(catalogue::labels_match(labels, "mqtt_version=4"));
  EXPECT_TRUE(catalogue::labels_match(labels, ""));
  EXPECT_FALSE(catalogue::labels_match("", "mqtt_version=5"));
}

// ---- An independent reading of a body: name (without prefix) → its series -------------------

struct Line {
  std::map<std::string, std::string> labels;
  double value = 0;
};
using Body = std::map<std::string, std::vector<Line>>;

Body read_body(const std::string& text, const std::string& prefix) {
  Body b;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t brace = line.find('{');
    const std::size_t close = line.find('}');
    EXPECT_NE(brace, std::string::npos) << line;
    std::string name = line.substr(0, brace);
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
    Line l;
    std::string inner = line.substr(brace + 1, close - brace - 1);
    // VerneMQ's label values hold no commas or quotes: split on them.
    std::istringstream pairs(inner);
    std::string pair;
    while (std::getline(pairs, pair, ',')) {
      const std::size_t eq = pair.find('=');
      l.labels[pair.substr(0, eq)] = pair.substr(eq + 2, pair.size() - eq - 3);
    }
    l.value = std::stod(line.substr(close + 2));
    b[name].push_back(l);
  }
  return b;
}

bool matches(const Line& l, std::string_view match) {
  if (match.empty()) return true;
  const std::size_t eq = match.find('=');
  const auto it = l.labels.find(std::string(match.substr(0, eq)));
  return it != l.labels.end() && it->second == match.substr(eq + 1);
}

// Prometheus' histogram_quantile() (tests/support/chart_model.h) over the buckets' increase from
// `a` to `b`.
std::optional<long long> quantile(const Body& a, const Body& b, const std::string& family, double q) {
  std::map<double, double> inc;  // le → increase
  for (const auto* body : {&b, &a}) {
    const auto it = body->find(family + "_bucket");
    if (it == body->end()) return std::nullopt;
    for (const Line& l : it->second) {
      const std::string& le = l.labels.at("le");
      inc[le == "+Inf" ? INFINITY : std::stod(le)] += body == &b ? l.value : -l.value;
    }
  }
  const std::optional<double> v = testing::histogram_quantile(inc, q);
  if (!v) return std::nullopt;
  return std::llround(*v);
}

// What the chart's dimension should show, from the two bodies `dt` seconds apart.
std::map<std::string, std::optional<long long>> expected(const catalogue::Chart& c, const Body& a, const Body& b,
                                                         double dt) {
  if (c.algo == Algo::quantile) {
    std::map<std::string, std::optional<long long>> out;
    for (const catalogue::Dim& d : c.dims) {
      out[std::string(d.id)] = quantile(a, b, std::string(d.family), *catalogue::quantile_of(d.id));
    }
    return out;
  }
  std::map<std::string, double> value, per;
  std::map<std::string, bool> seen;
  for (const catalogue::Dim& d : c.dims) {
    const auto sum = [&](const Body& body, const std::string& label_value) {
      double s = 0;
      const auto it = body.find(std::string(d.family));
      if (it == body.end()) return s;
      for (const Line& l : it->second) {
        if (!matches(l, d.match)) continue;
        if (!d.among_label.empty()) {
          const auto v = l.labels.find(std::string(d.among_label));
          if (v == l.labels.end() || std::find(d.among.begin(), d.among.end(), v->second) == d.among.end()) continue;
        }
        if (!c.split.empty()) {
          const auto v = l.labels.find(std::string(c.split));
          if (v == l.labels.end() || v->second != label_value) continue;
        }
        s += l.value;
      }
      return s;
    };
    std::vector<std::string> keys;
    if (c.split.empty()) {
      keys.emplace_back(d.id);
    } else if (!c.known.empty()) {
      for (std::string_view k : c.known) keys.emplace_back(k);
    } else if (const auto it = b.find(std::string(d.family)); it != b.end()) {
      for (const Line& l : it->second) {
        if (const auto v = l.labels.find(std::string(c.split)); v != l.labels.end()) keys.push_back(v->second);
      }
    }
    for (const std::string& k : keys) {
      const std::string label_value = c.split.empty() ? std::string() : k;
      const double va = sum(a, label_value), vb = sum(b, label_value);
      if (b.count(std::string(d.family))) seen[k] = true;
      switch (c.algo) {
        case Algo::gauge: value[k] += d.sign * vb; break;
        case Algo::count: value[k] += vb - va; break;
        case Algo::rate: value[k] += (vb - va) / dt * kRateScale; break;
        case Algo::ratio: (d.denominator ? per : value)[k] += vb - va; break;
        case Algo::quantile: break;  // above
      }
    }
  }
  std::map<std::string, std::optional<long long>> out;
  for (const auto& [k, v] : value) {
    if (c.algo == Algo::ratio) {
      // VerneMQ's rules: increase(errors) / clamp_min(increase(total), 1), here in percent.
      out[k] = std::llround(std::floor(100.0 * v / std::max(per[k], 1.0) * kRateScale + 0.5));
    } else if (c.algo == Algo::count) {
      out[k] = std::llround(v);  // a count has a value even for a family the body lacks
    } else if (seen[k]) {
      out[k] = std::llround(std::floor(v + 0.5));
    } else {
      out[k] = std::nullopt;
    }
  }
  return out;
}

std::map<std::string, std::optional<long long>> sent(const std::string& out, const std::string& type,
                                                     std::string_view id) {
  return testing::sent_values(out, type, id);
}

// The real scrapes are in ../shared/captures, which CI has and a user's clone may not: there a
// test without them is skipped, in CI (CI set) it fails.
void no_captures() {
  if (std::getenv("CI") != nullptr) FAIL() << "../shared/captures is needed (CI is set)";
  GTEST_SKIP() << "../shared/captures is not here";
}

// Charts two consecutive bodies `ticks` seconds apart (one second a tick) and checks every chart
// against the model above: a chart exists exactly when the second body has one of its families,
// and each of its dimensions has the value expected(). Returns the protocol text of the second
// tick and how many charts were checked.
std::pair<std::string, std::size_t> check_every_chart(const std::string& a_text, const std::string& b_text,
                                                      const std::string& prefix, int ticks) {
  JobCharts charts("t", 1);
  VerneMQScrape scrape;
  std::string out;
  extract_vernemq(a_text, scrape);
  EXPECT_EQ(scrape.prefix, prefix);
  charts.on_success(scrape, 0, 0, out);
  out.clear();
  extract_vernemq(b_text, scrape);
  charts.on_success(scrape, ticks, ticks * 1'000'000LL, out);
  const Body a = read_body(a_text, prefix), b = read_body(b_text, prefix);

  std::size_t checked = 0;
  for (const catalogue::Chart& c : catalogue::charts()) {
    bool any_family = false;
    for (const catalogue::Dim& d : c.dims) {
      any_family = any_family || b.count(std::string(d.family)) || b.count(std::string(d.family) + "_bucket");
    }
    const auto got = sent(out, charts.type(), c.id);
    if (!any_family) {
      // A family the broker does not export makes no chart.
      EXPECT_TRUE(got.empty()) << c.id;
      EXPECT_FALSE(charts.has_chart(c.id)) << c.id;
      continue;
    }
    EXPECT_FALSE(got.empty()) << c.id << " not sent";
    const auto want = expected(c, a, b, ticks);
    for (const auto& [dim, v] : want) {
      const auto it = got.find(dim);
      if (it == got.end()) {
        ADD_FAILURE() << c.id << "." << dim << " not sent";
        continue;
      }
      EXPECT_EQ(it->second, v) << c.id << "." << dim;
    }
    ++checked;
  }
  return {out, checked};
}

TEST(Catalogue, EveryChartShowsWhatTwoRealScrapesSay) {
  const auto a_text = testing::capture("live-2.0.1-traffic-a.txt");
  const auto b_text = testing::capture("live-2.0.1-traffic-b.txt");
  if (!a_text || !b_text) return no_captures();
  // The two scrapes were 5.1 s apart (the capture's README; system_wallclock 13597 → 18705):
  // they are charted 5 ticks apart at one second a tick.
  constexpr int kTicks = 5;
  const auto [out, checked] = check_every_chart(*a_text, *b_text, "vernemq_", kTicks);
  const std::string type = JobCharts::type_for("t");
  // The capture's own notes, as a spot check of the model above: 10 more PUBACK success and 3
  // more not_authorized sent; 13 sockets opened.
  EXPECT_EQ(sent(out, type, "mqtt_puback_sent_reason").at("success"), 10);
  EXPECT_EQ(sent(out, type, "mqtt_puback_sent_reason").at("not_authorized"), 3);
  EXPECT_EQ(sent(out, type, "socket_operations").at("open"), 13 * kRateScale / kTicks);
  EXPECT_GE(checked, 60u);  // every chart a 2.0.1 broker has data for
}

// A second scrape of a one-scrape capture, `ticks` seconds later, written by the test: every
// counter of a catalogue family advanced by a delta of its own (a hash of its line, 0 to 39; some
// stay), every histogram bucket by a delta that grows with its bound (so the buckets stay
// cumulative), every gauge moved, system_wallclock advanced by the elapsed time.
std::string advance(const std::string& text, const std::string& prefix, int ticks) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    const std::size_t brace = line.find('{'), space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || brace == std::string::npos || space == std::string::npos) {
      out += line + "\n";
      continue;
    }
    std::string name = line.substr(0, brace);
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
    const unsigned long long v = std::stoull(line.substr(space + 1));
    unsigned long long delta = 0;
    std::uint32_t h = 2166136261u;  // FNV-1a of the line
    for (const char c : line) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    if (name.ends_with("_bucket") && catalogue::find_family(name.substr(0, name.size() - 7))) {
      const std::size_t le = line.find("le=\"") + 4;
      const std::string bound = line.substr(le, line.find('"', le) - le);
      // 3 per decade of the bound (1..10: 6, 10..100: 9, …), at most 30, +Inf 30.
      const double decade = std::floor(std::log10(std::max(bound == "+Inf" ? 1e9 : std::stod(bound), 1.0)));
      delta = static_cast<unsigned long long>(std::min(30.0, 3 * (decade + 2)));
    } else if (name == "system_wallclock") {
      delta = static_cast<unsigned long long>(ticks) * 1000;
    } else if (const auto f = catalogue::find_family(name)) {
      delta = catalogue::families()[*f].type == catalogue::FamilyType::gauge ? h % 9 : h % 40;
    }
    out += line.substr(0, space + 1) + std::to_string(v + delta) + "\n";
  }
  return out;
}

TEST(Catalogue, EveryChartShowsWhatTwoScrapesOf1_10Say) {
  const auto a_text = testing::capture("vernemq-1.10.1.txt");
  if (!a_text) return no_captures();
  constexpr int kTicks = 7;
  const std::string b_text = advance(*a_text, "", kTicks);
  ASSERT_NE(b_text, *a_text);
  const auto [out, checked] = check_every_chart(*a_text, b_text, "", kTicks);
  // 1.10 has neither the connection gauges (1.13) nor the 2.0 histograms and SWC gauges.
  const std::string type = JobCharts::type_for("t");
  EXPECT_TRUE(sent(out, type, "connections").empty());
  EXPECT_TRUE(sent(out, type, "storage_read_latency").empty());
  EXPECT_FALSE(sent(out, type, "mqtt_puback_sent_reason").empty());
  EXPECT_GE(checked, 50u);
}

TEST(Catalogue, EveryChartShowsWhatTwoScrapesWithoutANamespaceSay) {
  // VerneMQ 2.0.1 with prometheus_namespace = "": 2.x families under 1.x-style names.
  const auto a_text = testing::capture("live-2.0.1-no-namespace.txt");
  if (!a_text) return no_captures();
  constexpr int kTicks = 3;
  const std::string b_text = advance(*a_text, "", kTicks);
  ASSERT_NE(b_text, *a_text);
  const auto [out, checked] = check_every_chart(*a_text, b_text, "", kTicks);
  const std::string type = JobCharts::type_for("t");
  EXPECT_FALSE(sent(out, type, "storage_read_latency").empty());
  EXPECT_FALSE(sent(out, type, "connections").empty());
  EXPECT_GE(checked, 60u);
}

TEST(Catalogue, CoversEveryFamilyARealBrokerExports) {
  const auto text = testing::capture("live-2.0.1-all-reason-codes.txt");
  if (!text) return no_captures();
  // Left out on purpose (the catalogue says which and why).
  std::set<std::string> left_out;
  for (const catalogue::LeftOut& l : catalogue::left_out()) left_out.emplace(l.name);
  std::istringstream in(*text);
  std::string line;
  std::set<std::string> missing;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    name = name.substr(std::string("vernemq_").size());
    if (left_out.count(name) || name.starts_with(catalogue::kSchedulerGaugePrefix)) continue;
    if (!catalogue::find_family(name)) missing.insert(name);
    const auto f = catalogue::find_family(name);
    // system_wallclock is a counter of milliseconds that the catalogue reads as a level (uptime).
    if (f && name != "system_wallclock") {
      const auto t = catalogue::families()[*f].type;
      EXPECT_EQ(t == catalogue::FamilyType::counter ? "counter"
                : t == catalogue::FamilyType::gauge ? "gauge"
                                                    : "histogram",
                type)
          << name;
    }
  }
  EXPECT_TRUE(missing.empty()) << "not in the catalogue: " << ::testing::PrintToString(missing);
}

TEST(Catalogue, ReasonCodesAreTheOnesARealBrokerDeclares) {
  const auto text = testing::capture("live-2.0.1-all-reason-codes.txt");
  if (!text) return no_captures();
  const Body body = read_body(*text, "vernemq_");
  std::size_t lists = 0;
  for (const auto& [family, lines] : body) {
    for (const char* label : {"reason_code", "return_code"}) {
      std::vector<std::string> codes;
      for (const Line& l : lines) {
        if (const auto it = l.labels.find(label); it != l.labels.end()) codes.push_back(it->second);
      }
      if (codes.empty()) continue;
      const auto declared = catalogue::reason_codes(family, std::string(label) == "return_code" ? 4 : 5);
      EXPECT_EQ(codes, std::vector<std::string>(declared.begin(), declared.end())) << family << " " << label;
      ++lists;
    }
  }
  EXPECT_EQ(lists, 14u);
}

TEST(Catalogue, TheReadmesChartTableIsTheCatalogues) {
  const std::string readme = testing::read_file(std::string(VMQ_SOURCE_DIR) + "/README.md");
  const std::string begin = "<!-- charts:begin -->\n", end = "<!-- charts:end -->";
  const std::size_t b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const std::string table = readme.substr(b + begin.size(), e - b - begin.size());
  // The first line that differs, not two whole tables.
  std::istringstream have(table), want(chart_reference_markdown());
  std::string h, w;
  for (int line = 1; std::getline(want, w); ++line) {
    const bool more = static_cast<bool>(std::getline(have, h));
    ASSERT_TRUE(more && h == w) << "README.md's chart table, line " << line << ", differs from the catalogue's:\n  "
                                << (more ? h : "(missing)") << "\nwant:\n  " << w
                                << "\nRun scripts/readme-charts.sh to update it.";
  }
  EXPECT_FALSE(std::getline(have, h)) << "README.md's chart table has an extra line: " << h;
  // Every chart has its row.
  for (const catalogue::Chart& c : catalogue::charts()) {
    EXPECT_NE(table.find("| `" + std::string(c.id) + "` "), std::string::npos) << c.id;
  }
}

}  // namespace
}  // namespace vmq
