#!/usr/bin/env bash
# memcached outages outside Apache::Test, against the `make run` setup
# (conf/httpd-run.conf: event MPM, 2 children x 25 threads) under a light
# background load (wrk, OUTAGE_CONNECTIONS connections, mixed.lua):
#   kill -9   -> time until a session route answers 503 (goal <= 1 s);
#                guests (GET / without a cookie) still get 200
#   restart   -> time until a login succeeds again (goal <= 1 s)
#   kill -STOP-> time until a session route answers 503 (goal <= 2 s);
#                guests still get 200; requests already waiting on memcached
#                when it froze are timed (apr_memcache has no I/O timeout)
#   kill -CONT-> time until a session is served again (goal <= 2 s); a
#                session that had requests waiting on the frozen memcached
#                is timed apart: the lock key such a request took can outlive
#                the outage (up to SessionDemoLockTTL, docs/reliability.md)
# and each outage is one "[sessiondemo:error] ... SD00203" line in the error
# log (the other children log it at info).
#
#   OUTAGE_CONNECTIONS=16 OUTAGE_FREEZE_HOLD=4 (seconds memcached stays frozen)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap rel_cleanup EXIT
trap 'exit 130' INT TERM

conns=${OUTAGE_CONNECTIONS:-16}
hold=${OUTAGE_FREEZE_HOLD:-4}

rel_setup_rundir outage
mc_port=$(rel_free_port 11711)
http_port=$(rel_free_port 3411)
base=http://127.0.0.1:$http_port
if ! rel_start_memcached "$mc_port" || ! rel_start_httpd "$http_port" "127.0.0.1:$mc_port"; then
    rel_check "memcached and httpd start" 1
    rel_summary outage; exit
fi
echo "outage: httpd conf/httpd-run.conf on :$http_port, memcached :$mc_port, background wrk $conns connections;" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

code() { curl -s -o /dev/null -w '%{http_code}' --max-time "$@"; }   # code MAXTIME CURL-ARGS...
login_cookie() {
    curl -s -o /dev/null -D - --max-time 5 -d "username=$1&password=pw" "$base/login" |
        sed -n 's/^Set-Cookie: \(connect\.sid=[^;]*\);.*/\1/p'
}
# wait_for CODE DEADLINE T0 CURL-ARGS...: repeat a request (each bounded
# to 0.25 s: one stuck on a frozen memcached is given up on, not waited
# for) until it answers CODE; prints the seconds since T0, or "never".
wait_for() {
    local want=$1 deadline=$2 t0=$3 c
    shift 3
    while rel_le "$(rel_since "$t0")" "$deadline"; do
        c=$(code 0.25 "$@")
        if [ "$c" = "$want" ]; then rel_since "$t0"; return 0; fi
        sleep 0.01
    done
    echo never
    return 1
}
guests_ok() {   # guests_ok N: N guest GET / in a row all answer 200
    local i
    for ((i = 0; i < $1; i++)); do [ "$(code 2 "$base/")" = 200 ] || return 1; done
}
outage_errors() { grep -cE "\[sessiondemo:error\].*SD00203: memcached 127\.0\.0\.1:$mc_port is not answering" "$rel_rundir/error.log"; }
within() { rel_le "$1" "$2" 2>/dev/null && [ "$1" != never ]; echo $?; }

cookie=$(login_cookie before)
rel_check "login works while memcached is up" "$([ -n "$cookie" ]; echo $?)"

wrk -t1 -c"$conns" -d300s --timeout 30s -s "$rel_top/tests/reliability/mixed.lua" "$base/" \
    >"$rel_rundir/wrk.out" 2>&1 &
wrk_pid=$!
rel_bg_pids+=("$wrk_pid")
sleep 2

# --- kill -9
e0=$(outage_errors)
t0=$(rel_now)
kill -KILL "$rel_mc_pid"; wait "$rel_mc_pid" 2>/dev/null; rel_mc_pid=
t_kill=$(wait_for 503 5 "$t0" -b "$cookie" "$base/cart")
guests_ok 10; g_kill=$?
login_down=$(code 2 -d "username=x&password=pw" "$base/login")
sleep 1.5   # every child's prober has seen it by now
e_kill=$(( $(outage_errors) - e0 ))

# --- restart on the same port
t0=$(rel_now)
rel_start_memcached "$mc_port"
t_restart=$(wait_for 302 5 "$t0" -d "username=back&password=pw" "$base/login")
ok=0
for i in $(seq 20); do [ "$(code 2 -d "username=again$i&password=pw" "$base/login")" = 302 ] && ok=$((ok + 1)); done

# --- kill -STOP, with requests started just before and after the freeze
sleep 1
cookie=$(login_cookie frozen)
stuck_cookie=$(login_cookie stuck)
idle_cookie=$(login_cookie idle)      # not used while memcached is frozen
: >"$rel_rundir/inflight"
inflight() {   # a session request, its start relative to the freeze, code, duration
    local s; s=$(rel_now)
    local c; c=$(code 30 -b "$stuck_cookie" "$base/cart")
    echo "$(awk -v a="$s" -v b="$t_freeze" 'BEGIN { printf "%+.2f", a - b }') $c $(rel_since "$s")" >>"$rel_rundir/inflight"
}
e0=$(outage_errors)
t_freeze=$(awk -v t="$(rel_now)" 'BEGIN { printf "%.6f", t + 0.3 }')
for i in 0 1 2 3 4; do
    (sleep "0.$((i * 2))"; inflight) &
    rel_bg_pids+=($!)
    [ "$i" = 1 ] && { sleep 0.05; kill -STOP "$rel_mc_pid"; t0=$(rel_now); t_freeze=$t0; }
done
t_stop=$(wait_for 503 5 "$t0" -b "$cookie" "$base/cart")
guests_ok 10; g_stop=$?
while ! rel_le "$hold" "$(rel_since "$t0")"; do sleep 0.1; done
e_stop=$(( $(outage_errors) - e0 ))

# --- kill -CONT
t0=$(rel_now)
kill -CONT "$rel_mc_pid"
t_cont=$(wait_for 200 5 "$t0" -b "$idle_cookie" "$base/cart")
t_cont_stuck=$(wait_for 200 10 "$t0" -b "$stuck_cookie" "$base/cart")
t_cont_probe=$(wait_for 200 10 "$t0" -b "$cookie" "$base/cart")
wait "${rel_bg_pids[@]:1}" 2>/dev/null
session_kept=$(code 2 -b "$idle_cookie" "$base/profile")
stuck_kept=$(code 2 -b "$stuck_cookie" "$base/profile")

kill -INT "$wrk_pid"; wait "$wrk_pid" 2>/dev/null
bg() { awk -v k="$1" '$1 == "REL" && $2 == k { print $3; f = 1 } END { if (!f) print 0 }' "$rel_rundir/wrk.out"; }
bg_codes=$(awk '$1 == "REL" && $2 ~ /^status_/ { sub("status_", "", $2); printf "%s%s %s", s, $2, $3; s = ", " }' "$rel_rundir/wrk.out")

printf '%-34s %-10s %s\n' "event" "measured" "goal" \
    "kill -9: session route 503 after" "${t_kill} s" "<= 1 s" \
    "restart: login succeeds after" "${t_restart} s" "<= 1 s" \
    "kill -STOP: session route 503 after" "${t_stop} s" "<= 2 s" \
    "kill -CONT: session served after" "${t_cont} s" "<= 2 s" \
    "  one with requests at the freeze" "${t_cont_stuck} s" "<= 8 s (LockTTL 5 + LockWait 2 + 1)" \
    "  the one probed for the 503" "${t_cont_probe} s" "(its probes before the 503 are stuck too)"
echo "requests in flight at the freeze (start relative to SIGSTOP, status, duration s; memcached frozen ${hold} s):"
sort -n "$rel_rundir/inflight" | sed 's/^/    /'
echo "background load: $(bg requests) requests ($bg_codes), socket errors" \
     "$(( $(bg err_connect) + $(bg err_read) + $(bg err_write) + $(bg err_timeout) )), latency max $(bg max_ms) ms"

rel_check "kill -9: a session route answers 503 within 1 s" "$(within "$t_kill" 1)" "$t_kill s"
rel_check "kill -9: guests without a cookie still get 200" "$g_kill"
rel_check "kill -9: a login answers 503" "$([ "$login_down" = 503 ]; echo $?)" "$login_down"
rel_check "kill -9: one SD00203 error line for the outage" "$([ "$e_kill" -eq 1 ]; echo $?)" "$e_kill"
rel_check "restart: logins succeed within 1 s" "$(within "$t_restart" 1)" "$t_restart s"
rel_check "restart: then 20 logins in a row succeed" "$([ "$ok" -eq 20 ]; echo $?)" "$ok"
rel_check "kill -STOP: a session route answers 503 within 2 s" "$(within "$t_stop" 2)" "$t_stop s"
rel_check "kill -STOP: guests without a cookie still get 200" "$g_stop"
rel_check "kill -STOP: one SD00203 error line for the outage" "$([ "$e_stop" -eq 1 ]; echo $?)" "$e_stop"
rel_check "kill -CONT: a session is served again within 2 s" "$(within "$t_cont" 2)" "$t_cont s"
rel_check "kill -CONT: a session with requests waiting at the freeze is served within 8 s" \
    "$(within "$t_cont_stuck" 8)" "$t_cont_stuck s"
rel_check "kill -CONT: the sessions survived the freeze" \
    "$([ "$session_kept" = 200 ] && [ "$stuck_kept" = 200 ]; echo $?)" "$session_kept, $stuck_kept"
rel_check "requests waiting at the freeze all ended with 200 or 503" \
    "$([ "$(grep -cvE ' (200|503) ' "$rel_rundir/inflight")" -eq 0 ] && [ "$(wc -l <"$rel_rundir/inflight")" -eq 5 ]; echo $?)"
other_errors=$(grep '\[sessiondemo:error\]' "$rel_rundir/error.log" | grep -v SD00203 |
    grep -oE 'SD[0-9]{5}' | sort | uniq -c | awk '{ printf "%s%s x %s", s, $2, $1; s = ", " }')
echo "other [sessiondemo:error] lines during the run: ${other_errors:-none}"
crashes=$(grep -c 'exit signal' "$rel_rundir/error.log")
rel_check "no httpd child crashed" "$([ "$crashes" -eq 0 ]; echo $?)" "$crashes"
if [ "$rel_failed" -gt 0 ]; then
    echo "--- error log (sessiondemo, notice and above)"
    grep -E '\[sessiondemo:(notice|warn|error|crit)\]|exit signal' "$rel_rundir/error.log" | tail -n 20
fi
rel_summary outage
