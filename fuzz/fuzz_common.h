/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Shared scaffolding for the libFuzzer targets in fuzz/.
 *
 * Every target links fuzz/pool_shim.c, which makes each allocation from a
 * pool made by sd_fuzz_pool() an exact-size malloc block that is freed when
 * the pool is destroyed. Without it, ASan cannot see an overflow or a
 * use-after-destroy inside APR's 8 KiB pool blocks; with it, every pool
 * buffer gets its own redzones, like any heap allocation. */
#ifndef SD_FUZZ_COMMON_H
#define SD_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

/* A fresh pool for one input; its apr_palloc()s are individual malloc
 * blocks (see pool_shim.c). Destroy it with sd_fuzz_pool_done(). */
apr_pool_t *sd_fuzz_pool(void);

/* Destroys the pool and aborts if any shimmed pool is still alive, so a
 * target that forgets to destroy its pool fails instead of growing. */
void sd_fuzz_pool_done(apr_pool_t *p);

/* libFuzzer's LLVMFuzzerInitialize (in pool_shim.c) initialises APR once
 * and then calls this; a target that needs set-up of its own defines it. */
void sd_fuzz_target_init(void);

/* An invariant check that is never compiled out (unlike assert()). It
 * prints what failed and aborts, which libFuzzer records as a crash. */
#define SD_CHECK(cond, ...)                                                 \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "invariant failed at %s:%d: %s\n  ",            \
                    __FILE__, __LINE__, #cond);                             \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* NUL-terminated malloc copy of a fuzz input (exactly size + 1 bytes, so
 * ASan catches a read past the terminator). */
static inline char *sd_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) {
        abort();
    }
    if (size) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

#endif
