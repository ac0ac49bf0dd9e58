#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sustained load, TAP: memcached and httpd exactly as `make run` has them
# (conf/httpd-run.conf, no overlay), then wrk for LOAD_SECONDS with
# LOAD_CONNECTIONS connections running mixed.lua (guests, logins, logged-in
# pages, carts, logouts). Passes with no socket errors, only 200 and 302
# answers, and as many sessions in memcached as the script saw created and
# not logged out. Figures are TAP comments.
#
#   LOAD_SECONDS=60 LOAD_CONNECTIONS=128 LOAD_THREADS=2 LOAD_TIMEOUT=5
#   SD_KEEP=1 keeps the run directory (logs)
set -uo pipefail
. "$(dirname "$0")/../lib/env.sh"
sd_env_setup load

seconds=${LOAD_SECONDS:-60} conns=${LOAD_CONNECTIONS:-128} threads=${LOAD_THREADS:-2} timeout=${LOAD_TIMEOUT:-5}

sd_up load
mc_port=$(sd_mc_port main) http_port=$(sd_httpd_port load) log=$(sd_httpd_dir load)/error.log
echo "# load: ${seconds} s, $conns connections, $threads wrk threads, timeout ${timeout} s;" \
     "httpd on :$http_port, memcached :$mc_port; load average $(cut -d' ' -f1-3 /proc/loadavg)"

out=$SD_RUN/wrk.out
sd_run wrk "$out" wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout "${timeout}s" \
    -s "$SD_TOP/tests/reliability/mixed.lua" "http://127.0.0.1:$http_port/"
wrk_rc=$?
# Requests still running in httpd when wrk stopped finish and release
# their locks well within a second.
sleep 1

r() { awk -v k="$1" '$1 == "REL" && $2 == k { print $3; f = 1 } END { if (!f) print 0 }' "$out"; }
sd_ok "$([ "$wrk_rc" -eq 0 ] && grep -q '^REL requests' "$out"; echo $?)" "wrk ran to the end" "rc $wrk_rc"
if ! grep -q '^REL requests' "$out"; then sed 's/^/# /' "$out"; sd_done_testing; exit; fi

dump=$(sd_mc_cmd "$mc_port" "lru_crawler metadump all")
locks=$(grep -c '^key=.*\.lock ' <<<"$dump")
curr=$(sd_mc_stat "$mc_port" curr_items)
found=$((curr - locks))
codes=$(awk '$1 == "REL" && $2 ~ /^status_/ { sub("status_", "", $2); printf "%s%s %s", s, $2, $3; s = ", " }' "$out")
other=$(awk '$1 == "REL" && $2 ~ /^status_/ && $2 != "status_200" && $2 != "status_302" { n += $3 } END { print n + 0 }' "$out")
errors=$(( $(r err_connect) + $(r err_read) + $(r err_write) + $(r err_timeout) ))
unexpected=$(awk '$1 == "REL" && $2 == "unexpected" { $1 = $2 = ""; print }' "$out")

printf '# %-22s %s\n' \
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
[ -n "$unexpected" ] && printf '# %-22s %s\n' "unexpected" "$unexpected"

sd_ok "$([ "$errors" -eq 0 ]; echo $?)" "no socket errors" "$errors"
sd_ok "$([ "$other" -eq 0 ]; echo $?)" "every answer is 200 or 302" "$other others"
sd_ok "$([ -z "$unexpected" ]; echo $?)" "no unexpected answers (login errors, sessions from other routes)"
sd_ok "$([ "$found" -ge "$(r expected_min)" ] && [ "$found" -le "$(r expected_max)" ]; echo $?)" \
    "memcached holds the sessions expected alive" "$found in $(r expected_min)..$(r expected_max)"
sd_ok "$([ "$locks" -eq 0 ]; echo $?)" "no session lock left behind" "$locks"
bad_log=$(grep -cE '\[sessiondemo:(error|crit|alert|emerg)\]|exit signal' "$log")
sd_ok "$([ "$bad_log" -eq 0 ]; echo $?)" "no module errors or child crashes in the error log" "$bad_log lines"
if [ "$sd_tap_failed" -gt 0 ]; then
    echo "# wrk output:"; grep -v '^REL' "$out" | sed 's/^/#   /'
    echo "# error log (errors):"; grep -E ':(error|crit|alert|emerg)\]|exit signal' "$log" | head -20 | sed 's/^/#   /'
fi
sd_done_testing
