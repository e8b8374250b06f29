// SPDX-License-Identifier: GPL-3.0-or-later
// TLS verification is on unless tls_skip_verify is set. A real TLS server: `openssl s_server
// -WWW` serving a VerneMQ body from a file named "metrics", with a self-signed certificate for
// 127.0.0.1 made at test time by the openssl command (scripts/install-deps.sh installs it).
// Without tls_ca the scrape fails on the certificate; with tls_ca it succeeds.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "hostile_bodies.h"
#include "netdata_validator.h"
#include "subprocess.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
using testing::TempDir;

// A self-signed certificate for IP 127.0.0.1, and a TLS server for the files in `dir`.
class TlsServer {
 public:
  explicit TlsServer(const TempDir& dir) {
    cert_ = dir.path() + "/cert.pem";
    key_ = dir.path() + "/key.pem";
    Subprocess gen({"/bin/sh", "-c",
                    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                        key_ + "' -out '" + cert_ + "' 2>&1"});
    const auto code = gen.wait_exit(30s);
    if (code != 0) {
      ADD_FAILURE() << "openssl could not make a certificate (is the openssl package installed?): " << gen.out();
      return;
    }
    // -WWW serves GET /NAME from the current directory; port 0 picks a free port, printed as
    // "ACCEPT 127.0.0.1:PORT".
    server_ = std::make_unique<Subprocess>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 "cd '" + dir.path() + "' && exec openssl s_server -accept 127.0.0.1:0 -WWW -cert '" +
                                     cert_ + "' -key '" + key_ + "'"});
    if (!server_->wait_for_stdout("ACCEPT", 10s)) {
      ADD_FAILURE() << "openssl s_server did not start: " << server_->out() << server_->err();
      return;
    }
    std::smatch m;
    const std::string& out = server_->out();
    if (std::regex_search(out, m, std::regex(R"(ACCEPT 127\.0\.0\.1:(\d+))"))) port_ = m[1];
  }
  [[nodiscard]] std::string url() const { return "https://127.0.0.1:" + port_ + "/metrics"; }
  [[nodiscard]] const std::string& cert() const { return cert_; }
  [[nodiscard]] bool ready() const { return !port_.empty(); }

 private:
  std::string cert_, key_, port_;
  std::unique_ptr<Subprocess> server_;
};

nlohmann::json check(const std::string& conf) {
  Subprocess c({VMQ_PLUGIN_PATH, "--check", "--config", conf});
  const auto code = c.wait_exit(20s);
  EXPECT_TRUE(code.has_value());
  auto j = nlohmann::json::parse(c.out(), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << c.out() << c.err();
  return j;
}

TEST(TlsProcess, VerificationIsOnByDefaultAndTlsCaMakesItPass) {
  TempDir dir;
  dir.write("metrics", testing::vernemq_body(4));
  TlsServer tls(dir);
  ASSERT_TRUE(tls.ready());

  // No tls_ca: the self-signed certificate is refused.
  {
    const auto j = check(dir.write("no-ca.conf", "jobs:\n  - name: tls\n    url: " + tls.url() + "\n"));
    const auto& job = j["jobs"][0];
    EXPECT_EQ(job["ok"], false) << job.dump();
    EXPECT_NE(job.value("error", "").find("TLS certificate verification failed"), std::string::npos) << job.dump();
  }
  // tls_ca: the same server is trusted and the body is read.
  {
    const auto j = check(
        dir.write("ca.conf", "jobs:\n  - name: tls\n    url: " + tls.url() + "\n    tls_ca: " + tls.cert() + "\n"));
    const auto& job = j["jobs"][0];
    EXPECT_EQ(job["ok"], true) << job.dump();
    EXPECT_EQ(job["nodes"][0]["mqtt5_puback_sent_by_reason"]["success"],
              testing::kSuccessBase + 4 * testing::kSuccessStep);
  }
  // tls_skip_verify: accepted without a CA (the user said so).
  {
    const auto j =
        check(dir.write("skip.conf", "jobs:\n  - name: tls\n    url: " + tls.url() + "\n    tls_skip_verify: true\n"));
    EXPECT_EQ(j["jobs"][0]["ok"], true) << j.dump();
  }
  // A CA that did not sign it: refused.
  {
    TempDir other;
    other.write("metrics", "x\n");
    TlsServer unrelated(other);
    ASSERT_TRUE(unrelated.ready());
    const auto j = check(dir.write(
        "wrong-ca.conf", "jobs:\n  - name: tls\n    url: " + tls.url() + "\n    tls_ca: " + unrelated.cert() + "\n"));
    EXPECT_EQ(j["jobs"][0]["ok"], false) << j.dump();
  }
}

TEST(TlsProcess, PluginChartsOverTlsWithTlsCa) {
  TempDir dir;
  dir.write("metrics", testing::vernemq_body(1));
  TlsServer tls(dir);
  ASSERT_TRUE(tls.ready());
  const std::string conf =
      dir.write("vernemq.conf", "jobs:\n  - name: tls\n    url: " + tls.url() + "\n    tls_ca: " + tls.cert() +
                                    "\n  - name: untrusted\n    url: " + tls.url() + "\n");
  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  plugin.pump(3500ms);
  plugin.signal(SIGTERM);
  ASSERT_EQ(plugin.wait_exit(5s), 0);
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  EXPECT_GE(v.points_of("vernemq_tls.mqtt_puback_sent_reason").size(), 2u) << plugin.err();
  EXPECT_EQ(v.chart("vernemq_untrusted.mqtt_puback_sent_reason"), nullptr);
  EXPECT_NE(plugin.err().find("untrusted : scrape failed: TLS certificate verification failed"), std::string::npos)
      << plugin.err();
}

}  // namespace
}  // namespace vmq
