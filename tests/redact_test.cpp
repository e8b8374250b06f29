// SPDX-License-Identifier: GPL-3.0-or-later
#include "vmq/redact.h"

#include <gtest/gtest.h>

#include "vmq/log.h"

#include <string>
#include <vector>

namespace vmq {
namespace {

std::string redacted(std::string text, const std::vector<std::string>& secrets) {
  redact_secrets(text, secrets);
  return text;
}

TEST(Redact, OneCharacterSecretOnlyAsAWholeToken) {
  EXPECT_EQ(redacted("login failed for a: password a refused", {"a"}), "login failed for ***: password *** refused");
  EXPECT_EQ(redacted("failed", {"a"}), "failed");
  EXPECT_EQ(redacted("a", {"a"}), "***");
}

TEST(Redact, ShortSecretsAreTokensNotParts) {
  EXPECT_EQ(redacted("user=pw1, pw12, xpw1, pw1x, (pw1)", {"pw1"}), "user=***, pw12, xpw1, pw1x, (***)");
  // Underscore is part of a word (metric names): "ok" in "not_ok" is not the secret.
  EXPECT_EQ(redacted("not_ok ok", {"ok"}), "not_ok ***");
}

TEST(Redact, DottedWordsAreWholeButASentencesFullStopIsNot) {
  // A node name or address must not lose a digit to a one-character secret (a header "1").
  EXPECT_EQ(redacted("VerneMQ@127.0.0.1 node-1 every 1 s", {"1"}), "VerneMQ@127.0.0.1 node-1 every *** s");
  EXPECT_EQ(redacted("invalid key abc. Next", {"abc"}), "invalid key ***. Next");
  EXPECT_EQ(redacted("key abc-", {"abc"}), "key ***-");
}

TEST(Redact, PunctuationAtTheSecretsEdgeIsItsOwnBoundary) {
  // The secret starts with '-': whatever letter precedes it, the secret is still delimited.
  EXPECT_EQ(redacted("key x-k1 sent", {"-k1"}), "key x*** sent");
}

TEST(Redact, LongSecretsEverywhereEvenInsideWords) {
  EXPECT_EQ(redacted("node Bpw7q2secretA and xBpw7q2secretAx", {"Bpw7q2secretA"}), "node *** and x***x");
}

TEST(Redact, EveryOccurrenceOfEverySecretAndTheExtra) {
  std::string text = "tok1 user1 tok1 token:longsecret99";
  redact_secrets(text, {"tok1", "user1"}, "longsecret99");
  EXPECT_EQ(text, "*** *** *** token:***");
}

TEST(Redact, SecretThatContainsTheMaskDoesNotLoop) {
  EXPECT_EQ(redacted("a*** ***", {"***"}), "a*** ***");  // "***" is its own mask: replaced once each
  EXPECT_EQ(redacted("", {"x"}), "");
  EXPECT_EQ(redacted("x", {""}), "x");
}

TEST(Redact, TheLogUsesTheSameRuleForSecretsOfAnyLength) {
  log::add_secret("a");
  log::add_secret("pw");
  const std::string line = log::format_line(log::Level::error, "job", "login failed for a with pw (pwned)", false);
  EXPECT_EQ(line, "vernemq.plugin ERROR : job : login failed for *** with *** (pwned)\n");
}

}  // namespace
}  // namespace vmq
