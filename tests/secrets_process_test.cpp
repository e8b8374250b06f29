// SPDX-License-Identifier: GPL-3.0-or-later
// Secrets: a password, an API key, a bearer token (from a file or a header) or a URL's userinfo
// never appears on stdout (chart labels and dimensions included), on stderr or in --check's
// report, even when a hostile server echoes the credentials it was sent back into node names,
// reason codes, the HTTP reason phrase and metric names. And a configuration file (or token
// file) that holds a secret and that other users can read is reported.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "hostile_bodies.h"
#include "loopback_http.h"
#include "netdata_validator.h"
#include "subprocess.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using loopback::Request;
using loopback::Response;
using testing::Subprocess;
using testing::TempDir;

// What the server was sent: the credential itself, and the Authorization header as sent.
struct Seen {
  std::string credential;
  std::string authorization;
};

Seen credential_of(const Request& r) {
  Seen s;
  s.authorization = r.header("Authorization");
  if (const std::string key = r.header("x-api-key"); !key.empty()) {
    s.credential = key;
  } else if (s.authorization.rfind("Basic ", 0) == 0) {
    const std::string pair = loopback::base64_decode(s.authorization.substr(6));
    s.credential = pair.substr(pair.find(':') + 1);
  } else if (s.authorization.rfind("Bearer ", 0) == 0) {
    s.credential = s.authorization.substr(7);
  }
  return s;
}

// Echoes what it was sent, by /metrics request number:
//   0-2  a VerneMQ body with the credential as the node name and as a reason code, and the
//        Authorization header's text as a second node;
//   3    HTTP 500 with the credential and the header in the reason phrase;
//   4    good again; 5: a non-VerneMQ body whose metric name is the credential; 6+: good.
//   Then for --check: 100 the labels again, 101 the metric name, 102 the reason phrase.
class EchoServer {
 public:
  EchoServer() : server_([this](const Request& r) { return answer(r); }) {}
  [[nodiscard]] std::string url() const { return server_.url(); }
  [[nodiscard]] std::set<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  void jump_to(std::uint64_t n) { n_.store(n); }

 private:
  Response answer(const Request& r) {
    const Seen s = credential_of(r);
    {
      std::lock_guard lock(mu_);
      if (!s.credential.empty()) seen_.insert(s.credential);
    }
    const std::string node = s.credential + "@echo";
    Response resp;
    // The cluster sources (same host, so they carry the credentials too) echo them as well,
    // outside the /metrics schedule below: a member and the version in /status.json, a reason
    // of a DOWN /health; the other sources are not served.
    if (r.target == "/status.json") {
      resp.body = "[{\"" + node + "\":{\"version\":\"" + s.credential + "\",\"mystatus\":[{\"" + node + "\":true},{\"" +
                  s.authorization + "@peer\":false}],\"listeners\":[]}}]";
      return resp;
    }
    if (r.target == "/health") {
      resp.status = 503;
      resp.body = "{\"status\":\"DOWN\",\"reasons\":[\"" + s.credential + " " + s.authorization + "\"]}";
      return resp;
    }
    if (r.target != "/metrics") {
      resp.status = 404;
      return resp;
    }
    const std::uint64_t n = n_.fetch_add(1);
    if (n == 3 || n == 102) {
      // The loopback server writes its own reason phrase; a raw response carries ours.
      resp.mode = Response::Mode::raw;
      resp.body =
          "HTTP/1.1 500 " + s.credential + " " + s.authorization + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      return resp;
    }
    if (n == 5 || n == 101) {
      resp.body = s.credential + "_total 1\n" + s.credential + " 2\n";
      return resp;
    }
    const std::uint64_t k = n % 100;
    resp.body = testing::vernemq_body(k, node,
                                      testing::puback_line(node, s.credential, std::to_string(k)) +
                                          testing::puback_line(s.authorization, "success", std::to_string(k)));
    return resp;
  }

  std::mutex mu_;
  std::set<std::string> seen_;
  std::atomic<std::uint64_t> n_{0};
  loopback::Server server_;
};

// Alphanumeric on purpose: nothing in the output's sanitising could hide them by accident.
constexpr const char* kPassword = "Bpw7q2secretA";
constexpr const char* kApiKey = "Akey9q2secretB";
constexpr const char* kTokenInFile = "Btok5q2secretC";
constexpr const char* kUrlPassword = "Upw3q2secretD";
constexpr const char* kHeaderToken = "Htok1q2secretE";

std::string b64(const std::string& s) {
  static constexpr char kA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    for (int k = 3; k >= 0; --k) out += kA[(v >> (6 * k)) & 63];
  }
  if (i < s.size()) {
    const bool two = i + 1 < s.size();
    const unsigned v =
        (static_cast<unsigned char>(s[i]) << 16) | (two ? static_cast<unsigned char>(s[i + 1]) << 8 : 0u);
    out += kA[(v >> 18) & 63];
    out += kA[(v >> 12) & 63];
    out += two ? kA[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

TEST(SecretsProcess, EchoedCredentialsNeverReachAnyOutput) {
  TempDir dir;
  EchoServer basic, apikey, bearer, urlinfo, header;
  const std::string token_file = dir.write("token", std::string(kTokenInFile) + "\n");
  ASSERT_EQ(::chmod(token_file.c_str(), 0600), 0);
  std::string url_with_userinfo = urlinfo.url();
  url_with_userinfo.insert(std::string("http://").size(), std::string("urluser:") + kUrlPassword + "@");
  const std::string conf =
      dir.write("vernemq.conf",
                "jobs:\n"
                "  - name: basic\n    url: " +
                    basic.url() + "\n    username: echouser\n    password: " + kPassword +
                    "\n"
                    "  - name: apikey\n    url: " +
                    apikey.url() + "\n    api_key: " + kApiKey +
                    "\n"
                    "  - name: bearer\n    url: " +
                    bearer.url() + "\n    bearer_token_file: " + token_file +
                    "\n"
                    "  - name: urlinfo\n    url: " +
                    url_with_userinfo +
                    "\n"
                    "  - name: header\n    url: " +
                    header.url() + "\n    headers:\n      Authorization: Bearer " + kHeaderToken + "\n");
  ASSERT_EQ(::chmod(conf.c_str(), 0600), 0);

  const std::vector<std::string> secrets = {kPassword,
                                            kApiKey,
                                            kTokenInFile,
                                            kUrlPassword,
                                            kHeaderToken,
                                            b64(std::string("echouser:") + kPassword),
                                            b64(std::string("urluser:") + kUrlPassword)};

  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf});
  plugin.pump(7800ms);  // about seven ticks: labels, reason phrase, recovery, metric names
  plugin.signal(SIGTERM);
  ASSERT_EQ(plugin.wait_exit(5s), 0);

  // The servers did get every credential: what follows is not vacuous.
  EXPECT_EQ(basic.seen(), std::set<std::string>{kPassword});
  EXPECT_EQ(apikey.seen(), std::set<std::string>{kApiKey});
  EXPECT_EQ(bearer.seen(), std::set<std::string>{kTokenInFile});
  EXPECT_EQ(urlinfo.seen(), std::set<std::string>{kUrlPassword});
  EXPECT_EQ(header.seen(), std::set<std::string>{kHeaderToken});

  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  for (const std::string job : {"basic", "apikey", "bearer", "urlinfo", "header"}) {
    SCOPED_TRACE(job);
    const auto* chart = v.chart("vernemq_" + job + ".mqtt_puback_sent_reason");
    ASSERT_NE(chart, nullptr) << plugin.err();
    ASSERT_EQ(chart->labels.count("node"), 1u);
    // The echoed node is still there, its secret part replaced.
    EXPECT_NE(chart->labels.at("node").find("@echo"), std::string::npos) << chart->labels.at("node");
    EXPECT_EQ(chart->dims.size(), 10u);  // the nine, and the echoed "reason" (redacted)
    // The cluster charts were made from the echoing answers too (names matched after redaction).
    EXPECT_NE(v.chart("vernemq_" + job + ".node_health"), nullptr) << plugin.err();
    const auto* members = v.chart("vernemq_" + job + ".cluster_members");
    ASSERT_NE(members, nullptr) << plugin.err();
    EXPECT_NE(members->labels.at("not_running").find("@peer"), std::string::npos) << members->labels.at("not_running");
  }
  const std::string& err = plugin.err();
  EXPECT_NE(err.find("scrape failed: HTTP 500 ***"), std::string::npos) << err;
  EXPECT_NE(err.find("found: ***_total, ***"), std::string::npos) << err;

  std::vector<std::string> check_outputs;
  for (const std::uint64_t phase : {100u, 101u, 102u}) {
    for (EchoServer* s : {&basic, &apikey, &bearer, &urlinfo, &header}) s->jump_to(phase);
    Subprocess check({VMQ_PLUGIN_PATH, "--check", "--config", conf});
    ASSERT_TRUE(check.wait_exit(10s).has_value());
    check_outputs.push_back(check.out());
    check_outputs.push_back(check.err());
    if (phase == 100) {
      EXPECT_NE(check.out().find("***@echo"), std::string::npos) << check.out();
    }
  }

  for (const std::string& s : secrets) {
    EXPECT_EQ(plugin.out().find(s), std::string::npos) << "on stdout: " << s;
    EXPECT_EQ(err.find(s), std::string::npos) << "on stderr: " << s;
    for (const std::string& o : check_outputs)
      EXPECT_EQ(o.find(s), std::string::npos) << "in --check: " << s << "\n" << o;
  }
}

// --------------------------------------------------------------- readable secret files

struct PermissionCase {
  const char* what;
  mode_t conf_mode;
  bool secret_in_conf;
  mode_t token_mode;  // 0: no token file
  bool expect_conf_warning;
  bool expect_token_warning;
};

class SecretsPermissions : public ::testing::TestWithParam<PermissionCase> {};

TEST_P(SecretsPermissions, WarnOnlyWhenASecretIsReadableByOthers) {
  const PermissionCase& p = GetParam();
  TempDir dir;
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/metrics";
  std::string conf_text = "jobs:\n  - name: j\n    url: " + url + "\n";
  if (p.secret_in_conf) conf_text += "    password: pw-0123456789\n";
  std::string token;
  if (p.token_mode != 0) {
    token = dir.write("token", "tok-0123456789\n");
    ASSERT_EQ(::chmod(token.c_str(), p.token_mode), 0);
    conf_text += "    bearer_token_file: " + token + "\n";
  }
  const std::string conf = dir.write("vernemq.conf", conf_text);
  ASSERT_EQ(::chmod(conf.c_str(), p.conf_mode), 0);
  Subprocess check({VMQ_PLUGIN_PATH, "--check", "--config", conf});
  ASSERT_TRUE(check.wait_exit(10s).has_value());
  const std::string& err = check.err();
  const std::string conf_warning =
      "WARNING : main : " + conf + " holds passwords or API keys and can be read by every user";
  EXPECT_EQ(err.find(conf_warning) != std::string::npos, p.expect_conf_warning) << err;
  if (p.expect_conf_warning) {
    EXPECT_NE(err.find("restrict it: chmod 600 " + conf), std::string::npos) << err;
  }
  const std::string token_warning = "WARNING : j : " + token + " holds a bearer token and can be read by every user";
  EXPECT_EQ(!token.empty() && err.find(token_warning) != std::string::npos, p.expect_token_warning) << err;
}

INSTANTIATE_TEST_SUITE_P(Table, SecretsPermissions,
                         ::testing::Values(PermissionCase{"password_world_readable", 0644, true, 0, true, false},
                                           PermissionCase{"password_private", 0600, true, 0, false, false},
                                           PermissionCase{"password_own_group", 0640, true, 0, false, false},
                                           PermissionCase{"no_secret_world_readable", 0644, false, 0, false, false},
                                           PermissionCase{"token_world_readable", 0600, false, 0644, false, true},
                                           PermissionCase{"token_private", 0644, false, 0600, false, false}),
                         [](const ::testing::TestParamInfo<PermissionCase>& i) { return std::string(i.param.what); });

}  // namespace
}  // namespace vmq
