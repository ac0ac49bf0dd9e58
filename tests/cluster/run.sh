#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test-cluster` (docs/cluster.md): 3 memcached nodes, 2 httpd
# front-ends and nutcracker on free loopback ports, driven by cluster.mjs,
# TAP on stdout. Bounded by CLUSTER_TIME_LIMIT seconds; the trap stops
# whatever the driver left in the run directory, whatever way it ended.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/env.sh"
export SD_RINGMAP=${SD_RINGMAP:-$here/ringmap}
[ -x "$SD_RINGMAP" ] || { echo "not ok 1 - test-cluster: $SD_RINGMAP missing (make test-cluster builds it)"; exit 1; }

sd_env_setup cluster
timeout -k 5 "${CLUSTER_TIME_LIMIT:-170}" node "$here/cluster.mjs"
rc=$?
[ "$rc" = 124 ] && echo "not ok 1 - test-cluster: stopped after the ${CLUSTER_TIME_LIMIT:-170} s limit"
if [ "$rc" -ne 0 ] && [ -n "${SD_KEEP:-}" ]; then
    for f in "$SD_RUN"/httpd-*/error.log; do echo "# $f (last 15 lines)"; tail -n 15 "$f" | sed 's/^/#   /'; done
fi
exit "$rc"
