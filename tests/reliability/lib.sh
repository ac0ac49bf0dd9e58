# Shared by the reliability scripts: a private memcached and httpd set up the
# way `make run` does (conf/httpd-run.conf with the environment that
# scripts/run-demo.sh exports), each on a free loopback port, in a private
# run directory, torn down by rel_cleanup (the scripts trap EXIT on it).
# Results are printed as "PASS - what" / "FAIL - what" lines and counted.

rel_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rel_passed=0 rel_failed=0
rel_mc_pid= rel_httpd_pid= rel_rundir= rel_bg_pids=()

rel_check() {   # rel_check NAME CONDITION-EXIT-STATUS DETAIL
    local what=$1 ok=$2 detail=${3:-}
    if [ "$ok" -eq 0 ]; then rel_passed=$((rel_passed + 1)); echo "PASS - $what${detail:+ ($detail)}"
    else rel_failed=$((rel_failed + 1)); echo "FAIL - $what${detail:+ ($detail)}"; fi
}

rel_now() { echo "${EPOCHREALTIME/,/.}"; }                 # seconds, µs resolution
rel_since() { awk -v a="$1" -v b="$(rel_now)" 'BEGIN { printf "%.3f", b - a }'; }
rel_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

rel_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
rel_free_port() {   # rel_free_port START: first port from START nobody listens on
    local p=$1
    while rel_port_busy "$p"; do p=$((p + 1)); done
    echo "$p"
}

rel_setup_rundir() {
    rel_rundir=$(mktemp -d "/tmp/sessiondemo-rel-${1:-run}.XXXXXX")
    mkdir -p "$rel_rundir/htdocs"
    chmod 755 "$rel_rundir" "$rel_rundir/htdocs"
    openssl rand -base64 48 | tr -d '\n' > "$rel_rundir/secret"
}

# rel_start_memcached PORT: memcached as run-demo.sh starts it (64 MB, no UDP)
rel_start_memcached() {
    local port=$1 user=()
    [ "$(id -u)" = 0 ] && user=(-u nobody)
    memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 64 >>"$rel_rundir/memcached.log" 2>&1 &
    rel_mc_pid=$!
    for _ in $(seq 100); do
        rel_port_busy "$port" && return 0
        sleep 0.02
    done
    echo "memcached did not start on port $port" >&2
    return 1
}

rel_stop_memcached() {
    [ -n "$rel_mc_pid" ] || return 0
    kill -CONT "$rel_mc_pid" 2>/dev/null
    kill -KILL "$rel_mc_pid" 2>/dev/null
    wait "$rel_mc_pid" 2>/dev/null
    rel_mc_pid=
    return 0
}

# rel_start_httpd PORT MEMCACHED_ADDR [CONF]: apache2 -DFOREGROUND with the
# environment scripts/run-demo.sh exports; logs in $rel_rundir.
rel_start_httpd() {
    local port=$1 mc=$2 conf=${3:-$rel_top/conf/httpd-run.conf} user group
    if [ "$(id -u)" = 0 ]; then user=nobody group=nogroup; else user=$(id -un) group=$(id -gn); fi
    SD_TOP=$rel_top SD_RUNDIR=$rel_rundir SD_PORT=$port SD_MEMCACHED=$mc \
    SD_SECRET=$(cat "$rel_rundir/secret") SD_USER=$user SD_GROUP=$group \
        /usr/sbin/apache2 -f "$conf" -DFOREGROUND \
        >"$rel_rundir/access.log" 2>"$rel_rundir/error.log" &
    rel_httpd_pid=$!
    for _ in $(seq 150); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/")" = 200 ]; then
            return 0
        fi
        kill -0 "$rel_httpd_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "httpd did not start on port $port; its error log:" >&2
    tail -n 20 "$rel_rundir/error.log" >&2
    return 1
}

rel_stop_httpd() {
    [ -n "$rel_httpd_pid" ] || return 0
    kill -TERM "$rel_httpd_pid" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$rel_httpd_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$rel_httpd_pid" 2>/dev/null
    wait "$rel_httpd_pid" 2>/dev/null
    rel_httpd_pid=
    return 0
}

# The httpd children (pids) of our httpd parent.
rel_httpd_children() { ps -o pid= --ppid "$rel_httpd_pid" | tr -d ' '; }

# rel_run CMD...: run CMD in the background where rel_cleanup can stop it,
# and wait for it; its exit status.
rel_run() {
    "$@" &
    local pid=$!
    rel_bg_pids+=("$pid")
    wait "$pid"
}

rel_cleanup() {
    local p
    for p in "${rel_bg_pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${rel_bg_pids[@]}"; do wait "$p" 2>/dev/null; done
    rel_bg_pids=()
    rel_stop_httpd
    rel_stop_memcached
    if [ -n "$rel_rundir" ] && [ -d "$rel_rundir" ]; then
        if [ -n "${REL_KEEP:-}" ]; then echo "logs kept in $rel_rundir"
        else rm -rf "$rel_rundir"; fi
    fi
    return 0
}

# rel_mc_cmd PORT CMD: one memcached text command, its reply on stdout.
rel_mc_cmd() {
    local port=$1 cmd=$2
    exec 4<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf '%s\r\n' "$cmd" >&4
    local line
    while IFS= read -r -t 5 line <&4; do
        line=${line%$'\r'}
        echo "$line"
        case $line in END|OK|ERROR*|CLIENT_ERROR*|SERVER_ERROR*|VERSION*) break ;; esac
    done
    exec 4>&-
}

rel_mc_stat() { rel_mc_cmd "$1" stats | awk -v k="$2" '$1 == "STAT" && $2 == k { print $3 }'; }

rel_summary() {   # rel_summary NAME: the closing line, and the exit status
    echo "$1: $rel_passed passed, $rel_failed failed"
    [ "$rel_failed" -eq 0 ]
}
