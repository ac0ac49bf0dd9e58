/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Minimal TAP producer for the C unit tests: prove reads the plan and the
 * "ok"/"not ok" lines; the exit status is the number of failures so a crash
 * or a failed check can never look like a pass. */
#ifndef SD_TAP_H
#define SD_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <jansson.h>

static int tap_count;
static int tap_failed;

#define TAP_PLAN(n) printf("1..%d\n", (n))

#define TAP_OK(cond, ...)                                                   \
    do {                                                                    \
        int tap_ok_ = (cond) ? 1 : 0;                                       \
        ++tap_count;                                                        \
        printf("%s %d - ", tap_ok_ ? "ok" : "not ok", tap_count);           \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        if (!tap_ok_) {                                                     \
            ++tap_failed;                                                   \
            printf("#   failed at %s line %d\n", __FILE__, __LINE__);       \
        }                                                                   \
    } while (0)

#define TAP_IS_STR(got, want, ...)                                          \
    do {                                                                    \
        const char *tap_g_ = (got), *tap_w_ = (want);                       \
        int tap_eq_ = (tap_g_ && tap_w_) ? strcmp(tap_g_, tap_w_) == 0      \
                                         : tap_g_ == tap_w_;                \
        TAP_OK(tap_eq_, __VA_ARGS__);                                       \
        if (!tap_eq_) {                                                     \
            printf("#          got: '%s'\n", tap_g_ ? tap_g_ : "(null)");   \
            printf("#     expected: '%s'\n", tap_w_ ? tap_w_ : "(null)");   \
        }                                                                   \
    } while (0)

/* Test vectors live in t/unit/vectors/<unit>.json as named sets of rows
 * [a, b, want, what] (null for NULL); each row is one check
 * TAP_IS_STR(fn(pool, a, b), want). Data, not code, so the same vectors
 * can be read by other tools and a table is not C to maintain. */
typedef const char *(*tap_probe_fn)(apr_pool_t *pool, const char *a, const char *b);

static inline json_t *tap_vectors_load(const char *unit)
{
    char path[512];
    json_error_t jerr;
    json_t *v;
    snprintf(path, sizeof(path), "%s/%s.json", SD_UNIT_VECTORS, unit);
    v = json_load_file(path, 0, &jerr);
    if (!json_is_object(v)) {
        printf("Bail out! %s: %s (line %d)\n", path, jerr.text, jerr.line);
        exit(255);
    }
    return v;
}

/* How many checks the vectors add, for the plan. */
static inline size_t tap_vectors_count(const json_t *vectors)
{
    const char *name;
    json_t *rows;
    size_t n = 0;
    json_object_foreach((json_t *)vectors, name, rows) {
        n += json_array_size(rows);
    }
    return n;
}

static inline const char *tap_vector_text(const json_t *row, size_t i)
{
    return json_string_value(json_array_get(row, i));
}

static inline void tap_vectors_run(const json_t *vectors, const char *set, tap_probe_fn fn,
                            apr_pool_t *pool)
{
    const json_t *rows = json_object_get(vectors, set), *row;
    size_t i;
    if (!json_is_array(rows) || json_array_size(rows) == 0) {
        printf("Bail out! no test vectors named '%s'\n", set);
        exit(255);
    }
    json_array_foreach(rows, i, row) {
        TAP_IS_STR(fn(pool, tap_vector_text(row, 0), tap_vector_text(row, 1)),
                   tap_vector_text(row, 2), "%s", tap_vector_text(row, 3));
    }
}

#define TAP_DONE() return tap_failed > 254 ? 254 : tap_failed

#endif
