/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the app's fields read in place: every operation is done
 * both on fields read from text and on the jansson object sd_json_parse
 * makes of the same text, and their dumps must agree byte for byte. */
#include "sd_fields.h"
#include "sd_json.h"
#include "tap.h"

#include <apr_general.h>

static const char *const stored =
    "{\"sessiondemo\":{\"realm\":\"r\",\"gen\":2},\"isLoggedIn\":true,\"username\":\"al\\\"ice\","
    "\"visitCount\":3,\"cart\":[\"a\"],\"flash\":{\"type\":\"success\",\"message\":\"hi\"},"
    "\"peer\":{\"x\":[1,{\"y\":null}]}}";

typedef struct {
    sd_fields *lazy, *object;
} pair;

static pair load(apr_pool_t *p)
{
    sd_json_scan_member m[SD_JSON_SCAN_MAX_MEMBERS];
    int n = sd_json_scan_object(stored, strlen(stored), m);
    pair fp = { sd_fields_scanned(p, m, n),
                sd_fields_wrap(p, sd_json_parse(p, stored, strlen(stored), NULL)) };
    return fp;
}

static int agree(apr_pool_t *p, pair fp)
{
    apr_size_t a = 0, b = 0;
    const char *x = sd_fields_dump(fp.lazy, &a), *y = sd_fields_dump(fp.object, &b);
    (void)p;
    if (!x || !y || a != b || memcmp(x, y, a) != 0) {
        printf("#  in place: %s\n#    object: %s\n", x ? x : "(null)", y ? y : "(null)");
        return 0;
    }
    return 1;
}

int main(void)
{
    apr_pool_t *p;
    pair fp;
    apr_size_t len;
    const char *out;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(14);

    fp = load(p);
    out = sd_fields_dump(fp.lazy, &len);
    TAP_OK(out && len == strlen(stored) && strcmp(out, stored) == 0, "untouched: the stored text");
    TAP_OK(json_integer_value(sd_fields_get(fp.lazy, "visitCount")) == 3
           && strcmp(json_string_value(sd_fields_get(fp.lazy, "username")), "al\"ice") == 0
           && json_is_true(sd_fields_get(fp.lazy, "isLoggedIn"))
           && !sd_fields_get(fp.lazy, "nope"), "members decoded on demand");
    TAP_OK(agree(p, fp), "reading changes nothing");

    /* The home page: count a visit, consume the flash. */
    sd_fields_set_new(fp.lazy, "visitCount", json_integer(4));
    sd_fields_set_new(fp.object, "visitCount", json_integer(4));
    sd_fields_del(fp.lazy, "flash");
    sd_fields_del(fp.object, "flash");
    TAP_OK(agree(p, fp), "replaced member keeps its place, deleted one is gone");

    /* In-place modification through get_mut. */
    json_array_append_new(sd_fields_get_mut(fp.lazy, "cart"), json_string("b"));
    json_array_append_new(sd_fields_get_mut(fp.object, "cart"), json_string("b"));
    TAP_OK(agree(p, fp), "a member modified in place is dumped afresh");
    json_array_append_new(sd_fields_get_mut(fp.lazy, "cart"), json_string("c"));
    json_array_append_new(sd_fields_get_mut(fp.object, "cart"), json_string("c"));
    TAP_OK(agree(p, fp), "...every time");

    /* Deleted and set again: last, as in jansson. New ones too. */
    sd_fields_del(fp.lazy, "isLoggedIn");
    sd_fields_del(fp.object, "isLoggedIn");
    sd_fields_set_new(fp.lazy, "isLoggedIn", json_false());
    sd_fields_set_new(fp.object, "isLoggedIn", json_false());
    sd_fields_set_new(fp.lazy, "new\n\"key\"", json_string("v"));
    sd_fields_set_new(fp.object, "new\n\"key\"", json_string("v"));
    TAP_OK(agree(p, fp), "re-added and new members go last, keys quoted");

    /* A value set and then modified through the caller's pointer. */
    {
        json_t *a = json_array(), *b = json_array();
        sd_fields_set_new(fp.lazy, "list", a);
        sd_fields_set_new(fp.object, "list", b);
        (void)sd_fields_dump(fp.lazy, NULL);
        json_array_append_new(a, json_integer(1));
        json_array_append_new(b, json_integer(1));
        TAP_OK(agree(p, fp), "a set value modified after a dump is dumped afresh");
    }

    /* Members for the record, without one. */
    out = sd_fields_members(fp.lazy, "sessiondemo", &len);
    TAP_OK(out && len == strlen(out) && strncmp(out, ",\"isLoggedIn\"", 13) != 0
           && strncmp(out, ",\"username\":\"al\\\"ice\",\"visitCount\":4,", 37) == 0
           && !strstr(out, "sessiondemo"), "members but one, each after a comma");
    TAP_OK(sd_fields_members(fp.object, NULL, &len) == NULL && len == 0,
           "an object's fields have no member text");

    /* An integer-like key sorts first in a dump: the fields become an
     * object, and still agree. */
    sd_fields_set_new(fp.lazy, "7", json_true());
    sd_fields_set_new(fp.object, "7", json_true());
    TAP_OK(agree(p, fp) && sd_fields_members(fp.lazy, NULL, &len) == NULL,
           "an integer-like key turns them into an object");

    /* The whole object, built on demand. */
    fp = load(p);
    sd_fields_set_new(fp.lazy, "visitCount", json_integer(9));
    sd_fields_set_new(fp.object, "visitCount", json_integer(9));
    {
        json_t *o = sd_fields_object(fp.lazy);
        TAP_OK(o && json_object_size(o) == 7
               && json_integer_value(json_object_get(o, "visitCount")) == 9, "object built");
        json_object_set_new(o, "extra", json_null());
        json_object_set_new(sd_fields_object(fp.object), "extra", json_null());
        TAP_OK(agree(p, fp), "and used from then on");
    }
    TAP_OK(sd_fields_set_new(fp.lazy, "\xff", json_null()) == -1
           && sd_fields_set_new(load(p).lazy, "\xff", json_null()) == -1,
           "a key that is not UTF-8 is refused");

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
