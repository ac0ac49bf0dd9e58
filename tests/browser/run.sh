#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test-browser` (docs/browser-test.md): installs playwright-core from
# package-lock.json into node_modules (git-ignored, reinstalled when the lock
# changes), then walks the tutorial's steps in chromium with node:test, TAP on
# stdout. The walk stops itself after SD_BROWSER_TIME_LIMIT seconds; timeout
# kills it 30 s later if even that hangs. The trap clears the run directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/env.sh"
fail() { echo "not ok 1 - test-browser: $*"; exit 1; }

command -v node >/dev/null || fail "node (>= 20) is required"
[ -x "${SD_CHROMIUM:=/usr/bin/chromium}" ] || fail "$SD_CHROMIUM is missing (apt-get install chromium)"
sd_npm_ci "$here" || fail "npm ci failed"

sd_env_setup browser
export SD_CHROMIUM SD_BROWSER_TIME_LIMIT=${SD_BROWSER_TIME_LIMIT:-110}
timeout -k 5 $((SD_BROWSER_TIME_LIMIT + 30)) node --test --test-reporter=tap "$here/walk.test.mjs"
rc=$?
echo "# screenshots and httpd logs: ${SD_BROWSER_OUT:-$here/screenshots}"
exit "$rc"
