#!/usr/bin/env bash
# Sustained load: a private memcached and httpd set up as `make run` does,
# then wrk for LOAD_SECONDS with LOAD_CONNECTIONS connections running
# mixed.lua (guests, logins, logged-in pages, carts, logouts). Passes with
# no socket errors, only 200 and 302 answers, and as many sessions in
# memcached as the script saw created and not logged out.
#
#   LOAD_SECONDS=60 LOAD_CONNECTIONS=128 LOAD_THREADS=2 LOAD_TIMEOUT=5
#   LOAD_CONF=run (default: conf/httpd-run.conf, what make run uses) | capacity
#   REL_KEEP=1 keeps the logs
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap rel_cleanup EXIT
trap 'exit 130' INT TERM

seconds=${LOAD_SECONDS:-60}
conns=${LOAD_CONNECTIONS:-128}
threads=${LOAD_THREADS:-2}
timeout=${LOAD_TIMEOUT:-5}
case ${LOAD_CONF:-run} in
    run) conf=$rel_top/conf/httpd-run.conf ;;
    capacity) conf=$rel_top/tests/reliability/httpd-capacity.conf ;;
    *) echo "LOAD_CONF is run or capacity" >&2; exit 2 ;;
esac

rel_setup_rundir load
mc_port=$(rel_free_port 11511)
http_port=$(rel_free_port 3211)
if ! rel_start_memcached "$mc_port" || ! rel_start_httpd "$http_port" "127.0.0.1:$mc_port" "$conf"; then
    rel_check "memcached and httpd start" 1
    rel_summary load; exit
fi
echo "load: ${seconds} s, $conns connections, $threads wrk threads, timeout ${timeout} s;" \
     "httpd $(basename "$conf") on :$http_port, memcached :$mc_port; load average $(cut -d' ' -f1-3 /proc/loadavg)"

out=$rel_rundir/wrk.out
rel_run wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout "${timeout}s" \
    -s "$rel_top/tests/reliability/mixed.lua" "http://127.0.0.1:$http_port/" >"$out" 2>&1
wrk_rc=$?
# Requests still running in httpd when wrk stopped finish and release
# their locks well within a second.
sleep 1

r() { awk -v k="$1" '$1 == "REL" && $2 == k { print $3; f = 1 } END { if (!f) print 0 }' "$out"; }
rel_check "wrk ran to the end" "$([ "$wrk_rc" -eq 0 ] && grep -q '^REL requests' "$out"; echo $?)" "rc $wrk_rc"
if ! grep -q '^REL requests' "$out"; then cat "$out"; rel_summary load; exit; fi

dump=$(rel_mc_cmd "$mc_port" "lru_crawler metadump all")
locks=$(grep -c '^key=.*\.lock ' <<<"$dump")
curr=$(rel_mc_stat "$mc_port" curr_items)
found=$((curr - locks))
codes=$(awk '$1 == "REL" && $2 ~ /^status_/ { sub("status_", "", $2); printf "%s%s %s", s, $2, $3; s = ", " }' "$out")
other=$(awk '$1 == "REL" && $2 ~ /^status_/ && $2 != "status_200" && $2 != "status_302" { n += $3 } END { print n + 0 }' "$out")
errors=$(( $(r err_connect) + $(r err_read) + $(r err_write) + $(r err_timeout) ))
unexpected=$(awk '$1 == "REL" && $2 == "unexpected" { $1 = $2 = ""; print }' "$out")

printf '%-22s %s\n' \
    "requests" "$(r requests) in $(r duration_s) s" \
    "req/s" "$(r rps)" \
    "latency p50 / p99" "$(r p50_ms) ms / $(r p99_ms) ms (max $(r max_ms) ms)" \
    "status counts" "$codes" \
    "socket errors" "connect $(r err_connect), read $(r err_read), write $(r err_write), timeout $(r err_timeout)" \
    "sessions created" "$(r new_ids) (logins $(r login_seen), guest carts $(r cart_new_seen))" \
    "logouts" "$(r logout_seen)" \
    "in flight at the stop" "$(( $(r sent) - $(r responses) )) requests" \
    "items expected" "$(r expected) (range $(r expected_min)..$(r expected_max))" \
    "items found" "$found (curr_items $curr, lock keys $locks)"
[ -n "$unexpected" ] && printf '%-22s %s\n' "unexpected" "$unexpected"

rel_check "no socket errors" "$([ "$errors" -eq 0 ]; echo $?)" "$errors"
rel_check "every answer is 200 or 302" "$([ "$other" -eq 0 ]; echo $?)" "$other others"
rel_check "no unexpected answers (login errors, sessions from other routes)" "$([ -z "$unexpected" ]; echo $?)"
rel_check "memcached holds the sessions expected alive" \
    "$([ "$found" -ge "$(r expected_min)" ] && [ "$found" -le "$(r expected_max)" ]; echo $?)" \
    "$found in $(r expected_min)..$(r expected_max)"
rel_check "no session lock left behind" "$([ "$locks" -eq 0 ]; echo $?)" "$locks"
bad_log=$(grep -cE '\[sessiondemo:(error|crit|alert|emerg)\]|exit signal' "$rel_rundir/error.log")
rel_check "no module errors or child crashes in the error log" "$([ "$bad_log" -eq 0 ]; echo $?)" "$bad_log lines"
if [ "$rel_failed" -gt 0 ]; then
    echo "--- wrk output"; grep -v '^REL' "$out"
    echo "--- error log (errors)"; grep -E ':(error|crit|alert|emerg)\]|exit signal' "$rel_rundir/error.log" | head -20
fi
rel_summary load
