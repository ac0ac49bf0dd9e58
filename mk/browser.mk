# SPDX-License-Identifier: Apache-2.0
# Real-browser test: tests/browser/walk.test.mjs walks the tutorial's manual
# test steps (and cross-origin form posts) in Debian's chromium, driven by
# playwright-core, against its own memcached and httpd on loopback.
#
#   make test-browser            # ends with "test-browser: N passed, N failed"
#   make test-browser BROWSER_OUT=/some/dir   # screenshots + httpd logs there
#   make test-browser SCREENSHOT_DIR=/some/dir   # and the pages 375 and 1280 px wide
#
# Needs Node.js >= 20 with npm and the Debian package chromium (installed
# here when run as root).
BROWSER_OUT        ?= $(CURDIR)/tests/browser/screenshots
# The page shots at phone and desktop widths are made in the run directory
# (removed at the end) and copied here when it is set.
SCREENSHOT_DIR     ?=
# The walk stops itself after this many seconds.
BROWSER_TIME_LIMIT ?= 110

.PHONY: test-browser browser-deps

browser-deps: node-deps
	$(call deb_install,chromium)

test-browser: deps all browser-deps
	@SD_BROWSER_OUT="$(BROWSER_OUT)" SD_SCREENSHOT_DIR="$(SCREENSHOT_DIR)" SD_BROWSER_TIME_LIMIT=$(BROWSER_TIME_LIMIT) \
	  $(TAP_COUNT) test-browser tests/browser/run.sh
