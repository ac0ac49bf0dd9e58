#!/usr/bin/env bash
# `make test`: C unit tests (TAP, prove) and the Apache::Test suite against
# a private memcached on a free loopback port. Prints one closing line
# "make test: N passed, N failed" and exits non-zero on any failure,
# including the ways Apache::Test can "pass" without testing anything:
# root refusal (exit 0, nothing run), a module that did not load, skipped
# files, or a run with no tests at all.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

logdir=$(mktemp -d /tmp/sessiondemo-test.XXXXXX)
chmod 755 "$logdir"
mc_pid= extra_mc_pids=()
cleanup() {
    [ -n "$mc_pid" ] && kill "$mc_pid" 2>/dev/null && wait "$mc_pid" 2>/dev/null
    for p in "${extra_mc_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    perl t/TEST.PL -stop-httpd >/dev/null 2>&1 || true
    rm -rf "$logdir"
}
trap cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p=$1
    while port_busy "$p"; do p=$((p + 1)); done
    echo "$p"
}

passed=0 failed=0
# Adds one harness run's figures from its output file; a run that did not
# end in "Result: PASS" counts at least one failure.
tally() {
    local out=$1 rc=$2 what=$3 tests fails
    tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$out" | tail -n1)
    fails=$(sed -n 's/^Failed [0-9]*\/[0-9]* test programs\. \([0-9]*\)\/.*/\1/p' "$out" | tail -n1)
    tests=${tests:-0} fails=${fails:-0}
    if [ "$rc" -ne 0 ] || ! grep -q '^Result: PASS' "$out"; then
        [ "$fails" -eq 0 ] && fails=1
    fi
    if [ "$tests" -eq 0 ]; then
        echo "$what: no test ran" >&2
        [ "$fails" -eq 0 ] && fails=1
    fi
    if grep -Eq '\.\. skipped|^Result: NOTESTS' "$out"; then
        echo "$what: test files were skipped; every file must run" >&2
        fails=$((fails + 1))
    fi
    if grep -q 'must be run as a non-privileged user' "$out"; then
        echo "$what: Apache::Test refused to run as root" >&2
        fails=$((fails + 1))
    fi
    passed=$((passed + tests - (fails < tests ? fails : tests)))
    failed=$((failed + fails))
}

unit_bin=${UNIT_BIN:-t/unit/bin-plain}
httpd_args=()
if [ -n "${SD_SANITIZE:-}" ]; then
    # Reports land in files so that a report in any process (a unit test,
    # any httpd child) fails the run, even if the request looked fine.
    mkdir -p "$logdir/san"
    chmod 777 "$logdir/san"
    export ASAN_OPTIONS="log_path=$logdir/san/asan:detect_leaks=0:abort_on_error=1"
    export UBSAN_OPTIONS="log_path=$logdir/san/ubsan:print_stacktrace=1:halt_on_error=1"
    httpd_args=(-httpd "$top/scripts/asan-httpd")
fi

echo "== C unit tests ($unit_bin)"
set +e
prove --exec '' "$unit_bin"/test_* 2>&1 | tee "$logdir/unit.log"
unit_rc=${PIPESTATUS[0]}
tally "$logdir/unit.log" "$unit_rc" "unit tests"
set +e

echo "== Apache::Test suite"
mc_port=$(free_port "${MEMCACHED_PORT:-21211}")
# -I 2m: t/06_tamper.t stores a value over 1 MiB to check it is refused.
memcached -u nobody -l 127.0.0.1 -p "$mc_port" -U 0 -m 64 -I 2m &
mc_pid=$!
for _ in $(seq 50); do port_busy "$mc_port" && break; sleep 0.1; done
if ! kill -0 "$mc_pid" 2>/dev/null; then
    echo "memcached did not start on port $mc_port" >&2
    echo "make test: $passed passed, $((failed + 1)) failed"
    exit 1
fi
httpd_port=$(free_port "${APACHE_TEST_PORT:-8529}")
# A second memcached port for t/21_outage.t, which starts and kills its own.
export SD_OUTAGE_PORT=$(free_port $((mc_port + 1)))
# memcached that refuses: a 2 KiB item size limit (t/26), and no eviction
# in 4 MB (t/26 fills it up).
export SD_SMALL_MC_PORT=$(free_port $((SD_OUTAGE_PORT + 1)))
memcached -u nobody -l 127.0.0.1 -p "$SD_SMALL_MC_PORT" -U 0 -I 2k -o slab_chunk_max=1024 &
extra_mc_pids+=($!)
export SD_FULL_MC_PORT=$(free_port $((SD_SMALL_MC_PORT + 1)))
memcached -u nobody -l 127.0.0.1 -p "$SD_FULL_MC_PORT" -U 0 -M -m 4 -I 64k -o slab_chunk_max=32768 &
extra_mc_pids+=($!)
for _ in $(seq 50); do port_busy "$SD_SMALL_MC_PORT" && port_busy "$SD_FULL_MC_PORT" && break; sleep 0.1; done
# A document root every user can traverse: the children run as nobody and
# httpd walks it even for handler URLs (a 0700 checkout would give 403s).
mkdir -p "$logdir/htdocs"
chmod 755 "$logdir/htdocs"

# Fixtures for the authn and rotation vhosts. The children (nobody) read
# the htpasswd file per login; the secret file is read by root at start-up.
htpasswd -B -C 5 -b -c "$logdir/htpasswd" alice 'correct horse battery' 2>/dev/null
htpasswd -B -C 5 -b "$logdir/htpasswd" bob 'hunter2 hunter2' 2>/dev/null
chmod 644 "$logdir/htpasswd"
printf '%s\n' '# newest first' 'rotation test: current secret 0123456789abcdef0123' '' \
    'rotation test: old secret fedcba9876543210fedcba' > "$logdir/secrets"
chmod 600 "$logdir/secrets"
# A throwaway self-signed certificate for the TLS vhost (Secure Auto).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$logdir/tls.key" -out "$logdir/tls.crt" >/dev/null 2>&1
export SD_HTPASSWD=$logdir/htpasswd SD_SECRET_FILE=$logdir/secrets \
       SD_TLS_CERT=$logdir/tls.crt SD_TLS_KEY=$logdir/tls.key

MEMCACHED_PORT=$mc_port perl t/TEST.PL -port "$httpd_port" "${httpd_args[@]}" \
    -documentroot "$logdir/htdocs" "$@" 2>&1 | tee "$logdir/apache-test.log"
at_rc=${PIPESTATUS[0]}
tally "$logdir/apache-test.log" "$at_rc" "Apache::Test"
if [ "$at_rc" -ne 0 ] && [ -f t/logs/error_log ]; then
    echo "== last lines of t/logs/error_log"
    tail -n 30 t/logs/error_log
fi

if [ -n "${SD_SANITIZE:-}" ]; then
    reports=$(ls "$logdir"/san/ 2>/dev/null | wc -l)
    if [ "$reports" -gt 0 ]; then
        echo "== $reports sanitizer report(s):"
        cat "$logdir"/san/* | head -n 80
        failed=$((failed + reports))
    else
        echo "== sanitizers: 0 reports"
    fi
fi

echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
