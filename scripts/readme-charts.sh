#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Replaces the chart table in README.md (between <!-- charts:begin --> and <!-- charts:end -->)
# with the catalogue's, as `vernemq.plugin --charts` prints it. Usage: scripts/readme-charts.sh [PLUGIN]
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${1:-build/vernemq.plugin}
table=$("$plugin" --charts)
TABLE="$table" python3 - README.md <<'PY'
import os, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
begin, end = "<!-- charts:begin -->\n", "<!-- charts:end -->"
b, e = text.index(begin) + len(begin), text.index(end)
open(path, "w", encoding="utf-8").write(text[:b] + os.environ["TABLE"] + "\n" + text[e:])
PY
