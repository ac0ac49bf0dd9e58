#!/usr/bin/env bash
# `make test-interop`: installs express, express-session, connect-memcached
# and cookie-signature from the committed package-lock.json into
# t/interop/node_modules (git-ignored), then runs interop.test.js with
# node:test. The suite starts its own memcached, httpd and Express app on
# free loopback ports and stops them at the end. Closes with node:test's
# summary and one line "make test: N passed, N failed" (the format .ci/run
# counts); exits non-zero on any failure or if nothing ran.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$here"

fail() { echo "test-interop: $*" >&2; echo "make test: 0 passed, 1 failed"; exit 1; }

command -v node >/dev/null || fail "node (>= 20) is required"
command -v npm >/dev/null || fail "npm is required"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "node >= 20 is required (found $(node --version))"
command -v memcached >/dev/null || fail "memcached is required (make deps)"
[ -f "$top/.libs/mod_sessiondemo.so" ] || fail "the module is not built (make)"

# npm ci only when the lock changed since the last install.
stamp=node_modules/.interop-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
    echo "test-interop: npm ci"
    timeout 120 npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
    cp package-lock.json "$stamp"
fi

log=$(mktemp /tmp/sessiondemo-interop-log.XXXXXX)
trap 'rm -f "$log"' EXIT
# The whole suite is bounded; every request and start-up also has its own timeout.
timeout -k 5 170 node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$log" interop.test.js
rc=$?
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$log" | tail -n1)
passed=${passed:-0} failed=${failed:-0}
failed=$((failed + ${cancelled:-0}))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then echo "test-interop: no test ran" >&2; failed=1; fi
echo "make test: $passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
