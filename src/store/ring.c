/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Ketama-style ring: each server has 160 points (40 MD5 digests of
 * "<name>-<i>", four 32-bit points each); a key maps to the first point at
 * or after the first 32 bits of the MD5 of its hash tag, as twemproxy's. */
#include "sd_ring.h"

#include <apr_strings.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define DIGESTS_PER_SERVER 40
#define POINTS_PER_DIGEST  4

typedef struct {
    apr_uint32_t point;
    int server;
} ring_point;

struct sd_ring {
    ring_point *points;
    int npoints;
    int nservers;
};

static void md5(const void *data, apr_size_t len, unsigned char out[16])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_md5(), NULL);
}

static apr_uint32_t point_at(const unsigned char *d, int k)
{
    return ((apr_uint32_t)d[3 + k * 4] << 24) | ((apr_uint32_t)d[2 + k * 4] << 16)
           | ((apr_uint32_t)d[1 + k * 4] << 8) | (apr_uint32_t)d[k * 4];
}

static int by_point(const void *a, const void *b)
{
    const ring_point *x = a, *y = b;
    if (x->point != y->point) {
        return x->point < y->point ? -1 : 1;
    }
    /* A total order: every front-end sorts the same way. */
    return x->server - y->server;
}

sd_ring *sd_ring_create(apr_pool_t *p, const char *const *names, int n)
{
    sd_ring *ring = apr_pcalloc(p, sizeof(*ring));
    int k = 0;

    ring->nservers = n;
    ring->npoints = n * DIGESTS_PER_SERVER * POINTS_PER_DIGEST;
    ring->points = apr_palloc(p, sizeof(ring_point) * (apr_size_t)(ring->npoints ? ring->npoints : 1));
    for (int s = 0; s < n; ++s) {
        for (int i = 0; i < DIGESTS_PER_SERVER; ++i) {
            unsigned char d[16];
            char label[300];
            int len = apr_snprintf(label, sizeof(label), "%s-%d", names[s], i);
            md5(label, (apr_size_t)len, d);
            for (int j = 0; j < POINTS_PER_DIGEST; ++j) {
                ring->points[k].point = point_at(d, j);
                ring->points[k].server = s;
                ++k;
            }
        }
    }
    qsort(ring->points, (size_t)ring->npoints, sizeof(ring_point), by_point);
    return ring;
}

/* twemproxy's rule: the text between the first '{' and the next '}', when
 * not empty, else the whole key. */
static const char *tag_of(const char *key, apr_size_t *len)
{
    const char *open = memchr(key, '{', *len), *close;
    if (open && (close = memchr(open + 1, '}', (apr_size_t)(key + *len - open - 1)))
        && close > open + 1) {
        *len = (apr_size_t)(close - open - 1);
        return open + 1;
    }
    return key;
}

int sd_ring_lookup(const sd_ring *ring, const char *key, apr_size_t len,
                   int *out, int max)
{
    unsigned char d[16];
    apr_uint32_t h;
    int lo = 0, hi, count = 0;

    if (!ring->npoints) {
        return 0;
    }
    key = tag_of(key, &len);
    md5(key, len, d);
    h = point_at(d, 0);
    hi = ring->npoints;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (ring->points[mid].point < h) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    for (int step = 0; step < ring->npoints && count < max && count < ring->nservers; ++step) {
        int server = ring->points[(lo + step) % ring->npoints].server;
        int seen = 0;
        for (int i = 0; i < count; ++i) {
            seen |= out[i] == server;
        }
        if (!seen) {
            out[count++] = server;
        }
    }
    return count;
}
