// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration loader: go.d's vernemq.conf YAML shape → validated JobConfigs.
//
// Start-up code, so exceptions are allowed here (style.md): a file that cannot be used at all
// throws ConfigError; a bad job is skipped and explained in Config::problems. What each key
// takes is the key table's business (config_keys.cpp); this file walks the YAML, runs each
// key's row, and applies the few rules that span keys or jobs.
#include "vmq/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "vmq/config_readers.h"
#include "vmq/config_text.h"
#include "vmq/config_yaml.h"
#include "vmq/netdata_writer.h"

namespace vmq {
namespace {

using cfg::Errors;
using cfg::found;
using cfg::is_plain;
using cfg::Loc;
using cfg::loc_of;
using cfg::NodeBudget;
using cfg::shown;
using cfg::where;

// Merge keys ('<<') nested deeper than this are a loop or a mistake.
constexpr int kMaxMergeDepth = 16;

// Keys a go.d vernemq job may carry (go.d's job keys and web.HTTPConfig keys) that mean nothing
// here: accepted so a go.d file works unchanged, reported so nobody believes they took effect.
struct CompatKey {
  std::string_view name;
  std::string_view why;
};
constexpr std::array<CompatKey, 10> kCompatJobKeys = {{
    {"method", "the plugin always sends GET, which is what VerneMQ's /metrics serves"},
    {"body", "a GET request has no body"},
    {"force_http2", "libcurl negotiates the HTTP version by itself"},
    {"vnode", "virtual nodes are a go.d feature; the charts belong to the host Netdata runs on"},
    {"autodetection_retry", "only the top-level autodetection_retry is read"},
    {"priority", "chart priorities are fixed in Netdata's VerneMQ range"},
    {"labels", "custom chart labels are not supported; charts carry 'node' and '_collect_job'"},
    {"module", "this plugin only runs the vernemq module"},
    {"max_time_series", "the plugin keeps only the VerneMQ series it charts"},
    {"max_time_series_per_metric", "the plugin keeps only the VerneMQ series it charts"},
}};

const ConfigKey* find_key(std::string_view name, bool global) {
  const auto keys = config_keys();
  const auto it =
      std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& k) { return k.global == global && k.name == name; });
  return it == keys.end() ? nullptr : &*it;
}

// The known names of one group, in table order, for "known keys: ..." in messages.
const std::vector<std::string_view>& key_names(bool global) {
  static const auto names = [](bool g) {
    std::vector<std::string_view> out;
    for (const ConfigKey& k : config_keys()) {
      if (k.global == g) out.push_back(k.name);
    }
    return out;
  };
  static const std::vector<std::string_view> top = names(true);
  static const std::vector<std::string_view> job = names(false);
  return global ? top : job;
}

// One key: value of a job map, after resolving YAML merge keys (`<<: *defaults`), which go.d's
// yaml.v2 supports and yaml-cpp 0.7 leaves to the application.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source), budget_(source) {}

  Config parse(std::string_view text);

 private:
  [[noreturn]] void fail(Loc loc, const std::string& what) const {
    throw ConfigError(where(source_, loc) + ": " + what);
  }
  void problem(Loc loc, const std::string& what) { config_.problems.push_back(where(source_, loc) + ": " + what); }

  // Runs the key's row: its reader validates the value and stores it (a null value keeps the
  // default unless the row reads it). Problems go to `errors`.
  void read_key(const ConfigKey& row, const YAML::Node& key, const YAML::Node& value, JobConfig* job, Errors& errors) {
    if (value.IsNull() && row.on_null == OnNull::keep_default) return;
    row.read(
        cfg::KeyRead{row, "key '" + std::string(row.name) + "'", key, value, source_, config_, job, errors, budget_});
  }

  void parse_top_level(const YAML::Node& root);
  void parse_jobs(const YAML::Node& jobs, Loc jobs_loc);
  void gather_entries(const YAML::Node& map, std::vector<Entry>& out, std::unordered_set<std::string>& seen,
                      Errors& errors, int depth);
  std::optional<JobConfig> parse_job(const YAML::Node& node, std::size_t index);
  // The rules that span keys or jobs, after the per-key pass.
  void check_job(const JobConfig& job, const std::unordered_set<std::string>& seen, Loc job_loc, Loc name_loc,
                 Errors& errors);

  std::string_view source_;
  NodeBudget budget_;
  Config config_;
  struct SeenName {
    std::string name;
    Loc loc;
  };
  // Keyed by the chart type the name becomes, so "a.b" and "a_b" collide here as they would
  // in Netdata.
  std::unordered_map<std::string, SeenName> names_;
};

Config Parser::parse(std::string_view text) {
  config_.source = std::string(source_);
  const YAML::Node root = cfg::load_yaml_document(text, source_);
  // go.d treats an empty file (or one with only comments) as "no configuration", not an error.
  if (!root.IsDefined() || root.IsNull()) {
    config_.problems.push_back(std::string(source_) + " has no jobs (it holds nothing but comments or blank lines)");
    return std::move(config_);
  }
  parse_top_level(root);
  return std::move(config_);
}

void Parser::parse_top_level(const YAML::Node& root) {
  budget_.visit(root);
  if (!root.IsMap()) {
    fail(loc_of(root.Mark()),
         "the top level is " + found(root) + "; expected a map with the keys " + cfg::join(key_names(true)));
  }
  std::unordered_map<std::string, Loc> seen;
  YAML::Node jobs;
  Loc jobs_loc;
  bool have_jobs = false;
  for (const auto& kv : root) {
    const YAML::Node& key = kv.first;
    const YAML::Node& value = kv.second;
    budget_.visit(key);
    budget_.visit(value);
    const Loc kloc = loc_of(key.Mark());
    if (!key.IsScalar()) fail(kloc, "a top-level key is " + found(key) + "; expected a name");
    const std::string& name = key.Scalar();
    if (auto [it, inserted] = seen.emplace(name, kloc); !inserted) {
      fail(kloc, "key " + shown(name) + " appears twice (first at line " + std::to_string(it->second.line) +
                     "); expected each key once");
    }
    const ConfigKey* row = find_key(name, true);
    if (row == nullptr) {
      // go.d warns and goes on: one misspelt key must not stop the jobs that are fine.
      problem(kloc, cfg::unknown_key_text(name, key_names(true)) + "; the key is ignored");
    } else if (row->read == nullptr) {  // `jobs`, walked once the defaults are known
      jobs = value;
      jobs_loc = kloc;
      have_jobs = true;
    } else {
      // A bad top-level value concerns every job: the file is unusable.
      Errors errors;
      read_key(*row, key, value, nullptr, errors);
      if (!errors.empty()) fail(errors.front().first, errors.front().second);
    }
  }
  if (!have_jobs || jobs.IsNull()) {
    config_.problems.push_back(std::string(source_) +
                               " has no jobs; expected a 'jobs' list, e.g. jobs: [{name: local, "
                               "url: 'http://127.0.0.1:8888/metrics'}]");
    return;
  }
  parse_jobs(jobs, jobs_loc);
}

void Parser::parse_jobs(const YAML::Node& jobs, Loc jobs_loc) {
  if (!jobs.IsSequence()) {
    fail(jobs.IsNull() ? jobs_loc : loc_of(jobs.Mark()),
         "key 'jobs': found " + found(jobs) + "; expected a list of jobs, each item starting with '- name:'");
  }
  std::size_t index = 0;
  for (const auto& item : jobs) {
    ++index;
    budget_.visit(item);
    if (auto job = parse_job(item, index)) config_.jobs.push_back(std::move(*job));
  }
  if (index == 0) {
    config_.problems.push_back(std::string(source_) + " has no jobs; the 'jobs' list is empty");
  } else if (config_.jobs.empty()) {
    config_.problems.push_back(std::string(source_) + ": none of its " + std::to_string(index) +
                               " job(s) is usable (see the messages above)");
  }
}

void Parser::gather_entries(const YAML::Node& map, std::vector<Entry>& out, std::unordered_set<std::string>& seen,
                            Errors& errors, int depth) {
  // Explicit keys win over merged ones, and earlier merge sources over later ones (YAML's
  // merge-key rules, as yaml.v2 applies them).
  std::unordered_map<std::string, Loc> own;
  std::vector<YAML::Node> merges;
  for (const auto& kv : map) {
    budget_.visit(kv.first);
    budget_.visit(kv.second);
    const Loc kloc = loc_of(kv.first.Mark());
    if (!kv.first.IsScalar()) {
      errors.emplace_back(kloc, "a key is " + found(kv.first) + "; expected a name");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (key == "<<" && is_plain(kv.first)) {
      merges.push_back(kv.second);
      continue;
    }
    if (auto [it, inserted] = own.emplace(key, kloc); !inserted) {
      errors.emplace_back(kloc, "key " + shown(key) + " appears twice (first at line " +
                                    std::to_string(it->second.line) + "); expected each key once");
      continue;
    }
    if (seen.insert(key).second) out.push_back({key, kv.first, kv.second});
  }
  for (const YAML::Node& m : merges) {
    if (depth > kMaxMergeDepth) {
      errors.emplace_back(loc_of(m.Mark()), "merge keys ('<<') nest too deep; expected at most 16 levels");
      return;
    }
    if (m.IsMap()) {
      gather_entries(m, out, seen, errors, depth + 1);
    } else if (m.IsSequence()) {
      for (const auto& source : m) {
        budget_.visit(source);
        if (!source.IsMap()) {
          errors.emplace_back(loc_of(source.Mark()), "a merge ('<<') source is " + found(source) + "; expected a map");
          continue;
        }
        gather_entries(source, out, seen, errors, depth + 1);
      }
    } else {
      errors.emplace_back(loc_of(m.Mark()), "key '<<' is " + found(m) + "; expected a map or a list of maps to merge");
    }
  }
}

std::optional<JobConfig> Parser::parse_job(const YAML::Node& node, std::size_t index) {
  const std::string index_label = "job #" + std::to_string(index);
  const Loc job_loc = loc_of(node.Mark());
  if (!node.IsMap()) {
    problem(job_loc, index_label + ": found " + found(node) +
                         "; expected a map of job keys (name, url, ...); the job is skipped");
    return std::nullopt;
  }

  std::vector<Entry> entries;
  std::unordered_set<std::string> seen;
  Errors errors;
  gather_entries(node, entries, seen, errors, 0);

  // The name first, so every other message can name the job; go.d names a job without one
  // after its module (the row's default).
  JobConfig job;
  const ConfigKey& name_row = *find_key("name", false);
  Loc name_loc = job_loc;
  const auto name_entry = std::find_if(entries.begin(), entries.end(), [](const Entry& e) { return e.key == "name"; });
  if (name_entry == entries.end()) {
    job.name = std::string(name_row.default_value);
  } else {
    name_loc = name_entry->value.IsNull() ? loc_of(name_entry->key_node.Mark()) : loc_of(name_entry->value.Mark());
    read_key(name_row, name_entry->key_node, name_entry->value, &job, errors);
  }
  // A job is called by its name only when it has one of its own.
  const std::string label = name_entry == entries.end() || job.name.empty() ? index_label : "job '" + job.name + "'";

  for (const Entry& e : entries) {
    if (e.key == "name") continue;
    const Loc kloc = loc_of(e.key_node.Mark());
    if (const auto compat = std::find_if(kCompatJobKeys.begin(), kCompatJobKeys.end(),
                                         [&](const CompatKey& c) { return c.name == e.key; });
        compat != kCompatJobKeys.end()) {
      problem(kloc, label + ": key '" + e.key + "' is ignored: " + std::string(compat->why) +
                        " (accepted for go.d compatibility)");
    } else if (const ConfigKey* row = find_key(e.key, false)) {
      read_key(*row, e.key_node, e.value, &job, errors);
    } else {
      errors.emplace_back(kloc, cfg::unknown_key_text(e.key, key_names(false)));
    }
  }
  check_job(job, seen, job_loc, name_loc, errors);

  if (!errors.empty()) {
    for (const auto& [loc, what] : errors) {
      config_.problems.push_back(where(source_, loc) + ": " + label + ": " + what + "; the job is skipped");
    }
    return std::nullopt;
  }
  return job;
}

void Parser::check_job(const JobConfig& job, const std::unordered_set<std::string>& seen, Loc job_loc, Loc name_loc,
                       Errors& errors) {
  for (const ConfigKey& k : config_keys()) {
    if (!k.global && k.required && seen.count(std::string(k.name)) == 0) {
      errors.emplace_back(job_loc, "key '" + std::string(k.name) + "' is missing; " + std::string(k.expected));
    }
  }

  // Cluster source URLs must stay on the job's host (cluster_sources.h).
  for (std::string& m : check_cluster_config(job.cluster, job.url)) errors.emplace_back(job_loc, std::move(m));

  // Names that make chart ids collide: as go.d, the later job is skipped and the others run.
  // The chart type is built exactly as the charts code does ("vernemq_" + the sanitised name,
  // then the writer's own sanitising and length cap), so names that differ only in characters
  // Netdata ids cannot hold count as duplicates too. Only a usable job claims its name.
  if (job.name.empty() || !errors.empty()) return;
  const std::string chart_type = sanitize_id("vernemq_" + sanitize_id(job.name));
  const auto [it, inserted] = names_.emplace(chart_type, SeenName{job.name, name_loc});
  if (inserted) return;
  const std::string unnamed = seen.count("name") == 0 ? " (a job without 'name' is named 'vernemq')" : "";
  if (it->second.name == job.name) {
    errors.emplace_back(name_loc, "duplicate job name " + shown(job.name) + unnamed + ": also used by the job at " +
                                      where(source_, it->second.loc) + "; expected unique job names");
  } else {
    errors.emplace_back(name_loc, "its name" + unnamed + " and the name " + shown(it->second.name) + " of the job at " +
                                      where(source_, it->second.loc) + " both become the chart type " +
                                      shown(chart_type) +
                                      "; expected names that differ in letters, digits, '_' or '-' (other "
                                      "characters become '_', and only the first 92 count)");
  }
}

}  // namespace

Config parse_config(std::string_view yaml_text, std::string_view source) {
  Parser parser(source);
  return parser.parse(yaml_text);
}

Config default_config() {
  Config config;
  config.source = "built-in default";
  JobConfig job;
  job.name = "local";
  job.url = std::string(kDefaultUrl);
  config.jobs.push_back(std::move(job));
  return config;
}

}  // namespace vmq
