/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the urlencoded form decoder. */
#include "sd_form.h"
#include "tap.h"

#include <apr_general.h>

static const char *field(apr_pool_t *p, const char *body, const char *key)
{
    apr_table_t *t;
    if (sd_form_parse(p, body, strlen(body), &t) != APR_SUCCESS) {
        return "<EINVAL>";
    }
    return apr_table_get(t, key);
}

int main(void)
{
    json_t *vectors;
    apr_pool_t *p;
    apr_table_t *t;

    apr_initialize();
    apr_pool_create(&p, NULL);
    vectors = tap_vectors_load("form");
    TAP_PLAN(3 + (int)tap_vectors_count(vectors));

    tap_vectors_run(vectors, "field", field, p);
    TAP_OK(sd_form_parse(p, "", 0, &t) == APR_SUCCESS && apr_is_empty_table(t), "empty body");
    TAP_OK(sd_form_parse(p, "a=1\0b=2", 7, &t) == APR_EINVAL,
           "raw NUL byte in the input is refused");
    TAP_IS_STR(field(p, "=orphan&k=v", "k"), "v", "empty key skipped");

    apr_pool_destroy(p);
    apr_terminate();
    json_decref(vectors);
    TAP_DONE();
}
