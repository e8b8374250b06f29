// SPDX-License-Identifier: GPL-3.0-or-later
// vernemq.plugin: arguments, environment, signals, wiring, exit codes. Everything else lives
// in the vmq_core library.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "vmq/chart_reference.h"
#include "vmq/config.h"
#include "vmq/log.h"
#include "vmq/netdata_writer.h"
#include "vmq/plugin.h"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int /*sig*/) {
  g_stop.store(true);
  vmq::wake_running_plugin();
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  // A peer closing a socket must never kill the plugin; a closed stdout is seen as EPIPE on
  // write, and the plugin then exits 0. SIGHUP (a terminal going away) is not a reason to stop.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
}

// Each job holds a connection; hundreds of jobs need more descriptors than the usual soft limit.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);  // best effort: the plugin still runs with fewer jobs at once
  }
}

// A file that holds credentials and that other users can read leaks them. Netdata's stock
// configuration files are world-readable and that is fine for files without secrets, so this
// is only called for files that hold one. Readable by the plugin's own group is accepted
// (root:netdata 0640 is the usual way to let the netdata user read a root-owned file).
void warn_if_readable_by_others(const std::string& path, std::string_view holds, std::string_view component) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // unreadable files are reported where they are read
  const bool world = (st.st_mode & S_IROTH) != 0;
  const bool group = (st.st_mode & S_IRGRP) != 0 && st.st_gid != ::getegid();
  if (!world && !group) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  vmq::log::warning(component, path + " holds " + std::string(holds) + " and can be read by " +
                                   (world ? "every user" : "its group") + " (mode " + mode +
                                   "); restrict it: chmod 600 " + path +
                                   " (it must stay readable by the user the plugin runs as, usually netdata)");
}

void warn_about_readable_secrets(const vmq::Config& config) {
  bool any_secret = false;
  std::set<std::string> checked;  // many jobs often share one token or key file: one warning
  for (const vmq::JobConfig& j : config.jobs) {
    any_secret = any_secret || !j.secrets().empty();
    if (!j.bearer_token_file.empty() && checked.insert(j.bearer_token_file).second) {
      warn_if_readable_by_others(j.bearer_token_file, "a bearer token", j.name);
    }
    if (!j.tls_key.empty() && checked.insert(j.tls_key).second) {
      warn_if_readable_by_others(j.tls_key, "a TLS private key", j.name);
    }
  }
  if (any_secret && config.source != "built-in default") {
    warn_if_readable_by_others(config.source, "passwords or API keys", "main");
  }
}

constexpr std::string_view kUsage =
    "usage: vernemq.plugin [UPDATE_EVERY] [--config FILE] [--check] [--charts] [--help] [--version]\n"
    "\n"
    "A Netdata external plugin that collects every VerneMQ metric family (counts in the last\n"
    "minute for what alerts speak of, rates for traffic), first of all the MQTT 5 PUBACK reason codes.\n"
    "\n"
    "  UPDATE_EVERY   data collection interval in seconds (Netdata passes it; default 1 or\n"
    "                 $NETDATA_UPDATE_EVERY); a job never runs faster than this\n"
    "  --config FILE  read FILE instead of $NETDATA_USER_CONFIG_DIR/vernemq.conf or\n"
    "                 $NETDATA_STOCK_CONFIG_DIR/vernemq.conf\n"
    "  --check        fetch every job once, print a JSON report, exit 0 only if all are usable\n"
    "  --charts       print the chart reference (Markdown) and exit\n"
    "  --help         this text\n"
    "  --version      the version\n";

int parse_interval(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > 86400) return -1;
    v = v * 10 + (c - '0');
  }
  return s.empty() || v < 1 || v > 86400 ? -1 : v;
}

}  // namespace

int main(int argc, char** argv) {
  vmq::log::init_from_env();
  std::optional<std::string> config_path;
  bool check = false;
  int update_every = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a(argv[i]);
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--version" || a == "-v") {
      std::cout << "vernemq.plugin " << VMQ_VERSION << "\n";
      return 0;
    }
    if (a == "--charts") {
      std::cout << vmq::chart_reference_markdown();
      return 0;
    }
    if (a == "--check") {
      check = true;
    } else if (a == "--config") {
      if (i + 1 >= argc) {
        std::cerr << "vernemq.plugin: --config needs a FILE\n" << kUsage;
        return 2;
      }
      config_path = argv[++i];
    } else if (a.starts_with("--config=")) {
      config_path = std::string(a.substr(9));
    } else if (const int v = parse_interval(a); v > 0 && update_every == 0) {
      update_every = v;
    } else {
      std::cerr << "vernemq.plugin: unknown argument '" << a << "'; expected UPDATE_EVERY (1..86400 seconds), "
                << "--config FILE, --check, --charts, --help or --version\n";
      return 2;
    }
  }
  if (update_every == 0) {
    const char* env = std::getenv("NETDATA_UPDATE_EVERY");
    update_every = env != nullptr ? parse_interval(env) : 1;
    if (update_every < 1) update_every = 1;
  }

  vmq::Config config;
  try {
    const std::optional<std::string> file =
        vmq::find_config_file(config_path, [](const char* name) -> const char* { return std::getenv(name); });
    config = file ? vmq::load_config_file(*file) : vmq::default_config();
  } catch (const vmq::ConfigError& e) {
    vmq::log::error("main", std::string("configuration: ") + e.what());
    if (check) {
      std::cout << "{\"ok\": false, \"error\": \"configuration error (see stderr)\"}\n";
      return 1;
    }
    std::string out;
    vmq::ProtocolWriter(out).disable();
    std::cout << out << std::flush;
    return 0;
  }
  for (const vmq::JobConfig& j : config.jobs) {
    for (const std::string& s : j.secrets()) vmq::log::add_secret(s);
  }
  for (const std::string& p : config.problems) vmq::log::warning("main", p);
  warn_about_readable_secrets(config);
  vmq::log::info("main", "configuration from " + config.source + ": " + std::to_string(config.jobs.size()) +
                             " job(s), update every " + std::to_string(update_every) + " s");

  // Start-up failures outside the configuration (libcurl cannot initialise: no memory, no
  // descriptors) throw; they are reported like a bad configuration, never an abort.
  if (check) {
    raise_fd_limit();
    try {
      return vmq::run_check(config, 1);
    } catch (const std::exception& e) {
      vmq::log::error("main", std::string("cannot run the check: ") + e.what());
      const nlohmann::json report{{"ok", false}, {"error", e.what()}};
      std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return 1;
    }
  }

  install_signals();
  raise_fd_limit();
  vmq::RunOptions options;
  options.netdata_update_every = update_every;
  options.netdata = vmq::NetdataVersion::parse(std::getenv("NETDATA_VERSION"));
  vmq::log::debug("main", "Netdata " + options.netdata.text() + (options.netdata.from_env ? "" : " (assumed)") +
                              (options.netdata.functions() ? ": the vernemq function is offered" : ""));
  const vmq::SystemClock clock;
  try {
    return vmq::run_plugin(config, options, clock, g_stop);
  } catch (const std::exception& e) {
    vmq::log::error("main", std::string("cannot run: ") + e.what() + "; disabling the plugin");
    std::string out;
    vmq::ProtocolWriter(out).disable();
    std::cout << out << std::flush;
    return 0;
  }
}
