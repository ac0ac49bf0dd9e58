/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
#include "fake_backend.h"

#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fake_item *find(fake_server *s, const char *key)
{
    for (int i = 0; i < FAKE_KEYS; ++i) {
        if (s->items[i].used && strcmp(s->items[i].key, key) == 0) {
            return &s->items[i];
        }
    }
    return NULL;
}

static sd_backend_result reachable(fake_server *s)
{
    return s->state == FAKE_FROZEN || s->state == FAKE_AWAY ? SD_BACKEND_DOWN : SD_BACKEND_OK;
}

static void store_item(fake_server *s, const char *key, const char *val, apr_size_t len,
                       apr_uint16_t flags)
{
    fake_item *it = find(s, key);
    for (int i = 0; !it && i < FAKE_KEYS; ++i) {
        if (!s->items[i].used) {
            it = &s->items[i];
        }
    }
    if (!it || len >= sizeof(it->value)) {
        return;
    }
    it->used = 1;
    apr_cpystrn(it->key, key, sizeof(it->key));
    memcpy(it->value, val, len);
    it->value[len] = '\0';
    it->len = len;
    it->flags = flags;
    ++s->writes;
}

/* A command to a frozen server: no reply, but carried out on the thaw. */
static void enqueue(fake_server *s, char op, const char *key, const char *val, apr_size_t len,
                    apr_uint16_t flags)
{
    fake_queued *q;
    if (s->state != FAKE_FROZEN || s->queued >= FAKE_QUEUE || len >= sizeof(q->value)) {
        return;
    }
    q = &s->queue[s->queued++];
    q->op = op;
    apr_cpystrn(q->key, key, sizeof(q->key));
    memcpy(q->value, val, len);
    q->len = len;
    q->flags = flags;
}

static sd_backend_result f_get(void *b, int i, const sd_backend_call *call, const char *key,
                               char **val, apr_size_t *len, apr_uint16_t *flags)
{
    fake_server *s = &((fake_backend *)b)->servers[i];
    fake_item *it;
    ++s->gets;
    if (reachable(s) != SD_BACKEND_OK) {
        return SD_BACKEND_DOWN;
    }
    if (!(it = find(s, key))) {
        return SD_BACKEND_MISS;
    }
    *val = apr_pstrmemdup(call->pool, it->value, it->len);
    *len = it->len;
    *flags = it->flags;
    return SD_BACKEND_OK;
}

static sd_backend_result f_write(void *b, int i, const sd_backend_call *call, const char *key,
                                 const char *val, apr_size_t len, apr_uint32_t exptime,
                                 apr_uint16_t flags)
{
    fake_server *s = &((fake_backend *)b)->servers[i];
    (void)call; (void)exptime;
    if (reachable(s) != SD_BACKEND_OK) {
        enqueue(s, 'w', key, val, len, flags);
        return SD_BACKEND_DOWN;
    }
    if (s->state == FAKE_REFUSING) {
        return SD_BACKEND_REFUSED;   /* and, like replace, keeps the old copy */
    }
    store_item(s, key, val, len, flags);
    return SD_BACKEND_OK;
}

static sd_backend_result f_add(void *b, int i, const sd_backend_call *call, const char *key,
                               const char *val, apr_size_t len, apr_uint32_t exptime,
                               apr_uint16_t flags)
{
    fake_server *s = &((fake_backend *)b)->servers[i];
    if (reachable(s) != SD_BACKEND_OK) {
        enqueue(s, 'a', key, val, len, flags);
        return SD_BACKEND_DOWN;
    }
    if (s->state != FAKE_REFUSING && find(s, key)) {
        return SD_BACKEND_EXISTS;
    }
    return f_write(b, i, call, key, val, len, exptime, flags);
}

static sd_backend_result f_remove(void *b, int i, const sd_backend_call *call, const char *key)
{
    fake_server *s = &((fake_backend *)b)->servers[i];
    fake_item *it;
    (void)call;
    if (reachable(s) != SD_BACKEND_OK) {
        enqueue(s, 'r', key, "", 0, 0);
        return SD_BACKEND_DOWN;
    }
    if ((it = find(s, key)) != NULL) {
        it->used = 0;
    }
    return SD_BACKEND_OK;
}

static int f_usable(void *b, int i)
{
    return ((fake_backend *)b)->servers[i].state != FAKE_AWAY;
}

static apr_size_t f_item_size_max(void *b, int i)
{
    (void)b; (void)i;
    return 1024;
}

static sd_backend_result f_incr(void *b, int i, const sd_backend_call *call, const char *key,
                                apr_int32_t delta, apr_uint32_t *value)
{
    fake_server *s = &((fake_backend *)b)->servers[i];
    fake_item *it;
    char text[16];
    long long now;
    (void)call;
    if (reachable(s) != SD_BACKEND_OK) {
        return SD_BACKEND_DOWN;
    }
    if (!(it = find(s, key))) {
        return SD_BACKEND_MISS;
    }
    now = (long long)strtoul(it->value, NULL, 10) + delta;
    *value = now < 0 ? 0 : (apr_uint32_t)now;   /* memcached's decr stops at 0 */
    snprintf(text, sizeof(text), "%u", (unsigned)*value);
    store_item(s, key, text, strlen(text), it->flags);
    return SD_BACKEND_OK;
}

static const sd_backend_ops fake_ops = { f_get, f_write, f_add, f_remove, f_usable,
                                         f_item_size_max, f_incr };

void fake_backend_init(fake_backend *f, int n)
{
    static const char *const names[FAKE_SERVERS] = {
        "10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211", "10.0.0.4:11211",
        "10.0.0.5:11211", "10.0.0.6:11211", "10.0.0.7:11211", "10.0.0.8:11211"
    };
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < FAKE_SERVERS; ++i) {
        f->names[i] = names[i];
    }
    f->backend.ops = &fake_ops;
    f->backend.baton = f;
    f->backend.nservers = n;
    f->backend.names = f->names;
}

void fake_backend_empty(fake_backend *f, int server)
{
    memset(f->servers[server].items, 0, sizeof(f->servers[server].items));
}

const char *fake_backend_value(fake_backend *f, int server, const char *key)
{
    fake_item *it = find(&f->servers[server], key);
    return it ? it->value : NULL;
}

void fake_backend_put(fake_backend *f, int server, const char *key, const char *value)
{
    store_item(&f->servers[server], key, value, strlen(value), 2);
}

void fake_backend_thaw(fake_backend *f, int server, fake_state now)
{
    fake_server *s = &f->servers[server];
    for (int i = 0; i < s->queued; ++i) {
        fake_queued *q = &s->queue[i];
        fake_item *it = find(s, q->key);
        if (q->op == 'r') {
            if (it) {
                it->used = 0;
            }
        }
        else if (q->op == 'w' || !it) {
            store_item(s, q->key, q->value, q->len, q->flags);
        }
    }
    s->queued = 0;
    s->state = now;
}
