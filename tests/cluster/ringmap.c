/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Placement oracle for the cluster test, built on the module's own
 * src/store/ring.c (the code the store uses):
 *
 *   ringmap place  S1 S2 ...      reads keys (one per line) on stdin and
 *                                 prints "<key> <i0> <i1> ..." (server
 *                                 indices in ring order: primary first)
 *   ringmap moved  N "S1 S2 ..." "T1 T2 ..."
 *                                 N random session keys ("sess:" + 32
 *                                 base64url chars, like the module's IDs);
 *                                 prints how many change primary server
 *                                 between the two lists and how many of
 *                                 those land on a server new in the second.
 */
#include "sd_ring.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int split(apr_pool_t *p, const char *list, const char ***out)
{
    char *copy = apr_pstrdup(p, list), *last, *tok;
    const char **names = apr_palloc(p, sizeof(char *) * 64);
    int n = 0;
    for (tok = apr_strtok(copy, " ,", &last); tok && n < 64; tok = apr_strtok(NULL, " ,", &last)) {
        names[n++] = tok;
    }
    *out = names;
    return n;
}

static int index_of(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; ++i) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    if (argc >= 3 && strcmp(argv[1], "place") == 0) {
        int n = argc - 2;
        sd_ring *ring = sd_ring_create(p, (const char *const *)argv + 2, n);
        char line[1024];
        while (fgets(line, sizeof(line), stdin)) {
            int out[8], k;
            line[strcspn(line, "\r\n")] = '\0';
            if (!*line) {
                continue;
            }
            k = sd_ring_lookup(ring, line, strlen(line), out, n < 8 ? n : 8);
            fputs(line, stdout);
            for (int i = 0; i < k; ++i) {
                printf(" %d", out[i]);
            }
            putchar('\n');
        }
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "moved") == 0) {
        static const char b64url[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        long keys = atol(argv[2]), moved = 0, to_new = 0;
        const char **a, **b;
        int na = split(p, argv[3], &a), nb = split(p, argv[4], &b);
        sd_ring *ra = sd_ring_create(p, a, na), *rb = sd_ring_create(p, b, nb);
        for (long i = 0; i < keys; ++i) {
            unsigned char rnd[32];
            char key[64] = "sess:";
            int x, y;
            RAND_bytes(rnd, sizeof(rnd));
            for (int j = 0; j < 32; ++j) {
                key[5 + j] = b64url[rnd[j] & 63];
            }
            key[37] = '\0';
            sd_ring_lookup(ra, key, 37, &x, 1);
            sd_ring_lookup(rb, key, 37, &y, 1);
            if (strcmp(a[x], b[y]) != 0) {
                ++moved;
                to_new += index_of(a, na, b[y]) < 0;
            }
        }
        printf("%ld %ld %ld\n", keys, moved, to_new);
        return 0;
    }
    fprintf(stderr, "usage: ringmap place S1 S2 ... < keys | ringmap moved N \"S1 S2\" \"T1 T2\"\n");
    return 2;
}
