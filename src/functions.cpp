// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/functions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace vmq {

namespace {

constexpr std::size_t kMaxLine = 64 * 1024;  // a call is one short line; anything longer is dropped

// The words of a call line: space-separated, a word may be "double" or 'single' quoted.
std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    if (line[i] == '"' || line[i] == '\'') {
      const char q = line[i];
      const std::size_t close = line.find(q, i + 1);
      const std::size_t end = close == std::string_view::npos ? line.size() : close;
      out.emplace_back(line.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      const std::size_t end = std::min(line.find(' ', i), line.size());
      out.emplace_back(line.substr(i, end - i));
      i = end;
    }
  }
  return out;
}

// A transaction id goes back on a protocol line: it must stay one plain word.
bool plain_word(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

void reply(std::string& out, const std::string& tx, int status, std::int64_t expires, const std::string& body) {
  out += "FUNCTION_RESULT_BEGIN " + tx + " " + std::to_string(status) + " application/json " + std::to_string(expires) +
         "\n";
  out += body;
  out += "\nFUNCTION_RESULT_END\n";
}

std::string error_body(int status, const std::string& message) {
  // Both spellings: the docs use both (netdata-v2.md §2.3).
  nlohmann::json j = {{"status", status}, {"errorMessage", message}, {"error_message", message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

FunctionServer::FunctionServer(const NetdataVersion& netdata, int in_fd)
    : enabled_(netdata.functions()), in_fd_(in_fd) {
  if (!enabled_) return;
  const int flags = ::fcntl(in_fd_, F_GETFL);
  if (flags < 0 || ::fcntl(in_fd_, F_SETFL, flags | O_NONBLOCK) != 0) eof_ = true;  // no usable stdin
}

void FunctionServer::register_functions(std::string& out) const {
  if (!enabled_) return;
  // FUNCTION GLOBAL name timeout help tags access priority version (v2, pluginsd_functions.c);
  // "any": callable from the local API without Netdata Cloud; read-only, no secrets in it.
  out +=
      "FUNCTION GLOBAL \"" + std::string(kFunctionName) + "\" " + std::to_string(kFunctionTimeoutS) +
      " \"VerneMQ nodes seen by vernemq.plugin: state and refused PUBACKs in the last minute\" \"top\" \"any\" 100 0\n";
}

bool FunctionServer::read_input() {
  if (wait_fd() < 0) return quit_;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(in_fd_, buf, sizeof buf);
    if (n > 0) {
      feed(std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      // Netdata closed its end: it is stopping the plugin (netdata-v2.md §1.6, "exiting 0 on
      // EOF is the polite behaviour").
      eof_ = true;
      quit_ = true;
    }
    break;
  }
  return quit_;
}

void FunctionServer::feed(std::string_view bytes) {
  std::size_t start = 0;
  while (start < bytes.size()) {
    const std::size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) {
      partial_.append(bytes.substr(start));
      if (partial_.size() > kMaxLine) partial_.clear();  // not a call: drop it, keep reading
      return;
    }
    partial_.append(bytes.substr(start, nl - start));
    on_line(partial_);
    partial_.clear();
    start = nl + 1;
  }
}

void FunctionServer::on_line(std::string_view line) {
  if (in_payload_) {
    if (line == "FUNCTION_PAYLOAD_END") in_payload_ = false;
    return;
  }
  const std::vector<std::string> w = words_of(line);
  if (w.empty()) return;
  if (w[0] == "QUIT") {
    quit_ = true;
  } else if (w[0] == "FUNCTION" && w.size() >= 4) {
    // 1.37 and v2 alike: transaction, timeout, "name params"; v2's access and source follow.
    const std::string& name_and_params = w[3];
    calls_.push_back(Call{w[1], name_and_params.substr(0, name_and_params.find(' ')), false});
  } else if (w[0] == "FUNCTION_PAYLOAD" && w.size() >= 4) {
    in_payload_ = true;
    calls_.push_back(Call{w[1], w[3].substr(0, w[3].find(' ')), false});
  } else if (w[0] == "FUNCTION_CANCEL" && w.size() >= 2) {
    for (Call& c : calls_) c.cancelled = c.cancelled || c.transaction == w[1];
  }
  // FUNCTION_PROGRESS and anything else: nothing to do.
}

void FunctionServer::answer(const std::vector<JobStatus>& jobs, std::int64_t now_mono_us, std::int64_t now_unix_s,
                            std::string& out) {
  for (const Call& c : calls_) {
    if (!plain_word(c.transaction)) continue;  // cannot be answered without breaking the protocol
    if (c.cancelled) {
      reply(out, c.transaction, 499, now_unix_s, error_body(499, "cancelled"));
    } else if (c.name == kFunctionName) {
      reply(out, c.transaction, 200, now_unix_s + 1, table_json(jobs, now_mono_us));
    } else {
      reply(out, c.transaction, 404, now_unix_s,
            error_body(404, "unknown function; vernemq.plugin answers only 'vernemq'"));
    }
  }
  calls_.clear();
}

std::string FunctionServer::table_json(const std::vector<JobStatus>& jobs, std::int64_t now_mono_us) {
  using nlohmann::json;
  json columns = json::object();
  int index = 0;
  auto column = [&](const char* id, const char* name, const char* type, bool unique = false) {
    json c = {{"index", index++}, {"name", name}, {"type", type}, {"visible", true}, {"sortable", true}};
    if (unique) c["unique_key"] = true;
    columns[id] = c;
  };
  column("job", "Job", "string", true);
  column("url", "URL", "string");
  column("status", "Status", "string");
  column("last_good_s", "Since last good scrape (s)", "integer");
  column("uptime_s", "Node uptime (s)", "integer");
  column("version", "VerneMQ version", "string");
  column("connections", "Connections", "integer");
  column("refused_1m", "Refused PUBACKs (1m)", "integer");
  column("refused_by_reason", "Refused PUBACKs by reason (1m)", "string");
  json data = json::array();
  for (const JobStatus& j : jobs) {
    json row = json::array();
    row.push_back(j.name);
    row.push_back(j.url);
    row.push_back(j.up ? std::string("up") : (j.last_error.empty() ? std::string("not scraped yet") : j.last_error));
    row.push_back(j.last_good_mono_us ? json((now_mono_us - *j.last_good_mono_us) / 1000000) : json());
    row.push_back(j.uptime_s ? json(static_cast<long long>(*j.uptime_s)) : json());
    row.push_back(j.vernemq_version ? json(*j.vernemq_version) : json());
    row.push_back(j.connections ? json(*j.connections) : json());
    std::uint64_t total = 0;
    std::string by_reason;
    for (const auto& [reason, n] : j.refused_last_minute) {
      total += n;
      if (n == 0) continue;
      if (!by_reason.empty()) by_reason += ", ";
      by_reason += reason + " " + std::to_string(n);
    }
    row.push_back(j.up || j.last_good_mono_us ? json(total) : json());
    row.push_back(by_reason);
    data.push_back(std::move(row));
  }
  json t = {{"status", 200},        {"type", "table"},
            {"has_history", false}, {"help", "VerneMQ nodes seen by vernemq.plugin, one row per job"},
            {"update_every", 1},    {"columns", columns},
            {"data", data}};
  // One line: the reply must not hold a line that reads FUNCTION_RESULT_END, and JSON escapes
  // every newline inside strings.
  return t.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace vmq
