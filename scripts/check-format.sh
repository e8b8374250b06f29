#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fails (exit 1) when a C++ file under src/ include/ tests/ sim/ bench/ fuzz/ is not formatted as
# .clang-format says, and lists those files with the first lines of their diff.
# Usage: scripts/check-format.sh [FILE...]   (default: every tracked C++ file in those directories)
#        CLANG_FORMAT=clang-format-14 to choose the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null || { echo "check-format: $clang_format not found (apt-get install clang-format)" >&2; exit 2; }
if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- 'src/*.cpp' 'src/*.h' 'include/*.h' 'tests/*.cpp' 'tests/*.h' 'sim/*.cpp' 'sim/*.h' \
                                        'bench/*.cpp' 'bench/*.h' 'fuzz/*.cpp' 'fuzz/*.h')
fi
bad=0
for f in "${files[@]}"; do
  if ! diff -q "$f" <("$clang_format" --style=file "$f") >/dev/null; then
    echo "not formatted: $f" >&2
    diff -u "$f" <("$clang_format" --style=file "$f") | sed -n '3,12p' >&2 || true
    bad=$((bad + 1))
  fi
done
if ((bad > 0)); then
  echo "check-format: $bad of ${#files[@]} file(s) not formatted; fix with: $clang_format -i FILE" >&2
  exit 1
fi
echo "check-format: ${#files[@]} file(s) formatted" >&2
