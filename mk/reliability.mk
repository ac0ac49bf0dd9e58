# SPDX-License-Identifier: Apache-2.0
# Reliability checks outside Apache::Test (docs/reliability.md), each against
# its own memcached and httpd from conf/httpd-run.conf (tests/lib/env.sh):
#   tests/reliability/load.sh    wrk, LOAD_SECONDS s, 128 connections, mixed traffic
#   tests/reliability/rss.sh     one child's RSS over RSS_REQUESTS requests
#   tests/reliability/partition.mjs  one of two replicas' traffic dropped for 5 s
#                                under load, through a loopback TCP proxy
# (memcached outages are t/store/outage.t, in `make test`).
#
#   make reliability          # about 2 minutes; ends "reliability: N passed, N failed"
#   make reliability-quick    # LOAD_SECONDS=10, RSS_REQUESTS=20000: a smoke run
LOAD_SECONDS ?= 60
RSS_REQUESTS ?= 100000
RSS_WARMUP   ?= 10000

.PHONY: reliability reliability-quick reliability-deps

reliability-deps:
	$(call deb_install,wrk)

reliability: deps all reliability-deps
	@LOAD_SECONDS=$(LOAD_SECONDS) RSS_REQUESTS=$(RSS_REQUESTS) RSS_WARMUP=$(RSS_WARMUP) \
	  $(TAP_COUNT) reliability tests/reliability/run.sh

reliability-quick:
	@$(MAKE) --no-print-directory reliability LOAD_SECONDS=10 RSS_REQUESTS=20000 RSS_WARMUP=2000
