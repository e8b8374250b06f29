// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzzes the protocol writer's sanitising. Property: whatever text the plugin hands the writer
// (job names, node names, reason codes from the scrape), every line it writes parses
// under the strict Netdata 1.37 validator. The calls follow the protocol's order (CHART, its
// DIMENSIONs and labels, then BEGIN/SET/END), as JobCharts makes them; only the words are fuzzed.
//
// Input: a control byte (chart, chart type, values, BEGIN's usec), then fields separated by
// '\x01': the chart type (a job name), five unused fields, the node label value, then any number
// of dimension ids (reason codes).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netdata_validator.h"
#include "vmq/netdata_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> f;
  while (true) {
    const std::size_t sep = rest.find('\x01');
    f.emplace_back(rest.substr(0, sep));
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 1);
  }
  while (f.size() < 8) f.emplace_back();

  static constexpr std::string_view kChartTypes[] = {"line", "area", "stacked"};
  // Titles, units, family and context are constants of the code, never data: not fuzzed.
  vmq::ChartLine c;
  const bool reason_chart = (control >> 3) & 1;
  c.type = f[0];
  c.id = reason_chart ? "mqtt_puback_sent_reason" : "mqtt_puback";
  c.title = reason_chart ? "MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute" : "MQTT 3.1.1 and 5 QoS 1 PUBACK";
  c.units = reason_chart ? "packets" : "packets/s";
  c.family = "mqtt publish";
  c.context = reason_chart ? "vernemq.mqtt_puback_sent_reason" : "vernemq.mqtt_puback";
  c.chart_type = kChartTypes[control % 3];
  c.priority = 70000 + (control >> 2);
  c.update_every = 1 + (control >> 4);

  // Dimensions: as JobCharts does, one per distinct sanitised id.
  std::vector<std::string> dims;
  std::set<std::string> seen;
  for (std::size_t i = 7; i < f.size() && dims.size() < 32; ++i) {
    if (seen.insert(vmq::sanitize_id(f[i])).second) dims.push_back(f[i]);
  }
  if (dims.empty()) dims.emplace_back("success");

  std::string out;
  vmq::ProtocolWriter w(out);
  for (int round = 0; round < 2; ++round) {  // a re-sent definition (a new dimension) too
    w.chart(c);
    for (const std::string& d : dims)
      w.dimension(vmq::DimensionLine{d, (control & 1) ? "incremental" : "absolute", (control & 2) ? -1 : 1, 1});
    w.clabel("node", f[6]);
    w.clabel("_collect_job", f[0]);
    w.clabel_commit();
  }
  for (int tick = 0; tick < 3; ++tick) {
    w.begin(c.type, c.id, tick == 0 ? std::nullopt : std::optional<std::uint64_t>(control * 1000003ULL * tick));
    // Any int64, negatives and both extremes included (unsigned arithmetic wraps, by design).
    std::uint64_t v =
        static_cast<std::uint64_t>(control) * 7919u + static_cast<std::uint64_t>(tick) * 0x9E3779B97F4A7C15u;
    for (const std::string& d : dims) {
      w.set(d, tick == 1 ? std::nullopt : std::optional<std::int64_t>(static_cast<std::int64_t>(v)));
      v = v * 31u + 17u;
    }
    w.end();
  }
  w.keepalive();

  vmq::testing::NetdataValidator validator;
  validator.feed(out);
  validator.finish();
  if (!validator.ok()) {
    std::fprintf(stderr, "%s\n--- output:\n%s\n", validator.error_report().c_str(), out.c_str());
    std::abort();
  }
  return 0;
}
