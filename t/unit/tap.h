/* Minimal TAP producer for the C unit tests: prove reads the plan and the
 * "ok"/"not ok" lines; the exit status is the number of failures so a crash
 * or a failed check can never look like a pass. */
#ifndef SD_TAP_H
#define SD_TAP_H

#include <stdio.h>
#include <string.h>

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

#define TAP_DONE() return tap_failed > 254 ? 254 : tap_failed

#endif
