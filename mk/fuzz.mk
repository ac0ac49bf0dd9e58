# SPDX-License-Identifier: Apache-2.0
# libFuzzer targets for every parser of the module (fuzz/*.c, docs/fuzzing.md).
#
#   make fuzz-build                 build fuzz/bin/fuzz_* (clang, ASan + UBSan)
#   make fuzz                       run each target FUZZ_SECONDS (30) seconds
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS="cookie json"
#
# `fuzz` copies the committed seed corpus to a scratch directory, so what
# libFuzzer discovers never lands in fuzz/corpus/. Crash inputs are written
# to fuzz/bin/artifacts/ (ignored by git) and fail the run.

FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 30
FUZZ_TARGETS   ?= cookie form json template cfg seal
FUZZ_NICE      ?= nice -n 10
FUZZ_TIMEOUT   ?= 10
FUZZ_ARGS      ?=
FUZZ_BIN       := fuzz/bin
FUZZ_SANITIZE  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                  -fno-omit-frame-pointer
FUZZ_CFLAGS    := -std=gnu11 -g -O1 -Wall -Wextra -Werror $(OPENSSL_CPPFLAGS) -Iinclude -Ifuzz \
                  $(APR_CFLAGS) $(FUZZ_SANITIZE)
FUZZ_LIBS      := $(APR_LIBS) -ljansson -lcrypto -ldl
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev pkg-config libapr1-dev \
                  libaprutil1-dev libssl-dev libjansson-dev

# Largest input per target: a Cookie header, a form body, a stored session,
# a template, a directive argument (selector byte + value).
FUZZ_MAXLEN_cookie   := 4096
FUZZ_MAXLEN_form     := 4096
FUZZ_MAXLEN_json     := 8192
FUZZ_MAXLEN_template := 8192
FUZZ_MAXLEN_cfg      := 512
FUZZ_MAXLEN_seal     := 8192

# The module sources each target exercises.
FUZZ_SRCS_cookie   := $(call unit_src,cookie mac)
FUZZ_SRCS_form     := $(call unit_src,form)
FUZZ_SRCS_json     := $(call unit_src,json record)
FUZZ_SRCS_template := $(call unit_src,template)
FUZZ_SRCS_cfg      := $(call unit_src,cfg_parse cookie mac)
FUZZ_SRCS_seal     := $(call unit_src,seal mac store ring)

FUZZ_ALL := cookie form json template cfg seal
FUZZ_COMMON := fuzz/pool_shim.c fuzz/fuzz_common.h

.PHONY: fuzz fuzz-run fuzz-build fuzz-deps fuzz-clean

fuzz-deps:
	$(call deb_install,$(FUZZ_DEB_PACKAGES))

# The deps check runs first, then the binaries are rebuilt only if stale.
fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_BIN)/fuzz_,$(FUZZ_ALL))

define FUZZ_RULE
$(FUZZ_BIN)/fuzz_$(1): fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_COMMON) $(HDRS) mk/fuzz.mk
	@mkdir -p $(FUZZ_BIN)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ fuzz/fuzz_$(1).c fuzz/pool_shim.c $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_RULE,$(t))))

fuzz: fuzz-build
	@$(TAP_COUNT) fuzz $(MAKE) --no-print-directory fuzz-run

# One target at a time (the machine is shared), one TAP test point each;
# every target runs even if an earlier one crashed.
fuzz-run:
	@mkdir -p $(FUZZ_BIN)/artifacts $(FUZZ_BIN)/logs; n=0; rc=0; \
	for t in $(FUZZ_TARGETS); do \
	  case " $(FUZZ_ALL) " in *" $$t "*) ;; *) echo "fuzz: unknown target $$t"; exit 2;; esac; \
	  n=$$((n + 1)); \
	  scratch=$$(mktemp -d "$${TMPDIR:-/tmp}/sd-fuzz-$$t.XXXXXX"); \
	  cp fuzz/corpus/$$t/* "$$scratch"/ 2>/dev/null; \
	  dict=""; [ -f fuzz/dict/$$t.dict ] && dict="-dict=fuzz/dict/$$t.dict"; \
	  log=$(FUZZ_BIN)/logs/$$t.log; \
	  maxlen=$$(case $$t in cookie) echo $(FUZZ_MAXLEN_cookie);; form) echo $(FUZZ_MAXLEN_form);; \
	    json) echo $(FUZZ_MAXLEN_json);; template) echo $(FUZZ_MAXLEN_template);; cfg) echo $(FUZZ_MAXLEN_cfg);; esac); \
	  echo "# fuzz_$$t for $(FUZZ_SECONDS) s (max_len $$maxlen, log $$log)"; \
	  $(FUZZ_NICE) $(FUZZ_BIN)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$maxlen \
	    -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_BIN)/artifacts/$$t- $(FUZZ_ARGS) "$$scratch" >"$$log" 2>&1; frc=$$?; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' "$$log" | tail -1); \
	  eps=$$(sed -n 's/^stat::average_exec_per_sec: *//p' "$$log" | tail -1); \
	  units=$$(ls "$$scratch" | wc -l); rm -rf "$$scratch"; \
	  if [ $$frc -eq 0 ] && [ -n "$$execs" ]; then \
	    echo "ok $$n - fuzz_$$t: $$execs execs, $$eps exec/s, corpus $$units"; \
	  else \
	    echo "not ok $$n - fuzz_$$t: exit $$frc after $${execs:-?} execs; see $$log"; \
	    grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant failed|.*runtime error)' "$$log" | head -5 | sed 's/^/#   /'; \
	    grep -E 'Test unit written to' "$$log" | sed 's/^/#   /'; \
	    rc=1; \
	  fi; \
	done; \
	echo "1..$$n"; exit $$rc

fuzz-clean:
	rm -rf $(FUZZ_BIN)
