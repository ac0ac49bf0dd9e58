/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Exact-size pool allocations for the fuzz targets (see fuzz_common.h).
 *
 * apr_palloc and apr_pcalloc are interposed: the executable's definitions
 * win over libapr's for every caller, including libapr itself (it calls
 * them through its PLT, e.g. from apr_pstrdup and apr_table_addn). Only
 * pools made by sd_fuzz_pool() are affected; everything else goes to the
 * real apr_palloc. Allocations are freed by a cleanup that is registered
 * first, so it runs last, after every other cleanup of the pool (jansson
 * decrefs and the like) is done with the memory.
 *
 * Not thread-safe; libFuzzer runs one input at a time in one thread.
 * apr_psprintf and friends write into the pool's blocks directly and are not
 * covered; their output is still valid pool memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz_common.h"

#include <dlfcn.h>

typedef void *(*palloc_fn)(apr_pool_t *, apr_size_t);

typedef struct tracker {
    apr_pool_t *pool;
    void **ptrs;
    size_t n, cap;
    struct tracker *next;
} tracker;

static palloc_fn real_palloc;
static tracker *trackers;
static int registering;
static int initialised;

static palloc_fn get_real_palloc(void)
{
    if (!real_palloc) {
        real_palloc = (palloc_fn)dlsym(RTLD_NEXT, "apr_palloc");
        if (!real_palloc) {
            fprintf(stderr, "pool_shim: cannot find libapr's apr_palloc\n");
            abort();
        }
    }
    return real_palloc;
}

static apr_status_t tracker_cleanup(void *data)
{
    tracker *t = data;
    for (size_t i = 0; i < t->n; ++i) {
        free(t->ptrs[i]);
    }
    free(t->ptrs);
    for (tracker **pp = &trackers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    free(t);
    return APR_SUCCESS;
}

static tracker *find_tracker(apr_pool_t *p)
{
    for (tracker *t = trackers; t; t = t->next) {
        if (t->pool == p) {
            return t;
        }
    }
    return NULL;
}

static tracker *add_tracker(apr_pool_t *p)
{
    tracker *t = calloc(1, sizeof(*t));
    if (!t) {
        abort();
    }
    t->pool = p;
    registering = 1; /* the cleanup record itself comes from the real pool */
    apr_pool_cleanup_register(p, t, tracker_cleanup, apr_pool_cleanup_null);
    registering = 0;
    t->next = trackers;
    trackers = t;
    return t;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    tracker *t = registering ? NULL : find_tracker(p);
    void *m;

    if (!t) {
        return get_real_palloc()(p, size);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        void **ptrs = realloc(t->ptrs, cap * sizeof(*ptrs));
        if (!ptrs) {
            abort();
        }
        t->ptrs = ptrs;
        t->cap = cap;
    }
    /* malloc(0) may return NULL; apr_palloc never does. */
    m = malloc(size ? size : 1);
    if (!m) {
        abort(); /* APR's own behaviour when allocation fails */
    }
    t->ptrs[t->n++] = m;
    return m;
}

#undef apr_pcalloc
void *apr_pcalloc(apr_pool_t *p, apr_size_t size);
void *apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    void *m = apr_palloc(p, size);
    memset(m, 0, size);
    return m;
}

/* Targets that need more set-up define their own (a strong symbol). */
__attribute__((weak)) void sd_fuzz_target_init(void)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!initialised) {
        if (apr_initialize() != APR_SUCCESS) {
            abort();
        }
        atexit(apr_terminate);
        get_real_palloc();
        initialised = 1;
    }
    sd_fuzz_target_init();
    return 0;
}

apr_pool_t *sd_fuzz_pool(void)
{
    apr_pool_t *p = NULL;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS || !p) {
        abort();
    }
    add_tracker(p);
    return p;
}

void sd_fuzz_pool_done(apr_pool_t *p)
{
    apr_pool_destroy(p);
    SD_CHECK(trackers == NULL, "a pool outlived its input");
}
