#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test` (and, with SD_SANITIZE=1, `make test-asan`): the C unit tests
# and the Apache::Test suite as TAP (prove -v), counted by tests/lib/tap-count.
# A failing test point is added for each way a run can "pass" without testing
# everything that tap-count would not see by itself: a skipped file (prove
# reports it in words), Apache::Test's root refusal (exit 0, nothing run), a
# module that did not load (httpd never started), and any sanitizer report,
# in any process, even if the request looked fine; and either half running
# no test at all (tap-count sees only the whole).
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib/env.sh
sd_env_setup test

unit_bin=${UNIT_BIN:-t/unit/bin-plain}
httpd_args=()
if [ -n "${SD_SANITIZE:-}" ]; then
    mkdir -m 777 "$SD_RUN/san"
    export ASAN_OPTIONS="log_path=$SD_RUN/san/asan:detect_leaks=0:abort_on_error=1"
    export UBSAN_OPTIONS="log_path=$SD_RUN/san/ubsan:print_stacktrace=1:halt_on_error=1"
    httpd_args=(-httpd "$SD_TOP/scripts/asan-httpd")
fi

echo "# C unit tests ($unit_bin)"
prove -v --exec '' "$unit_bin"/test_* 2>&1 | tee "$SD_RUN/unit.log"
rc=${PIPESTATUS[0]}

echo "# Apache::Test suite"
log=$SD_RUN/apache-test.log
perl t/TEST.PL -verbose "${httpd_args[@]}" "$@" 2>&1 | tee "$log"
at_rc=${PIPESTATUS[0]}
[ "$at_rc" -ne 0 ] && rc=$at_rc

guard=0
guard_fail() { guard=$((guard + 1)); echo "not ok $guard - $1"; rc=1; }
while read -r skipped; do guard_fail "skipped: $skipped"; done \
    < <(grep -hE '^[^ ]+ \.+ skipped' "$SD_RUN/unit.log" "$log")
for part in "$SD_RUN/unit.log" "$log"; do
    grep -q '^Result: NOTESTS' "$part" && guard_fail "no test ran in ${part##*/}"
done
grep -q 'must be run as a non-privileged user' "$log" && guard_fail "Apache::Test refused to run as root"
grep -qE 'server .* failed to start|Syntax error on line' "$log" && guard_fail "httpd did not start (see t/logs/error_log)"
if [ "$at_rc" -ne 0 ] && [ -f t/logs/error_log ]; then
    echo "# last lines of t/logs/error_log:"
    tail -n 30 t/logs/error_log | sed 's/^/#   /'
fi
if [ -n "${SD_SANITIZE:-}" ]; then
    for report in "$SD_RUN"/san/*; do
        [ -e "$report" ] || continue
        sed 's/^/#   /' "$report" | head -n 40
        guard_fail "sanitizer report ${report##*/}"
    done
    [ -e "$report" ] || echo "# sanitizers: 0 reports"
fi
exit "$rc"
