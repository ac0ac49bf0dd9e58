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
    apr_pool_t *p;
    apr_table_t *t;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(15);

    TAP_IS_STR(field(p, "username=alice&password=secret", "username"), "alice", "simple pair");
    TAP_IS_STR(field(p, "username=alice&password=secret", "password"), "secret", "second pair");
    TAP_IS_STR(field(p, "item=red+apple", "item"), "red apple", "'+' is a space");
    TAP_IS_STR(field(p, "item=%3Cb%3E%26%e2%98%83", "item"), "<b>&\xe2\x98\x83", "%%XX decoding, UTF-8 bytes");
    TAP_IS_STR(field(p, "item=100%", "item"), "100%", "truncated escape kept literally");
    TAP_IS_STR(field(p, "item=%zz%4", "item"), "%zz%4", "invalid escapes kept literally");
    TAP_IS_STR(field(p, "a=1&a=2", "a"), "1", "first occurrence wins");
    TAP_IS_STR(field(p, "flag&x=1", "flag"), "", "name without '=' is an empty value");
    TAP_IS_STR(field(p, "&&x=1&", "x"), "1", "empty pairs skipped");
    TAP_IS_STR(field(p, "x=a=b", "x"), "a=b", "value keeps later '='");
    TAP_IS_STR(field(p, "user%20name=bob", "user name"), "bob", "keys are decoded too");
    TAP_IS_STR(field(p, "x=%00", "x"), "<EINVAL>", "decoded NUL refused");
    TAP_OK(sd_form_parse(p, "", 0, &t) == APR_SUCCESS && apr_is_empty_table(t), "empty body");
    TAP_OK(sd_form_parse(p, "a=1\0b=2", 7, &t) == APR_EINVAL,
           "raw NUL byte in the input is refused");
    TAP_IS_STR(field(p, "=orphan&k=v", "k"), "v", "empty key skipped");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
