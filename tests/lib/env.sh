# SPDX-License-Identifier: Apache-2.0
# The test environment for shell suites, `make run`, `make test` and (through
# `bash -c '. tests/lib/env.sh; …'`) the Perl code: a private run directory,
# memcached instances on free loopback ports, httpd from conf/httpd-run.conf
# plus a per-suite overlay, and a stop of everything by pidfile. Modelled on
# memcached's t/lib/MemcachedTest.pm; tests/lib/env.mjs is the same for Node
# and shares the run-directory layout, so either side can stop what the other
# started:
#   $SD_RUN/pid/<name>.pid          one per process, each the leader of its own
#                                    process group (setsid), so a stop reaches
#                                    httpd's children and node's workers too
#   $SD_RUN/memcached-<name>.port   kept across a stop, so a restart reuses it
#   $SD_RUN/httpd-<name>/           that httpd's SD_RUNDIR: logs, htdocs, pidfile
#   $SD_RUN/secret                  the SessionDemoSecret of the run
# Every wait here is bounded. Functions return non-zero on failure; only
# sd_env_setup and sd_up, made for a script's top level, exit.

SD_TOP=${SD_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SD_APACHE=${SD_APACHE:-/usr/sbin/apache2}
export SD_TOP

# sd_env_init TAG: creates and exports $SD_RUN, unless the caller already
# points it at a directory (make run keeps .run/ across runs for its secret;
# a Perl test attaches to the run of the script that started it).
sd_env_init() {
    if [ -z "${SD_RUN:-}" ]; then
        SD_RUN=$(mktemp -d "${TMPDIR:-/tmp}/sessiondemo-${1:-run}.XXXXXX") || return 1
        SD_RUN_OWNED=1
    fi
    mkdir -p "$SD_RUN/pid" || return 1
    # httpd's children run as nobody and must traverse it.
    chmod 755 "$SD_RUN"
    [ -s "$SD_RUN/secret" ] || (umask 077; openssl rand -base64 48 | tr -d '\n' >"$SD_RUN/secret")
    export SD_RUN
}

# sd_env_setup TAG: what a script that owns a run starts with: sd_env_init,
# and sd_env_cleanup on any exit, Ctrl-C and timeout's TERM included.
sd_env_setup() {
    sd_env_init "$1" || exit 1
    trap sd_env_cleanup EXIT
    trap 'exit 130' INT TERM
}

# sd_env_cleanup: stops every process of the run, then removes the run
# directory if sd_env_init made it (SD_KEEP=1 keeps it, for its logs).
sd_env_cleanup() {
    local f
    [ -n "${SD_RUN:-}" ] && [ -d "$SD_RUN/pid" ] || return 0
    for f in "$SD_RUN"/pid/*.pid; do
        [ -e "$f" ] && sd_stop "$(basename "$f" .pid)"
    done
    if [ -n "${SD_RUN_OWNED:-}" ]; then
        if [ -n "${SD_KEEP:-}" ]; then echo "# run directory kept: $SD_RUN"; else rm -rf "$SD_RUN"; fi
    fi
    return 0
}

sd_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# sd_free_port [N]: the first of N (1) consecutive loopback ports nobody
# listens on and this run has not handed out yet. The start is random, so two
# runs on one machine rarely probe the same ports; below 32768, the kernel's
# ephemeral range, so no outgoing connection holds one.
sd_free_port() {
    local n=${1:-1} try p i taken=${SD_RUN:+$SD_RUN/ports}
    for ((try = 0; try < 200; try++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % (12000 - n)))
        for ((i = 0; i < n; i++)); do
            { [ -n "$taken" ] && grep -qx "$((p + i))" "$taken" 2>/dev/null; } && break
            sd_port_busy $((p + i)) && break
        done
        if [ "$i" -eq "$n" ]; then
            [ -n "$taken" ] && seq "$p" $((p + n - 1)) >>"$taken"
            echo "$p"
            return 0
        fi
    done
    echo "sd_free_port: no $n free port(s) found" >&2
    return 1
}

sd_pid() { cat "$SD_RUN/pid/$1.pid" 2>/dev/null; }

# A zombie (exited, not yet reaped by this shell) counts as gone.
sd_alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# sd_spawn NAME LOG CMD...: CMD in the background as the leader of a new
# process group, its pid recorded under NAME.
sd_spawn() {
    local name=$1 log=$2
    shift 2
    setsid "$@" </dev/null >>"$log" 2>&1 &
    echo $! >"$SD_RUN/pid/$name.pid"
}

# sd_run NAME LOG CMD...: sd_spawn, then waits for CMD and returns its exit
# status; meanwhile an interrupted script's sd_env_cleanup stops it.
sd_run() {
    local rc
    sd_spawn "$@"
    wait "$(sd_pid "$1")"
    rc=$?
    rm -f "$SD_RUN/pid/$1.pid"
    return "$rc"
}

# sd_stop NAME [SIGNAL]: SIGNAL (TERM) to NAME, which passes it on as it
# sees fit (httpd to its children); once NAME is gone, or after SD_STOP_WAIT
# (10) seconds, SIGKILL to whatever is left of its process group. A frozen
# process is thawed first so it can die.
sd_stop() {
    local name=$1 sig=${2:-TERM} pid i
    pid=$(sd_pid "$name") || return 0
    rm -f "$SD_RUN/pid/$name.pid"
    sd_alive "$pid" || return 0
    # Only a group we made (its leader is the pid we recorded) is signalled.
    [ "$(awk '{ print $5 }' "/proc/$pid/stat" 2>/dev/null)" = "$pid" ] || return 0
    kill -CONT -- "-$pid" 2>/dev/null
    kill "-$sig" "$pid" 2>/dev/null
    for ((i = 0; i < ${SD_STOP_WAIT:-10} * 20; i++)); do
        sd_alive "$pid" || break
        sleep 0.05
    done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

sd_wait_port() {   # sd_wait_port PORT PID SECONDS: until PORT accepts, while PID lives
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        sd_port_busy "$1" && return 0
        sd_alive "$2" || return 1
        sleep 0.05
    done
    return 1
}

# --- memcached instances ---------------------------------------------------
sd_mc_port() { cat "$SD_RUN/memcached-$1.port" 2>/dev/null; }
sd_mc_addr() { echo "127.0.0.1:$(sd_mc_port "$1")"; }

# sd_mc_reserve NAME: gives NAME its port without starting it (httpd can be
# configured for a memcached that is down at its start).
sd_mc_reserve() {
    [ -s "$SD_RUN/memcached-$1.port" ] || sd_free_port >"$SD_RUN/memcached-$1.port"
}

# sd_mc_start NAME [MEMCACHED-ARGS...]: memcached NAME (64 MB, no UDP,
# loopback only, as nobody when root; later arguments override these) on its
# reserved port, or a fresh one. A fresh port that another run took in the
# meantime is replaced by another.
sd_mc_start() {
    local name=$1 try user=() fresh=
    shift
    [ "$(id -u)" = 0 ] && user=(-u nobody)
    [ -s "$SD_RUN/memcached-$name.port" ] || fresh=1
    for try in 1 2 3; do
        sd_mc_reserve "$name" || return 1
        sd_spawn "memcached-$name" "$SD_RUN/memcached-$name.log" \
            memcached "${user[@]}" -l 127.0.0.1 -p "$(sd_mc_port "$name")" -U 0 -m 64 "$@"
        sd_wait_port "$(sd_mc_port "$name")" "$(sd_pid "memcached-$name")" 5 && return 0
        sd_stop "memcached-$name" KILL
        [ -n "$fresh" ] || break
        rm -f "$SD_RUN/memcached-$name.port"
    done
    echo "memcached $name did not start; its log:" >&2
    tail -n 5 "$SD_RUN/memcached-$name.log" >&2
    return 1
}

sd_mc_stop() { sd_stop "memcached-$1" KILL; }          # a crash, not a shutdown
sd_mc_pause() { kill -STOP "$(sd_pid "memcached-$1")"; }
sd_mc_resume() { kill -CONT "$(sd_pid "memcached-$1")"; }

# sd_mc_cmd PORT COMMAND: one memcached text command; its reply on stdout.
sd_mc_cmd() {
    local line
    exec 4<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf '%s\r\n' "$2" >&4
    while IFS= read -r -t 5 line <&4; do
        line=${line%$'\r'}
        echo "$line"
        case $line in END | OK | ERROR* | CLIENT_ERROR* | SERVER_ERROR* | VERSION* | STORED | NOT_STORED | DELETED | NOT_FOUND) break ;; esac
    done
    exec 4>&-
}

sd_mc_stat() { sd_mc_cmd "$1" stats | awk -v k="$2" '$1 == "STAT" && $2 == k { print $3 }'; }

# --- httpd -----------------------------------------------------------------
sd_httpd_port() { cat "$SD_RUN/httpd-$1.port" 2>/dev/null; }
sd_httpd_dir() { echo "$SD_RUN/httpd-$1"; }

# sd_httpd_env NAME [OVERLAY]: fills sd_httpd_vars with the environment
# conf/httpd-run.conf reads, for httpd NAME with OVERLAY. The caller may set
# SD_PORT, SD_MEMCACHED (default: memcached "main"; a space-separated list for
# several), SD_SECRET (default: the run's) and SD_MODULE.
sd_httpd_env() {
    local name=$1 dir=$SD_RUN/httpd-$1 user group
    if [ "$(id -u)" = 0 ]; then user=nobody group=nogroup; else user=$(id -un) group=$(id -gn); fi
    mkdir -p "$dir/htdocs" && chmod 755 "$dir" "$dir/htdocs" || return 1
    [ -s "$SD_RUN/httpd-$name.port" ] || echo "${SD_PORT:-$(sd_free_port)}" >"$SD_RUN/httpd-$name.port"
    sd_httpd_vars=(SD_TOP="$SD_TOP" SD_RUNDIR="$dir" SD_PORT="$(sd_httpd_port "$name")"
        SD_MEMCACHED="${SD_MEMCACHED:-$(sd_mc_addr main)}" SD_SECRET="${SD_SECRET:-$(cat "$SD_RUN/secret")}"
        SD_USER="$user" SD_GROUP="$group" SD_OVERLAY="${2:-/dev/null}"
        SD_MODULE="${SD_MODULE:-$SD_TOP/.libs/mod_sessiondemo.so}")
}

# sd_httpd_start NAME [OVERLAY [APACHE-ARGS...]]: httpd NAME in the
# foreground of its own process group, logs in its directory (on the console
# with SD_HTTPD_CONSOLE=1), ready once GET / answers 200 (SD_HTTPD_WAIT s,
# default 15). SD_HTTPD is the command (or a wrapper: valgrind ... apache2).
sd_httpd_start() {
    local name=$1 overlay=${2:-} dir=$SD_RUN/httpd-$1 pid i
    shift $(($# < 2 ? $# : 2))
    sd_httpd_env "$name" "$overlay" || return 1
    # SD_HTTPD is split into words on purpose.
    if [ -n "${SD_HTTPD_CONSOLE:-}" ]; then
        env "${sd_httpd_vars[@]}" setsid ${SD_HTTPD:-$SD_APACHE} -f "$SD_TOP/conf/httpd-run.conf" -DFOREGROUND "$@" </dev/null &
    else
        env "${sd_httpd_vars[@]}" setsid ${SD_HTTPD:-$SD_APACHE} -f "$SD_TOP/conf/httpd-run.conf" -DFOREGROUND "$@" \
            </dev/null >>"$dir/access.log" 2>>"$dir/error.log" &
    fi
    pid=$!
    echo "$pid" >"$SD_RUN/pid/httpd-$name.pid"
    for ((i = 0; i < ${SD_HTTPD_WAIT:-15} * 10; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(sd_httpd_port "$name")/")" = 200 ] && return 0
        sd_alive "$pid" || break
        sleep 0.1
    done
    echo "httpd $name did not start on port $(sd_httpd_port "$name"); its error log:" >&2
    tail -n 20 "$dir/error.log" >&2 2>/dev/null
    return 1
}

sd_httpd_stop() { sd_stop "httpd-$1"; }

# sd_httpd_configtest NAME [OVERLAY]: apache2 -t on what sd_httpd_start would run.
sd_httpd_configtest() {
    sd_httpd_env "$1" "${2:-}" || return 1
    env "${sd_httpd_vars[@]}" "$SD_APACHE" -t -f "$SD_TOP/conf/httpd-run.conf" 2>&1
}

# sd_npm_ci DIR: installs DIR's packages from its package-lock.json when the
# lock changed since the last install (node_modules is git-ignored).
sd_npm_ci() {
    local stamp=$1/node_modules/.sessiondemo-lock
    cmp -s "$1/package-lock.json" "$stamp" 2>/dev/null && return 0
    echo "# npm ci in ${1#"$SD_TOP"/}"
    (cd "$1" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
    cp "$1/package-lock.json" "$stamp"
}

# --- TAP for shell suites ----------------------------------------------------
sd_tap_n=0 sd_tap_failed=0

# sd_ok STATUS DESCRIPTION [DETAIL]: one test point; STATUS 0 passes.
sd_ok() {
    sd_tap_n=$((sd_tap_n + 1))
    if [ "$1" -eq 0 ] 2>/dev/null; then echo "ok $sd_tap_n - $2${3:+ ($3)}"
    else sd_tap_failed=$((sd_tap_failed + 1)); echo "not ok $sd_tap_n - $2${3:+ ($3)}"; fi
}

# sd_up NAME [OVERLAY]: memcached "main" and httpd NAME for a TAP script;
# if either does not start, a failing test point and the exit.
sd_up() {
    sd_mc_start main && sd_httpd_start "$@" && return 0
    sd_ok 1 "memcached and httpd $1 start"
    sd_done_testing
    exit 1
}

# sd_done_testing: the plan, last; the exit status says whether all passed.
sd_done_testing() {
    echo "1..$sd_tap_n"
    [ "$sd_tap_failed" -eq 0 ] && [ "$sd_tap_n" -gt 0 ]
}
