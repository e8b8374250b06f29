// SPDX-License-Identifier: GPL-3.0-or-later
// URL splitting and checks for the configuration (url.h).
#include "vmq/url.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

#include "vmq/config_text.h"

namespace vmq {
namespace cfg {
namespace {

bool is_scheme(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
           c == '.';
  });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Host and port of an authority (userinfo already removed). Returns the reason it is bad.
std::optional<std::string> check_host_port(std::string_view hostport) {
  std::string_view host = hostport;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) return "has an IPv6 address without its closing ']'";
    host = hostport.substr(1, close - 1);
    const std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "has characters after the IPv6 address's ']'";
      port = rest.substr(1);
      has_port = true;
    }
    if (host.empty()) return "has an empty IPv6 address";
  } else {
    const std::size_t colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      if (hostport.find(':', colon + 1) != std::string_view::npos) {
        return "has several ':' in its host (an IPv6 address must be written in [brackets])";
      }
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return "has no host";
  if (has_port && !port.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return "has port " + shown(port) + ", not a number from 1 to 65535";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_url_text(std::string_view url) {
  if (url.empty()) return "is empty";
  if (std::any_of(url.begin(), url.end(), [](char c) { return c == ' ' || is_control(c); })) {
    return "contains a space or a control character (percent-encode it)";
  }
  return std::nullopt;
}

}  // namespace

UrlParts split_url(std::string_view url) {
  UrlParts p;
  const std::size_t sep = url.find("://");
  if (sep != std::string_view::npos && is_scheme(url.substr(0, sep))) {
    p.scheme = url.substr(0, sep);
    p.authority_begin = sep + 3;
  } else if (url.substr(0, 2) == "//") {
    p.authority_begin = 2;
  }
  p.authority_end = url.find_first_of("/?#", p.authority_begin);
  if (p.authority_end == std::string_view::npos) p.authority_end = url.size();
  const std::string_view authority = url.substr(p.authority_begin, p.authority_end - p.authority_begin);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) p.userinfo_end = p.authority_begin + at;
  return p;
}

// For messages about a URL that failed validation: redact_url, and if an '@' survives (a
// password holding a '/' makes the authority end early), drop everything up to the last '@'.
std::string shown_url(std::string_view url) {
  std::string r = redact_url(url);
  const std::size_t at = r.rfind('@');
  if (at != std::string::npos) {
    const UrlParts p = split_url(r);
    r = r.substr(0, p.authority_begin) + "<redacted>" + r.substr(at);
  }
  return shown(r);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::optional<std::string> check_metrics_url(std::string_view url) {
  if (auto bad = check_url_text(url)) return bad;
  const UrlParts p = split_url(url);
  if (p.scheme.empty()) return "has no scheme";
  if (!iequals(p.scheme, "http") && !iequals(p.scheme, "https")) {
    return "has scheme " + shown(p.scheme);
  }
  const std::size_t host_begin = p.userinfo_end == std::string_view::npos ? p.authority_begin : p.userinfo_end + 1;
  return check_host_port(url.substr(host_begin, p.authority_end - host_begin));
}

std::optional<std::string> check_proxy_url(std::string_view url) {
  if (auto bad = check_url_text(url)) return bad;
  const UrlParts p = split_url(url);
  if (!p.scheme.empty()) {
    static constexpr std::array<std::string_view, 6> kProxySchemes = {"http",    "https",  "socks4",
                                                                      "socks4a", "socks5", "socks5h"};
    if (std::none_of(kProxySchemes.begin(), kProxySchemes.end(),
                     [&](std::string_view s) { return iequals(s, p.scheme); })) {
      return "has scheme " + shown(p.scheme);
    }
  }
  const std::size_t host_begin = p.userinfo_end == std::string_view::npos ? p.authority_begin : p.userinfo_end + 1;
  return check_host_port(url.substr(host_begin, p.authority_end - host_begin));
}

}  // namespace cfg

std::string redact_url(std::string_view url) {
  const cfg::UrlParts p = cfg::split_url(url);
  if (p.userinfo_end == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, p.authority_begin));
  out += url.substr(p.userinfo_end + 1);
  return out;
}

}  // namespace vmq
