// SPDX-License-Identifier: GPL-3.0-or-later
#include "test_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef VMQ_TEST_SOURCE_DIR
#error "VMQ_TEST_SOURCE_DIR must be defined"
#endif

namespace vmq::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture(const std::string& name) {
  return read_file(std::string(VMQ_TEST_SOURCE_DIR) + "/tests/fixtures/" + name);
}

std::optional<std::string> capture(const std::string& name) {
  const std::string path = std::string(VMQ_TEST_SOURCE_DIR) + "/../shared/captures/" + name;
  if (!std::filesystem::exists(path)) return std::nullopt;
  return read_file(path);
}

}  // namespace vmq::testing
