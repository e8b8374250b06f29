// SPDX-License-Identifier: GPL-3.0-or-later
// URL splitting and checks for the configuration: the job's metrics URL, a proxy URL, and
// the userinfo that must never reach a log.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vmq {

// The URL with any userinfo (user:password@) removed, for logs and reports.
std::string redact_url(std::string_view url);

namespace cfg {

struct UrlParts {
  std::string_view scheme;  // empty when the URL has none
  std::size_t authority_begin = 0;
  std::size_t authority_end = 0;
  std::size_t userinfo_end = std::string_view::npos;  // index of the '@', npos when none
};

// RFC 3986 / WHATWG splitting: the authority runs to the first '/', '?' or '#', and the
// userinfo ends at the authority's last '@' (an unencoded '@' in a password is common).
UrlParts split_url(std::string_view url);

std::string percent_decode(std::string_view s);

// Each returns why the URL is bad ("has no host", ...), or nullopt when it is fine.
// The job's metrics URL: http or https, with a host.
std::optional<std::string> check_metrics_url(std::string_view url);
// A proxy: libcurl takes a scheme-less host[:port] (meaning http) or one of its proxy schemes.
std::optional<std::string> check_proxy_url(std::string_view url);

// For messages about a URL that failed validation: quoted, without its userinfo even when the
// URL is malformed.
std::string shown_url(std::string_view url);

}  // namespace cfg
}  // namespace vmq
