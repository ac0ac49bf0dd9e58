#!/usr/bin/env bash
# make test-cluster: 3 memcached nodes, 2 httpd front-ends (and nutcracker)
# on free loopback ports; tests/cluster/cluster.mjs drives them. Everything
# it starts is recorded under a scratch directory, and the trap below kills
# what is still running there, whatever way the run ends.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
limit=${CLUSTER_TIME_LIMIT:-170}
ringmap=${SD_RINGMAP:-$top/tests/cluster/ringmap}
dir=$(mktemp -d /tmp/sessiondemo-cluster.XXXXXX)
chmod 755 "$dir"   # httpd children (nobody) write their runtime files there

cleanup() {
    local f pid
    for f in "$dir"/pids/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill -CONT "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
    done
    sleep 1
    for f in "$dir"/pids/*.pid "$dir"/front-*/httpd.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then
            # httpd's children first (by parent id), then the process itself
            for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill -KILL "$c" 2>/dev/null; done
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    if [ -n "${CLUSTER_KEEP:-}" ]; then echo "scratch kept: $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$ringmap" ] || { echo "cluster: $ringmap missing (make test-cluster builds it)"; echo "cluster: 0 passed, 1 failed"; exit 1; }
log=$dir/driver.out
SD_TOP=$top SD_CLUSTER_DIR=$dir SD_RINGMAP=$ringmap \
    timeout -k 5 "$limit" node "$top/tests/cluster/cluster.mjs" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if ! grep -qE '^cluster: [0-9]+ passed, [0-9]+ failed$' "$log"; then
    [ "$rc" = 124 ] && echo "cluster: stopped after the ${limit} s limit"
    echo "cluster: 0 passed, 1 failed"
    rc=1
fi
if [ "$rc" -ne 0 ] && [ -n "${CLUSTER_KEEP:-}" ]; then
    for f in "$dir"/front-*/error.log; do echo "--- $f (last 15 lines)"; tail -n 15 "$f"; done
fi
exit "$rc"
