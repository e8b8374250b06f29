// SPDX-License-Identifier: GPL-3.0-or-later
// The bad-input corpus, at process level: one real vernemq.plugin process runs a healthy job and
// one job per hostile case, each served by its own loopback server (real sockets, port 0) that
// first answers with a valid VerneMQ body, so the charts exist, and then with the bad thing.
//
// For every case: the process keeps running and exits 0 on SIGTERM; the healthy job keeps every
// tick and its exact values; stdout passes the strict Netdata 1.37 validator; a failed scrape
// carries the events already known to lie in the window and empty rates (never a made-up
// number, never an empty count that would clear an alert); the log has exactly one line naming the
// job and what was wrong; no configured secret appears anywhere in the output; memory stays
// bounded. The same configuration is then run through --check.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hostile_bodies.h"
#include "loopback_http.h"
#include "netdata_validator.h"
#include "subprocess.h"
#include "test_files.h"

namespace vmq {
namespace {

using namespace std::chrono_literals;
using loopback::Request;
using loopback::Response;
using testing::Subprocess;
using testing::TempDir;
using testing::vernemq_body;

constexpr std::uint64_t kGood = 2;  // requests answered well before a case turns bad
constexpr auto kRunFor = 7000ms;    // six or seven ticks: two good, the rest bad

enum class Expect {
  fails_after_good,    // two points with values, then counts carried, rates empty; one "scrape failed" line
  carries_after_good,  // a good body without the charted families: counts carried, no failure
  fails_from_start,    // no chart ever; one "scrape failed" line
  exact_values,        // every tick collected; `dim` follows `value(i)` exactly; no "scrape failed"
};

using Serve = std::function<Response(std::uint64_t n, const Request&)>;

struct Case {
  Case(std::string n, Expect e, Serve s) : name(std::move(n)), expect(e), serve(std::move(s)) {}
  std::string name;  // also the job name
  Expect expect;
  Serve serve;  // null: `url` is used and no server runs
  std::string url;
  std::string job_extra;  // YAML lines of the job, 4-space indented
  std::string log_has;    // in the job's one failure line (fails_*), or in some line of the job
  std::string dim = "success";
  std::function<long long(std::size_t i)> value = [](std::size_t i) { return static_cast<long long>(7 * i); };
  bool credentials = true;       // the job gets a password, an API key and URL userinfo
  bool stop_after_good = false;  // the server is stopped once it answered kGood requests
  std::function<void(const testing::NetdataValidator&, const std::string& type)> extra_check;
};

Response ok(std::string body) {
  Response r;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
  return r;
}

Response status(int code, std::string body = "") {
  Response r;
  r.status = code;
  r.body = std::move(body);
  return r;
}

Serve good() {
  return [](std::uint64_t n, const Request&) { return ok(vernemq_body(n)); };
}

// Valid for the first kGood requests, then `bad`.
Serve after_good(std::function<Response(std::uint64_t n, const Request&)> bad) {
  return
      [bad = std::move(bad)](std::uint64_t n, const Request& r) { return n < kGood ? ok(vernemq_body(n)) : bad(n, r); };
}

Serve after_good_body(std::function<std::string(std::uint64_t n)> body) {
  return after_good([body = std::move(body)](std::uint64_t n, const Request&) { return ok(body(n)); });
}

// The good body cut right after the first two digits of the success counter (1014 → "10"): the
// classic truncation that yields a plausible but false number. Returns the cut offset too.
std::pair<std::string, std::size_t> cut_in_success_value(std::uint64_t n) {
  const std::string full = vernemq_body(n);
  const std::size_t at = full.find("reason_code=\"success\"} ") + std::string("reason_code=\"success\"} ").size() + 2;
  return {full, at};
}

std::string secret_of(const std::string& kind, std::size_t i) { return kind + "-" + std::to_string(i) + "-Zq9s3cr3t"; }

std::vector<Case> corpus(const testing::FullBacklogListener& blackhole) {
  std::vector<Case> cs;
  auto fail_after = [&](std::string name, Serve s, std::string log, std::string extra = "") {
    Case c{std::move(name), Expect::fails_after_good, std::move(s)};
    c.log_has = std::move(log);
    c.job_extra = std::move(extra);
    cs.push_back(std::move(c));
  };
  auto exact = [&](std::string name, Serve s, std::string log = "") {
    Case c{std::move(name), Expect::exact_values, std::move(s)};
    c.log_has = std::move(log);
    cs.push_back(std::move(c));
    return &cs.back();
  };

  // ---- transport
  {
    Case c{"refused_after_good", Expect::fails_after_good, good()};
    c.stop_after_good = true;
    c.log_has = "connection refused";
    cs.push_back(std::move(c));
  }
  {
    Case c{"refused", Expect::fails_from_start, nullptr};
    c.url = "http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/metrics";
    c.log_has = "connection refused";
    cs.push_back(std::move(c));
  }
  {
    // A 64-character DNS label is refused by the resolver itself: no query leaves the host.
    Case c{"unresolvable", Expect::fails_from_start, nullptr};
    c.url = "http://" + std::string(64, 'a') + ".invalid:8888/metrics";
    c.log_has = "could not resolve host";
    cs.push_back(std::move(c));
  }
  {
    Case c{"connect_timeout", Expect::fails_from_start, nullptr};
    c.url = blackhole.url();
    c.log_has = "timed out after";
    cs.push_back(std::move(c));
  }
  fail_after("never_answers", after_good([](std::uint64_t, const Request&) {
               Response r;
               r.mode = Response::Mode::hang;
               return r;
             }),
             "timed out after");
  fail_after("trickle", after_good([](std::uint64_t n, const Request&) {
               Response r = ok(vernemq_body(n));
               r.mode = Response::Mode::trickle;
               r.trickle_interval = 100ms;
               return r;
             }),
             "timed out after");
  {
    // /metrics turns into a redirect to /loop, which redirects to itself.
    Case c{"redirect_loop", Expect::fails_after_good, [](std::uint64_t n, const Request& req) {
             if (req.target == "/metrics" && n < kGood) return ok(vernemq_body(n));
             Response r = status(302);
             r.headers = {{"Location", "/loop"}};
             return r;
           }};
    c.log_has = "too many redirects";
    cs.push_back(std::move(c));
  }
  fail_after("redirect_not_followed", after_good([](std::uint64_t, const Request&) {
               Response r = status(302);
               r.headers = {{"Location", "/elsewhere"}};
               return r;
             }),
             "HTTP 302 Found (redirects are not followed: not_follow_redirects is set)",
             "    not_follow_redirects: true\n");

  // ---- HTTP
  const auto http = [](int code) {
    return after_good([code](std::uint64_t, const Request&) {
      Response r = status(code, code == 503 ? "{\"status\":\"DOWN\"}" : "");
      if (code == 401) r.headers = {{"www-authenticate", "Authorization realm=\"VerneMQ\""}};
      return r;
    });
  };
  {
    Case c{"http_401_no_credentials", Expect::fails_after_good, http(401)};
    c.credentials = false;
    c.log_has = "HTTP 401 Unauthorized (check username/password or api_key)";
    cs.push_back(std::move(c));
  }
  fail_after("http_401_with_credentials", http(401), "HTTP 401 Unauthorized (check username/password or api_key)");
  fail_after("http_403", http(403), "HTTP 403 Forbidden");
  fail_after("http_404", http(404), "HTTP 404 Not Found");
  // What VerneMQ answers to an Accept it cannot serve (e.g. OpenMetrics only).
  fail_after("http_406", http(406), "HTTP 406 Not Acceptable (the server refused the Accept header)");
  fail_after("http_500", http(500), "HTTP 500 Internal Server Error");
  fail_after("http_503", http(503), "HTTP 503 Service Unavailable");
  fail_after("html_error_page_200", after_good_body([](std::uint64_t) {
               return std::string(
                   "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
                   "<body><h1>Bad Gateway</h1><p>nginx</p></body></html>\n");
             }),
             "not VerneMQ metrics");
  fail_after("empty_200", after_good_body([](std::uint64_t) { return std::string(); }),
             "not VerneMQ metrics: no metric named *mqtt_puback_sent, *mqtt_puback_received or *mqtt_publish_error "
             "(the body is empty)");
  fail_after("cut_mid_line", after_good_body([](std::uint64_t n) {
               auto [full, at] = cut_in_success_value(n);
               return full.substr(0, at);
             }),
             "it was cut short");
  fail_after("content_length_short", after_good([](std::uint64_t n, const Request&) {
               auto [full, at] = cut_in_success_value(n);
               Response r;
               r.mode = Response::Mode::raw;
               r.body = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(at) +
                        "\r\n\r\n" + full;
               return r;
             }),
             "it was cut short");
  fail_after("content_length_long", after_good([](std::uint64_t n, const Request&) {
               Response r = ok(vernemq_body(n));
               r.mode = Response::Mode::wrong_length;
               return r;
             }),
             "the body ended before its Content-Length");
  fail_after("larger_than_cap", after_good_body([](std::uint64_t n) {
               std::string padding;
               while (padding.size() < 100 * 1024) padding += "# padding padding padding padding padding\n";
               return vernemq_body(n, "VerneMQ@127.0.0.1", padding);
             }),
             "body larger than the 65536-byte limit (Content-Length: ", "    max_body_size: 64KiB\n");
  fail_after("endless_body", after_good([](std::uint64_t n, const Request&) {
               Response r = ok(vernemq_body(n));
               r.mode = Response::Mode::endless;
               return r;
             }),
             "body larger than the 16777216-byte limit");
  fail_after("gzip_bomb", after_good([](std::uint64_t, const Request&) {
               Response r = ok(testing::gzip_zeros(70'000));  // 18 MB decoded, 114 KB sent
               r.headers.emplace_back("Content-Encoding", "gzip");
               return r;
             }),
             "body larger than the 16777216-byte limit");

  // ---- text
  fail_after("binary_garbage", after_good_body([](std::uint64_t n) {
               return testing::garbage_bytes(4096, static_cast<std::uint32_t>(n));
             }),
             "not VerneMQ metrics");
  // NULs everywhere: every line is parsed, and the first damaged one is what the log says.
  exact("nul_bytes", after_good_body([](std::uint64_t n) {
          using namespace std::string_literals;
          return vernemq_body(
              n, "VerneMQ@127.0.0.1",
              "\0\0\0\n# HELP vernemq_x a\0b\nvernemq_x{node=\"a\0b\"} 1\n\0\nvernemq_y\0 2\n"
              "vernemq_mqtt_puback_sent\0{node=\"VerneMQ@127.0.0.1\",mqtt_version=\"5\",reason_code=\"success\"} 5\n"s);
        }),
        "column 1: expected a metric name");
  // From the first scrape on: a node whose name changes is another node (its counters are new).
  exact("invalid_utf8", [](std::uint64_t n, const Request&) {
    return ok(vernemq_body(n, "VerneMQ@\xff\xfe\xc3(",
                           "# HELP vernemq_z \xc0\xaf\xed\xa0\x80\nvernemq_z{node=\"\xf8\x88\x80\x80\x80\"} 1\n"));
  })->extra_check = [](const testing::NetdataValidator& v, const std::string& type) {
    const auto* c = v.chart(type + ".mqtt_puback_sent_reason");
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->labels.count("node"), 1u);
    EXPECT_EQ(c->labels.at("node").rfind("VerneMQ@", 0), 0u) << c->labels.at("node");
  };
  // A node name with nothing Netdata can keep in a label (found by fuzz/fuzz_job_charts): the
  // label must still be one 1.37 stores as sent.
  exact("node_of_nothing_printable",
        [](std::uint64_t n, const Request&) { return ok(vernemq_body(n, "\xc3\xa9\xc3\xa9#[],;")); });
  exact("one_mib_lines", after_good_body([](std::uint64_t n) {
          const std::string mib(1024 * 1024, 'x');
          return vernemq_body(n, "VerneMQ@127.0.0.1",
                              "# HELP vernemq_big " + mib + "\nvernemq_other{node=\"n\",big=\"" + mib + "\"} 1\n" +
                                  mib + "\nvernemq_mqtt_puback_sent" + mib + "\n");
        }),
        "expected a value after the metric name");
  exact("hundred_thousand_labels", after_good_body([](std::uint64_t n) {
          std::string line = "vernemq_mqtt_puback_received{";
          for (int i = 0; i < 100'000; ++i) line += "l" + std::to_string(i) + "=\"v\",";
          line += "node=\"x\"} 1\n";
          return vernemq_body(n, "VerneMQ@127.0.0.1", line);
        }),
        "too many labels on one sample");
  exact("duplicate_series", after_good_body([](std::uint64_t n) {
          return vernemq_body(n) + testing::puback_line("VerneMQ@127.0.0.1", "success", "99999999") +
                 testing::puback_line("VerneMQ@127.0.0.1", "not_authorized", "99999999");
        }),
        "repeats a series already seen");
  {
    // Quotes, backslashes, '=', spaces, an escaped newline and UTF-8 in node and reason_code,
    // from the first scrape on: two more reasons, each growing by 2 a scrape.
    const std::string node = R"(Verne\"MQ' \\ =x  y\nz é)";
    Case* c = exact("label_value_hostility", [node](std::uint64_t n, const Request&) {
      const std::string v = std::to_string(2 * n);
      return ok(vernemq_body(
          n, node,
          testing::puback_line(node, R"(quota \"x\" é)", v) + testing::puback_line(node, R"(a=b c'd\\e\nf)", v)));
    });
    c->extra_check = [](const testing::NetdataValidator& v, const std::string& type) {
      const auto* chart = v.chart(type + ".mqtt_puback_sent_reason");
      ASSERT_NE(chart, nullptr);
      EXPECT_EQ(chart->dims.size(), 11u);
      ASSERT_EQ(chart->labels.count("node"), 1u);
      const std::set<std::string> known = {"success",
                                           "no_matching_subscribers",
                                           "unspecified_error",
                                           "impl_specific_error",
                                           "not_authorized",
                                           "topic_name_invalid",
                                           "packet_id_in_use",
                                           "quota_exceeded",
                                           "payload_format_invalid"};
      for (const auto& d : chart->dims) {
        if (known.count(d.id) != 0) continue;
        const auto points = v.points_of(type + ".mqtt_puback_sent_reason");
        for (std::size_t i = 0; i < points.size(); ++i) {
          const auto it = points[i].values.find(d.id);
          ASSERT_NE(it, points[i].values.end()) << d.id;
          EXPECT_EQ(it->second, std::optional<long long>(2 * static_cast<long long>(i))) << d.id << " point " << i;
        }
      }
    };
  }
  {
    // A reason VerneMQ does not have today appears at the third scrape (5, then +5 a scrape).
    Case* c = exact("new_unknown_reason", after_good_body([](std::uint64_t n) {
                      return vernemq_body(n, "VerneMQ@127.0.0.1",
                                          testing::puback_line("VerneMQ@127.0.0.1", "topic_alias_invalid",
                                                               std::to_string(5 * (n - 1))));
                    }),
                    "new reason_code 'topic_alias_invalid'");
    c->extra_check = [](const testing::NetdataValidator& v, const std::string& type) {
      const std::string chart = type + ".mqtt_puback_sent_reason";
      ASSERT_NE(v.chart(chart), nullptr);
      EXPECT_EQ(v.chart(chart)->dims.size(), 10u);
      EXPECT_GE(v.chart(chart)->times_defined, 2);
      const auto points = v.points_of(chart);
      ASSERT_GE(points.size(), 4u);
      for (std::size_t i = 0; i < points.size(); ++i) {
        const auto it = points[i].values.find("topic_alias_invalid");
        if (i < kGood) {
          EXPECT_EQ(it, points[i].values.end()) << "point " << i;  // not declared yet
        } else {
          ASSERT_NE(it, points[i].values.end()) << "point " << i;
          // First seen on a known node that did not restart: a baseline (its lifetime value is
          // not "the last minute"), then +5 a scrape.
          EXPECT_EQ(it->second, std::optional<long long>(5 * static_cast<long long>(i - kGood))) << "point " << i;
        }
      }
    };
  }
  {
    Case* c = exact(
        "two_hundred_reasons",
        [](std::uint64_t n, const Request&) {
          std::string extra;
          for (int r = 0; r < 200; ++r)
            extra += testing::puback_line("VerneMQ@127.0.0.1", "r" + std::to_string(1000 + r), std::to_string(n));
          return ok(vernemq_body(n, "VerneMQ@127.0.0.1", extra));
        },
        "more than 128 label sets");
    c->extra_check = [](const testing::NetdataValidator& v, const std::string& type) {
      const auto* chart = v.chart(type + ".mqtt_puback_sent_reason");
      ASSERT_NE(chart, nullptr);
      // The body's first 128 series of the family per node are read (the MQTT 3.1.1 one, 9
      // known reasons, r1000..r1117); the chart names 63 reasons (9 known, r1000..r1053) and
      // counts the other 64 in `other`; r1118.. are refused.
      EXPECT_EQ(chart->dims.size(), 64u);
      ASSERT_NE(chart->dim("r1000"), nullptr);
      ASSERT_NE(chart->dim("r1053"), nullptr);
      EXPECT_EQ(chart->dim("r1054"), nullptr);
      ASSERT_NE(chart->dim("other"), nullptr);
      const auto points = v.points_of(type + ".mqtt_puback_sent_reason");
      for (std::size_t i = 0; i < points.size(); ++i) {
        EXPECT_EQ(points[i].values.at("r1000"), std::optional<long long>(static_cast<long long>(i)));
        EXPECT_EQ(points[i].values.at("other"), std::optional<long long>(64 * static_cast<long long>(i)));
      }
    };
  }
  for (const auto& [name, text] :
       std::vector<std::pair<std::string, std::string>>{{"counter_negative", "-5"},
                                                        {"counter_fractional", "3.5"},
                                                        {"counter_nan", "NaN"},
                                                        {"counter_plus_inf", "+Inf"},
                                                        {"counter_minus_inf", "-Inf"},
                                                        {"counter_above_2_64", "18446744073709551616"}}) {
    fail_after(name, after_good_body([text = text](std::uint64_t n) {
                 return vernemq_body(n, "VerneMQ@127.0.0.1", "", text);
               }),
               "unusable counter: line ");
  }
  {
    // Near 2^64: exact integers, no double rounding, no overflow in the deltas.
    Case* c = exact("counter_above_2_63", [](std::uint64_t n, const Request&) {
      return ok(vernemq_body(n, "VerneMQ@127.0.0.1", "", std::to_string(18446744073709551000ULL + 7 * n)));
    });
    (void)c;
  }
  {
    // A broker restart after the third scrape: the counter starts again from 0 (then +7). The
    // window counts the events since the restart, never a negative delta: 0, 7, 14, 14, 21, ...
    Case* c = exact("counter_goes_backwards", [](std::uint64_t n, const Request&) {
      const std::uint64_t v = n < 3 ? 1000 + 7 * n : 7 * (n - 3);
      return ok(vernemq_body(n, "VerneMQ@127.0.0.1", "", std::to_string(v)));
    });
    c->value = [](std::size_t i) { return static_cast<long long>(i < 3 ? 7 * i : 14 + 7 * (i - 3)); };
  }
  {
    // Validity is per chart, not per scrape: the body is good, the PUBACK charts carry what is known.
    Case c{"vernemq_families_missing", Expect::carries_after_good,
           after_good_body([](std::uint64_t) { return testing::vernemq_body_without_puback(); })};
    cs.push_back(std::move(c));
  }
  fail_after("other_exporter", after_good_body([](std::uint64_t) { return testing::fixture("not-vernemq.txt"); }),
             "not VerneMQ metrics");
  return cs;
}

std::vector<std::optional<long long>> series(const testing::NetdataValidator& v, const std::string& chart,
                                             const std::string& dim) {
  std::vector<std::optional<long long>> out;
  for (const auto& p : v.points_of(chart)) {
    const auto it = p.values.find(dim);
    out.push_back(it == p.values.end() ? std::nullopt : it->second);
  }
  return out;
}

// The log lines (stderr) that name `job` as their component.
std::vector<std::string> lines_of(const std::string& err, const std::string& job) {
  std::vector<std::string> out;
  const std::string tag = " : " + job + " : ";
  std::size_t start = 0;
  while (start < err.size()) {
    std::size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    const std::string line = err.substr(start, end - start);
    if (line.find(tag) != std::string::npos) out.push_back(line);
    start = end + 1;
  }
  return out;
}

bool limits_apply() {
  // Sanitizer builds and wrappers (valgrind) change the memory picture entirely.
  return std::getenv("VMQ_NO_RSS_LIMITS") == nullptr && std::getenv("VMQ_PLUGIN_WRAPPER") == nullptr;
}

TEST(HostileProcess, EveryBadInputBesideAHealthyJob) {
  TempDir dir;
  testing::FullBacklogListener blackhole;
  std::vector<Case> cases = corpus(blackhole);

  // One server per case, counting its /metrics requests.
  struct Running {
    std::unique_ptr<std::atomic<std::uint64_t>> requests = std::make_unique<std::atomic<std::uint64_t>>(0);
    std::unique_ptr<loopback::Server> server;
    bool stopped = false;
  };
  std::vector<Running> running(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].serve) continue;
    auto* counter = running[i].requests.get();
    Serve serve = cases[i].serve;
    running[i].server = std::make_unique<loopback::Server>([counter, serve](const Request& r) {
      const std::uint64_t n = r.target == "/metrics" ? counter->fetch_add(1) : counter->load();
      return serve(n, r);
    });
    cases[i].url = running[i].server->url();
  }
  loopback::Server healthy([n = std::make_shared<std::atomic<std::uint64_t>>(0)](const Request&) {
    return ok(vernemq_body(n->fetch_add(1), "VerneMQ@healthy"));
  });

  std::vector<std::string> secrets;
  // The control job reads /metrics only: its server counts every request as a scrape.
  std::string conf =
      "update_every: 1\njobs:\n  - name: healthy\n    url: " + healthy.url() +
      "\n    cluster_sources: {status_json: false, health: false, health_listeners_full_cluster: false}\n";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    std::string url = c.url;
    std::string extra = c.job_extra;
    if (c.credentials) {
      const std::string url_pw = secret_of("URLPW", i);
      url.insert(url.find("://") + 3, "urluser:" + url_pw + "@");
      extra += "    username: hostile-user\n    password: " + secret_of("PW", i) +
               "\n    api_key: " + secret_of("AK", i) + "\n";
      secrets.insert(secrets.end(), {url_pw, secret_of("PW", i), secret_of("AK", i)});
    }
    conf += "  - name: " + c.name + "\n    url: " + url + "\n" + extra;
  }
  const std::string conf_path = dir.write("vernemq.conf", conf);

  Subprocess plugin({VMQ_PLUGIN_PATH, "1", "--config", conf_path});
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<testing::Memory> mid;
  while (std::chrono::steady_clock::now() - t0 < kRunFor) {
    plugin.pump(100ms);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      if (cases[i].stop_after_good && !running[i].stopped && running[i].requests->load() >= kGood) {
        running[i].server->stop();
        running[i].stopped = true;
      }
    }
    if (!mid && std::chrono::steady_clock::now() - t0 > 3500ms) mid = testing::memory_of(plugin.pid());
  }
  ASSERT_FALSE(plugin.raw_status().has_value()) << "the plugin died: " << plugin.err();
  const testing::Memory end = testing::memory_of(plugin.pid());
  plugin.signal(SIGTERM);
  const auto code = plugin.wait_exit(3s);
  ASSERT_TRUE(code.has_value()) << "no exit within 3 s of SIGTERM";
  EXPECT_EQ(*code, 0);

  if (const char* dump = std::getenv("VMQ_HOSTILE_DUMP")) {  // for a person reading what it wrote
    std::ofstream(std::string(dump) + ".out") << plugin.out();
    std::ofstream(std::string(dump) + ".err") << plugin.err();
  }
  testing::NetdataValidator v;
  v.feed(plugin.out());
  v.finish();
  ASSERT_TRUE(v.ok()) << v.error_report();
  const std::string& err = plugin.err();

  // The healthy job: every tick, every value exact, whatever its neighbours do.
  {
    const auto s = series(v, "vernemq_healthy.mqtt_puback_sent_reason", "success");
    EXPECT_GE(s.size(), 5u);
    for (std::size_t i = 0; i < s.size(); ++i)
      EXPECT_EQ(s[i], std::optional<long long>(7 * static_cast<long long>(i))) << "healthy point " << i;
    EXPECT_TRUE(lines_of(err, "healthy").size() == 1u) << "only its start line is expected:\n" << err;
  }

  // A lambda per case: an ASSERT ends that case's checks, not the other cases'.
  for (const Case& c : cases)
    [&] {
      SCOPED_TRACE("case " + c.name);
      const std::string type = "vernemq_" + c.name;
      const std::string chart = type + ".mqtt_puback_sent_reason";
      const std::vector<std::string> lines = lines_of(err, c.name);
      std::vector<std::string> failed;
      for (const auto& l : lines) {
        if (l.find(" : scrape failed: ") != std::string::npos) failed.push_back(l);
      }
      switch (c.expect) {
        case Expect::fails_after_good: {
          const auto s = series(v, chart, c.dim);
          ASSERT_GE(s.size(), kGood + 2) << err;
          for (std::size_t i = 0; i < s.size(); ++i) {
            // Through the failure: the 7 events known to lie in the window, not a made-up number,
            // and not an empty value that would clear an alert.
            const auto want = static_cast<long long>(7 * std::min<std::size_t>(i, kGood - 1));
            EXPECT_EQ(s[i], std::optional<long long>(want)) << "point " << i;
          }
          // Every dimension of the count chart has a value on a failed tick; every rate is empty.
          const auto points = v.points_of(chart);
          for (const auto& [dim, value] : points.back().values) EXPECT_TRUE(value.has_value()) << dim;
          const auto rate_points = v.points_of(type + ".mqtt_puback");
          ASSERT_FALSE(rate_points.empty());
          for (const auto& [dim, value] : rate_points.back().values) EXPECT_EQ(value, std::nullopt) << dim;
          const auto up = series(v, type + ".scrape_status", "up");
          ASSERT_FALSE(up.empty());
          EXPECT_EQ(up.back(), std::optional<long long>(0));
          break;
        }
        case Expect::carries_after_good: {
          const auto s = series(v, chart, c.dim);
          ASSERT_GE(s.size(), kGood + 2) << err;
          for (std::size_t i = 0; i < s.size(); ++i) {
            EXPECT_EQ(s[i], std::optional<long long>(static_cast<long long>(7 * std::min<std::size_t>(i, kGood - 1))))
                << "point " << i;
          }
          const auto up = series(v, type + ".scrape_status", "up");
          ASSERT_FALSE(up.empty());
          EXPECT_EQ(up.back(), std::optional<long long>(1));
          EXPECT_TRUE(failed.empty()) << failed.front();
          break;
        }
        case Expect::fails_from_start: EXPECT_EQ(v.chart(chart), nullptr); break;
        case Expect::exact_values: {
          const auto s = series(v, chart, c.dim);
          EXPECT_GE(s.size(), 5u);
          for (std::size_t i = 0; i < s.size(); ++i)
            EXPECT_EQ(s[i], std::optional<long long>(c.value(i))) << "point " << i;
          EXPECT_TRUE(failed.empty()) << failed.front();
          break;
        }
      }
      if (c.expect == Expect::fails_after_good || c.expect == Expect::fails_from_start) {
        ASSERT_EQ(failed.size(), 1u) << "one failure line, not one per tick:\n" << err;
        EXPECT_NE(failed[0].find("vernemq.plugin ERROR : " + c.name + " : scrape failed: "), std::string::npos)
            << failed[0];
        EXPECT_NE(failed[0].find(c.log_has), std::string::npos) << failed[0];
      } else if (!c.log_has.empty()) {
        bool found = false;
        for (const auto& l : lines) found = found || l.find(c.log_has) != std::string::npos;
        EXPECT_TRUE(found) << "no line of job " << c.name << " says '" << c.log_has << "':\n" << err;
      }
      if (c.extra_check) c.extra_check(v, type);
    }();

  for (const std::string& s : secrets) {
    EXPECT_EQ(plugin.out().find(s), std::string::npos) << "secret on stdout: " << s;
    EXPECT_EQ(err.find(s), std::string::npos) << "secret on stderr: " << s;
  }

  // Bounded memory: the largest bodies are two at the 16 MiB default cap (the endless body and
  // the gzip bomb, each job's buffer keeps its capacity), a few MiB of 1 MiB lines and labels.
  std::cout << "[ INFO     ] " << cases.size() << " hostile jobs + 1 healthy; plugin VmHWM " << end.hwm_kib
            << " KiB, VmRSS " << (mid ? mid->rss_kib : 0) << " KiB at 3.5 s, " << end.rss_kib << " KiB at the end; "
            << v.lines() << " protocol lines, " << err.size() << " bytes of log\n";
  if (limits_apply()) {
    ASSERT_TRUE(mid.has_value());
    EXPECT_GT(end.hwm_kib, 0u);
    EXPECT_LT(end.hwm_kib, 96u * 1024u) << "peak RSS";
    // Steady state: the bad cases repeat every second; nothing may accumulate.
    EXPECT_LT(end.rss_kib, mid->rss_kib + 4u * 1024u) << "RSS grew from " << mid->rss_kib << " KiB";
  }

  // --check on the same configuration: the same verdicts, as JSON, without a secret.
  Subprocess check({VMQ_PLUGIN_PATH, "--check", "--config", conf_path});
  const auto check_code = check.wait_exit(20s);
  ASSERT_TRUE(check_code.has_value());
  EXPECT_EQ(*check_code, 1);
  const auto report = nlohmann::json::parse(check.out(), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << check.out();
  ASSERT_EQ(report["jobs"].size(), cases.size() + 1);
  EXPECT_EQ(report["jobs"][0]["ok"], true);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const auto& j = report["jobs"][i + 1];
    SCOPED_TRACE("--check " + c.name + ": " + j.dump().substr(0, 400));
    EXPECT_EQ(j["name"], c.name);
    if (c.expect == Expect::exact_values || c.expect == Expect::carries_after_good) {
      EXPECT_EQ(j["ok"], true);
    } else {
      EXPECT_EQ(j["ok"], false);
      EXPECT_NE(j.value("error", std::string()).find(c.log_has), std::string::npos);
    }
  }
  for (const std::string& s : secrets) {
    EXPECT_EQ(check.out().find(s), std::string::npos) << "secret in --check output: " << s;
    EXPECT_EQ(check.err().find(s), std::string::npos) << "secret on --check stderr: " << s;
  }
}

}  // namespace
}  // namespace vmq
