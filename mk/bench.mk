# SPDX-License-Identifier: Apache-2.0
# Benchmarks: `make bench` = callgrind instruction-count check + the wrk
# comparison (static baseline, Express and PHP peers, scaling). See bench/README.md.
#   make bench                  full run (~12 min): callgrind check, then wrk runs of BENCH_SECONDS (10)
#   make bench-quick            smoke test (~2.5 min): 3 s runs, Host/Off rows at 32 conns, scaling to 100 k,
#                               RSS over 100 k requests, no callgrind
#   make bench-callgrind        instructions/request per scenario vs bench/callgrind-baseline.txt (>10 % fails)
#   make bench-callgrind-update rewrite the baseline
#   make bench-profile          callgrind profile of logged-in GET / (top functions, inclusive)
# Knobs (environment): BENCH_SECONDS, BENCH_CONNS ("32 128"), BENCH_SCALING ("1000 100000 1000000"),
# BENCH_SCENARIOS ("guest home profile login cart hot rss scaling"), BENCH_EXPRESS (1), BENCH_PHP (1),
# BENCH_PHP_CHILDREN (BENCH_HOT_CONNS), BENCH_PHP_FPM (php-fpm8.2),
# EXPRESS_WORKERS (nproc), WRK_THREADS (1), SD_THREADS (128 per httpd process), BENCH_MC_THREADS (2),
# BENCH_MC_MEM (1536), BENCH_LOCK_DIRECTIVE (SessionDemoLock), BENCH_HOT_CONNS (32),
# BENCH_RSS_REQUESTS (1000000; quick 100000), BENCH_RSS_SECONDS (240; quick 30).

.PHONY: bench bench-quick bench-run bench-callgrind bench-callgrind-update bench-profile bench-deps

# php8.2-*: the PHP peer (bench/php/), run by bench.pl's own php-fpm.
bench-deps: deps node-deps
	$(call deb_install,wrk valgrind php8.2-fpm php8.2-memcached php8.2-opcache)

# The callgrind check runs first; a regression is reported but the wrk runs
# still happen, and `make bench` fails at the end. BENCH_INVOCATION tells
# `bench.pl run` that the callgrind figures it finds are from this make bench.
bench: bench-deps all
	@rc=0; BENCH_INVOCATION=$$(date +%s.%N)-$$$$; export BENCH_INVOCATION; \
	perl bench/bench.pl callgrind || rc=$$?; \
	perl bench/bench.pl run || exit $$?; \
	if [ $$rc != 0 ]; then echo "make bench: callgrind check failed (see above)"; fi; exit $$rc

bench-run: bench-deps all
	perl bench/bench.pl run

bench-quick: bench-deps all
	perl bench/bench.pl run --quick

bench-callgrind: bench-deps all
	perl bench/bench.pl callgrind

bench-callgrind-update: bench-deps all
	perl bench/bench.pl callgrind --update

bench-profile: bench-deps all
	perl bench/bench.pl callgrind --profile
