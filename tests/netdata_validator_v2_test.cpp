// SPDX-License-Identifier: GPL-3.0-or-later
// The validator's Netdata v2 profile (netdata-v2.md §1-2), next to the 1.37 one: what each
// accepts and refuses, on hand-written streams; and NETDATA_VERSION parsing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netdata_validator.h"
#include "vmq/netdata_version.h"

namespace vmq::testing {
namespace {

const NetdataVersion k137 = NetdataVersion::v1_37();
const NetdataVersion kV2 = NetdataVersion::parse("v2.10.4");
const NetdataVersion kV26 = NetdataVersion::parse("v2.6.0");

const std::string kDef =
    "CHART t.c '' 'Title' 'units' 'fam' 'ctx.c' 'line' 1000 1\n"
    "DIMENSION a a absolute 1 1\n";
const std::string kTick = "BEGIN t.c\nSET a = 1\nEND\n";

// A v2 function reply, hand-written from netdata-v2.md §2.5.
const std::string kReply =
    "FUNCTION_RESULT_BEGIN 5f0c2a9e61d84b0f9a3c1d2e3f405162 200 application/json 1764633600\n"
    "{\"status\":200,\"type\":\"table\",\n"
    "\"data\":[[\"BEGIN t.c\"]]}\n"
    "FUNCTION_RESULT_END\n";

std::string words(int n) {
  std::string line = "CLABEL_COMMIT";  // any keyword: the word count is checked first
  for (int i = 1; i < n; ++i) line += " w";
  return line + "\n";
}

TEST(NetdataVersion, ParsesWhatEachNetdataSetsAndFallsBackTo137) {
  struct Case {
    const char* value;
    int major, minor, patch;
    bool from_env;
  };
  const std::vector<Case> cases = {
      {"v1.37.1", 1, 37, 1, true},
      {"v2.10.4", 2, 10, 4, true},
      {"v2.11.0-84-nightly", 2, 11, 0, true},
      {"2.0.0", 2, 0, 0, true},
      {nullptr, 1, 37, 0, false},
      {"", 1, 37, 0, false},
      {"nightly", 1, 37, 0, false},
      {"v2.10", 1, 37, 0, false},
      {"v2.-1.0", 1, 37, 0, false},
      {"v99999999999.0.0", 1, 37, 0, false},
  };
  for (const Case& c : cases) {
    const NetdataVersion v = NetdataVersion::parse(c.value);
    EXPECT_EQ(v.major, c.major) << (c.value ? c.value : "(null)");
    EXPECT_EQ(v.minor, c.minor) << (c.value ? c.value : "(null)");
    EXPECT_EQ(v.patch, c.patch) << (c.value ? c.value : "(null)");
    EXPECT_EQ(v.from_env, c.from_env) << (c.value ? c.value : "(null)");
  }
}

TEST(NetdataVersion, GatesByVersion) {
  EXPECT_FALSE(NetdataVersion::parse(nullptr).functions());
  EXPECT_FALSE(NetdataVersion::parse("v1.37.1").functions());
  EXPECT_FALSE(NetdataVersion::parse("v1.99.9").functions());
  EXPECT_TRUE(NetdataVersion::parse("v2.0.0").functions());
  EXPECT_TRUE(NetdataVersion::parse("v2.10.4").at_least(2, 10, 4));
  EXPECT_FALSE(NetdataVersion::parse("v2.10.4").at_least(2, 10, 5));
  EXPECT_TRUE(NetdataVersion::parse("v3.0.0").at_least(2, 11));
  EXPECT_EQ(NetdataVersion::parse("v2.10.4").max_words(), 30u);
  EXPECT_EQ(NetdataVersion::parse(nullptr).max_words(), 20u);
  EXPECT_EQ(NetdataVersion::parse("v2.10.4-3-gabc").text(), "v2.10.4");
}

TEST(NetdataValidatorV2, ThirtyWordsOnV2TwentyOn137) {
  // A 21-word line: too many for 1.37; the word count is the only complaint on v2 for 30.
  EXPECT_NE(validate_netdata_stream(words(21), k137).error_report().find("more than 20 words"), std::string::npos);
  EXPECT_EQ(validate_netdata_stream(words(21), kV2).error_report().find("more than"), std::string::npos);
  EXPECT_EQ(validate_netdata_stream(words(30), kV2).error_report().find("more than"), std::string::npos);
  EXPECT_NE(validate_netdata_stream(words(31), kV2).error_report().find("more than 30 words"), std::string::npos);
}

TEST(NetdataValidatorV2, FunctionResultIsFramedAndItsPayloadRecorded) {
  const NetdataValidator v = validate_netdata_stream(kDef + kTick + kReply + kTick, kV2);
  ASSERT_TRUE(v.ok()) << v.error_report();
  ASSERT_EQ(v.function_results().size(), 1u);
  const FunctionResult& r = v.function_results()[0];
  EXPECT_EQ(r.transaction, "5f0c2a9e61d84b0f9a3c1d2e3f405162");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.expires, 1764633600);
  EXPECT_EQ(r.body, "{\"status\":200,\"type\":\"table\",\n\"data\":[[\"BEGIN t.c\"]]}\n");
  // The payload's "BEGIN t.c" is not a data block: two ticks only.
  EXPECT_EQ(v.points().size(), 2u);
}

TEST(NetdataValidatorV2, FunctionResultOn137IsRefused) {
  const NetdataValidator v = validate_netdata_stream(kDef + kReply, k137);
  EXPECT_FALSE(v.ok());
  EXPECT_NE(v.error_report().find("FUNCTION_RESULT_BEGIN"), std::string::npos) << v.error_report();
}

TEST(NetdataValidatorV2, BadFramingIsReported) {
  struct Case {
    std::string stream;
    std::string error;
  };
  const std::vector<Case> cases = {
      {kDef + "BEGIN t.c\nSET a = 1\n" + kReply + "END\n", "inside BEGIN..END"},
      {kDef + "CLABEL x y 1\n" + kReply + "CLABEL_COMMIT\n", "before CLABEL_COMMIT"},
      {"FUNCTION_RESULT_BEGIN tx 200 application/json 0\n{}\n", "no FUNCTION_RESULT_END"},
      {"FUNCTION_RESULT_END\n", "without FUNCTION_RESULT_BEGIN"},
      {"FUNCTION_RESULT_BEGIN tx 2000 application/json 0\nFUNCTION_RESULT_END\n", "expected an HTTP status code"},
      {"FUNCTION_RESULT_BEGIN tx 200 json 0\nFUNCTION_RESULT_END\n", "expected a MIME type"},
      {"FUNCTION_RESULT_BEGIN tx 200\nFUNCTION_RESULT_END\n", "too few words"},
      {"BEGIN2 t.c\n", "streaming-only"},
      {"CHART_DEFINITION_END\n", "streaming-only"},
      {"#comment\n", "comment line"},
      {"HELLO\n", "unknown keyword 'HELLO'"},
  };
  for (const Case& c : cases) {
    const NetdataValidator v = validate_netdata_stream(c.stream, kV2);
    EXPECT_NE(v.error_report().find(c.error), std::string::npos) << c.stream << "\n" << v.error_report();
  }
}

TEST(NetdataValidatorV2, NewerKeywordsOnlyFromTheirVersion) {
  EXPECT_TRUE(validate_netdata_stream("PLUGIN_KEEPALIVE\n", kV2).ok());
  EXPECT_NE(validate_netdata_stream("PLUGIN_KEEPALIVE\n", kV26).error_report().find("arrived in Netdata v2.7"),
            std::string::npos);
  EXPECT_NE(validate_netdata_stream("FUNCTION_DEL x\n", kV2).error_report().find("arrived in Netdata v2.11"),
            std::string::npos);
  EXPECT_TRUE(validate_netdata_stream("FUNCTION_DEL x\n", NetdataVersion::parse("v2.11.0")).ok());
  EXPECT_TRUE(validate_netdata_stream("EXIT\n", kV2).ok());
  // 1.37 knows none of them.
  for (const char* k :
       {"PLUGIN_KEEPALIVE\n", "EXIT\n", "CONFIG x status running\n", "FUNCTION_PROGRESS x done all\n"}) {
    EXPECT_NE(validate_netdata_stream(k, k137).error_report().find("unknown keyword"), std::string::npos) << k;
  }
}

TEST(NetdataValidatorV2, FunctionRegistrationHasV2Arguments) {
  const std::string reg = "FUNCTION GLOBAL \"vernemq\" 10 \"VerneMQ nodes\" \"top\" \"any\" 100 0\n";
  const NetdataValidator v = validate_netdata_stream(reg, kV2);
  ASSERT_TRUE(v.ok()) << v.error_report();
  ASSERT_EQ(v.functions().size(), 1u);
  const FunctionDecl& f = v.functions()[0];
  EXPECT_TRUE(f.global);
  EXPECT_EQ(f.name, "vernemq");
  EXPECT_EQ(f.timeout, 10);
  EXPECT_EQ(f.help, "VerneMQ nodes");
  EXPECT_EQ(f.tags, "top");
  EXPECT_EQ(f.access, "any");
  EXPECT_EQ(f.priority, 100);
  // 1.37 reads only the first words: this project never sends it there.
  EXPECT_FALSE(validate_netdata_stream(reg, k137).ok());
  EXPECT_FALSE(validate_netdata_stream("FUNCTION GLOBAL \"x\" 10 \"h\" \"sideways\" \"any\" 100 0\n", kV2).ok());
  EXPECT_FALSE(validate_netdata_stream("FUNCTION GLOBAL \"x\" 10 \"h\" \"top\" \"everyone\" 100 0\n", kV2).ok());
  EXPECT_FALSE(validate_netdata_stream("FUNCTION GLOBAL \"__x\" 10 \"h\" \"top\" \"any\" 100 0\n", kV2).ok());
}

TEST(NetdataValidatorV2, ClabelRulesHoldOnV2Too) {
  // v2 disables the plugin on each of these (pluginsd_parser.c:842-870).
  EXPECT_NE(validate_netdata_stream("CLABEL a b 1\n", kV2).error_report().find("CLABEL without a preceding CHART"),
            std::string::npos);
  EXPECT_NE(validate_netdata_stream(kDef + "CLABEL a b\nCLABEL_COMMIT\n", kV2).error_report().find("without a source"),
            std::string::npos);
  EXPECT_NE(validate_netdata_stream(kDef + "CLABEL_COMMIT\n", kV2).error_report().find("without a CLABEL"),
            std::string::npos);
  EXPECT_TRUE(validate_netdata_stream(kDef + "CLABEL a b 1\nCLABEL_COMMIT\n" + kTick, kV2).ok());
}

}  // namespace
}  // namespace vmq::testing
