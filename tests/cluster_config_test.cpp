// SPDX-License-Identifier: GPL-3.0-or-later
// The job keys cluster_sources and cluster_update_every, through the real config parser:
// defaults, the api_key rule, overrides, and located messages for bad values.
#include <gtest/gtest.h>

#include <string>

#include "vmq/cluster_config.h"
#include "vmq/config.h"

namespace vmq {
namespace {

std::string problems(const Config& c) {
  std::string out;
  for (const std::string& p : c.problems) out += p + "\n";
  return out;
}

Config parse_job(const std::string& extra) {
  return parse_config("jobs:\n  - name: a\n    url: http://h:8888/metrics\n" + extra, "t.conf");
}

bool on(const JobConfig& j, ClusterSource s) { return cluster_source_enabled(j.cluster, s, !j.api_key.empty()); }

TEST(ClusterConfig, DefaultsStatusAndHealthOnApiOnlyWithAKey) {
  const Config c = parse_job("");
  ASSERT_EQ(c.jobs.size(), 1u) << problems(c);
  const JobConfig& j = c.jobs[0];
  EXPECT_EQ(j.cluster.update_every, 10);
  EXPECT_TRUE(on(j, ClusterSource::status_json));
  EXPECT_TRUE(on(j, ClusterSource::health));
  EXPECT_TRUE(on(j, ClusterSource::health_listeners_full_cluster));
  EXPECT_FALSE(on(j, ClusterSource::api_cluster_show));
  EXPECT_FALSE(on(j, ClusterSource::api_listener_show));

  const Config k = parse_job("    api_key: s3cret\n");
  ASSERT_EQ(k.jobs.size(), 1u) << problems(k);
  EXPECT_TRUE(on(k.jobs[0], ClusterSource::api_cluster_show));
  EXPECT_TRUE(on(k.jobs[0], ClusterSource::api_listener_show));
}

TEST(ClusterConfig, ExplicitSettingsWinOverTheDefaults) {
  const Config c = parse_job(
      "    api_key: s3cret\n"
      "    cluster_update_every: 30\n"
      "    cluster_sources:\n"
      "      health: {enabled: false}\n"
      "      api_listener_show: false\n"
      "      status_json: {url: 'https://h:8443'}\n");
  ASSERT_EQ(c.jobs.size(), 1u) << problems(c);
  const JobConfig& j = c.jobs[0];
  EXPECT_EQ(j.cluster.update_every, 30);
  EXPECT_FALSE(on(j, ClusterSource::health));
  EXPECT_FALSE(on(j, ClusterSource::api_listener_show));
  EXPECT_TRUE(on(j, ClusterSource::api_cluster_show));
  EXPECT_EQ(j.cluster.sources[static_cast<std::size_t>(ClusterSource::status_json)].url, "https://h:8443");
  // One boolean for them all.
  const Config off = parse_job("    api_key: s3cret\n    cluster_sources: false\n");
  ASSERT_EQ(off.jobs.size(), 1u) << problems(off);
  for (const ClusterSourceSpec& spec : kClusterSources) EXPECT_FALSE(on(off.jobs[0], spec.id)) << spec.key;
  // Turned on explicitly without a key: the user's word counts (the node may not need one).
  const Config n = parse_job("    cluster_sources: {api_cluster_show: {enabled: true}}\n");
  ASSERT_EQ(n.jobs.size(), 1u) << problems(n);
  EXPECT_TRUE(on(n.jobs[0], ClusterSource::api_cluster_show));
}

TEST(ClusterConfig, BadValuesSkipTheJobWithALocatedMessage) {
  struct Case {
    std::string yaml;
    std::string expected;  // in the message
  };
  const Case cases[] = {
      {"    cluster_update_every: 0\n", "t.conf:4:27: job 'a': key 'cluster_update_every': found '0'; expected"},
      {"    cluster_update_every: ten\n", "key 'cluster_update_every': found 'ten'"},
      {"    cluster_sources: [status_json]\n", "t.conf:4:22: job 'a': key 'cluster_sources': found a list"},
      {"    cluster_sources: {metrics: {enabled: true}}\n", "unknown source 'metrics'; expected one of status_json"},
      {"    cluster_sources: {health: {enabled: maybe}}\n", "source 'health': 'enabled' is 'maybe'"},
      {"    cluster_sources: {health: {path: /x}}\n", "source 'health': unknown key 'path'"},
      // Another host would receive the job's credentials: refused.
      {"    cluster_sources: {health: {url: 'http://evil:8888/health'}}\n", "key 'cluster_sources': health"},
      // Another path is not in the allow-list.
      {"    cluster_sources: {status_json: {url: 'http://h:8888/api/v1/cluster/leave'}}\n",
       "key 'cluster_sources': status_json"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.yaml);
    const Config c = parse_job(k.yaml);
    EXPECT_TRUE(c.jobs.empty());
    EXPECT_NE(problems(c).find(k.expected), std::string::npos) << problems(c);
    EXPECT_NE(problems(c).find("the job is skipped"), std::string::npos);
  }
}

TEST(ClusterConfig, NullValuesLeaveTheDefaults) {
  const Config c = parse_job("    cluster_update_every:\n    cluster_sources:\n");
  ASSERT_EQ(c.jobs.size(), 1u) << problems(c);
  EXPECT_EQ(c.jobs[0].cluster.update_every, 10);
  EXPECT_TRUE(on(c.jobs[0], ClusterSource::status_json));
}

}  // namespace
}  // namespace vmq
