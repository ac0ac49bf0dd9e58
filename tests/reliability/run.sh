#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make reliability` (docs/reliability.md): the load, RSS and partition
# checks, one TAP document each, each under its own time bound. Outages of a
# whole memcached are t/store/outage.t and the cluster suite.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rc=0
echo "# tests/reliability/load.sh"
timeout -k 10 $((${LOAD_SECONDS:-60} + 90)) "$here/load.sh" || rc=1
echo "# tests/reliability/rss.sh"
timeout -k 10 400 "$here/rss.sh" || rc=1
echo "# tests/reliability/partition.mjs"
timeout -k 10 120 node "$here/partition.mjs" || rc=1
exit "$rc"
