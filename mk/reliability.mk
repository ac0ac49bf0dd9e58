# Reliability checks outside Apache::Test (docs/reliability.md), each against
# a private memcached and httpd set up as `make run` does:
#   tests/reliability/load.sh    wrk, LOAD_SECONDS s, 128 connections, mixed traffic
#   tests/reliability/rss.sh     one child's RSS over RSS_REQUESTS requests
#   tests/reliability/outage.sh  memcached killed / restarted / frozen / thawed
#
#   make reliability          # about 2-3 minutes; ends "reliability: N passed, N failed"
#   make reliability-quick    # LOAD_SECONDS=10, RSS_REQUESTS=20000: a smoke run
#
# Each script is bounded (timeout) and stops what it started (trap).
LOAD_SECONDS ?= 60
RSS_REQUESTS ?= 100000
RSS_WARMUP   ?= 10000
REL_SCRIPTS  := load rss outage

.PHONY: reliability reliability-quick reliability-deps

reliability-deps:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "reliability-deps: installing wrk"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq --no-install-recommends wrk >/dev/null || \
	      { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }; \
	  else \
	    echo "reliability-deps: wrk missing (apt-get install wrk as root)"; exit 1; \
	  fi; }

reliability: deps all reliability-deps
	@log=$$(mktemp /tmp/sessiondemo-reliability.XXXXXX); p=0; f=0; \
	for s in $(REL_SCRIPTS); do \
	  echo "=== tests/reliability/$$s.sh"; \
	  case $$s in load) limit=$$(( $(LOAD_SECONDS) + 90 ));; rss) limit=400;; *) limit=120;; esac; \
	  LOAD_SECONDS=$(LOAD_SECONDS) RSS_REQUESTS=$(RSS_REQUESTS) RSS_WARMUP=$(RSS_WARMUP) \
	    timeout -k 10 $$limit tests/reliability/$$s.sh 2>&1 | tee "$$log"; \
	  rc=$${PIPESTATUS[0]}; \
	  line=$$(grep -E "^$$s: [0-9]+ passed, [0-9]+ failed" "$$log" | tail -n1); \
	  sp=$$(sed -E 's/^[a-z]+: ([0-9]+) passed.*/\1/' <<<"$$line"); \
	  sf=$$(sed -E 's/^[a-z]+: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$$line"); \
	  sp=$${sp:-0}; sf=$${sf:-0}; \
	  if [ "$$rc" -ne 0 ] && [ "$$sf" -eq 0 ]; then sf=1; echo "$$s.sh: exit status $$rc"; fi; \
	  p=$$((p + sp)); f=$$((f + sf)); \
	done; \
	rm -f "$$log"; \
	echo "reliability: $$p passed, $$f failed"; \
	[ "$$f" -eq 0 ]

reliability-quick:
	@$(MAKE) --no-print-directory reliability LOAD_SECONDS=10 RSS_REQUESTS=20000 RSS_WARMUP=2000
