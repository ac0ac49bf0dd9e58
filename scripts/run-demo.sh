#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make run`: a private memcached on loopback (unless MEMCACHED=host:port is
# given) and httpd from conf/httpd-run.conf on 127.0.0.1:$PORT, its logs on
# the console. Ctrl-C stops both.
set -uo pipefail
. "$(dirname "$0")/../tests/lib/env.sh"
# One run directory per checkout, kept across runs: its secret keeps cookies
# valid after a restart (the point of server-side sessions in memcached).
SD_RUN=$SD_TOP/.run
sd_env_setup demo

# Ports of an earlier run may be taken by now: pick them afresh.
rm -f "$SD_RUN"/*.port "$SD_RUN/ports"
if [ -n "${MEMCACHED:-}" ]; then
    export SD_MEMCACHED=$MEMCACHED
else
    sd_mc_start main || exit 1
    echo "memcached: $(sd_mc_addr main) (pid $(sd_pid memcached-main))"
fi
SD_PORT=${PORT:-3011} SD_HTTPD_CONSOLE=1 sd_httpd_start demo "$SD_TOP/conf/demo.conf" || exit 1
echo "httpd: http://127.0.0.1:$(sd_httpd_port demo)/ (Ctrl-C stops httpd and memcached)"
wait "$(sd_pid httpd-demo)"
