# SPDX-License-Identifier: Apache-2.0
# mod_sessiondemo — build with apxs, run a private demo, run the test suites.
# Every target that needs Debian packages depends on a *-deps target, which
# installs what is missing when run as root (and only says what is missing
# otherwise). Every suite prints TAP, counted by tests/lib/tap-count into one
# "<suite>: N passed, N failed" line (docs/testing.md).
SHELL := /bin/bash
.DEFAULT_GOAL := all

APXS        ?= apxs
PORT        ?= 3011
MEMCACHED   ?=
TEMPLATEDIR ?= $(CURDIR)/templates

SRCS   := mod_sessiondemo.c $(wildcard src/*/*.c)
HDRS   := $(wildcard include/*.h)
MODULE := .libs/mod_sessiondemo.so

comma   := ,
WARN    := -Wall -Wextra -Werror
# Only OpenSSL 3's interfaces (EVP_MAC, EVP_KDF, EVP_CIPHER): a deprecated
# call no longer compiles.
OPENSSL_CPPFLAGS := -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
CSTD    := -std=c11
# SANITIZE=1 builds the module and the unit tests with ASan + UBSan.
ifeq ($(SANITIZE),1)
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FLAVOR     := asan
else
FLAVOR     := plain
endif

APR_CFLAGS := $(shell pkg-config --cflags apr-1 2>/dev/null)
APR_LIBS   := $(shell pkg-config --libs apr-1 apr-util-1 2>/dev/null)

TAP_COUNT := tests/lib/tap-count

# wrk: t/store/outage.t keeps a background load on the server during outages.
# python3-prometheus-client: t/admin/metrics.t reads ?format=prometheus.
DEB_PACKAGES := make gcc libc6-dev perl pkg-config apache2-bin apache2-dev \
  apache2-utils libapr1-dev libaprutil1-dev libssl-dev libjansson-dev openssl \
  memcached libapache2-mod-perl2 libwww-perl libhttp-cookies-perl libcryptx-perl curl wrk \
  python3-prometheus-client nghttp2-client

.PHONY: all deps node-deps ci-deps run test test-asan test-unit unit-build clean FORCE

all: $(MODULE) t/TEST

# t/TEST, the Apache::Test runner every httpd module's tree has, made from
# t/TEST.PL as Apache::TestMM would (git-ignored; edit t/TEST.PL).
t/TEST: t/TEST.PL
	sed '1a # Generated from t/TEST.PL by make: edit that file, not this one.' $< >$@.tmp
	chmod 755 $@.tmp && mv $@.tmp $@

# $(call deb_install,PACKAGES[,COMMAND=PACKAGE ...]): the Debian PACKAGES
# that are missing, and PACKAGE for each COMMAND not on the PATH (node may
# come from elsewhere than Debian), installed with apt-get when run as root;
# otherwise named, and the target fails.
define deb_install
@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done; \
  for cp in $(2); do command -v $${cp%%=*} >/dev/null || echo $${cp#*=}; done); \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "$@: installing:" $$missing; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; \
  else \
    echo "$@: missing Debian packages (run as root or install them):" $$missing; exit 1; \
  fi; \
fi
endef

deps:
	$(call deb_install,$(DEB_PACKAGES))

node-deps:
	$(call deb_install,,node=nodejs npm=npm)

# Everything the suites .ci/run runs need (the *-deps targets are in mk/).
ci-deps: deps node-deps browser-deps cluster-deps reliability-deps fuzz-deps deb-deps

# The module is rebuilt whenever the flavor (plain / asan), the compiled-in
# template directory (the tree's, or the installed one of `make install`) or
# the build flags (CPPFLAGS, CFLAGS, LDFLAGS: Debian's from dpkg-buildflags)
# change, so neither an ASan build nor one that looks for its templates in
# /usr/share is left where `make run` and the suites would load it.
BUILD_ID := $(FLAVOR) $(TEMPLATEDIR) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
.flavor: FORCE
	@[ "$$(cat .flavor 2>/dev/null)" = '$(BUILD_ID)' ] || echo '$(BUILD_ID)' > .flavor
FORCE:

# The module's version, from one place: debian/changelog's first entry.
SD_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

$(MODULE): $(SRCS) $(HDRS) Makefile .flavor debian/changelog
	$(APXS) -c -o mod_sessiondemo.la -Iinclude \
	  $(addprefix -Wc$(comma),$(CSTD) $(WARN) $(OPENSSL_CPPFLAGS) $(SAN_CFLAGS) $(CPPFLAGS) $(CFLAGS)) \
	  $(addprefix -Wl$(comma),$(SAN_CFLAGS) $(LDFLAGS)) \
	  -Wc,-DSD_DEFAULT_TEMPLATE_DIR='\"$(TEMPLATEDIR)\"' \
	  -Wc,-DSD_VERSION='\"$(SD_VERSION)\"' \
	  $(SRCS) -lcrypto -ljansson
	@test -f $(MODULE)

# --- C unit tests of the pure units (TAP) ---------------------------------
UNIT_BIN := t/unit/bin-$(FLAVOR)
UNIT_CFLAGS := $(CSTD) $(WARN) $(OPENSSL_CPPFLAGS) -g -O1 -Iinclude -It/unit -It/unit/fake $(APR_CFLAGS) \
  -I$(shell $(APXS) -q INCLUDEDIR 2>/dev/null) $(SAN_CFLAGS) \
  -DSD_UNIT_VECTORS='"$(CURDIR)/t/unit/vectors"'
UNIT_LIBS := $(APR_LIBS) -ljansson -lcrypto $(SAN_CFLAGS)
UNIT_TESTS := $(patsubst t/unit/%.c,$(UNIT_BIN)/%,$(wildcard t/unit/test_*.c))

# t/unit/test_X.c tests the pure unit src/<folder>/X.c (with the pure units
# it builds on, listed in UNIT_DEPS_X).
unit_src = $(wildcard $(patsubst %,src/*/%.c,$(1)))
UNIT_DEPS_record := $(call unit_src,json)
UNIT_DEPS_username := $(call unit_src,json)
UNIT_DEPS_metrics := $(call unit_src,stats)
UNIT_DEPS_store := $(call unit_src,record json ring) t/unit/fake/fake_backend.c
UNIT_DEPS_throttle := $(call unit_src,store ring mac) t/unit/fake/fake_backend.c
UNIT_DEPS_cookie := $(call unit_src,mac)
UNIT_DEPS_seal := $(call unit_src,mac store ring)
UNIT_DEPS_session := $(call unit_src,vault seal mac session_lock host_lock waiters store record json username ring cookie) t/unit/fake/fake_backend.c t/unit/fake/httpd_stubs.c \
  t/unit/fake/session_stubs.c t/unit/fake/fake_request.c
UNIT_DEPS_vault := $(call unit_src,session seal mac username session_lock host_lock waiters store record json ring cookie) t/unit/fake/fake_backend.c \
  t/unit/fake/httpd_stubs.c t/unit/fake/session_stubs.c t/unit/fake/fake_request.c
UNIT_DEPS_session_lock := $(call unit_src,waiters host_lock mac) t/unit/fake/fake_clock.c t/unit/fake/fake_lock_store.c \
  t/unit/fake/httpd_stubs.c t/unit/fake/fake_request.c

.SECONDEXPANSION:
$(UNIT_TESTS): $(UNIT_BIN)/test_%: t/unit/test_%.c $$(call unit_src,$$*) $$(UNIT_DEPS_$$*) $(HDRS) t/unit/tap.h \
    $(wildcard t/unit/fake/*.h) \
    $$(wildcard t/unit/vectors/$$*.json)
	@mkdir -p $(UNIT_BIN)
	$(CC) $(UNIT_CFLAGS) -o $@ t/unit/test_$*.c $(call unit_src,$*) $(UNIT_DEPS_$*) $(UNIT_LIBS)

unit-build: $(UNIT_TESTS)

test-unit: $(UNIT_TESTS)
	@$(TAP_COUNT) test-unit prove -v --exec '' $(UNIT_TESTS)

clean:
	-perl t/TEST.PL -clean >/dev/null 2>&1
	rm -rf .libs *.la *.lo *.slo *.o src/*/*.lo src/*/*.slo src/*/*.o src/*/.libs t/unit/bin-* .flavor t/TEST

run: deps all
	PORT=$(PORT) MEMCACHED=$(MEMCACHED) scripts/run-demo.sh

test: deps all $(UNIT_TESTS)
	@UNIT_BIN=$(UNIT_BIN) $(TAP_COUNT) test scripts/run-tests.sh

# The whole suite (unit tests and Apache::Test) against an ASan + UBSan
# build; any sanitizer report fails the run. Rebuilds the plain module after.
test-asan: deps
	$(MAKE) SANITIZE=1 all unit-build
	@UNIT_BIN=t/unit/bin-asan SD_SANITIZE=1 $(TAP_COUNT) test-asan scripts/run-tests.sh; \
	  rc=$$?; $(MAKE) all >/dev/null; exit $$rc

# Feature areas (fuzzing, benchmarks, interop, browser, cluster,
# reliability) keep their targets in mk/*.mk so each stays readable on its own.
-include $(sort $(wildcard mk/*.mk))

