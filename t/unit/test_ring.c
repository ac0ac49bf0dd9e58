/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the consistent hash ring: determinism, balance, distinct
 * replicas, and the share of keys that move when a node is added. */
#include "sd_ring.h"
#include "tap.h"

#include <apr_general.h>
#include <apr_strings.h>

#define KEYS 100000

int main(void)
{
    apr_pool_t *p;
    const char *three[] = { "10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211" };
    const char *four[] = { "10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211", "10.0.0.4:11211" };
    const char *reordered[] = { "10.0.0.3:11211", "10.0.0.1:11211", "10.0.0.2:11211" };
    sd_ring *r3, *r4, *rr;
    int counts[4] = { 0 }, moved = 0, to_new = 0, same_order = 1, distinct = 1;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(12);

    r3 = sd_ring_create(p, three, 3);
    r4 = sd_ring_create(p, four, 4);
    rr = sd_ring_create(p, reordered, 3);

    for (int i = 0; i < KEYS; ++i) {
        char key[64];
        int a[3], b[1], c[1], n;
        int len = apr_snprintf(key, sizeof(key), "sess:key-%d", i);
        n = sd_ring_lookup(r3, key, (apr_size_t)len, a, 3);
        if (n != 3 || a[0] == a[1] || a[1] == a[2] || a[0] == a[2]) {
            distinct = 0;
        }
        counts[a[0]]++;
        sd_ring_lookup(r4, key, (apr_size_t)len, b, 1);
        if (strcmp(three[a[0]], four[b[0]]) != 0) {
            ++moved;
            to_new += b[0] == 3;
        }
        sd_ring_lookup(rr, key, (apr_size_t)len, c, 1);
        if (strcmp(three[a[0]], reordered[c[0]]) != 0) {
            same_order = 0;
        }
    }
    TAP_OK(distinct, "lookup gives 3 distinct servers for every key (replicas)");
    for (int s = 0; s < 3; ++s) {
        TAP_OK(counts[s] > KEYS / 3 * 0.8 && counts[s] < KEYS / 3 * 1.2,
               "server %d holds %d of %d keys (within 20%% of a third)", s, counts[s], KEYS);
    }
    printf("# 3 -> 4 nodes: %d of %d keys moved (%.1f%%), %d of them to the new node\n",
           moved, KEYS, 100.0 * moved / KEYS, to_new);
    TAP_OK(moved > KEYS * 0.18 && moved < KEYS * 0.32,
           "adding a 4th node moves about 1/4 of the keys (%.1f%%)", 100.0 * moved / KEYS);
    TAP_OK(moved == to_new, "every moved key moved to the new node");
    TAP_OK(same_order, "the server list order does not change placement");
    {
        int out[2], n1, n2;
        n1 = sd_ring_lookup(r3, "abc", 3, out, 2);
        n2 = sd_ring_lookup(r3, "abc", 3, out + 1, 1);
        TAP_OK(n1 == 2 && n2 == 1 && out[0] == out[1], "lookup is deterministic");
    }
    {
        sd_ring *one = sd_ring_create(p, three, 1);
        int out[3];
        TAP_OK(sd_ring_lookup(one, "x", 1, out, 3) == 1, "one server: one target whatever max is");
        sd_ring *none = sd_ring_create(p, three, 0);
        TAP_OK(sd_ring_lookup(none, "x", 1, out, 3) == 0, "no server: no target");
    }
    {
        /* twemproxy's hash_tag "{}": a session's lock sits with its record. */
        int with_tag = 1, unclosed_same = 0, empty_same = 0;
        for (int i = 0; i < 3000; ++i) {
            char key[64], lock[80], first[80], unclosed[80], empty[80];
            int a[3], b[3], c[3], d[1], e[1], g[1];
            apr_snprintf(key, sizeof(key), "sess:key-%d", i);
            apr_snprintf(lock, sizeof(lock), "{%s}.0badf00d.lock", key);
            apr_snprintf(first, sizeof(first), "x{%s}y{z}", key);
            apr_snprintf(unclosed, sizeof(unclosed), "{%s", key);
            apr_snprintf(empty, sizeof(empty), "{}{%s}", key);
            sd_ring_lookup(r3, key, strlen(key), a, 3);
            sd_ring_lookup(r3, lock, strlen(lock), b, 3);
            sd_ring_lookup(r3, first, strlen(first), c, 3);
            with_tag &= memcmp(a, b, sizeof(a)) == 0 && a[0] == c[0];
            sd_ring_lookup(r3, key, strlen(key), d, 1);
            sd_ring_lookup(r3, unclosed, strlen(unclosed), e, 1);
            sd_ring_lookup(r3, empty, strlen(empty), g, 1);
            unclosed_same += d[0] == e[0];
            empty_same += d[0] == g[0];
        }
        TAP_OK(with_tag, "a key with a hash tag is placed (with its replicas) by its first tag");
        TAP_OK(unclosed_same < 1500 && empty_same < 1500, "as in twemproxy, an unclosed '{'"
               " or an empty first {} is no tag: the whole key is hashed (%d and %d of 3000"
               " on the same server by chance)", unclosed_same, empty_same);
    }
    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
