#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Leak check, TAP: one httpd child (conf/httpd-run.conf with the overlay
# rss.conf: a single child of 25 threads) serves RSS_REQUESTS requests of the mixed
# traffic (mixed.lua; wrk has no request count, so it runs in slices sized
# from the rate seen so far until the count is reached). Its VmRSS is read
# after RSS_WARMUP requests, halfway and at the end; growth after the
# warm-up above RSS_MAX_GROWTH_PCT percent or RSS_MAX_GROWTH_KB fails.
#
#   RSS_REQUESTS=100000 RSS_WARMUP=10000 RSS_CONNECTIONS=20
#   RSS_MAX_GROWTH_PCT=10 RSS_MAX_GROWTH_KB=8192
set -uo pipefail
. "$(dirname "$0")/../lib/env.sh"
sd_env_setup rss

total=${RSS_REQUESTS:-100000}
warmup=${RSS_WARMUP:-10000}
conns=${RSS_CONNECTIONS:-20}
max_pct=${RSS_MAX_GROWTH_PCT:-10}
max_kb=${RSS_MAX_GROWTH_KB:-8192}
threads=2

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
children() { ps -o pid= --ppid "$(sd_pid httpd-rss)" | tr -d ' '; }

sd_up rss "$SD_TOP/tests/reliability/rss.conf"
http_port=$(sd_httpd_port rss)
child=$(children)
if [ "$(wc -w <<<"$child")" -ne 1 ]; then
    sd_ok 1 "exactly one httpd child" "children: $child"
    sd_done_testing; exit
fi
echo "# rss: $total requests ($warmup warm-up), $conns connections, one child (pid $child, 25 threads);" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$child/status" 2>/dev/null || echo 0; }
done_requests=0 errors=0 others=0
r() { awk -v k="$1" '$1 == "REL" && $2 == k { print $3; f = 1 } END { if (!f) print 0 }' "$SD_RUN/wrk.out"; }
phase() {   # phase N LABEL: N more requests (or a little more), then a line
    local target=$((done_requests + $1)) out=$SD_RUN/wrk.out t0 n=0 slice
    t0=$(now)
    while [ "$done_requests" -lt "$target" ]; do
        # 1 s first, then what the rest needs at the rate seen (1..30 s)
        slice=$(awk -v left=$((target - done_requests)) -v n="$n" -v t="$(since "$t0")" \
            'BEGIN { s = (n > 0 && t > 0) ? left / (n / t) : 1; s = int(s + 0.5); print (s < 1 ? 1 : (s > 30 ? 30 : s)) }')
        : >"$out"
        sd_run wrk "$out" wrk -t"$threads" -c"$conns" -d"${slice}s" --timeout 5s \
            -s "$SD_TOP/tests/reliability/mixed.lua" "http://127.0.0.1:$http_port/"
        if ! grep -q '^REL requests' "$out"; then
            echo "# wrk output:"; sed 's/^/#   /' "$out"; errors=$((errors + 1)); break
        fi
        n=$((n + $(r requests)))
        done_requests=$((done_requests + $(r requests)))
        errors=$((errors + $(r err_connect) + $(r err_read) + $(r err_write) + $(r err_timeout)))
        others=$((others + $(awk '$1 == "REL" && $2 ~ /^status_/ && $2 != "status_200" && $2 != "status_302" { n += $3 } END { print n + 0 }' "$out")))
    done
    printf '# %-26s %7d requests  VmRSS %6d kB  (%.0f req/s)\n' "$2" "$done_requests" "$(rss_kb)" \
        "$(awk -v n="$n" -v t="$(since "$t0")" 'BEGIN { print (t > 0 ? n / t : 0) }')"
}

phase "$warmup" "after the warm-up"
rss0=$(rss_kb)
rest=$((total - warmup))
phase $((rest / 2)) "halfway"
rss1=$(rss_kb)
phase $((rest - rest / 2)) "at the end"
rss2=$(rss_kb)

growth=$((rss2 - rss0))
limit=$(( rss0 * max_pct / 100 < max_kb ? rss0 * max_pct / 100 : max_kb ))
printf '# %-28s %d kB (%s %%); limit %d kB (%d %% of %d kB, at most %d kB)\n' "growth after the warm-up" \
    "$growth" "$(awk -v g="$growth" -v b="$rss0" 'BEGIN { printf "%.1f", b ? 100 * g / b : 0 }')" \
    "$limit" "$max_pct" "$rss0" "$max_kb"

sd_ok "$([ "$done_requests" -ge "$total" ]; echo $?)" "$total requests served" "$done_requests"
sd_ok "$([ "$(children)" = "$child" ]; echo $?)" "the same child served them all" "pid $child"
sd_ok "$([ "$errors" -eq 0 ] && [ "$others" -eq 0 ]; echo $?)" "no socket errors, every answer 200 or 302" \
    "$errors errors, $others others"
sd_ok "$([ "$rss0" -gt 0 ] && [ "$growth" -le "$limit" ]; echo $?)" \
    "child RSS growth after the warm-up within the limit" "$rss0 -> $rss1 -> $rss2 kB"
sd_done_testing
