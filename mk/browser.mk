# Real-browser test: t/browser/walk.test.mjs walks the tutorial's manual test
# steps (and a cross-origin form post) in Debian's chromium, driven by
# playwright-core, against its own memcached and httpd on loopback.
#
#   make test-browser            # ends with "browser: N passed, N failed"
#   make test-browser BROWSER_OUT=/some/dir   # screenshots + httpd logs there
#
# Needs Node.js >= 20 with npm (on the machine) and the Debian package
# chromium (installed here when run as root).
BROWSER_DIR        := t/browser
BROWSER_OUT        ?= $(CURDIR)/$(BROWSER_DIR)/screenshots
BROWSER_CHROMIUM   ?= /usr/bin/chromium
# Whole-run bounds: the walk stops itself after BROWSER_TIME_LIMIT seconds,
# `timeout` kills it 30 s later if even that hangs.
BROWSER_TIME_LIMIT ?= 110

.PHONY: test-browser browser-deps

browser-deps:
	@command -v node >/dev/null && command -v npm >/dev/null || \
	  { echo "browser-deps: node and npm (Node.js >= 20) are needed"; exit 1; }
	@if [ ! -x $(BROWSER_CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "browser-deps: installing chromium"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq --no-install-recommends chromium >/dev/null || \
	      { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; \
	  else \
	    echo "browser-deps: $(BROWSER_CHROMIUM) missing (apt-get install chromium as root)"; exit 1; \
	  fi; \
	fi
	@if [ ! -f $(BROWSER_DIR)/node_modules/.package-lock.json ] || \
	    [ $(BROWSER_DIR)/package-lock.json -nt $(BROWSER_DIR)/node_modules/.package-lock.json ]; then \
	  echo "browser-deps: npm ci in $(BROWSER_DIR)"; \
	  (cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error); \
	fi

test-browser: deps all browser-deps
	@log=$$(mktemp /tmp/sessiondemo-browser.XXXXXX); \
	SD_BROWSER_OUT="$(BROWSER_OUT)" SD_CHROMIUM="$(BROWSER_CHROMIUM)" SD_BROWSER_TIME_LIMIT=$(BROWSER_TIME_LIMIT) \
	  timeout -k 5 $$(( $(BROWSER_TIME_LIMIT) + 30 )) \
	  node --test --test-reporter=tap $(BROWSER_DIR)/walk.test.mjs 2>&1 | tee "$$log"; \
	rc=$${PIPESTATUS[0]}; \
	p=$$(sed -nE 's/^# pass ([0-9]+)$$/\1/p' "$$log" | tail -n1); \
	f=$$(sed -nE 's/^# fail ([0-9]+)$$/\1/p' "$$log" | tail -n1); \
	s=$$(sed -nE 's/^# skipped ([0-9]+)$$/\1/p' "$$log" | tail -n1); \
	rm -f "$$log"; \
	p=$${p:-0}; f=$${f:-0}; s=$${s:-0}; \
	if [ "$$rc" -ne 0 ] && [ "$$f" -eq 0 ]; then f=1; fi; \
	if [ "$$p" -eq 0 ] && [ "$$rc" -eq 0 ]; then f=1; rc=1; echo "test-browser: no test ran"; fi; \
	echo "screenshots and httpd logs: $(BROWSER_OUT)"; \
	if [ "$$s" -gt 0 ]; then echo "browser: $$p passed, $$f failed, $$s skipped"; \
	else echo "browser: $$p passed, $$f failed"; fi; \
	exit $$rc
