#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t/setup.sh CMD...: runs CMD (t/TEST or t/TEST.PL, which run themselves
# through this when started without its environment) in the Apache::Test
# suite's environment, and tears it all down afterwards, also after a
# failure, Ctrl-C or a kill: memcached "main" for the suite (-I 2m:
# t/security/tamper.t stores a value over 1 MiB to check it is refused),
# "small" and "full" (t/store/refusals.t), "hostlock" (t/session/host_lock.t
# freezes it), a port reserved for memcached "outage", memcached "restart"
# (t/store/outage.t starts and kills them), a free block of ports for httpd
# and its virtual hosts, and the fixtures of the authn, rotation, gate and TLS
# hosts. The run directory is the caller's $SD_RUN if set (make test), else a
# fresh one removed at the end (SD_KEEP=1 keeps it).
set -uo pipefail
. "$(dirname "$0")/../tests/lib/env.sh"
sd_env_init apache-test || exit 1
ran=
# An interrupted suite gets what a Ctrl-C gives a run in the foreground:
# SIGINT to its whole process group (the .t files, and Apache::Test, whose
# handler stops its httpd), as the group's leader, Apache::Test's own
# `sh -c "ulimit -c unlimited; perl ..."`, ignores SIGINT. What is left
# after 10 s is killed.
stop_suite() {
    local pid i
    pid=$(sd_pid apache-test) || return 0
    kill -INT -- "-$pid" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        sd_alive "$pid" || break
        sleep 0.05
    done
    sd_stop apache-test KILL
}
cleanup() {
    # The suite first, then whatever httpd an interrupted run left up;
    # sd_env_cleanup then stops the memcacheds and removes the directory.
    if [ -n "$ran" ]; then
        stop_suite
        perl "$SD_TOP/t/TEST.PL" -stop-httpd >/dev/null 2>&1
    fi
    sd_env_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# memcached that refuses (t/store/refusals.t): a 2 KiB item size limit,
# and no eviction in 4 MB (the test fills it up).
sd_mc_start main -I 2m && sd_mc_reserve outage && sd_mc_start restart -m 16 \
    && sd_mc_start small -I 2k -o slab_chunk_max=1024 \
    && sd_mc_start full -M -m 4 -I 64k -o slab_chunk_max=32768 \
    && sd_mc_start hostlock -m 16 || exit 1
# Apache::Test numbers the virtual hosts' ports up from its own: one for
# the main server and each <VirtualHost> of t/conf/extra.conf.in (62 now: 61
# virtual hosts), with room for more.
APACHE_TEST_PORT=$(sd_free_port 80) || exit 1
# A document root every user can traverse: the children run as nobody and
# httpd walks it even for handler URLs (a 0700 checkout would give 403s).
mkdir -p "$SD_RUN/htdocs" "$SD_RUN/htdocs/dirapp" && chmod 755 "$SD_RUN/htdocs" "$SD_RUN/htdocs/dirapp"
# t/gate/backends.t's content behind AuthType sessiondemo: a page, and a CGI
# that prints its environment and request headers (also the proxied backend).
mkdir -p "$SD_RUN/htdocs/gate" && chmod 755 "$SD_RUN/htdocs/gate" &&
    echo '<p>the protected page</p>' >"$SD_RUN/htdocs/gate/page.html" &&
    printf '%s\n' '#!/usr/bin/perl' 'print "Content-Type: text/plain\n\n";' \
        'print "$_=$ENV{$_}\n" for sort keys %ENV;' >"$SD_RUN/htdocs/gate/env.cgi" &&
    echo '<!--#include virtual="/private/page.html" --><p>included by ssi</p>' >"$SD_RUN/htdocs/gate/incl.shtml" &&
    chmod 644 "$SD_RUN/htdocs/gate/page.html" "$SD_RUN/htdocs/gate/incl.shtml" &&
    chmod 755 "$SD_RUN/htdocs/gate/env.cgi" || exit 1
# The children (nobody) read the htpasswd file per login; root reads the
# secret file at start-up.
htpasswd -B -C 5 -b -c "$SD_RUN/htpasswd" alice 'correct horse battery' 2>/dev/null &&
    htpasswd -B -C 5 -b "$SD_RUN/htpasswd" bob 'hunter2 hunter2' 2>/dev/null || exit 1
chmod 644 "$SD_RUN/htpasswd"
printf '%s\n' '# newest first' 'rotation test: current secret 0123456789abcdef0123' '' \
    'rotation test: old secret fedcba9876543210fedcba' >"$SD_RUN/secrets"
chmod 600 "$SD_RUN/secrets"
# A throwaway self-signed certificate for the TLS vhost (Secure Auto).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$SD_RUN/tls.key" -out "$SD_RUN/tls.crt" >/dev/null 2>&1 || exit 1

export APACHE_TEST_PORT MEMCACHED_PORT=$(sd_mc_port main) SD_OUTAGE_PORT=$(sd_mc_port outage) \
    SD_RESTART_MC_PORT=$(sd_mc_port restart) \
    SD_SMALL_MC_PORT=$(sd_mc_port small) SD_FULL_MC_PORT=$(sd_mc_port full) \
    SD_HOSTLOCK_MC_PORT=$(sd_mc_port hostlock) \
    SD_HTPASSWD=$SD_RUN/htpasswd SD_SECRET_FILE=$SD_RUN/secrets \
    SD_TLS_CERT=$SD_RUN/tls.crt SD_TLS_KEY=$SD_RUN/tls.key
ran=1
# In its own session, so that a Ctrl-C or a kill of this script reaches it
# through cleanup (bash runs traps only between commands: with CMD in the
# foreground, `kill` of t/TEST would wait for the whole suite), and in the
# background, so that the trap runs at once. The pidfile lets sd_stop reach
# the .t files and their children too.
setsid "$@" </dev/null &
echo $! >"$SD_RUN/pid/apache-test.pid"
wait $!
rc=$?
rm -f "$SD_RUN/pid/apache-test.pid"
exit "$rc"
