/* JSON codec: jansson behind pool lifetimes, plus the stored-session shape. */
#include "sd_json.h"

#include <apr_strings.h>
#include <string.h>

static apr_status_t json_release(void *v)
{
    json_decref((json_t *)v);
    return APR_SUCCESS;
}

json_t *sd_json_track(apr_pool_t *p, json_t *v)
{
    if (v) {
        apr_pool_cleanup_register(p, v, json_release, apr_pool_cleanup_null);
    }
    return v;
}

json_t *sd_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                      const char **err)
{
    json_error_t jerr;
    /* JSON_ALLOW_NUL: a "\u0000" inside a string is valid JSON that Node
     * accepts; refusing it would turn a peer's session into garbage. */
    json_t *v = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
    if (!v) {
        if (err) {
            *err = apr_psprintf(p, "invalid JSON at byte %d: %s",
                                jerr.position, jerr.text);
        }
        return NULL;
    }
    return sd_json_track(p, v);
}

char *sd_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    /* Measure first so the output lands in a single pool buffer of the right
     * size instead of jansson's malloc'd string. */
    size_t need = json_dumpb(v, NULL, 0, flags);
    char *buf;
    if (need == 0) {
        return NULL;
    }
    buf = apr_palloc(p, need + 1);
    if (json_dumpb(v, buf, need, flags) != need) {
        return NULL;
    }
    buf[need] = '\0';
    if (len) {
        *len = need;
    }
    return buf;
}

/* express-session deletes these on load because they would shadow methods
 * of its Session object; a peer must never see them come back. */
static int is_reserved_member(const char *key)
{
    static const char *const reserved[] = {
        "id", "req", "touch", "resetMaxAge", "save", "reload", "destroy",
        "regenerate", NULL
    };
    for (int i = 0; reserved[i]; ++i) {
        if (strcmp(key, reserved[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int sd_json_record_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                          sd_json_record *out, const char **err)
{
    json_t *root = sd_json_parse(p, buf, len, err);
    json_t *cookie, *data;
    const char *key;
    json_t *value;

    if (!root) {
        return 0;
    }
    if (!json_is_object(root)) {
        *err = "stored session is not a JSON object";
        return 0;
    }
    cookie = json_object_get(root, "cookie");
    if (!json_is_object(cookie)) {
        *err = "stored session has no \"cookie\" object";
        return 0;
    }
    data = sd_json_track(p, json_object());
    if (!data) {
        *err = "out of memory";
        return 0;
    }
    json_object_foreach(root, key, value) {
        if (strcmp(key, "cookie") != 0 && !is_reserved_member(key)) {
            json_object_set(data, key, value);
        }
    }
    out->cookie = cookie;
    out->data = data;
    return 1;
}

char *sd_json_record_encode(apr_pool_t *p, const json_t *cookie,
                            const json_t *data, apr_size_t *len)
{
    json_t *root = sd_json_track(p, json_object());
    const char *key;
    json_t *value;

    if (!root) {
        return NULL;
    }
    /* jansson keeps insertion order, so "cookie" goes in first. */
    json_object_set(root, "cookie", (json_t *)cookie);
    json_object_foreach((json_t *)data, key, value) {
        if (strcmp(key, "cookie") != 0) {
            json_object_set(root, key, value);
        }
    }
    return sd_json_dump(p, root, len);
}

char *sd_iso8601_format(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec / 1000);
}

static int parse_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; ++i) {
        char c = (*s)[i];
        if (c < '0' || c > '9') {
            return 0;
        }
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 1;
}

static int expect_char(const char **s, char c)
{
    if (**s != c) {
        return 0;
    }
    ++*s;
    return 1;
}

apr_status_t sd_iso8601_parse(const char *s, apr_time_t *out)
{
    apr_time_exp_t tm;
    int year, mon, mday, hour, min, sec, ms = 0;
    apr_time_t t;

    if (!s) {
        return APR_EINVAL;
    }
    if (!parse_digits(&s, 4, &year) || !expect_char(&s, '-')
        || !parse_digits(&s, 2, &mon) || !expect_char(&s, '-')
        || !parse_digits(&s, 2, &mday) || !expect_char(&s, 'T')
        || !parse_digits(&s, 2, &hour) || !expect_char(&s, ':')
        || !parse_digits(&s, 2, &min) || !expect_char(&s, ':')
        || !parse_digits(&s, 2, &sec)) {
        return APR_EINVAL;
    }
    if (*s == '.') {
        ++s;
        if (!parse_digits(&s, 3, &ms)) {
            return APR_EINVAL;
        }
    }
    if (!expect_char(&s, 'Z') || *s != '\0') {
        return APR_EINVAL;
    }
    if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || mday > 31
        || hour > 23 || min > 59 || sec > 60) {
        return APR_EINVAL;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    if (apr_time_exp_gmt_get(&t, &tm) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *out = t + (apr_time_t)ms * 1000;
    return APR_SUCCESS;
}
