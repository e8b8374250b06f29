// SPDX-License-Identifier: GPL-3.0-or-later
// Start-up faults in the real plugin process: libcurl cannot be initialised (curl_multi_init
// fails, injected with LD_PRELOAD). The plugin must say why, keep Netdata's protocol (DISABLE)
// and exit normally, never abort on an uncaught exception.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "subprocess.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
using testing::TempDir;

std::map<std::string, std::string> failing_libcurl_env() {
  // ASan insists on coming first in the library list; the shim is harmless to it.
  return {{"LD_PRELOAD", VMQ_FAIL_CURL_INIT_PATH}, {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1"}};
}

TEST(StartupFaults, LibcurlThatCannotStartDisablesThePluginWithAMessage) {
  TempDir dir;
  const std::string conf = dir.write("vernemq.conf", "jobs:\n  - name: local\n    url: http://127.0.0.1:9/metrics\n");
  Subprocess p({VMQ_PLUGIN_PATH, "1", "--config", conf}, failing_libcurl_env());
  const auto code = p.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "still running: " << p.err();
  EXPECT_EQ(*code, 0) << p.err();  // 134 was std::terminate (SIGABRT) on the uncaught exception
  EXPECT_EQ(p.out(), "DISABLE\n");
  EXPECT_NE(p.err().find("cannot initialise libcurl: curl_multi_init failed"), std::string::npos) << p.err();
  EXPECT_EQ(p.err().find("terminate called"), std::string::npos) << p.err();
}

TEST(StartupFaults, LibcurlThatCannotStartFailsTheCheckWithAReport) {
  TempDir dir;
  const std::string conf = dir.write("vernemq.conf", "jobs:\n  - name: local\n    url: http://127.0.0.1:9/metrics\n");
  Subprocess p({VMQ_PLUGIN_PATH, "--check", "--config", conf}, failing_libcurl_env());
  const auto code = p.wait_exit(30s);
  ASSERT_TRUE(code.has_value()) << "still running: " << p.err();
  EXPECT_EQ(*code, 1) << p.err();
  EXPECT_NE(p.out().find("\"ok\": false"), std::string::npos) << p.out();
  EXPECT_NE(p.out().find("cannot initialise libcurl"), std::string::npos) << p.out();
  EXPECT_NE(p.err().find("cannot initialise libcurl: curl_multi_init failed"), std::string::npos) << p.err();
}

}  // namespace
}  // namespace vmq
