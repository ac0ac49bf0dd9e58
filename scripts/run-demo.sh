#!/usr/bin/env bash
# `make run`: a private memcached on loopback (unless MEMCACHED=host:port is
# given) and httpd in the foreground on 127.0.0.1:$PORT. Ctrl-C stops both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-3011}
rundir="$top/.run"
mkdir -p "$rundir/htdocs"
chmod 755 "$rundir" "$rundir/htdocs"

# One secret per checkout, kept across runs so cookies stay valid after a
# restart (the point of server-side sessions in memcached).
if [ ! -s "$rundir/secret" ]; then
    (umask 077; openssl rand -base64 48 | tr -d '\n' > "$rundir/secret")
fi

mc_pid=
cleanup() {
    [ -n "$mc_pid" ] && kill "$mc_pid" 2>/dev/null && wait "$mc_pid" 2>/dev/null
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${MEMCACHED:-}" ]; then
    memcached_addr=$MEMCACHED
else
    mc_port=${MEMCACHED_PORT:-11311}
    while (exec 3<>"/dev/tcp/127.0.0.1/$mc_port") 2>/dev/null; do mc_port=$((mc_port + 1)); done
    memcached -u nobody -l 127.0.0.1 -p "$mc_port" -U 0 -m 64 &
    mc_pid=$!
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$mc_port") 2>/dev/null && break
        sleep 0.1
    done
    kill -0 "$mc_pid" 2>/dev/null || { echo "memcached did not start on port $mc_port" >&2; exit 1; }
    memcached_addr=127.0.0.1:$mc_port
    echo "memcached: $memcached_addr (pid $mc_pid)"
fi

if [ "$(id -u)" = 0 ]; then user=nobody group=nogroup; else user=$(id -un) group=$(id -gn); fi
# Children run as $user: they need to traverse the checkout.
export SD_TOP=$top SD_RUNDIR=$rundir SD_PORT=$port SD_MEMCACHED=$memcached_addr \
       SD_SECRET=$(cat "$rundir/secret") SD_USER=$user SD_GROUP=$group
echo "httpd: http://127.0.0.1:$port/ (Ctrl-C stops httpd and memcached)"
/usr/sbin/apache2 -f "$top/conf/httpd-run.conf" -DFOREGROUND &
httpd_pid=$!
trap 'kill -TERM $httpd_pid 2>/dev/null; wait $httpd_pid 2>/dev/null; exit 130' INT TERM
wait "$httpd_pid"
