// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/netdata_writer.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cstdlib>
#include <string>
#include <string_view>

namespace vmq {
namespace {

TEST(Sanitize, IdsKeepOnlySafeCharacters) {
  EXPECT_EQ(sanitize_id("not_authorized"), "not_authorized");
  EXPECT_EQ(sanitize_id("local-1"), "local-1");
  EXPECT_EQ(sanitize_id("a b=c'd\"e\nf.g\th"), "a_b_c_d_e_f_g_h");
  EXPECT_EQ(sanitize_id(""), "_");
  EXPECT_EQ(sanitize_id("d\xC3\xA9j"), "d__j");
  EXPECT_EQ(sanitize_id(std::string(500, 'x')).size(), 100u);
}

TEST(Sanitize, TextKeepsSpacesButNoQuotesOrControls) {
  EXPECT_EQ(sanitize_text("VerneMQ@10.0.0.1"), "VerneMQ@10.0.0.1");
  EXPECT_EQ(sanitize_text("a 'b' \"c\" = \\d\ne\r\x01"), "a _b_ _c_ = _d_e__");
  EXPECT_EQ(sanitize_text(std::string(500, 'y')).size(), 200u);
}

TEST(ProtocolWriter, GoldenLines) {
  std::string out;
  ProtocolWriter w(out);
  w.chart(ChartLine{"vernemq_local", "mqtt_puback", "MQTT 3.1.1 and 5 QoS 1 PUBACK", "packets/s", "mqtt publish",
                    "vernemq.mqtt_puback", "line", 70101, 5});
  w.dimension(DimensionLine{"sent", "incremental", -1, 1});
  w.clabel("node", "VerneMQ@127.0.0.1");
  w.clabel("_collect_job", "");
  w.clabel_commit();
  w.begin("vernemq_local", "mqtt_puback", std::nullopt);
  w.set("sent", 0);
  w.end();
  w.begin("vernemq_local", "mqtt_puback", 1000000);
  w.set("sent", std::nullopt);
  w.set("big", INT64_MAX);
  w.set("neg", -7);
  w.end();
  w.keepalive();
  w.disable();
  EXPECT_EQ(out,
            "CHART vernemq_local.mqtt_puback '' 'MQTT 3.1.1 and 5 QoS 1 PUBACK' 'packets/s' 'mqtt publish' "
            "'vernemq.mqtt_puback' 'line' 70101 5 '' 'vernemq.plugin' 'vernemq'\n"
            "DIMENSION sent sent incremental -1 1 ''\n"
            "CLABEL node 'VerneMQ@127.0.0.1' 1\n"
            "CLABEL _collect_job 'unknown' 1\n"
            "CLABEL_COMMIT\n"
            "BEGIN vernemq_local.mqtt_puback\n"
            "SET sent = 0\n"
            "END\n"
            "BEGIN vernemq_local.mqtt_puback 1000000\n"
            "SET sent = \n"
            "SET big = 9223372036854775807\n"
            "SET neg = -7\n"
            "END\n"
            "\n"
            "DISABLE\n");
}

TEST(ProtocolWriter, HostileWordsCannotBreakOrInjectLines) {
  std::string out;
  ProtocolWriter w(out);
  const std::string evil = "x' 'y\nDISABLE\nSET a = 1 \"";
  w.chart(ChartLine{evil, evil, evil, evil, evil, evil, "stacked", 1, 1});
  w.dimension(DimensionLine{evil, "absolute", 1, 1});
  w.clabel(evil, evil);
  w.begin(evil, evil, 1);
  w.set(evil, 1);
  w.end();
  // Exactly one line per call, no quote inside a quoted word, no control characters.
  std::size_t lines = 0;
  for (char c : out) {
    if (c == '\n') ++lines;
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
  }
  EXPECT_EQ(lines, 6u);
  EXPECT_EQ(out.find("\nDISABLE"), std::string::npos);
  EXPECT_EQ(out.find('"'), std::string::npos);
}

// A health expression reads `$a-b` as `$a` minus `b`: a variable name never holds '-'.
TEST(ProtocolWriter, ChartVariablesAreOneLineWithANameAnExpressionCanRead) {
  std::string out;
  ProtocolWriter w(out);
  w.chart_variable("vernemq_memory_warn", 60000000);
  w.chart_variable("a-b c\nDISABLE", -3);
  EXPECT_EQ(out,
            "VARIABLE CHART vernemq_memory_warn = 60000000\n"
            "VARIABLE CHART a_b_c_DISABLE = -3\n");
}

TEST(ProtocolWriter, LabelValuesUseOnlyWhatNetdataStoresUnchanged) {
  std::string out;
  ProtocolWriter w(out);
  w.clabel("node", "a,b [c]  d!");
  w.clabel("node", " lead and trail ");
  w.clabel("node", "VerneMQ@10.0.0.1 (eu-west/1) a+b:c");
  EXPECT_EQ(out,
            "CLABEL node 'a_b _c_ d_' 1\n"
            "CLABEL node 'lead and trail_' 1\n"
            "CLABEL node 'VerneMQ@10.0.0.1 (eu-west/1) a+b:c' 1\n");
}

TEST(ProtocolWriter, NumbersIgnoreTheLocale) {
  // A German locale (decimal comma, '.' grouping) must not change SET values. Without such a
  // locale this test would prove nothing: under CI (CI=true) that is a failure, elsewhere a skip
  // (scripts/install-deps.sh generates de_DE.UTF-8).
  const char* old = std::setlocale(LC_ALL, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  if (std::setlocale(LC_ALL, "de_DE.UTF-8") == nullptr) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
      FAIL() << "cannot set de_DE.UTF-8 (run scripts/install-deps.sh): the locale test would test nothing";
    }
    GTEST_SKIP() << "de_DE.UTF-8 is not installed (scripts/install-deps.sh generates it)";
  }
  // The locale is really in force: a locale-aware formatter would now write "1.234.567" and "1,5".
  const std::string thousands_sep = std::localeconv()->thousands_sep;
  const std::string decimal_point = std::localeconv()->decimal_point;
  std::string out;
  ProtocolWriter(out).set("x", 1234567);
  std::setlocale(LC_ALL, saved.c_str());
  EXPECT_EQ(thousands_sep, ".");
  EXPECT_EQ(decimal_point, ",");
  EXPECT_EQ(out, "SET x = 1234567\n");
}

}  // namespace
}  // namespace vmq
