// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/redact.h"

#include <cctype>

namespace vmq {
namespace {

constexpr std::string_view kMask = "***";

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Whether text[i], next to a match, continues the word the match sits in. '.' and '-' do when a
// word character lies beyond them ("127.0.0.1", "node-1"), not at a sentence's end ("key abc.").
bool joins_before(std::string_view text, std::size_t i) {
  if (word_char(text[i])) return true;
  return (text[i] == '.' || text[i] == '-') && i > 0 && word_char(text[i - 1]);
}
bool joins_after(std::string_view text, std::size_t i) {
  if (word_char(text[i])) return true;
  return (text[i] == '.' || text[i] == '-') && i + 1 < text.size() && word_char(text[i + 1]);
}

void redact_one(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  const bool anywhere = secret.size() >= kRedactAnywhereFrom;
  // A boundary matters only on a side where the secret itself is a word character: "-a" next
  // to a letter is still delimited by its '-'.
  const bool check_front = word_char(secret.front());
  const bool check_back = word_char(secret.back());
  std::size_t pos = text.find(secret);
  while (pos != std::string::npos) {
    const std::size_t end = pos + secret.size();
    const bool whole = (!check_front || pos == 0 || !joins_before(text, pos - 1)) &&
                       (!check_back || end == text.size() || !joins_after(text, end));
    if (anywhere || whole) {
      text.replace(pos, secret.size(), kMask);
      pos = text.find(secret, pos + kMask.size());
    } else {
      pos = text.find(secret, pos + 1);
    }
  }
}

}  // namespace

void redact_secrets(std::string& text, const std::vector<std::string>& secrets, std::string_view extra) {
  if (text.empty()) return;
  for (const std::string& s : secrets) redact_one(text, s);
  redact_one(text, extra);
}

}  // namespace vmq
