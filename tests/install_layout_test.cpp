// SPDX-License-Identifier: GPL-3.0-or-later
// `cmake --install` per Netdata layout, into a fake root (DESTDIR): every file lands where that
// layout's Netdata looks for it (the table is netdata-v2.md §5, written here by hand), nothing
// else is installed, and the health files hold only what that Netdata understands. Also the
// layout detection rule, the per-directory overrides, and the health renderer's refusals.
//
// One configure tree (under the build directory) is re-configured per layout: the plugin is built
// there once, and re-configuring with another layout must move every file by itself.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "netdata_instance.h"
#include "subprocess.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using vmq::testing::Subprocess;
using vmq::testing::TempDir;

namespace {

const std::string kTree = vmq::testing::build_dir_of(VMQ_PLUGIN_PATH) + "/install_layout_tree";

struct Layout {
  std::string name;
  std::string plugins;
  std::string stock;
  std::string user;
  bool v2;
};

// netdata-v2.md §5; the static install's plugin goes to custom-plugins.d (kept by static updates).
const std::vector<Layout> kLayouts = {
    {"debian-1.37", "/usr/lib/netdata/plugins.d", "/usr/lib/netdata/conf.d", "/etc/netdata", false},
    {"v2-native", "/usr/libexec/netdata/plugins.d", "/usr/lib/netdata/conf.d", "/etc/netdata", true},
    {"v2-static", "/opt/netdata/etc/netdata/custom-plugins.d", "/opt/netdata/usr/lib/netdata/conf.d",
     "/opt/netdata/etc/netdata", true},
};

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string cache_value(const std::string& tree, const std::string& key) {
  std::istringstream in(read(tree + "/CMakeCache.txt"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return line.substr(line.find('=') + 1);
  }
  return "<unset>";
}

struct CmdResult {
  int code = -1;
  std::string output;
};

CmdResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
  Subprocess p(argv, env);
  const auto code = p.wait_exit(300s);
  return {code.value_or(-1), p.out() + p.err()};
}

// Configures `tree`, forgetting the layout and directories of any earlier configure, so each
// call sees only `args` (as a first configure would).
CmdResult configure(const std::string& tree, std::vector<std::string> args) {
  std::vector<std::string> argv = {VMQ_CMAKE_COMMAND,
                                   "-S",
                                   VMQ_SOURCE_DIR,
                                   "-B",
                                   tree,
                                   "-DVMQ_BUILD_TESTS=OFF",
                                   "-DVMQ_BUILD_BENCH=OFF",
                                   "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                                   "-UVMQ_NETDATA_LAYOUT",
                                   "-UVMQ_NETDATA_PLUGINS_DIR",
                                   "-UVMQ_NETDATA_STOCK_CONFIG_DIR",
                                   "-UVMQ_NETDATA_USER_CONFIG_DIR",
                                   "-UVMQ_NETDATA_DETECT_ROOT"};
  if (fs::exists("/usr/bin/ccache")) argv.emplace_back("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// Every file under `root`, relative ("/usr/..."), with its permission bits.
std::map<std::string, unsigned> files_under(const std::string& root) {
  std::map<std::string, unsigned> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    struct stat st {};
    ::stat(e.path().c_str(), &st);
    out[e.path().string().substr(root.size())] = st.st_mode & 07777u;
  }
  return out;
}

// The health files the source tree ships: health.d/NAME.conf.in installs as NAME.conf.
std::vector<std::string> shipped_health_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(std::string(VMQ_SOURCE_DIR) + "/health.d")) {
    const std::string n = e.path().filename().string();
    if (n.size() > 8 && n.ends_with(".conf.in")) names.push_back(n.substr(0, n.size() - 3));
  }
  return names;
}

// The non-comment lines of a health file.
std::vector<std::string> config_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#') out.push_back(line);
  }
  return out;
}

std::string key_of(const std::string& line) {
  const auto colon = line.find(':');
  const auto first = line.find_first_not_of(" \t");
  return colon == std::string::npos ? "" : line.substr(first, colon - first);
}

// What a health file may hold on each version (netdata-v2.md §5, §8.9): problems found, one a line.
std::vector<std::string> health_problems(const std::string& text, bool v2) {
  std::vector<std::string> problems;
  // A variable in info:/summary: renders only in its version's form: 1.37 `$label:X` ended by a
  // space or the line's end; v2 `${label:X}`. Any other `$` there would show raw.
  static const std::regex v137_var(R"(\$label:[A-Za-z0-9_]+(?=[ \t]|$))");
  static const std::regex v2_var(R"(\$\{label:[A-Za-z0-9_]+\})");
  for (const std::string& line : config_lines(text)) {
    const std::string key = key_of(line);
    if (v2 && (key == "families" || key == "charts")) problems.push_back("1.37-only key (v2 ignores it): " + line);
    if (!v2 && (key == "summary" || key == "chart labels")) problems.push_back("v2-only key: " + line);
    if (!v2 && line.find("${") != std::string::npos) problems.push_back("shows raw on 1.37: " + line);
    if (v2 && line.find("$label:") != std::string::npos) problems.push_back("shows raw on v2: " + line);
    if (key == "info" || key == "summary") {
      const std::string rest = std::regex_replace(line, v2 ? v2_var : v137_var, "");
      if (rest.find('$') != std::string::npos) problems.push_back("a variable that would show raw: " + line);
    }
  }
  return problems;
}

class InstallLayout : public ::testing::TestWithParam<Layout> {};

TEST_P(InstallLayout, EveryFileLandsWhereThatNetdataLooksAndHealthFitsIt) {
  const Layout& l = GetParam();
  const CmdResult c = configure(kTree, {"-DVMQ_NETDATA_LAYOUT=" + l.name});
  ASSERT_EQ(c.code, 0) << c.output;
  const CmdResult b =
      run({VMQ_CMAKE_COMMAND, "--build", kTree, "--target", "vernemq.plugin", "-j2"}, {{"CCACHE_NOHASHDIR", "1"}});
  ASSERT_EQ(b.code, 0) << b.output;
  TempDir dest;
  const CmdResult i = run({VMQ_CMAKE_COMMAND, "--install", kTree}, {{"DESTDIR", dest.path()}});
  ASSERT_EQ(i.code, 0) << i.output;

  std::map<std::string, unsigned> expected = {{l.plugins + "/vernemq.plugin", 0755}, {l.stock + "/vernemq.conf", 0644}};
  const auto names = shipped_health_names();
  ASSERT_FALSE(names.empty());
  for (const std::string& n : names) expected[l.user + "/health.d/" + n] = 0644;
  EXPECT_EQ(files_under(dest.path()), expected);

  for (const std::string& n : names) {
    const std::string text = read(dest.path() + l.user + "/health.d/" + n);
    ASSERT_FALSE(text.empty()) << n;
    const auto problems = health_problems(text, l.v2);
    EXPECT_TRUE(problems.empty()) << n << " for " << l.name << ":\n" << ::testing::PrintToString(problems);
  }
  // The installed plugin is a working build of this tree.
  const CmdResult v = run({dest.path() + l.plugins + "/vernemq.plugin", "--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.output, "vernemq.plugin " VMQ_VERSION "\n");
}

INSTANTIATE_TEST_SUITE_P(Layouts, InstallLayout, ::testing::ValuesIn(kLayouts), [](const auto& p) {
  std::string n = p.param.name;
  for (char& ch : n) ch = (ch == '-' || ch == '.') ? '_' : ch;
  return n;
});

TEST(InstallLayoutRules, AGivenDirectoryWinsOverTheLayoutsAndTheRestFollowTheLayout) {
  const CmdResult c = configure(kTree, {"-DVMQ_NETDATA_LAYOUT=v2-native", "-DVMQ_NETDATA_PLUGINS_DIR=/srv/plugins"});
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_EQ(cache_value(kTree, "VMQ_NETDATA_PLUGINS_DIR"), "/srv/plugins");
  EXPECT_EQ(cache_value(kTree, "VMQ_NETDATA_STOCK_CONFIG_DIR"), "/usr/lib/netdata/conf.d");
  EXPECT_EQ(cache_value(kTree, "VMQ_NETDATA_USER_CONFIG_DIR"), "/etc/netdata");
  // Re-configured with another layout only: the given directory stays, the others move.
  const CmdResult again = run({VMQ_CMAKE_COMMAND, "-S", VMQ_SOURCE_DIR, "-B", kTree, "-DVMQ_NETDATA_LAYOUT=v2-static"});
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(cache_value(kTree, "VMQ_NETDATA_PLUGINS_DIR"), "/srv/plugins");
  EXPECT_EQ(cache_value(kTree, "VMQ_NETDATA_STOCK_CONFIG_DIR"), "/opt/netdata/usr/lib/netdata/conf.d");
  EXPECT_EQ(cache_value(kTree, "VMQ_NETDATA_USER_CONFIG_DIR"), "/opt/netdata/etc/netdata");
}

TEST(InstallLayoutRules, DetectedFromWhatIsInstalledWhenNotGiven) {
  struct Case {
    std::vector<std::string> dirs;  // made under the fake root
    std::string layout;
  };
  const std::vector<Case> cases = {
      {{}, "debian-1.37"},
      {{"/usr/lib/netdata/plugins.d"}, "debian-1.37"},
      {{"/usr/libexec/netdata/plugins.d"}, "v2-native"},
      {{"/opt/netdata/usr/libexec/netdata/plugins.d"}, "v2-static"},
      // Netdata's own package replaced Debian's, which left its directory behind.
      {{"/usr/lib/netdata/plugins.d", "/usr/libexec/netdata/plugins.d"}, "v2-native"},
      {{"/usr/lib/netdata/plugins.d", "/opt/netdata/usr/libexec/netdata/plugins.d"}, "v2-static"},
  };
  TempDir trees;
  int n = 0;
  for (const Case& k : cases) {
    TempDir root;
    for (const std::string& d : k.dirs) fs::create_directories(root.path() + d);
    // Configure only, in a throwaway tree: detection happens at configure time.
    const std::string tree = trees.path() + "/t" + std::to_string(n++);
    const CmdResult c = configure(tree, {"-DVMQ_NETDATA_DETECT_ROOT=" + root.path()});
    ASSERT_EQ(c.code, 0) << c.output;
    EXPECT_EQ(cache_value(tree, "VMQ_NETDATA_LAYOUT"), k.layout) << ::testing::PrintToString(k.dirs);
  }
}

TEST(InstallLayoutRules, AnUnknownLayoutIsRefusedNamingTheChoices) {
  TempDir t;
  const CmdResult c = configure(t.path() + "/tree", {"-DVMQ_NETDATA_LAYOUT=v3"});
  EXPECT_NE(c.code, 0);
  EXPECT_NE(c.output.find("VMQ_NETDATA_LAYOUT is 'v3'; expected one of"), std::string::npos) << c.output;
  EXPECT_NE(c.output.find("v2-native"), std::string::npos) << c.output;
}

// The renderer alone (cmake -P), on sources written for the test.
CmdResult render(const TempDir& t, const std::string& source, const std::string& syntax) {
  const std::string src = t.write("a.conf.in", source);
  const std::string script = t.write("render.cmake", "include(" + std::string(VMQ_SOURCE_DIR) +
                                                         "/cmake/render_health.cmake)\n"
                                                         "vmq_render_health(\"" +
                                                         src + "\" \"" + t.path() + "/a.conf\" \"" + syntax + "\")\n");
  return run({VMQ_CMAKE_COMMAND, "-P", script});
}

TEST(HealthRenderer, RendersLabelsAndSummaryPerVersion) {
  const std::string source =
      "# a comment keeps ${label:node} as it is\n"
      " template: t\n"
      "  summary: Node ${label:node} refuses\n"
      "     info: refused by ${label:node} on ${label:listener} now\n";
  TempDir t;
  CmdResult r = render(t, source, "1.37");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read(t.path() + "/a.conf"),
            "# a comment keeps $label:node as it is\n"
            " template: t\n"
            "     info: refused by $label:node on $label:listener now\n");
  r = render(t, source, "v2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read(t.path() + "/a.conf"), source);
}

TEST(HealthRenderer, RefusesWhatCannotReadRightOnAVersion) {
  struct Case {
    std::string source;
    std::string syntax;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"     info: by $label:node\n", "v2", "is 1.37-only syntax"},
      {"     info: by $label:node\n", "1.37", "is 1.37-only syntax"},
      {" families: *\n", "v2", "is ignored by Netdata v2"},
      {"chart labels: node=a*\n", "1.37", "cannot be rendered for Netdata 1.37"},
      {"     info: by ${label:node}.\n", "1.37", "must be followed by a space"},
  };
  for (const Case& k : cases) {
    TempDir t;
    const CmdResult r = render(t, k.source, k.syntax);
    EXPECT_NE(r.code, 0) << k.source;
    EXPECT_NE(r.output.find(k.message), std::string::npos) << k.source << r.output;
  }
  // What only one version refuses passes for the other.
  TempDir t;
  EXPECT_EQ(render(t, "chart labels: node=a*\n", "v2").code, 0);
  EXPECT_EQ(render(t, "     info: by ${label:node}.\n", "v2").code, 0);
}

// The rule used above, checked on texts whose verdict is known.
TEST(HealthRenderer, TheRawVariableCheckItselfCatchesEachCase) {
  EXPECT_TRUE(health_problems("  info: by $label:node\n", false).empty());
  EXPECT_TRUE(health_problems("  info: by ${label:node} x\n", true).empty());
  EXPECT_EQ(health_problems("  info: by ${label:node}\n", false).size(), 2u);  // raw, and a stray $
  EXPECT_EQ(health_problems("  info: by $label:node.\n", false).size(), 1u);
  EXPECT_EQ(health_problems("  info: by $label:node\n", true).size(), 2u);
  EXPECT_EQ(health_problems("  summary: x\n", false).size(), 1u);
  EXPECT_EQ(health_problems("  families: *\n", true).size(), 1u);
  EXPECT_TRUE(health_problems("# summary: ${label:x} in a comment\n", false).empty());
}

}  // namespace

namespace {

// `cpack -G DEB` for a layout, in the shared tree; the path of the .deb it made.
std::string build_deb(const std::string& layout, const std::string& out_dir) {
  const CmdResult c = configure(kTree, {"-DVMQ_NETDATA_LAYOUT=" + layout, "-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON"});
  EXPECT_EQ(c.code, 0) << c.output;
  const CmdResult b =
      run({VMQ_CMAKE_COMMAND, "--build", kTree, "--target", "vernemq.plugin", "-j2"}, {{"CCACHE_NOHASHDIR", "1"}});
  EXPECT_EQ(b.code, 0) << b.output;
  // cpack sits beside the cmake that configured the tree.
  const std::string cpack = (fs::path(VMQ_CMAKE_COMMAND).parent_path() / "cpack").string();
  const CmdResult p = run({cpack, "--config", kTree + "/CPackConfig.cmake", "-B", out_dir});
  EXPECT_EQ(p.code, 0) << p.output;
  for (const auto& e : fs::directory_iterator(out_dir)) {
    if (e.path().extension() == ".deb") return e.path().string();
  }
  ADD_FAILURE() << "no .deb in " << out_dir << ":\n" << p.output;
  return {};
}

// The regular files a .deb holds ("/usr/..."), from dpkg-deb's listing.
std::set<std::string> deb_files(const std::string& deb) {
  const CmdResult l = run({"/usr/bin/dpkg-deb", "--contents", deb});
  EXPECT_EQ(l.code, 0) << l.output;
  std::set<std::string> files;
  std::istringstream in(l.output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '-') continue;  // regular files only
    const auto dot = line.find(" ./");
    if (dot != std::string::npos) files.insert(line.substr(dot + 2));
  }
  return files;
}

}  // namespace

// What configuration-management users install: the package holds exactly what the layout's
// install rules lay out, depends on that layout's Netdata, and marks the health files as
// conffiles. Installed with dpkg into a fake root (no package of this machine is touched), then
// removed: the plugin goes, the user's job file and the (edited) health file stay.
TEST(DebianPackage, HoldsTheLayoutsFilesAndRemovalKeepsTheUsersConfig) {
  TempDir out;
  const std::string deb = build_deb("debian-1.37", out.path());
  ASSERT_FALSE(deb.empty());
  const auto names = shipped_health_names();
  std::set<std::string> want = {"/usr/lib/netdata/plugins.d/vernemq.plugin", "/usr/lib/netdata/conf.d/vernemq.conf"};
  for (const std::string& n : names) want.insert("/etc/netdata/health.d/" + n);
  EXPECT_EQ(deb_files(deb), want);
  const CmdResult f = run({"/usr/bin/dpkg-deb", "--field", deb, "Package", "Depends"});
  ASSERT_EQ(f.code, 0) << f.output;
  EXPECT_NE(f.output.find("Package: vernemq-plugin"), std::string::npos) << f.output;
  EXPECT_NE(f.output.find("netdata-core | netdata"), std::string::npos) << f.output;
  EXPECT_NE(f.output.find("libcurl4"), std::string::npos) << f.output;  // from dpkg-shlibdeps
  TempDir ctl;
  ASSERT_EQ(run({"/usr/bin/dpkg-deb", "--control", deb, ctl.path() + "/c"}).code, 0);
  for (const std::string& n : names) {
    EXPECT_NE(read(ctl.path() + "/c/conffiles").find("/etc/netdata/health.d/" + n), std::string::npos) << n;
  }

  // dpkg with its own database under a fake root; Netdata itself is not in it (--force-depends).
  TempDir root;
  const std::string r = root.path();
  fs::create_directories(r + "/var/lib/dpkg/info");
  fs::create_directories(r + "/var/lib/dpkg/updates");
  std::ofstream(r + "/var/lib/dpkg/status").close();
  const CmdResult i = run({"/usr/bin/dpkg", "--root=" + r, "--force-depends", "--force-not-root", "-i", deb});
  ASSERT_EQ(i.code, 0) << i.output;
  for (const std::string& file : want) EXPECT_TRUE(fs::is_regular_file(r + file)) << file;
  const CmdResult v = run({r + "/usr/lib/netdata/plugins.d/vernemq.plugin", "--version"});
  EXPECT_EQ(v.output, "vernemq.plugin " VMQ_VERSION "\n");
  // The user's own job file, and an edit to a shipped health file.
  std::ofstream(r + "/etc/netdata/vernemq.conf") << "jobs:\n  - name: mine\n    url: http://127.0.0.1:8888/metrics\n";
  const std::string health = r + "/etc/netdata/health.d/" + names.front();
  std::ofstream(health, std::ios::app) << "# the operator's edit\n";
  const CmdResult rm =
      run({"/usr/bin/dpkg", "--root=" + r, "--force-depends", "--force-not-root", "-r", "vernemq-plugin"});
  ASSERT_EQ(rm.code, 0) << rm.output;
  EXPECT_FALSE(fs::exists(r + "/usr/lib/netdata/plugins.d/vernemq.plugin"));
  EXPECT_FALSE(fs::exists(r + "/usr/lib/netdata/conf.d/vernemq.conf"));
  EXPECT_EQ(read(r + "/etc/netdata/vernemq.conf").rfind("jobs:", 0), 0u);
  EXPECT_NE(read(health).find("# the operator's edit"), std::string::npos);
}

TEST(DebianPackage, AV2NativePackageDependsOnNetdata2AndLandsInLibexec) {
  TempDir out;
  const std::string deb = build_deb("v2-native", out.path());
  ASSERT_FALSE(deb.empty());
  EXPECT_EQ(deb_files(deb).count("/usr/libexec/netdata/plugins.d/vernemq.plugin"), 1u);
  const CmdResult f = run({"/usr/bin/dpkg-deb", "--field", deb, "Depends"});
  EXPECT_NE(f.output.find("netdata (>= 2.0)"), std::string::npos) << f.output;
}
