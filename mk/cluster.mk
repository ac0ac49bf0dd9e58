# SPDX-License-Identifier: Apache-2.0
# make test-cluster: 3 memcached nodes and 2 httpd front-ends on
# loopback. Checks consistent-hash placement against src/store/ring.c and the
# moved share for 3 -> 4 nodes, the no-failover policy with replicas 0
# (freeze and kill a node), SessionDemoReplicas 1 under load with a node
# killed and restarted (flush on return), logout/regenerate removing every
# copy, sessions shared by both front-ends through a rolling restart, and
# the module behind twemproxy (nutcracker, hash_tag "{}") and beside a ring
# front-end (a session's keys on one node; a node killed and restarted;
# parallel adds split across both lose nothing). Ends with
# "test-cluster: N passed, N failed"; bounded by CLUSTER_TIME_LIMIT seconds.
# See docs/cluster.md.
CLUSTER_TIME_LIMIT ?= 170
CLUSTER_RINGMAP    := tests/cluster/ringmap

.PHONY: test-cluster cluster-deps

cluster-deps: node-deps
	$(call deb_install,memcached nutcracker)

# The placement oracle: the module's own ring code, nothing reimplemented.
$(CLUSTER_RINGMAP): tests/cluster/ringmap.c src/store/ring.c include/sd_ring.h
	$(CC) $(CSTD) $(WARN) $(OPENSSL_CPPFLAGS) -O2 -Iinclude $(APR_CFLAGS) -o $@ tests/cluster/ringmap.c src/store/ring.c $(APR_LIBS) -lcrypto

test-cluster: deps cluster-deps all $(CLUSTER_RINGMAP)
	@CLUSTER_TIME_LIMIT=$(CLUSTER_TIME_LIMIT) $(TAP_COUNT) test-cluster tests/cluster/run.sh
