#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The package as an admin meets it (docs/packaging.md): dist/*.deb and
# Debian's apache2 installed with apt-get, a2enmod (which serves no page),
# a2enconf (which mounts the app at /sessiondemo), the system apache2 on a
# free loopback port against a memcached of this run, a login and a visit
# count that rises, start-up refusing a broken secret file, then a purge that
# leaves no module behind. TAP on stdout.
#
# The machine is shared with the other suites (which run apache2-bin's
# /usr/sbin/apache2 with their own configurations): what this changes, it
# changes back on any exit (restore): apache2 stopped, the package purged,
# ports.conf and policy-rc.d as they were. Debian's apache2 package stays
# installed, and stopped; nothing of it is read by the other suites.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/env.sh"
export DEBIAN_FRONTEND=noninteractive

PKG=libapache2-mod-sessiondemo
MOUNT=/sessiondemo
MODULE_SO=/usr/lib/apache2/modules/mod_sessiondemo.so
SECRETS=/etc/apache2/sessiondemo.secrets
MODS=/etc/apache2/mods-available
CONF=$MODS/sessiondemo.conf
PORTS=/etc/apache2/ports.conf
POLICY=/usr/sbin/policy-rc.d
TEMPLATES=/usr/share/$PKG/templates

sd_env_setup package
log=$SD_RUN/log
mkdir -p "$log"

bail() {
    sd_ok 1 "$1"
    sd_done_testing
    exit 1
}

# run NAME CMD...: CMD's output in $log/NAME; on failure its last lines as
# TAP comments. Returns CMD's status.
run() {
    local name=$1 rc
    shift
    "$@" >"$log/$name" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || { echo "# $name: exit $rc; last lines:"; tail -n 8 "$log/$name" | sed 's/^/#   /'; }
    return "$rc"
}

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }
# A value of /etc/apache2/envvars (which reads unset variables).
apache_env() { (set +u && . /etc/apache2/envvars && eval "echo \"\$$1\""); }
apache_pid() { local f; f=$(apache_env APACHE_PID_FILE 2>/dev/null) && cat "$f" 2>/dev/null; }
apache_running() { local p; p=$(apache_pid) && sd_alive "$p"; }

# apt-get, with one `apt-get update` when the lists lack a package (a fresh
# machine, or stale lists).
apt_get() {
    timeout 300 apt-get "$@" -y -q || { timeout 300 apt-get update -q && timeout 300 apt-get "$@" -y -q; }
}

# --- what restore puts back -------------------------------------------------
policy_saved=    # "yes": $SD_RUN/policy-rc.d is the original; "none": there was none
ports_saved=     # "yes": $SD_RUN/ports.conf is the original
started=         # this run started apache2
installing=      # this run installs the package
restore() {
    local i pid
    if [ -n "$started" ] && apache_running; then
        pid=$(apache_pid)
        timeout 30 apache2ctl stop >/dev/null 2>&1
        for ((i = 0; i < 200; i++)); do sd_alive "$pid" || break; sleep 0.05; done
        sd_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    started=
    if [ -n "$installing" ] && dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^[a-z][^n]'; then
        timeout 120 apt-get purge -y -q "$PKG" >>"$log/restore" 2>&1
    fi
    installing=
    if [ -n "$ports_saved" ]; then
        cp -p "$SD_RUN/ports.conf" "$PORTS" && ports_saved=
    fi
    case $policy_saved in
        yes) cp -p "$SD_RUN/policy-rc.d" "$POLICY" && policy_saved= ;;
        none) rm -f "$POLICY" && policy_saved= ;;
    esac
}
trap 'restore; sd_env_cleanup' EXIT

# --- before --------------------------------------------------------------------
debs=("$SD_TOP"/dist/${PKG}_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || bail "one package to test in dist/ (make deb builds it)"
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "# $deb"
apache_running && bail "the system's apache2 is not running already (test-package would stop it)"

# Services must not start from maintainer scripts: in a container there is
# no init to start them, and this test starts apache2 itself.
if [ -e "$POLICY" ]; then
    cp -p "$POLICY" "$SD_RUN/policy-rc.d" && policy_saved=yes || bail "$POLICY saved"
else
    policy_saved=none
fi
policy_was=$policy_saved
printf '#!/bin/sh\n# test-package (mod_sessiondemo): no service starts while it runs.\nexit 101\n' >"$POLICY"
chmod 755 "$POLICY"

# A run that died before its purge left the package behind: start clean.
if dpkg-query -W "$PKG" >/dev/null 2>&1; then
    echo "# a $PKG left by an earlier run: purging it first"
    run purge-old timeout 120 apt-get purge -y -q "$PKG"
fi

# --- install -------------------------------------------------------------------
installing=1
run install apt_get install "$deb" apache2
sd_ok $? "apt-get install ./dist/${deb##*/} apache2"
installed "$PKG" && [ "$(dpkg-query -W -f='${Version}' "$PKG")" = "$version" ]
sd_ok $? "$PKG $version is installed"
installed apache2 || bail "Debian's apache2 is installed"

missing=
for f in "$MODULE_SO" "$MODS/sessiondemo.load" "$CONF" /etc/apache2/conf-available/sessiondemo.conf \
         /usr/share/doc/$PKG/README.md.gz \
         /usr/share/doc/$PKG/directives.md.gz /usr/share/doc/$PKG/copyright; do
    [ -f "$f" ] || missing="$missing $f"
done
for t in "$SD_TOP"/templates/*.html; do
    cmp -s "$t" "$TEMPLATES/${t##*/}" || missing="$missing $TEMPLATES/${t##*/}"
done
sd_ok "$([ -z "$missing" ]; echo $?)" "module, a2enmod and a2enconf files, every page of templates/ and the docs are installed" \
    "${missing:+missing:$missing}"

depends=$(dpkg-query -W -f='${Depends}' "$PKG")
echo "# Depends: $depends"
[[ $depends =~ apache2-api-[0-9]+ && $depends == *libjansson* && $depends == *libssl* ]]
sd_ok $? "Depends names the httpd module API and the libraries it links (jansson, OpenSSL)"
[ "$(dpkg-query -W -f='${Recommends}' "$PKG")" = memcached ]
sd_ok $? "Recommends memcached"

stat_of() { stat -c '%U:%G %a' "$1" 2>/dev/null; }
[ "$(stat_of "$SECRETS")" = "root:root 600" ]
sd_ok $? "postinst made $SECRETS, root:root, mode 0600" "$(stat_of "$SECRETS")"
secret=$(grep -v '^#' "$SECRETS" 2>/dev/null | grep -v '^$' | head -n 1)
[ "${#secret}" -ge 48 ]
sd_ok $? "... holding a random secret of ${#secret} characters"

[ ! -e /etc/apache2/mods-enabled/sessiondemo.load ]
sd_ok $? "installed disabled: the admin enables it (a2enmod)"

# An admin's secret (or the one made at install) survives an upgrade or a
# reinstall: postinst makes one only when there is none.
before=$(sha256sum <"$SECRETS")
run reinstall dpkg -i "$deb" && [ "$(sha256sum <"$SECRETS")" = "$before" ]
sd_ok $? "a reinstall keeps the secret file as it is"

# --- enable, configure as an admin would -----------------------------------------
run a2enmod a2enmod sessiondemo && [ -L /etc/apache2/mods-enabled/sessiondemo.load ] \
    && [ -L /etc/apache2/mods-enabled/sessiondemo.conf ]
sd_ok $? "a2enmod sessiondemo enables its .load and .conf"
[ -e /etc/apache2/conf-available/sessiondemo.conf ] && [ ! -e /etc/apache2/conf-enabled/sessiondemo.conf ]
sd_ok $? "... and not the app, whose conf is installed for a2enconf"

sd_mc_start main || bail "memcached starts"
port=$(sd_free_port) || bail "a free port for apache2"
cp -p "$PORTS" "$SD_RUN/ports.conf" && ports_saved=yes
echo "Listen 127.0.0.1:$port" >"$PORTS"
sed -i "s/^\([[:space:]]*SessionDemoMemcache\) .*/\1 $(sd_mc_addr main)/" "$CONF"
grep -q "SessionDemoMemcache $(sd_mc_addr main)\$" "$CONF" || bail "sessiondemo.conf points at this run's memcached"
base=http://127.0.0.1:$port
errlog=$(apache_env APACHE_LOG_DIR)/error.log
log_from=$(stat -c %s "$errlog" 2>/dev/null || echo 0)

out=$(timeout 30 apache2ctl -t 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [[ $out == *"Syntax OK"* ]] && [[ $out != *SD00102* ]]
sd_ok $? "apache2ctl -t: Syntax OK, and no warning about the secret file's mode" "$(echo "$out" | grep -m1 -v 'Syntax OK')"

# --- the module alone serves no page -------------------------------------------------
started=1
run start timeout 30 apache2ctl start
rc=$?
code=000
for ((i = 0; rc == 0 && i < 150; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/")
    [ "$code" != 000 ] && break
    sleep 0.1
done
[ "$rc" -eq 0 ] && [ "$code" != 000 ]
sd_ok $? "apache2ctl start with the module alone: apache2 answers on 127.0.0.1:$port"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base$MOUNT/login")" = 404 ]
sd_ok $? "a2enmod alone puts no login page on the server: $MOUNT/login is 404"

# --- the app under /sessiondemo ------------------------------------------------------
run a2enconf a2enconf sessiondemo && [ -L /etc/apache2/conf-enabled/sessiondemo.conf ]
sd_ok $? "a2enconf sessiondemo enables the app's conf"
run reload timeout 30 apache2ctl graceful
rc=$?
for ((i = 0; rc == 0 && i < 150; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base$MOUNT/")" = 200 ] && break
    sleep 0.1
done
[ "$rc" -eq 0 ] && [ "$i" -lt 150 ]
sd_ok $? "apache2ctl graceful: the app answers on 127.0.0.1:$port$MOUNT/"
if [ "$rc" -ne 0 ] || [ "$i" -ge 150 ]; then
    tail -c +"$((log_from + 1))" "$errlog" 2>/dev/null | tail -n 10 | sed 's/^/#   /'
fi

jar=$SD_RUN/cookies
c() { curl -s --max-time 5 -b "$jar" -c "$jar" "$@"; }
page=$(c "$base$MOUNT/")
[[ $page == *"Name:</strong> Guest"* && $page == *"href=\"$MOUNT/login\""* ]]
sd_ok $? "GET $MOUNT/: the guest's home page, linking $MOUNT/login"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/login")" = 404 ] \
    && [[ $(curl -s --max-time 5 "$base/") != *"Session Demo"* ]]
sd_ok $? "only $MOUNT is the app: / is the site's own page and /login is 404"

headers=$(c -o /dev/null -D - --data 'username=debian&password=pw' "$base$MOUNT/login")
location=$(echo "$headers" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[[ $headers == "HTTP/1.1 302"* && $location == "$MOUNT/" ]]
sd_ok $? "POST $MOUNT/login logs in (demo mode) and lands on $MOUNT/" "Location: $location"
id=$(awk '$6 == "connect.sid" { print $7 }' "$jar" | sed -n 's/^s%3A\([A-Za-z0-9_-]*\)\..*/\1/p')
# Sealed (the default): the key is the keyed hash of the ID and the record
# opens only with the secret (tests/lib/SDEnv.pm's own implementation).
key=$(perl -I"$here/../lib" -MSDEnv=sealed_name -e 'print "sess:", sealed_name(@ARGV)' "$secret" "$id")
stored=$(sd_mc_cmd "$(sd_mc_port main)" "get $key" | sed -n 2p)
opened=$(perl -I"$here/../lib" -MSDEnv=open_record -e 'print open_record([$ARGV[0]], @ARGV[1, 2]) // ""' \
         "$secret" "$key" "$stored")
[ -n "$id" ] && [[ $opened == *'"username":"debian"'* && $stored != *debian* ]]
sd_ok $? "the session is in this run's memcached, sealed under a keyed hash of its ID ($key)"

first=$(c "$base$MOUNT/" | sed -n 's/.*Visit Count:<\/strong> \([0-9]*\)<.*/\1/p')
second=$(c "$base$MOUNT/" | sed -n 's/.*Visit Count:<\/strong> \([0-9]*\)<.*/\1/p')
[ -n "$first" ] && [ "$second" = "$((first + 1))" ]
sd_ok $? "the visit count rises over two requests" "${first:-?} then ${second:-?}"

status=$(curl -s --max-time 5 "$base/sessiondemo-status?json")
echo "$status" | perl -MJSON::PP -e '
    my $s = decode_json(join "", <STDIN>);
    exit !($s->{config}{SessionDemoLoginURL} eq "/sessiondemo/login"
           && $s->{memcached}[0]{state} eq "up")'
sd_ok $? "/sessiondemo-status (from this machine): the gate's login form is the one at $MOUNT, memcached up"

# The compiled-in default is the installed template directory: without the
# line, a graceful restart still serves the pages from there.
sed -i 's/^\([[:space:]]*\)\(SessionDemoTemplateDir \)/\1# \2/' "$CONF"
run graceful timeout 30 apache2ctl graceful
sleep 1
dir=
for ((i = 0; i < 50; i++)); do
    dir=$(curl -s --max-time 2 "$base/sessiondemo-status?json" \
        | perl -MJSON::PP -e 'print decode_json(join "", <STDIN>)->{config}{SessionDemoTemplateDir} // ""' 2>/dev/null)
    [ "$dir" = "$TEMPLATES" ] && break
    sleep 0.1
done
[ "$dir" = "$TEMPLATES" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base$MOUNT/login")" = 200 ]
sd_ok $? "without SessionDemoTemplateDir the module's default is $TEMPLATES" "${dir:-no answer}"
sed -i 's/^\([[:space:]]*\)# \(SessionDemoTemplateDir \)/\1\2/' "$CONF"

new_log=$(tail -c +"$((log_from + 1))" "$errlog" 2>/dev/null)
problems=$(echo "$new_log" | grep -E '\[sessiondemo:(warn|error|crit|alert|emerg)\]')
[[ $new_log == *"resuming normal operations"* ]] && [ -z "$problems" ]
sd_ok $? "$errlog has this start, and no warning or error from the module" "$(echo "$problems" | head -n 1)"

# --- a broken secret file stops the start, saying why --------------------------------------
cp -p "$SECRETS" "$SD_RUN/secrets"
printf '# no secret here\n' >"$SECRETS"
out=$(timeout 30 apache2ctl -t 2>&1)
rc=$?
echo "$out" | head -n 2 | sed 's/^/#   /'
[ "$rc" -ne 0 ] && [[ $out == *"mods-enabled/sessiondemo.conf"* ]] \
    && [[ $out == *"SessionDemoSecretFile: '$SECRETS' holds no secret"* ]]
sd_ok $? "apache2ctl -t with a secret file without a secret fails, naming the file and the line"
rm -f "$SECRETS"
out=$(timeout 30 apache2ctl -t 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [[ $out == *"SessionDemoSecretFile: cannot read '$SECRETS'"* ]]
sd_ok $? "... and with no secret file at all" "$(echo "$out" | grep -m1 SessionDemoSecretFile)"
cp -p "$SD_RUN/secrets" "$SECRETS"
out=$(timeout 30 apache2ctl -t 2>&1)
[[ $out == *"Syntax OK"* ]]
sd_ok $? "the secret file restored, apache2ctl -t passes again"

pid=$(apache_pid)
run stop timeout 30 apache2ctl stop
for ((i = 0; i < 200; i++)); do sd_alive "$pid" || break; sleep 0.05; done
[ -n "$pid" ] && ! sd_alive "$pid"
sd_ok $? "apache2ctl stop"

# --- purge -------------------------------------------------------------------------
run purge timeout 120 apt-get purge -y -q "$PKG"
sd_ok $? "apt-get purge -y $PKG"
! dpkg-query -W "$PKG" >/dev/null 2>&1 || [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG")" = "un " ]
sd_ok $? "... leaves no trace in dpkg (not even its conffiles)"
left=$(ls -d /etc/apache2/mods-enabled/sessiondemo.* "$MODS"/sessiondemo.* /etc/apache2/conf-*/sessiondemo.conf \
    "$MODULE_SO" "$TEMPLATES" \
    "$SECRETS" 2>/dev/null)
[ -z "$left" ]
sd_ok $? "no enabled module or conf, no module file, no templates, no secret left" "${left//$'\n'/ }"
out=$(timeout 30 apache2ctl -t 2>&1)
[[ $out == *"Syntax OK"* ]]
sd_ok $? "apache2's configuration is still valid without the module" "$(echo "$out" | grep -m1 -v 'Syntax OK')"

restore
[ -z "$ports_saved" ] && [ -z "$policy_saved" ] && cmp -s "$SD_RUN/ports.conf" "$PORTS" && ! apache_running \
    && if [ "$policy_was" = yes ]; then cmp -s "$SD_RUN/policy-rc.d" "$POLICY"; else [ ! -e "$POLICY" ]; fi
sd_ok $? "ports.conf and policy-rc.d put back, apache2 left stopped"

sd_done_testing
