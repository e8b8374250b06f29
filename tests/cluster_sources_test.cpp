// SPDX-License-Identifier: GPL-3.0-or-later
// The cluster sources' allow-list: the exact list, the URLs derived from a job's /metrics URL,
// and crafted inputs that must never yield a request off the list or off the job's host.
#include "vmq/cluster_sources.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vmq {
namespace {

constexpr std::string_view kJob = "http://127.0.0.1:8888/metrics";

// The list, written out by hand from VerneMQ's HTTP modules (catalogue 1.4): read-only only.
const std::vector<std::string> kExpectedPaths = {
    "/status.json", "/health", "/health/listeners_full_cluster", "/api/v1/cluster/show", "/api/v1/listener/show",
};

TEST(ClusterSources, TheAllowListIsExactlyTheFiveReadOnlyPaths) {
  std::vector<std::string> paths;
  std::set<std::string_view> keys;
  for (std::size_t i = 0; i < kClusterSources.size(); ++i) {
    const ClusterSourceSpec& s = kClusterSources[i];
    paths.emplace_back(s.path);
    EXPECT_EQ(static_cast<std::size_t>(s.id), i) << "rows in enum order";
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_EQ(cluster_source_from_key(s.key), s.id);
  }
  EXPECT_EQ(paths, kExpectedPaths);
  EXPECT_EQ(cluster_source_from_key("metrics"), std::nullopt);
  EXPECT_EQ(cluster_source_from_key("api_cluster_leave"), std::nullopt);
  // Only the two /api/v1 rows need the key, and only they are vmq-admin commands: both "show".
  for (const ClusterSourceSpec& s : kClusterSources) {
    EXPECT_EQ(s.needs_api_key, s.path.starts_with("/api/v1/")) << s.path;
    if (s.needs_api_key) {
      EXPECT_TRUE(s.path.ends_with("/show")) << s.path;
    }
  }
  EXPECT_EQ(cluster_source_spec(ClusterSource::health_listeners_full_cluster).since_major, 2);
}

struct Derived {
  std::string_view metrics_url;
  ClusterSource source;
  std::string_view expected;
};

TEST(ClusterSources, UrlsComeFromTheMetricsOriginWithoutUserinfoPathOrQuery) {
  const Derived cases[] = {
      {kJob, ClusterSource::status_json, "http://127.0.0.1:8888/status.json"},
      {kJob, ClusterSource::health, "http://127.0.0.1:8888/health"},
      {kJob, ClusterSource::health_listeners_full_cluster, "http://127.0.0.1:8888/health/listeners_full_cluster"},
      {kJob, ClusterSource::api_cluster_show, "http://127.0.0.1:8888/api/v1/cluster/show"},
      {kJob, ClusterSource::api_listener_show, "http://127.0.0.1:8888/api/v1/listener/show"},
      {"http://user:secret@10.0.0.5:8888/metrics?x=1#f", ClusterSource::status_json,
       "http://10.0.0.5:8888/status.json"},
      {"https://Broker.Example/vmq/metrics", ClusterSource::health, "https://broker.example/health"},
      {"https://broker.example:443/metrics", ClusterSource::health, "https://broker.example/health"},
      {"http://[::1]:8888/metrics", ClusterSource::api_cluster_show, "http://[::1]:8888/api/v1/cluster/show"},
      // A path that tries to climb: only the origin is used.
      {"http://127.0.0.1:8888/metrics/../api/v1/cluster/leave", ClusterSource::status_json,
       "http://127.0.0.1:8888/status.json"},
  };
  for (const Derived& c : cases) {
    const ClusterSourceUrl u = cluster_source_url(c.source, c.metrics_url);
    EXPECT_EQ(u.url, c.expected) << c.metrics_url << " → " << u.error;
    EXPECT_TRUE(u.error.empty()) << u.error;
    EXPECT_FALSE(u.disabled);
  }
}

TEST(ClusterSources, DisabledMeansNoUrlAndNoError) {
  const ClusterSourceUrl u = cluster_source_url(ClusterSource::status_json, kJob, {.enabled = false, .url = ""});
  EXPECT_TRUE(u.disabled);
  EXPECT_TRUE(u.url.empty());
  EXPECT_TRUE(u.error.empty());
}

TEST(ClusterSources, AnOverrideMayChangePortAndSchemeOnTheSameHost) {
  struct Case {
    ClusterSource source;
    std::string_view override_url;
    std::string_view expected;
  };
  const Case cases[] = {
      {ClusterSource::status_json, "http://127.0.0.1:9999", "http://127.0.0.1:9999/status.json"},
      {ClusterSource::status_json, "https://127.0.0.1:9443/status.json", "https://127.0.0.1:9443/status.json"},
      {ClusterSource::api_listener_show, "http://127.0.0.1:8889/", "http://127.0.0.1:8889/api/v1/listener/show"},
  };
  for (const Case& c : cases) {
    const ClusterSourceUrl u =
        cluster_source_url(c.source, kJob, {.enabled = true, .url = std::string(c.override_url)});
    EXPECT_EQ(u.url, c.expected) << c.override_url << " → " << u.error;
  }
}

struct Refused {
  std::string_view input;
  std::string_view message;  // a fragment of the error
};

// Hostile overrides of /status.json's URL for a job on 127.0.0.1:8888.
const Refused kBadOverrides[] = {
    {"http://evil.example:8888/status.json", "differs from the job's host"},
    {"http://127.0.0.1.evil.example:8888/", "differs from the job's host"},
    {"http://127.0.0.1@evil.example:8888/", "user information"},
    {"http://evil.example\\@127.0.0.1:8888/", ""},
    {"http://user:pw@127.0.0.1:8888/", "user information"},
    {"http://127.0.0.1:8888/api/v1/cluster/leave", "not this source's path"},
    {"http://127.0.0.1:8888/health", "not this source's path"},
    {"http://127.0.0.1:8888/status.json/../api/v1/cluster/leave", "not this source's path"},
    {"http://127.0.0.1:8888/%2e%2e/api/v1/session/disconnect", "not this source's path"},
    {"http://127.0.0.1:8888/api%2Fv1%2Fcluster%2Fleave", "not this source's path"},
    {"http://127.0.0.1:8888/status.json%3Fx", "not this source's path"},
    {"http://127.0.0.1:8888/status.json?node=x&cmd=leave", "query string"},
    {"http://127.0.0.1:8888/?/api/v1/cluster/leave", "query string"},
    {"http://127.0.0.1:8888/status.json#frag", "fragment"},
    {"file:///etc/passwd", "http:// or https://"},
    {"ftp://127.0.0.1:8888/status.json", "http:// or https://"},
    {"gopher://127.0.0.1:8888/_GET%20/api/v1/cluster/leave", "http:// or https://"},
    {"http://127.0.0.1:8888/status.json\r\nGET /api/v1/cluster/leave HTTP/1.1", "not a valid URL"},
    {"http://127.0.0.1:8888/status.json HTTP/1.1\r\nx: y", "not a valid URL"},
    {std::string_view("http://127.0.0.1:8888/status.json\0/api/v1/cluster/leave", 56), "NUL"},
    {"//evil.example/status.json", "not a valid URL"},
    {"http:///status.json", ""},
    {"not a url", "not a valid URL"},
};

TEST(ClusterSources, HostileOverridesAreRefusedWithAClearMessage) {
  for (const Refused& c : kBadOverrides) {
    const ClusterSourceUrl u =
        cluster_source_url(ClusterSource::status_json, kJob, {.enabled = true, .url = std::string(c.input)});
    EXPECT_TRUE(u.url.empty()) << c.input << " gave " << u.url;
    EXPECT_FALSE(u.disabled);
    ASSERT_FALSE(u.error.empty()) << c.input;
    EXPECT_TRUE(u.error.starts_with("status_json: ")) << u.error;
    EXPECT_NE(u.error.find(c.message), std::string::npos) << c.input << ": " << u.error;
    EXPECT_EQ(u.error.find("pw"), std::string::npos) << "a credential in a message: " << u.error;
  }
}

// The shape of any URL handed out, checked by hand: scheme, an authority without userinfo or
// separators, then exactly the source's path and nothing more.
void expect_clean(const std::string& url, std::string_view path, const std::string& input) {
  std::string_view rest(url);
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    ADD_FAILURE() << input << " → " << url << ": not http(s)";
    return;
  }
  const std::size_t slash = rest.find('/');
  ASSERT_NE(slash, std::string_view::npos) << url;
  const std::string_view authority = rest.substr(0, slash);
  EXPECT_FALSE(authority.empty()) << url;
  EXPECT_EQ(authority.find_first_of("@?#\\ \r\n"), std::string_view::npos) << input << " → " << url;
  EXPECT_EQ(rest.substr(slash), path) << input << " → " << url;
}

// Whatever comes in as an override of any source, what comes out is either nothing or exactly
// an allow-listed path on the job's 127.0.0.1 (port 8888 or the override's 9999). Whatever
// comes in as the job's own URL, what comes out is that URL's origin and an allow-listed path.
TEST(ClusterSources, NoInputEverYieldsAUrlOffTheListOrOffTheHost) {
  std::set<std::string> allowed;
  for (const std::string& path : kExpectedPaths) {
    allowed.insert("http://127.0.0.1:8888" + path);
    allowed.insert("http://127.0.0.1:9999" + path);
  }
  std::vector<std::string> inputs;
  for (const Refused& c : kBadOverrides) inputs.emplace_back(c.input);
  for (std::string_view extra :
       {"http://127.0.0.1:9999", "http://127.0.0.1:8888/metrics", "http://127.0.0.1:8888/metrics?a=b",
        "http://127.0.0.1:8888/metrics/../../api/v1/cluster/leave?x", "http://127.0.0.1:8888"}) {
    inputs.emplace_back(extra);
  }
  std::size_t produced = 0;
  for (const std::string& in : inputs) {
    for (const ClusterSourceSpec& s : kClusterSources) {
      const ClusterSourceUrl o = cluster_source_url(s.id, kJob, ClusterSourceSetting{true, in});
      if (o.url.empty()) {
        EXPECT_FALSE(o.error.empty()) << in;
      } else {
        ++produced;
        EXPECT_TRUE(allowed.contains(o.url)) << in << " → " << o.url;
        expect_clean(o.url, s.path, in);
      }
      const ClusterSourceUrl j = cluster_source_url(s.id, in, ClusterSourceSetting{});
      if (j.url.empty()) {
        EXPECT_FALSE(j.error.empty()) << in;
      } else {
        ++produced;
        expect_clean(j.url, s.path, in);
        EXPECT_EQ(check_cluster_request(j.url, in), "");
      }
    }
  }
  EXPECT_GE(produced, 20u) << "the good inputs must still produce URLs";
  // The job URLs that only look like 127.0.0.1 are on the host libcurl would fetch /metrics from.
  EXPECT_EQ(cluster_source_url(ClusterSource::health, "http://127.0.0.1@evil.example:8888/").url,
            "http://evil.example:8888/health");
}

TEST(ClusterSources, TheLastGateChecksHostPathQueryAndUserinfo) {
  EXPECT_EQ(check_cluster_request("http://127.0.0.1:8888/status.json", kJob), "");
  EXPECT_EQ(check_cluster_request("https://127.0.0.1:1/api/v1/listener/show", kJob), "");
  EXPECT_NE(check_cluster_request("http://127.0.0.1:8888/metrics", kJob), "");
  EXPECT_NE(check_cluster_request("http://127.0.0.1:8888/api/v1/cluster/leave", kJob).find("allow-list"),
            std::string::npos);
  EXPECT_NE(check_cluster_request("http://127.0.0.1:8888/api/v1/session/disconnect", kJob), "");
  EXPECT_NE(check_cluster_request("http://127.0.0.1:8888/api/v2/disconnect", kJob), "");
  EXPECT_NE(check_cluster_request("http://127.0.0.2:8888/status.json", kJob).find("not the job's host"),
            std::string::npos);
  EXPECT_NE(check_cluster_request("http://127.0.0.1:8888/status.json?x", kJob).find("query"), std::string::npos);
  EXPECT_NE(check_cluster_request("http://a:b@127.0.0.1:8888/status.json", kJob).find("user information"),
            std::string::npos);
  EXPECT_NE(check_cluster_request("http://127.0.0.1:8888/status.json", "::not a url"), "");
}

}  // namespace
}  // namespace vmq
