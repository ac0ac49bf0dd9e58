/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the username rule: the names in vectors/username.json and
 * the verdict each must get. Names are written with \xHH escapes there, as
 * most of them are not UTF-8 or not visible, and JSON holds neither. */
#include "sd_username.h"
#include "tap.h"

#include <apr_strings.h>

/* The verdict's reason for the name `escaped` (\xHH decoded), limit 16. */
static const char *check(apr_pool_t *p, const char *escaped, const char *unused)
{
    char *name = apr_palloc(p, strlen(escaped) + 1);
    apr_size_t len = 0;
    (void)unused;
    for (const char *s = escaped; *s; ++len) {
        if (s[0] == '\\' && s[1] == 'x') {
            name[len] = (char)strtol(apr_pstrmemdup(p, s + 2, 2), NULL, 16);
            s += 4;
        }
        else {
            name[len] = *s++;
        }
    }
    return sd_username_reason(sd_username_check(name, len, 16));
}

int main(void)
{
    apr_pool_t *p;
    json_t *vectors;

    apr_initialize();
    apr_pool_create(&p, NULL);
    vectors = tap_vectors_load("username");
    TAP_PLAN((int)tap_vectors_count(vectors) + 6);
    tap_vectors_run(vectors, "check", check, p);
    TAP_OK(sd_username_check(NULL, 0, 16) == SD_USERNAME_EMPTY, "NULL is empty");
    TAP_OK(sd_username_check("ab", 2, 1) == SD_USERNAME_TOO_LONG, "the length limit is in bytes");
    TAP_OK(sd_username_check("\xc3\xbc", 2, 2) == SD_USERNAME_OK,
           "a two-byte character fits a two-byte limit");
    TAP_OK(strcmp(sd_username_fold(p, "AlIcE \xc3\x89", 1), "alice \xc3\x89") == 0,
           "folding lowers ASCII letters only");
    TAP_OK(strcmp(sd_username_fold(p, "ALICE", 0), "ALICE") == 0, "no fold keeps the name");
    {
        const char *name = "Bob";
        TAP_OK(sd_username_fold(p, name, 0) == name, "no fold copies nothing");
    }
    json_decref(vectors);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_failed;
}
