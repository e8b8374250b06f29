// SPDX-License-Identifier: GPL-3.0-or-later
// A job's secrets, in every form a server or a library could echo them, for redaction.
#include <algorithm>

#include "vmq/config.h"
#include "vmq/url.h"

namespace vmq {
namespace {

using cfg::percent_decode;
using cfg::split_url;
using cfg::UrlParts;

void add_secret(std::vector<std::string>& out, std::string s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    const bool two = i + 1 < in.size();
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += two ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// HTTP Basic auth sends "user:password" in base64, which a server can echo back as easily as
// the password itself: that form is a secret too.
void add_basic_auth_secret(std::vector<std::string>& out, std::string_view user, std::string_view password) {
  if (password.empty()) return;
  std::string pair(user);
  pair += ':';
  pair += password;
  add_secret(out, base64(pair));
}

void add_url_secrets(std::vector<std::string>& out, std::string_view url) {
  const UrlParts p = split_url(url);
  if (p.userinfo_end == std::string_view::npos) return;
  const std::string_view userinfo = url.substr(p.authority_begin, p.userinfo_end - p.authority_begin);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return;  // a user name alone is not a secret
  add_secret(out, std::string(userinfo));
  const std::string_view password = userinfo.substr(colon + 1);
  add_secret(out, std::string(password));
  add_secret(out, percent_decode(password));
  add_basic_auth_secret(out, percent_decode(userinfo.substr(0, colon)), percent_decode(password));
}

}  // namespace

std::vector<std::string> JobConfig::secrets() const {
  std::vector<std::string> out;
  add_secret(out, password);
  add_secret(out, api_key);
  add_secret(out, proxy_password);
  add_basic_auth_secret(out, username, password);
  add_basic_auth_secret(out, proxy_username, proxy_password);
  add_url_secrets(out, url);
  add_url_secrets(out, proxy_url);
  // Every header the user set may carry a credential (go.d users put API keys and tokens there
  // under any name): each value is a secret, and its last word too ("Bearer abc" → "abc").
  for (const auto& header : headers) {
    const std::string& value = header.second;
    add_secret(out, value);
    if (const std::size_t sp = value.find_last_of(" \t"); sp != std::string::npos)
      add_secret(out, value.substr(sp + 1));
  }
  return out;
}

}  // namespace vmq
