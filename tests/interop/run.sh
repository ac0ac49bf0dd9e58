#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test-interop` (docs/interop.md): installs express, express-session,
# connect-memcached and cookie-signature from package-lock.json into
# node_modules (git-ignored, reinstalled when the lock changes), then runs
# interop.test.mjs under node:test, TAP on stdout. The suite starts its
# servers through tests/lib/env.mjs in the run directory made here, which the
# trap clears whatever way the run ends.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/env.sh"
fail() { echo "not ok 1 - test-interop: $*"; exit 1; }

command -v node >/dev/null || fail "node (>= 20) is required"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || fail "node >= 20 is required (found $(node --version))"
command -v memcached >/dev/null || fail "memcached is required (make deps)"
[ -f "$SD_TOP/.libs/mod_sessiondemo.so" ] || fail "the module is not built (make)"
sd_npm_ci "$here" || fail "npm ci failed"

sd_env_setup interop
# The whole suite is bounded; every request and start-up has its own timeout too.
timeout -k 5 170 node --test --test-reporter=tap "$here/interop.test.mjs"
