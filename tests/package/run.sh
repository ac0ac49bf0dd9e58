#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test-package` (docs/packaging.md): the .deb of `make deb` installed
# on this machine next to Debian's apache2, used the way an admin would, and
# purged. package.sh changes the machine (packages, /etc/apache2) and puts
# back what it changed on any exit; this bounds it in time, and only one
# runs at a time on a machine.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
limit=${PACKAGE_TIME_LIMIT:-240}

if [ "$(id -u)" != 0 ]; then
    echo "not ok 1 - test-package installs packages and starts the system's apache2: run it as root"
    exit 1
fi
exec 9>/run/lock/sessiondemo-test-package.lock
if ! flock -w 120 9; then
    echo "not ok 1 - test-package: another run held /run/lock/sessiondemo-test-package.lock for 120 s"
    exit 1
fi
timeout -k 10 "$limit" "$here/package.sh"
rc=$?
[ "$rc" = 124 ] && echo "not ok 1 - test-package: stopped after the $limit s limit"
exit "$rc"
