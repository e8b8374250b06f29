// SPDX-License-Identifier: GPL-3.0-or-later
#include "netdata_instance.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "subprocess.h"

extern char** environ;

namespace vmq::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text,
          fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  fs::permissions(path, perms);
}

// An executable on PATH (Subprocess execs a path, not a name).
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "/usr/bin/" + name;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

std::string read_link(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::read_symlink(path, ec);
  return ec ? std::string() : p.string();
}

std::string cmdline_of(pid_t pid) {
  std::string c = slurp("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(c.begin(), c.end(), '\0', ' ');
  while (!c.empty() && c.back() == ' ') c.pop_back();
  return c;
}

struct ProcStat {
  pid_t ppid = 0;
  char state = '?';
  unsigned long long start_time = 0;  // clock ticks since boot: tells a reused pid apart
};

std::optional<ProcStat> proc_stat(pid_t pid) {
  const std::string s = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = s.rfind(')');
  if (s.empty() || close_paren == std::string::npos) return std::nullopt;
  std::istringstream in(s.substr(close_paren + 2));
  ProcStat st;
  std::string skip;
  in >> st.state >> st.ppid;
  // Fields 5..21 then starttime (field 22); we have read fields 3 and 4.
  for (int i = 5; i <= 21; ++i) in >> skip;
  in >> st.start_time;
  if (!in) return std::nullopt;
  return st;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return out;
}

// Every live descendant of `root`, with its start time.
std::map<pid_t, unsigned long long> descendants(pid_t root) {
  std::map<pid_t, ProcStat> stats;
  for (pid_t p : all_pids()) {
    if (auto st = proc_stat(p)) stats[p] = *st;
  }
  std::map<pid_t, unsigned long long> out;
  std::set<pid_t> frontier{root};
  while (!frontier.empty()) {
    std::set<pid_t> next;
    for (const auto& [p, st] : stats) {
      if (frontier.count(st.ppid) != 0 && out.count(p) == 0) {
        out[p] = st.start_time;
        next.insert(p);
      }
    }
    frontier = std::move(next);
  }
  return out;
}

bool alive_same(pid_t pid, unsigned long long start_time) {
  const auto st = proc_stat(pid);
  return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
}

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Sees how a process that is not our child ends: it is ptrace-attached with PTRACE_O_TRACEEXIT,
// so it stops once at its exit with its wait status readable, and is then let go so that its
// real parent (Netdata) reaps it as usual. Signals it receives meanwhile are passed on unchanged.
// All ptrace calls come from one thread: the tracer is a thread, not a process.
class ExitWatcher {
 public:
  explicit ExitWatcher(pid_t pid) : pid_(pid) {
    std::promise<std::string> attached;
    auto attached_result = attached.get_future();
    thread_ = std::thread([this, &attached] { run(attached); });
    attach_error_ = attached_result.get();
  }
  ~ExitWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  // The exit status, once seen within `d`; else why not.
  std::optional<int> wait(std::chrono::milliseconds d, std::string& why) {
    const auto deadline = Clock::now() + d;
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mu_);
        if (status_) return decode_wait_status(*status_);
        if (!error_.empty()) {
          why = error_;
          return std::nullopt;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    why = attach_error_.empty() ? "the plugin did not exit within the wait" : attach_error_;
    return std::nullopt;
  }

 private:
  void run(std::promise<std::string>& attached) {
    if (ptrace(PTRACE_SEIZE, pid_, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACEEXIT)) != 0) {
      const std::string e = std::string("ptrace(PTRACE_SEIZE) failed: ") + std::strerror(errno);
      {
        std::lock_guard lock(mu_);
        error_ = e;
      }
      attached.set_value(e);
      return;
    }
    attached.set_value("");
    while (!stop_) {
      int st = 0;
      const pid_t r = waitpid(pid_, &st, __WALL | WNOHANG);
      if (r == 0) {
        std::this_thread::sleep_for(2ms);
        continue;
      }
      if (r < 0) {
        if (errno == EINTR) continue;
        std::lock_guard lock(mu_);
        error_ = std::string("waitpid on the traced plugin failed: ") + std::strerror(errno);
        return;
      }
      if (WIFEXITED(st) || WIFSIGNALED(st)) {
        std::lock_guard lock(mu_);
        status_ = st;
        return;
      }
      if (!WIFSTOPPED(st)) continue;
      const int event = st >> 16;
      if (event == PTRACE_EVENT_EXIT) {
        unsigned long msg = 0;
        const long g = ptrace(PTRACE_GETEVENTMSG, pid_, nullptr, &msg);
        ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
        std::lock_guard lock(mu_);
        if (g == 0) {
          status_ = static_cast<int>(msg);
        } else {
          error_ = std::string("PTRACE_GETEVENTMSG failed: ") + std::strerror(errno);
        }
        return;
      }
      // A group stop (PTRACE_EVENT_STOP) resumes with no signal; a signal-delivery stop passes
      // the signal on, so the plugin sees exactly what Netdata sent.
      const int sig = event == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
      ptrace(PTRACE_CONT, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    }
    // Asked to stop watching while the plugin still runs: let it go untouched.
    if (ptrace(PTRACE_INTERRUPT, pid_, nullptr, nullptr) == 0) {
      int st = 0;
      waitpid(pid_, &st, __WALL);
      ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
    }
  }

  pid_t pid_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::optional<int> status_;
  std::string error_;
  std::string attach_error_;
};

std::optional<std::string> cache_value(const std::string& cache, const std::string& key) {
  std::istringstream in(cache);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    const auto eq = line.find('=');
    if (eq != std::string::npos) return line.substr(eq + 1);
  }
  return std::nullopt;
}

size_t curl_append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

bool icontains(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         }) != hay.end();
}

}  // namespace

int free_loopback_port() { return free_port(); }

std::map<pid_t, unsigned long long> process_tree(pid_t root) { return descendants(root); }

bool process_alive(pid_t pid, unsigned long long start_time) { return alive_same(pid, start_time); }

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string read_text(const std::string& path) { return slurp(path); }

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

std::optional<std::string> fast_health_variant(const std::string& shipped) {
  static const std::regex every(R"((\n *every: *)[0-9]+[smh]\n)");
  static const std::regex delay(R"(\n *delay:[^\n]*\n)");
  if (!std::regex_search(shipped, every) || !std::regex_search(shipped, delay)) return std::nullopt;
  std::string text = std::regex_replace(shipped, every, "$011s\n");
  return std::regex_replace(text, delay, "\n");
}

std::string build_dir_of(const std::string& executable) { return fs::path(executable).parent_path().string(); }

std::optional<InstallLayout> install_project(const std::string& build_dir, const std::string& destdir,
                                             std::string& why) {
  const std::string cache = slurp(build_dir + "/CMakeCache.txt");
  const auto plugins = cache_value(cache, "VMQ_NETDATA_PLUGINS_DIR");
  const auto stock = cache_value(cache, "VMQ_NETDATA_STOCK_CONFIG_DIR");
  const auto user = cache_value(cache, "VMQ_NETDATA_USER_CONFIG_DIR");
  if (!plugins || !stock || !user) {
    why = build_dir + "/CMakeCache.txt has no VMQ_NETDATA_*_DIR: is cmake/install.cmake included?";
    return std::nullopt;
  }
  Subprocess install({find_on_path("cmake"), "--install", build_dir}, {{"DESTDIR", destdir}});
  const auto code = install.wait_exit(60s);
  if (code != 0) {
    why = "cmake --install failed (" + (code ? "exit " + std::to_string(*code) : std::string("timeout")) +
          "): " + install.out() + install.err();
    return std::nullopt;
  }
  InstallLayout l;
  l.destdir = destdir;
  l.plugins_dir = destdir + *plugins;
  l.stock_config_dir = destdir + *stock;
  l.user_config_dir = destdir + *user;
  l.plugin = l.plugins_dir + "/vernemq.plugin";
  l.stock_conf = l.stock_config_dir + "/vernemq.conf";
  l.health_file = l.user_config_dir + "/health.d/vernemq_plugin.conf";
  for (const std::string* p : {&l.plugin, &l.stock_conf, &l.health_file}) {
    if (!fs::exists(*p)) {
      why = "the install did not create " + *p + ": " + install.out();
      return std::nullopt;
    }
  }
  return l;
}

std::optional<std::string> layout_build_tree(const std::string& build_dir, const std::string& layout,
                                             std::string& why) {
  const std::string tree = build_dir + "/e2e-tree-" + layout;
  // Several e2e tests run at once and each asks for the tree: one configures and builds it, the
  // others wait and find it built (two builds of one tree at once break each other).
  const int lock_fd = ::open((tree + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    why = "cannot open " + tree + ".lock: " + std::strerror(errno);
    return std::nullopt;
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the flock
  } unlock{lock_fd};
  while (::flock(lock_fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      why = "cannot lock " + tree + ".lock: " + std::strerror(errno);
      return std::nullopt;
    }
  }
  std::vector<std::string> configure = {find_on_path("cmake"),
                                        "-S",
                                        VMQ_TEST_SOURCE_DIR,
                                        "-B",
                                        tree,
                                        "-DVMQ_NETDATA_LAYOUT=" + layout,
                                        "-DVMQ_BUILD_TESTS=OFF",
                                        "-DVMQ_BUILD_BENCH=OFF",
                                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"};
  if (fs::exists("/usr/bin/ccache")) configure.emplace_back("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
  // The objects are the same as the main build's: let ccache reuse them across build trees.
  const std::map<std::string, std::string> env = {{"CCACHE_NOHASHDIR", "1"}};
  for (const auto& argv : {configure, std::vector<std::string>{find_on_path("cmake"), "--build", tree, "--target",
                                                               "vernemq.plugin", "-j2"}}) {
    Subprocess p(argv, env);
    const auto code = p.wait_exit(600s);
    if (code != 0) {
      why = argv[1] + " of " + tree + " failed: " + p.out() + p.err();
      return std::nullopt;
    }
  }
  return tree;
}

std::optional<std::string> http_get(const std::string& url, long& status, std::chrono::milliseconds timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  status = 0;
  CURL* h = curl_easy_init();
  if (h == nullptr) return std::nullopt;
  std::string body;
  const bool set = curl_easy_setopt(h, CURLOPT_URL, url.c_str()) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_append) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_WRITEDATA, &body) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count())) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                   curl_easy_setopt(h, CURLOPT_NOPROXY, "*") == CURLE_OK &&  // loopback: never via a proxy
                   curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
  if (!set) {
    curl_easy_cleanup(h);
    return std::nullopt;
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) return std::nullopt;
  return body;
}

// ---------------------------------------------------------------------------------------------

NetdataInstance::NetdataInstance(NetdataOptions options) : options_(std::move(options)) {
  std::string tmpl = (fs::temp_directory_path() / "vmq-e2e-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    failure_ = "mkdtemp failed";
    return;
  }
  root_ = tmpl;
  std::string why;
  std::string tree = options_.build_dir;
  if (!options_.layout.empty()) {
    const auto t = layout_build_tree(options_.build_dir, options_.layout, why);
    if (!t) {
      failure_ = why;
      return;
    }
    tree = *t;
  }
  const auto layout = install_project(tree, root_ + "/dest", why);
  if (!layout) {
    failure_ = why;
    return;
  }
  layout_ = *layout;
  for (const char* d :
       {"var/cache", "var/lib", "var/log", "var/lock", "var/home", "var/registry", "var/run", "var/web"}) {
    fs::create_directories(root_ + "/" + d);
  }
  if (!options_.vernemq_conf.empty()) spit(layout_.user_config_dir + "/vernemq.conf", options_.vernemq_conf);
  spit(root_ + "/notify.sh", "#!/bin/sh\necho \"$@\" >> '" + notify_log_path() + "'\n", fs::perms::owner_all);
  spit(layout_.user_config_dir + "/.opt-out-from-anonymous-statistics", "");
  if (options_.after_install) options_.after_install(layout_);
  write_config();
  // A free port can be taken by someone else before Netdata binds it: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    why.clear();
    if (start_once(why)) return;
  }
  failure_ = why;
}

NetdataInstance::~NetdataInstance() {
  if (running()) stop();
  if (!root_.empty() && std::getenv("VMQ_E2E_KEEP") == nullptr) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

std::string NetdataInstance::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void NetdataInstance::write_config() {
  if (options_.v2()) return write_config_v2();
  const std::string var = root_ + "/var";
  std::ostringstream c;
  c << "[global]\n"
       "    run as user = root\n"
       "    hostname = vmq-e2e\n"
       "[db]\n"
       "    mode = ram\n"
       "    update every = 1\n"
       "[directories]\n"
    << "    config = " << layout_.user_config_dir << "\n"
    << "    stock config = " << layout_.stock_config_dir << "\n"
    << "    plugins = " << layout_.plugins_dir << "\n"
    << "    cache = " << var << "/cache\n"
    << "    lib = " << var << "/lib\n"
    << "    log = " << var << "/log\n"
    << "    lock = " << var << "/lock\n"
    << "    home = " << var << "/home\n"
    << "    registry = " << var << "/registry\n"
    << "    health config = " << layout_.user_config_dir << "/health.d\n"
    << "    stock health config = " << options_.stock_health_dir << "\n"
    << "    web = /usr/share/netdata/web\n"
    << "[logs]\n"
    << "    error = " << error_log_path() << "\n"
    << "    access = none\n"
    << "    health = " << var
    << "/log/health.log\n"
    // Loading the stock health directory logs a few hundred lines; 1.37's flood protection
    // (200 lines) would then silence the log for 20 minutes and hide what the tests look for.
    << "    errors flood protection period = 0\n"
       "    errors to trigger flood protection = 0\n"
       "[web]\n"
       "    bind to = 127.0.0.1\n"
       "[registry]\n"
       "    enabled = no\n"
       "[ml]\n"
       "    enabled = no\n"
       "[health]\n"
       "    enabled = yes\n"
       "    run at least every seconds = 1\n"
    << "    script to execute on alarm = " << root_ << "/notify.sh\n"
    << "[plugins]\n"
       "    enable running new plugins = no\n"
       "    proc = no\n"
       "    diskspace = no\n"
       "    cgroups = no\n"
       "    tc = no\n"
       "    idlejitter = no\n"
       "    timex = no\n"
       "    checks = no\n"
       "    statsd = no\n"
       "    netdata monitoring = no\n"
       "    vernemq = yes\n";
  for (const auto& p : options_.enable_plugins) c << "    " << p << " = yes\n";
  c << "[plugin:vernemq]\n"
    << "    update every = " << options_.update_every << "\n";
  spit(layout_.user_config_dir + "/netdata.conf", c.str());
}

// v2's netdata.conf (the differences: ../shared/tools/netdata-v2.10.4/README.md).
void NetdataInstance::write_config_v2() {
  const std::string var = root_ + "/var";
  std::ostringstream c;
  c << "[global]\n"
       "    run as user = root\n"
       "    hostname = vmq-e2e\n"
       "[db]\n"
       "    mode = ram\n"
       "    update every = 1\n"
       "[directories]\n"
    << "    config = " << layout_.user_config_dir << "\n"
    << "    stock config = " << layout_.stock_config_dir << "\n"
    << "    plugins = \"" << layout_.plugins_dir << "\"\n"
    << "    cache = " << var << "/cache\n"
    << "    lib = " << var << "/lib\n"
    << "    log = " << var << "/log\n"
    << "    lock = " << var << "/lock\n"
    << "    home = " << var << "/home\n"
    << "    run = " << var << "/run\n"
    << "    web = " << var << "/web\n"
    << "    registry = " << var << "/registry\n"
    << "    health config = " << layout_.user_config_dir << "/health.d\n"
    << "    stock health config = " << options_.stock_health_dir << "\n"
    << "[logs]\n"
    << "    daemon = " << daemon_log_path() << "\n"
    << "    collector = " << error_log_path() << "\n"
    << "    health = " << var << "/log/health.log\n"
    << "    access = off\n"
    << "[web]\n"
    << "    bind to = 127.0.0.1:" << port_ << "\n"
    << "[registry]\n"
       "    enabled = no\n"
       "[ml]\n"
       "    enabled = no\n"
       "[health]\n"
       "    enabled = yes\n"
       "    run at least every = 1s\n"
    << "    script to execute on alarm = " << root_ << "/notify.sh\n"
    << "[plugins]\n"
       "    enable running new plugins = no\n"
       "    proc = no\n"
       "    diskspace = no\n"
       "    cgroups = no\n"
       "    tc = no\n"
       "    idlejitter = no\n"
       "    timex = no\n"
       "    checks = no\n"
       "    statsd = no\n"
       "    netdata monitoring = no\n"
       "    vernemq = yes\n";
  for (const auto& p : options_.enable_plugins) c << "    " << p << " = yes\n";
  c << "[plugin:vernemq]\n"
    << "    update every = " << options_.update_every << "\n";
  spit(layout_.user_config_dir + "/netdata.conf", c.str());
}

bool NetdataInstance::start_once(std::string& why) {
  port_ = free_port();
  if (port_ == 0) {
    why = "no free loopback port";
    return false;
  }
  const std::string conf = layout_.user_config_dir + "/netdata.conf";
  const std::string port = std::to_string(port_);
  std::vector<std::string> argv = {options_.netdata, "-D", "-c", conf, "-W", "set", "web", "default port", port};
  if (options_.v2()) {
    write_config_v2();  // the port is in `bind to`
    argv.resize(4);
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const std::string out_path = root_ + "/netdata.out";
  const pid_t parent = getpid();
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    why = "fork failed";
    return false;
  }
  if (pid == 0) {
    // Dies with the test: a crashed or killed test leaves no Netdata behind.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execve(cargv[0], cargv.data(), environ);
    _exit(127);
  }
  pid_ = pid;
  stopped_ = false;
  const auto deadline = t0 + 15s;
  while (Clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      why = "netdata exited (" + std::to_string(decode_wait_status(st)) + ") before answering on port " + port + ": " +
            slurp(out_path) +
            "\nerror.log tail: " + error_log().substr(error_log().size() > 3000 ? error_log().size() - 3000 : 0);
      pid_ = -1;
      return false;
    }
    long status = 0;
    if (http_get(base_url() + "/api/v1/info", status, 1s) && status == 200) {
      startup_seconds_ = std::chrono::duration<double>(Clock::now() - t0).count();
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  why = "netdata did not answer on port " + port + " within 15 s";
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

std::optional<nlohmann::json> NetdataInstance::get_json(const std::string& path) const {
  long status = 0;
  const auto body = http_get(base_url() + path, status);
  if (!body || status != 200) return std::nullopt;
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string NetdataInstance::error_log() const { return slurp(error_log_path()); }

std::optional<pid_t> NetdataInstance::plugin_pid() const {
  if (!running()) return std::nullopt;
  std::error_code ec;
  const std::string want = fs::canonical(layout_.plugin, ec).string();
  for (const auto& [p, start] : descendants(pid_)) {
    (void)start;
    if (read_link("/proc/" + std::to_string(p) + "/exe") == want) return p;
  }
  return std::nullopt;
}

StopReport NetdataInstance::stop(std::chrono::milliseconds timeout) {
  if (stop_report_) return *stop_report_;
  StopReport r;
  if (!running()) {
    r.plugin_exit_unknown = "netdata was not running";
    stop_report_ = r;
    return r;
  }
  const auto family = descendants(pid_);
  std::unique_ptr<ExitWatcher> watcher;
  const auto plugin = plugin_pid();
  if (plugin) {
    watcher = std::make_unique<ExitWatcher>(*plugin);
  } else {
    r.plugin_exit_unknown = "no vernemq.plugin was running when Netdata was stopped";
  }
  const auto t0 = Clock::now();
  kill(pid_, SIGTERM);
  const auto deadline = t0 + timeout;
  int st = 0;
  bool exited = false;
  while (Clock::now() < deadline) {
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  if (exited) {
    r.netdata_exit = decode_wait_status(st);
  } else {
    kill(pid_, SIGKILL);
    waitpid(pid_, &st, 0);
  }
  if (watcher) {
    std::string why;
    r.plugin_exit = watcher->wait(exited ? 3s : 100ms, why);
    if (!r.plugin_exit) r.plugin_exit_unknown = why;
    watcher.reset();
  }
  // Anything of this instance still running: what Netdata started, and any process of the
  // installed plugin whatever its parent now is.
  std::this_thread::sleep_for(200ms);  // an orphan's reaping by init is not instant
  std::set<pid_t> reported;
  for (const auto& [p, start] : family) {
    if (alive_same(p, start)) {
      r.leftovers.push_back(std::to_string(p) + " " + cmdline_of(p));
      reported.insert(p);
    }
  }
  std::error_code ec;
  const std::string plugin_exe = fs::canonical(layout_.plugin, ec).string();
  for (pid_t p : all_pids()) {
    if (reported.count(p) == 0 && read_link("/proc/" + std::to_string(p) + "/exe") == plugin_exe) {
      r.leftovers.push_back(std::to_string(p) + " " + cmdline_of(p));
    }
  }
  // Do not leave them to the next test: they are this instance's own processes.
  for (const auto& [p, start] : family) {
    if (alive_same(p, start)) kill(p, SIGKILL);
  }
  stopped_ = true;
  stop_report_ = r;
  return r;
}

std::vector<std::string> error_log_problems(std::string_view log, std::string_view health_file) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < log.size()) {
    const auto nl = log.find('\n', pos);
    const std::string_view line = log.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? log.size() : nl + 1;
    const bool netdata_line = contains(line, ": netdata ");
    const bool about_plugin = contains(line, "PLUGINSD[vernemq]") || contains(line, "vernemq.plugin");
    const bool problem =
        // The parser thread of the plugin logs protocol errors and disconnects at ERROR.
        (contains(line, "PLUGINSD[vernemq]") && contains(line, " ERROR ")) ||
        (netdata_line && about_plugin && icontains(line, "disabl")) || contains(line, "vernemq.plugin ERROR") ||
        contains(line, "vernemq.plugin CRITICAL") ||
        (!health_file.empty() && contains(line, health_file) &&
         (contains(line, " ERROR ") || contains(line, "Health configuration at line") || icontains(line, "unknown"))) ||
        contains(line, "LOG FLOOD PROTECTION");
    if (problem) out.emplace_back(line);
  }
  return out;
}

std::optional<std::size_t> ChartData::row_at(long long t) const {
  const auto it = std::lower_bound(times.begin(), times.end(), t);
  if (it == times.end() || *it != t) return std::nullopt;
  return static_cast<std::size_t>(it - times.begin());
}

std::optional<double> ChartData::value(long long t, const std::string& dim) const {
  const auto r = row_at(t);
  const auto d = std::find(dims.begin(), dims.end(), dim);
  if (!r || d == dims.end()) return std::nullopt;
  return rows[*r][static_cast<std::size_t>(d - dims.begin())];
}

std::optional<double> ChartData::unsuccessful_at(long long t) const {
  const auto r = row_at(t);
  if (!r) return std::nullopt;
  double sum = 0;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == "success" || dims[d] == "no_matching_subscribers") continue;
    if (!rows[*r][d]) return std::nullopt;
    sum += *rows[*r][d];
  }
  return sum;
}

std::optional<double> ChartData::sum_at(long long t, const std::vector<std::string>& names) const {
  double sum = 0;
  for (const std::string& n : names) {
    const auto v = value(t, n);
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

std::optional<ChartData> chart_data(const NetdataInstance& nd, const std::string& chart, int after) {
  const auto j =
      nd.get_json("/api/v1/data?chart=" + chart + "&after=" + std::to_string(after) + "&format=json&options=unaligned");
  if (!j || !j->contains("labels") || !j->contains("data")) return std::nullopt;
  ChartData out;
  const auto& labels = (*j)["labels"];
  for (std::size_t i = 1; i < labels.size(); ++i) out.dims.push_back(labels[i].get<std::string>());
  std::vector<std::pair<long long, std::vector<std::optional<double>>>> rows;
  for (const auto& row : (*j)["data"]) {
    std::vector<std::optional<double>> v;
    for (std::size_t i = 1; i < row.size(); ++i) {
      v.push_back(row[i].is_null() ? std::nullopt : std::optional<double>(row[i].get<double>()));
    }
    rows.emplace_back(row[0].get<long long>(), std::move(v));
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // The API pads the window with empty points from before the chart existed: drop them.
  const auto first = std::find_if(rows.begin(), rows.end(), [](const auto& r) {
    return std::any_of(r.second.begin(), r.second.end(), [](const auto& v) { return v.has_value(); });
  });
  rows.erase(rows.begin(), first);
  for (auto& [t, v] : rows) {
    out.times.push_back(t);
    out.rows.push_back(std::move(v));
  }
  return out;
}

std::optional<nlohmann::json> alarm_of(const NetdataInstance& nd, const std::string& chart, const std::string& name) {
  const auto j = nd.get_json("/api/v1/alarms?all");
  if (!j || !j->contains("alarms")) return std::nullopt;
  const auto it = (*j)["alarms"].find(chart + "." + name);
  if (it == (*j)["alarms"].end()) return std::nullopt;
  return *it;
}

StopReport expect_clean_stop(NetdataInstance& nd, const std::vector<std::string>& expected) {
  const StopReport r = nd.stop();
  EXPECT_EQ(r.netdata_exit, 0) << "netdata did not exit 0 on SIGTERM";
  EXPECT_EQ(r.plugin_exit, 0) << "vernemq.plugin's exit when Netdata stopped: " << r.plugin_exit_unknown;
  std::string left;
  for (const auto& l : r.leftovers) left += l + "\n";
  EXPECT_TRUE(r.leftovers.empty()) << "left running after Netdata exited:\n" << left;
  auto problems = error_log_problems(nd.error_log(), nd.layout().health_file);
  std::erase_if(problems, [&](const std::string& line) {
    return std::any_of(expected.begin(), expected.end(), [&](const std::string& e) { return contains(line, e); });
  });
  std::string listed;
  for (const auto& p : problems) listed += p + "\n";
  EXPECT_TRUE(problems.empty()) << nd.error_log_path() << " shows problems:\n" << listed;
  return r;
}

// ---------------------------------------------------------------------------------------------

std::string scenario_yaml(const std::vector<SimStep>& steps) {
  auto counters = [](const std::map<std::string, long long>& m) {
    std::string s = "{";
    for (const auto& [k, v] : m) s += (s.size() > 1 ? ", " : "") + k + ": " + std::to_string(v);
    return s + "}";
  };
  std::string y = "prefix: vernemq_\nnodes: [VerneMQ@127.0.0.1]\nsteps:\n";
  for (const auto& s : steps) {
    y += "  - {at: " + std::to_string(s.at);
    if (s.restart) y += ", restart: true";
    if (!s.add.empty()) y += ", add: " + counters(s.add);
    if (s.rate) y += ", rate: " + counters(*s.rate);
    if (s.unreachable_for > 0) y += ", fault: close, for: " + std::to_string(s.unreachable_for);
    y += "}\n";
  }
  return y;
}

long long scenario_counter(const std::vector<SimStep>& steps, const std::string& reason, double elapsed) {
  if (elapsed < 0) return 0;
  const auto n = static_cast<long long>(std::floor(elapsed));
  long long counter = 0;
  long long rate = 0;
  auto apply = [&](long long k) {
    for (const auto& s : steps) {
      if (s.at != k) continue;
      if (s.restart) counter = 0;
      if (auto it = s.add.find(reason); it != s.add.end()) counter += it->second;
      if (s.rate) {
        const auto it = s.rate->find(reason);
        rate = it == s.rate->end() ? 0 : it->second;
      }
    }
  };
  apply(0);
  for (long long k = 1; k <= n; ++k) {
    counter += rate;
    apply(k);
  }
  return counter;
}

std::vector<long long> expected_minute_values(const std::vector<SimStep>& steps, const std::string& reason,
                                              double timeline_start, long long baseline,
                                              const std::vector<long long>& times) {
  // A scrape made just after the whole second `t` sees the counter of that moment.
  auto counter = [&](long long t) {
    return scenario_counter(steps, reason, static_cast<double>(t) + 0.05 - timeline_start);
  };
  std::vector<long long> deltas;
  std::vector<long long> out;
  long long prev = counter(baseline);
  for (std::size_t i = 0; i < times.size(); ++i) {
    const long long c = counter(times[i]);
    deltas.push_back(c >= prev ? c - prev : c);
    prev = c;
    long long sum = 0;
    for (std::size_t j = 0; j <= i; ++j) {
      if (times[j] > times[i] - 60) sum += deltas[j];
    }
    out.push_back(sum);
  }
  return out;
}

struct VernemqSim::Proc {
  explicit Proc(const std::vector<std::string>& argv) : sub(argv) {}
  Subprocess sub;
};

VernemqSim::VernemqSim(const std::string& sim_path, const std::string& dir, const std::vector<SimStep>& steps) {
  const std::string file = dir + "/scenario.yaml";
  spit(file, scenario_yaml(steps));
  start(sim_path, file);
}

VernemqSim::VernemqSim(const std::string& sim_path, const std::string& scenario_file) {
  start(sim_path, scenario_file);
}

VernemqSim::~VernemqSim() {
  if (proc_) {
    proc_->sub.signal(SIGTERM);
    proc_->sub.wait_exit(3s);
  }
}

void VernemqSim::start(const std::string& sim_path, const std::string& scenario_file) {
  proc_ = std::make_unique<Proc>(std::vector<std::string>{sim_path, "--scenario", scenario_file});
  if (!proc_->sub.wait_for_stdout("ready\n", 10s)) return;
  const std::regex node_line(R"((\S+) (http://\S+)\n)");
  std::smatch m;
  if (std::regex_search(proc_->sub.out(), m, node_line)) url_ = m[2];
  // "timeline starts at ... (unix 1795622388.500)" on stderr, logged right after "ready".
  const std::regex start_line(R"(timeline starts at \S+ \(unix ([0-9]+\.[0-9]+)\))");
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (std::regex_search(proc_->sub.err(), m, start_line)) {
      timeline_start_ = std::stod(m[1]);
      return;
    }
    proc_->sub.pump(20ms);
  }
}

std::string VernemqSim::log() const { return proc_ ? proc_->sub.err() : std::string(); }

void VernemqSim::wait_until(double elapsed) const {
  for (;;) {
    const double left = timeline_start_ + elapsed - unix_now();
    if (left <= 0) return;
    proc_->sub.pump(std::chrono::milliseconds(static_cast<long long>(std::min(left, 0.2) * 1000) + 1));
  }
}

}  // namespace vmq::testing

namespace vmq::testing {
namespace {

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned int buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto v = kAlphabet.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFFu));
    }
  }
  return out;
}

bool truthy(const nlohmann::json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_number()) return v.get<double>() != 0;
  return true;
}

}  // namespace

HeadlessChromium::HeadlessChromium(const std::string& profile_dir, const std::string& chromium) {
  // A browser that went away must not kill the test with SIGPIPE when it writes to it.
  ::signal(SIGPIPE, SIG_IGN);
  fs::create_directories(profile_dir);
  log_path_ = profile_dir + ".log";
  std::vector<std::string> argv = {chromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + profile_dir,
                                   "--window-size=1400,1000",
                                   "--remote-debugging-pipe",
                                   "about:blank"};
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int to[2];
  int from[2];
  if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) {
    failure_ = "pipe2 failed";
    return;
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    failure_ = "fork failed";
    return;
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Move both ends above 10 first: a pipe end may itself be fd 3 or 4.
    const int cmd = fcntl(to[0], F_DUPFD, 10);
    const int rsp = fcntl(from[1], F_DUPFD, 10);
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (cmd < 0 || rsp < 0 || in < 0 || out < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    dup2(cmd, 3);  // dup2 leaves the new fds open across exec
    dup2(rsp, 4);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    execve(cargv[0], cargv.data(), environ);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  to_browser_ = to[1];
  from_browser_ = from[0];
  const auto targets = call("Target.getTargets", nlohmann::json::object(), false);
  if (!targets) {
    failure_ = "chromium does not answer on its DevTools pipe: " + log();
    return;
  }
  std::string target;
  for (const auto& t : (*targets)["targetInfos"]) {
    if (t["type"] == "page") target = t["targetId"].get<std::string>();
  }
  if (target.empty()) {
    failure_ = "chromium has no page: " + targets->dump();
    return;
  }
  const auto attached = call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}}, false);
  if (!attached || !attached->contains("sessionId")) {
    failure_ = "cannot attach to chromium's page";
    return;
  }
  session_ = (*attached)["sessionId"].get<std::string>();
  // A headless page has no focus, and Netdata's dashboard pauses without it.
  if (!call("Page.enable", nlohmann::json::object(), true) ||
      !call("Emulation.setFocusEmulationEnabled", {{"enabled", true}}, true)) {
    failure_ = "chromium refused Page.enable or focus emulation";
  }
}

HeadlessChromium::~HeadlessChromium() {
  if (pid_ > 0) {
    if (to_browser_ >= 0) call("Browser.close", nlohmann::json::object(), false, std::chrono::milliseconds(3000));
    const auto deadline = Clock::now() + 5s;
    int st = 0;
    while (waitpid(pid_, &st, WNOHANG) == 0) {
      if (Clock::now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &st, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  if (to_browser_ >= 0) close(to_browser_);
  if (from_browser_ >= 0) close(from_browser_);
}

std::string HeadlessChromium::log() const { return slurp(log_path_); }

bool HeadlessChromium::read_messages(std::chrono::milliseconds timeout) {
  pollfd p{from_browser_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return r == 0 || errno == EINTR;
  char buf[65536];
  const ssize_t got = read(from_browser_, buf, sizeof buf);
  if (got <= 0) return false;  // the browser closed its end
  inbox_.append(buf, static_cast<std::size_t>(got));
  std::size_t nul;
  while ((nul = inbox_.find('\0')) != std::string::npos) {
    auto j = nlohmann::json::parse(inbox_.substr(0, nul), nullptr, false);
    inbox_.erase(0, nul + 1);
    if (!j.is_discarded()) messages_.push_back(std::move(j));
  }
  return true;
}

std::optional<nlohmann::json> HeadlessChromium::call(const std::string& method, const nlohmann::json& params,
                                                     bool in_page, std::chrono::milliseconds timeout) {
  if (to_browser_ < 0) return std::nullopt;
  const long long id = ++next_id_;
  nlohmann::json m = {{"id", id}, {"method", method}, {"params", params}};
  if (in_page) m["sessionId"] = session_;
  std::string wire = m.dump();
  wire.push_back('\0');
  for (std::size_t off = 0; off < wire.size();) {
    const ssize_t w = write(to_browser_, wire.data() + off, wire.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return std::nullopt;
    off += static_cast<std::size_t>(w);
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (auto it = messages_.begin(); it != messages_.end(); ++it) {
      if (it->contains("id") && (*it)["id"] == id) {
        nlohmann::json reply = std::move(*it);
        messages_.erase(it);
        if (reply.contains("error")) return std::nullopt;
        return reply["result"];
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!read_messages(std::min(left, std::chrono::milliseconds(200)))) return std::nullopt;
  }
}

bool HeadlessChromium::navigate(const std::string& url, std::chrono::milliseconds timeout) {
  // Forget the load events of earlier pages.
  messages_.erase(
      std::remove_if(messages_.begin(), messages_.end(),
                     [](const nlohmann::json& m) { return m.value("method", "") == "Page.loadEventFired"; }),
      messages_.end());
  if (!call("Page.navigate", {{"url", url}}, true)) return false;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (const auto& m : messages_) {
      if (m.value("method", "") == "Page.loadEventFired") return true;
    }
    if (!read_messages(200ms)) return false;
  }
  return false;
}

std::optional<nlohmann::json> HeadlessChromium::evaluate(const std::string& expression) {
  const auto r =
      call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}, true);
  if (!r || !r->contains("result") || r->contains("exceptionDetails")) return std::nullopt;
  const auto& result = (*r)["result"];
  return result.contains("value") ? result["value"] : nlohmann::json();
}

std::optional<nlohmann::json> HeadlessChromium::wait_for(const std::string& expression,
                                                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::optional<nlohmann::json> v;
  while (Clock::now() < deadline) {
    v = evaluate(expression);
    if (v && truthy(*v)) return v;
    std::this_thread::sleep_for(250ms);
  }
  return std::nullopt;
}

bool HeadlessChromium::screenshot(const std::string& png_path) {
  const auto r = call("Page.captureScreenshot", {{"format", "png"}}, true);
  if (!r || !r->contains("data")) return false;
  const auto png = base64_decode((*r)["data"].get<std::string>());
  return png && write_text(png_path, *png);
}

}  // namespace vmq::testing
