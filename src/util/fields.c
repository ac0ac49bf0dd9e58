/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The app's fields, read in place from canonical stored text or held in a
 * jansson object. In place, each member is an entry: its key, its stored
 * text (exactly what sd_json_dump writes for its value, which
 * sd_json_scan guaranteed) and, once decoded or set, its jansson value. */
#include "sd_fields.h"
#include "sd_json.h"

#include <apr_strings.h>
#include <string.h>

typedef struct {
    const char *key;        /* decoded; not NUL-terminated when stored     */
    apr_size_t klen;
    const char *qkey;       /* the key as JSON text, with its quotes       */
    apr_size_t qklen;
    const char *text;       /* the value's stored text; NULL once set      */
    apr_size_t text_len;
    json_t *value;          /* decoded or set (tracked), or NULL           */
    int mutated;            /* handed out to be modified: dump its value   */
    int deleted;
} entry;

struct sd_fields {
    apr_pool_t *p;
    json_t *obj;            /* non-NULL: the fields are this object        */
    entry *e;
    int n, cap;
};

sd_fields *sd_fields_wrap(apr_pool_t *p, json_t *obj)
{
    sd_fields *f;
    if (!obj) {
        return NULL;
    }
    f = apr_pcalloc(p, sizeof(*f));
    f->p = p;
    f->obj = obj;
    return f;
}

sd_fields *sd_fields_scanned(apr_pool_t *p, const sd_json_scan_member *m, int n)
{
    sd_fields *f = apr_pcalloc(p, sizeof(*f));
    f->p = p;
    f->cap = n + 4;
    f->e = apr_pcalloc(p, (apr_size_t)f->cap * sizeof(*f->e));
    for (int i = 0; i < n; ++i) {
        entry *e = &f->e[i];
        e->key = sd_json_scan_unquote(p, m[i].key, m[i].key_len, &e->klen);
        if (!e->key) {
            return NULL;   /* cannot happen for scanned text */
        }
        e->qkey = m[i].key - 1;
        e->qklen = m[i].key_len + 2;
        e->text = m[i].value;
        e->text_len = m[i].value_len;
    }
    f->n = n;
    return f;
}

static entry *find(sd_fields *f, const char *key)
{
    apr_size_t klen = strlen(key);
    for (int i = 0; i < f->n; ++i) {
        entry *e = &f->e[i];
        if (!e->deleted && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            return e;
        }
    }
    return NULL;
}

/* The entry's value, decoded from its text on first use. */
static json_t *value_of(sd_fields *f, entry *e)
{
    if (!e->value && e->text) {
        e->value = sd_json_track(f->p, sd_json_scan_build(f->p, e->text, e->text_len));
    }
    return e->value;
}

const json_t *sd_fields_get(sd_fields *f, const char *key)
{
    entry *e;
    if (f->obj) {
        return json_object_get(f->obj, key);
    }
    e = find(f, key);
    return e ? value_of(f, e) : NULL;
}

json_t *sd_fields_get_mut(sd_fields *f, const char *key)
{
    entry *e;
    if (f->obj) {
        return json_object_get(f->obj, key);
    }
    e = find(f, key);
    if (!e || !value_of(f, e)) {
        return NULL;
    }
    e->mutated = 1;
    return e->value;
}

/* Integer-like keys go first when dumped (sd_json_dump); in place, every
 * member is dumped in order, so such a key turns the fields into an object. */
static int integer_like(const char *key)
{
    if (!*key) {
        return 0;
    }
    for (const char *k = key; *k; ++k) {
        if (*k < '0' || *k > '9') {
            return 0;
        }
    }
    return 1;
}

int sd_fields_set_new(sd_fields *f, const char *key, json_t *v)
{
    apr_size_t klen = strlen(key);
    entry *e;
    char *q;

    if (!v) {
        return -1;
    }
    if (!f->obj && integer_like(key) && !sd_fields_object(f)) {
        json_decref(v);
        return -1;
    }
    if (f->obj) {
        return json_object_set_new(f->obj, key, v);
    }
    if (!sd_json_scan_utf8(key, klen)) {
        json_decref(v);
        return -1;
    }
    sd_json_track(f->p, v);
    if ((e = find(f, key)) == NULL) {
        if (f->n == f->cap) {
            entry *grown = apr_pcalloc(f->p, (apr_size_t)(f->cap * 2) * sizeof(*grown));
            memcpy(grown, f->e, (apr_size_t)f->n * sizeof(*grown));
            f->e = grown;
            f->cap *= 2;
        }
        e = &f->e[f->n++];
        e->key = apr_pstrmemdup(f->p, key, klen);
        e->klen = klen;
        q = apr_palloc(f->p, 6 * klen + 2);
        e->qkey = q;
        e->qklen = sd_json_scan_quote(q, key, klen);
    }
    /* The caller may still modify v through its pointer (json_object_set_new
     * allows it), so it is dumped afresh each time. */
    e->text = NULL;
    e->value = v;
    e->mutated = 1;
    return 0;
}

void sd_fields_del(sd_fields *f, const char *key)
{
    entry *e;
    if (f->obj) {
        json_object_del(f->obj, key);
    }
    else if ((e = find(f, key)) != NULL) {
        e->deleted = 1;
    }
}

json_t *sd_fields_object(sd_fields *f)
{
    json_t *obj;
    if (f->obj) {
        return f->obj;
    }
    obj = sd_json_track(f->p, json_object());
    if (!obj) {
        return NULL;
    }
    for (int i = 0; i < f->n; ++i) {
        entry *e = &f->e[i];
        if (e->deleted) {
            continue;
        }
        if (!value_of(f, e) || json_object_setn_nocheck(obj, e->key, e->klen, e->value) != 0) {
            return NULL;
        }
    }
    f->obj = obj;
    return obj;
}

/* The value's text: as stored while untouched, else its dump (kept until
 * it is set again, unless it was handed out to be modified). */
static int text_of(sd_fields *f, entry *e)
{
    if (!e->text || e->mutated) {
        e->text = sd_json_dump(f->p, e->value, &e->text_len);
    }
    return e->text != NULL;
}

static char *join(sd_fields *f, const char *except, int braces, apr_size_t *len)
{
    apr_size_t total = 2, exlen = except ? strlen(except) : 0, o = 0;
    char *buf;
    int first = 1;

    for (int i = 0; i < f->n; ++i) {
        entry *e = &f->e[i];
        if (e->deleted || (except && e->klen == exlen && memcmp(e->key, except, exlen) == 0)) {
            continue;
        }
        if (!text_of(f, e)) {
            return NULL;
        }
        total += e->qklen + e->text_len + 2;
    }
    buf = apr_palloc(f->p, total + 1);
    if (braces) {
        buf[o++] = '{';
    }
    for (int i = 0; i < f->n; ++i) {
        entry *e = &f->e[i];
        if (e->deleted || (except && e->klen == exlen && memcmp(e->key, except, exlen) == 0)) {
            continue;
        }
        if (!first || !braces) {
            buf[o++] = ',';
        }
        first = 0;
        memcpy(buf + o, e->qkey, e->qklen);
        o += e->qklen;
        buf[o++] = ':';
        memcpy(buf + o, e->text, e->text_len);
        o += e->text_len;
    }
    if (braces) {
        buf[o++] = '}';
    }
    buf[o] = '\0';
    *len = o;
    return buf;
}

char *sd_fields_dump(sd_fields *f, apr_size_t *len)
{
    apr_size_t n = 0;
    char *out = f->obj ? sd_json_dump(f->p, f->obj, &n) : join(f, NULL, 1, &n);
    if (len) {
        *len = n;
    }
    return out;
}

char *sd_fields_members(sd_fields *f, const char *except, apr_size_t *len)
{
    char *out;
    if (f->obj) {
        *len = 0;
        return NULL;
    }
    out = join(f, except, 0, len);
    if (!out) {
        *len = 1;
    }
    return out;
}
