// SPDX-License-Identifier: GPL-3.0-or-later
// Reading the configuration's YAML safely (config_yaml.h).
#include "vmq/config_yaml.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <sstream>
#include <vector>

#include "vmq/config.h"
#include "vmq/config_readers.h"
#include "vmq/config_text.h"

namespace vmq::cfg {
namespace {

// Walks the documents of a YAML stream, noting where each one's first node is and whether it
// holds anything. yaml-cpp 0.7's own LoadAll() never returns on some malformed input (a stray
// ',' where a node is expected, e.g. the file ",a:"): the parser reports an empty document
// without consuming anything, again and again, and LoadAll keeps each one until memory runs
// out (jbeder/yaml-cpp#1040, fixed upstream after 0.8.0; found here by fuzz/fuzz_config).
// This walk stops as soon as a document does not move forward.
class DocumentScout final : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark first;      // of its first node
    bool content = false;  // anything but an empty (null) document
  };

  // Returns every document, or stops at the first that did not advance (its mark is then
  // reported through `stuck`).
  std::vector<Document> walk(std::istream& in, std::optional<YAML::Mark>& stuck) {
    YAML::Parser parser(in);
    std::vector<Document> docs;
    for (;;) {
      current_ = Document{};
      seen_ = false;
      if (!parser.HandleNextDocument(*this)) break;
      if (!docs.empty() && seen_ && !docs.back().first.is_null() && current_.first.pos <= docs.back().first.pos) {
        stuck = current_.first;
        break;
      }
      docs.push_back(current_);
    }
    return docs;
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { note(m, true); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, true);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, true);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m, bool content) {
    if (!seen_) {
      current_.first = m;
      seen_ = true;
    }
    current_.content = current_.content || content;
  }
  Document current_;
  bool seen_ = false;
};

[[noreturn]] void fail(std::string_view source, Loc loc, const std::string& what) {
  throw ConfigError(where(source, loc) + ": " + what);
}

}  // namespace

YAML::Node load_yaml_document(std::string_view text, std::string_view source) {
  try {
    std::istringstream in{std::string(text)};
    std::optional<YAML::Mark> stuck;
    const std::vector<DocumentScout::Document> docs = DocumentScout().walk(in, stuck);
    if (stuck) {
      const std::string found_char = stuck->pos >= 0 && static_cast<std::size_t>(stuck->pos) < text.size()
                                         ? " " + shown(text.substr(static_cast<std::size_t>(stuck->pos), 1))
                                         : std::string();
      fail(source, loc_of(*stuck),
           "YAML syntax error: unexpected" + found_char +
               " where a value should start (a ',' belongs inside [...] or {...})");
    }
    // A trailing "---" yields an extra empty document; only real extra content is an error.
    for (std::size_t i = 1; i < docs.size(); ++i) {
      if (docs[i].content) {
        fail(source, loc_of(docs[i].first), "a second YAML document starts here; expected one document");
      }
    }
    // Only the first document is built into nodes (YAML::Load reads one document).
    if (!docs.empty() && docs[0].content) return YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    fail(source, loc_of(e.mark), "YAML nesting is too deep; expected a small configuration file");
  } catch (const YAML::Exception& e) {
    fail(source, loc_of(e.mark), "YAML syntax error: " + e.msg);
  }
  return YAML::Node(YAML::NodeType::Null);
}

}  // namespace vmq::cfg
