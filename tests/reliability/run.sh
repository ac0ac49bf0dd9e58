#!/usr/bin/env bash
# `make reliability` (docs/reliability.md): the load and RSS checks, one TAP
# document each, each under its own time bound. Outages are t/21_outage.t.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rc=0
echo "# tests/reliability/load.sh"
timeout -k 10 $((${LOAD_SECONDS:-60} + 90)) "$here/load.sh" || rc=1
echo "# tests/reliability/rss.sh"
timeout -k 10 400 "$here/rss.sh" || rc=1
exit "$rc"
