/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The replica layer (docs/cluster.md). Every copy carries a generation, so
 * no server needs flushing: a replica back stale or empty is outvoted on
 * reads, repaired when seen behind, and replayed the keys written while it
 * was away (hinted handoff). A logout is a newer generation (a tombstone). */
#include "sd_store.h"

#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <string.h>
#include <unistd.h>

#define SD_STORE_MAX_COPIES 4         /* 1 + SessionDemoReplicas, at most  */
#define SD_STORE_KEY_MAX 251          /* memcached's 250, and a NUL        */
#define SD_STORE_TOKEN_MAX 96
#define SD_STORE_REPAIR_LOCK_TTL 5
/* What an item costs memcached besides key and value (header, CAS, flags,
 * CRLF, with room to spare). */
#define SD_STORE_ITEM_OVERHEAD 96
/* A replay that keeps failing is given up (counted as dropped) after this
 * many probes. */
#define SD_STORE_REPLAY_TRIES 8

/* What a server missed while away: a write of `key` (token ""), or the
 * removal of our lock `key` holding `token`. */
typedef struct {
    char key[SD_STORE_KEY_MAX];
    char lock_key[SD_STORE_KEY_MAX];  /* a write's lock; "" for none      */
    char token[SD_STORE_TOKEN_MAX];
    apr_uint64_t missing;             /* bit i: server i missed it         */
    int tries;                        /* replays that failed so far        */
} hint;

struct sd_store {
    const sd_backend *be;
    const sd_ring *ring;
    int copies;
    sd_store_format format;
    sd_stats *stats;
    sd_store_log_fn log;
    void *log_baton;
    apr_thread_mutex_t *hints_lock;
    hint *hints;
    int nhints;
    volatile apr_uint64_t pending;    /* bit i: some hint names server i  */
    volatile apr_uint32_t refused_at[64]; /* second of server i's last refusal */
    volatile apr_uint32_t divergence_logged;
    volatile apr_uint32_t hints_full_logged;
    volatile apr_uint32_t replays;
    sd_store_local_lock local;
    sd_store_validator validator;
    int *error_slot;                  /* server i's in stats->servers     */
};

sd_store *sd_store_create(apr_pool_t *p, const sd_backend *backend, const sd_ring *ring,
                          int copies, sd_store_format format, sd_stats *stats,
                          sd_store_log_fn log, void *log_baton, int hints)
{
    sd_store *st = apr_pcalloc(p, sizeof(*st));
    st->be = backend;
    st->ring = ring;
    st->copies = copies < 1 ? 1 : copies > SD_STORE_MAX_COPIES ? SD_STORE_MAX_COPIES : copies;
    st->format = format;
    st->stats = stats;
    st->log = log;
    st->log_baton = log_baton;
    st->nhints = hints;
    st->error_slot = apr_palloc(p, sizeof(int) * (apr_size_t)(backend->nservers + 1));
    for (int i = 0; i < backend->nservers; ++i) {
        st->error_slot[i] = sd_stats_server_find(stats, backend->names[i]);
    }
    st->hints = apr_pcalloc(p, sizeof(hint) * (apr_size_t)(hints > 0 ? hints : 1));
    if (apr_thread_mutex_create(&st->hints_lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) {
        st->nhints = 0;
    }
    return st;
}

/* The replica set of a key (of its hash tag: sd_ring.h), primary first. */
static int targets_for(const sd_store *st, const char *key, int *out)
{
    if (st->be->nservers == 1) {
        out[0] = 0;
        return 1;
    }
    return sd_ring_lookup(st->ring, key, strlen(key), out, st->copies);
}

static int usable(const sd_store *st, int server)
{
    return st->be->ops->usable(st->be->baton, server);
}

static apr_uint32_t wire_exptime(apr_int64_t ttl_seconds)
{
    if (ttl_seconds < 1) {
        ttl_seconds = 1;  /* 0 would mean "never expires" */
    }
    if (ttl_seconds > SD_BACKEND_RELATIVE_TTL_MAX) {
        return (apr_uint32_t)(apr_time_sec(apr_time_now()) + ttl_seconds);
    }
    return (apr_uint32_t)ttl_seconds;
}

/* Counted for the key's primary (t[0]): the errors by server add up. */
static sd_store_result counted(sd_store *st, const int *t, sd_store_result res)
{
    if (res == SD_STORE_DOWN || res == SD_STORE_ERROR) {
        SD_STATS_INC(st->stats, store_errors);
        if (st->stats && st->error_slot[t[0]] >= 0) {
            SD_STATS_INC(&st->stats->servers[st->error_slot[t[0]]], store_errors);
        }
    }
    return res;
}

/* Notes that server missed a write of key (token "") or a lock removal,
 * for sd_store_replay. */
static void remember(sd_store *st, const sd_backend_call *call, const char *key,
                     const char *lock_key, const char *token, apr_size_t token_len,
                     int server, int tries)
{
    hint *slot = NULL, *free_slot = NULL;
    if (!st->nhints || server >= 64 || strlen(key) >= SD_STORE_KEY_MAX
        || (lock_key && strlen(lock_key) >= SD_STORE_KEY_MAX) || token_len >= SD_STORE_TOKEN_MAX) {
        return;
    }
    apr_thread_mutex_lock(st->hints_lock);
    for (int i = 0; i < st->nhints && !slot; ++i) {
        hint *h = &st->hints[i];
        if (h->missing && strcmp(h->key, key) == 0 && strlen(h->token) == token_len
            && memcmp(h->token, token, token_len) == 0) {
            slot = h;
        }
        else if (!h->missing && !free_slot) {
            free_slot = h;
        }
    }
    if (!slot && free_slot) {
        slot = free_slot;
        apr_cpystrn(slot->key, key, sizeof(slot->key));
        apr_cpystrn(slot->lock_key, lock_key ? lock_key : "", sizeof(slot->lock_key));
        memcpy(slot->token, token, token_len);
        slot->token[token_len] = '\0';
        slot->tries = tries;
    }
    if (slot) {
        slot->missing |= (apr_uint64_t)1 << server;
        st->pending |= slot->missing;
    }
    apr_thread_mutex_unlock(st->hints_lock);
    if (!slot) {
        SD_STATS_INC(st->stats, hints_dropped);
        if (st->log && apr_atomic_xchg32(&st->hints_full_logged, 1) == 0) {
            st->log(st->log_baton, call->request, "the table of writes a returning replica missed is"
                    " full; further ones are repaired only when a read sees them");
        }
    }
}

/* A server that refuses writes (memory full) would fill the hints: for
 * SD_STORE_REFUSAL_QUIET seconds after a refusal, reads repair it instead. */
#define SD_STORE_REFUSAL_QUIET 30

static int refusing(const sd_store *st, int server)
{
    apr_uint32_t at = server < 64 ? st->refused_at[server] : 0;
    return at && (apr_uint32_t)apr_time_sec(apr_time_now()) - at < SD_STORE_REFUSAL_QUIET;
}

static void refused_now(sd_store *st, int server)
{
    if (server < 64) {
        apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
        st->refused_at[server] = now ? now : 1;
    }
}

/* Removes our lock from one server if it still holds `token` (a bare
 * delete would free the next holder's: docs/security.md); a server that
 * does not answer may hold it: remembered for its return. */
static void unlock_one(sd_store *st, const sd_backend_call *call, const char *key,
                       const char *token, apr_size_t len, int server)
{
    const sd_backend_ops *ops = st->be->ops;
    char *v = NULL;
    apr_size_t l = 0;
    apr_uint16_t f = 0;
    sd_backend_result got = usable(st, server)
                                ? ops->get(st->be->baton, server, call, key, &v, &l, &f)
                                : SD_BACKEND_DOWN;
    if (got == SD_BACKEND_OK && l == len && memcmp(v, token, len) == 0) {
        got = ops->remove(st->be->baton, server, call, key);
    }
    if (got == SD_BACKEND_DOWN) {
        remember(st, call, key, NULL, token, len, server, 0);
    }
}

typedef struct {
    int server;
    sd_backend_result res;
    char *val;
    apr_size_t len;
    apr_uint16_t flags;
    int read;            /* h is read: only when copies are ranked */
    sd_store_header h;
} copy;

static int same_bytes(const copy *a, const copy *b)
{
    return a->len == b->len && memcmp(a->val, b->val, a->len) == 0;
}

static const sd_store_header *header(const sd_store *st, copy *c)
{
    if (!c->read) {
        st->format(c->val, c->len, apr_time_now(), &c->h);
        c->read = 1;
    }
    return &c->h;
}

int sd_store_newer(const sd_store_header *a, const sd_store_header *b)
{
    /* A logout is final, whatever the generations: a live copy of a higher
     * generation can only come from a front-end that missed it. */
    if (a->ended != b->ended) {
        return a->ended - b->ended;
    }
    return a->gen == b->gen ? 0 : a->gen > b->gen ? 1 : -1;
}

int sd_store_tiebreak(const sd_store_header *a, const char *av, apr_size_t alen,
                      const sd_store_header *b, const char *bv, apr_size_t blen)
{
    int c;
    if (a->saved != b->saved) {
        return a->saved > b->saved ? 1 : -1;
    }
    c = memcmp(av, bv, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static int newer(const sd_store *st, copy *a, copy *b)
{
    return sd_store_newer(header(st, a), header(st, b));
}

/* Brings copy c to best. Without the lock only a missing copy may be
 * written (add); an older one, or a failed repair, is left to the replay. */
static void repair(sd_store *st, const sd_backend_call *call, const char *key,
                   const char *lock_key, copy *best, const copy *c,
                   sd_store_read_mode mode)
{
    const sd_backend_ops *ops = st->be->ops;
    apr_uint32_t exptime = wire_exptime(header(st, best)->ttl);
    sd_backend_result r;

    if (mode == SD_STORE_LOCKED) {
        r = ops->write(st->be->baton, c->server, call, key, best->val, best->len, exptime,
                       best->flags);
    }
    else if (c->res == SD_BACKEND_MISS) {
        r = ops->add(st->be->baton, c->server, call, key, best->val, best->len, exptime,
                     best->flags);
    }
    else {
        r = SD_BACKEND_DOWN;  /* an older copy: only a lock holder may overwrite it */
    }
    if (r == SD_BACKEND_OK) {
        SD_STATS_INC(st->stats, repairs);
    }
    else if (r == SD_BACKEND_REFUSED) {
        refused_now(st, c->server);
    }
    else if (r != SD_BACKEND_EXISTS && lock_key && !refusing(st, c->server)) {
        remember(st, call, key, lock_key, "", 0, c->server, 0);
    }
}

static int accepted(sd_store *st, const sd_backend_call *call, const char *key,
                    const char *val, apr_size_t len, apr_uint16_t flags)
{
    return !st->validator.valid
           || st->validator.valid(st->validator.baton, call->pool, key, val, len, flags) != 0;
}

/* Which copies may be ranked (ok[i]): the validator is asked only when the
 * copies differ (their reader opens the one returned anyway). Returns
 * whether any is accepted. */
static int validate(sd_store *st, const sd_backend_call *call, const char *key, const copy *c,
                    int nc, int *ok)
{
    int first = -1, differ = 0, any = 0;
    for (int i = 0; i < nc; ++i) {
        ok[i] = c[i].res == SD_BACKEND_OK;
        if (ok[i] && first < 0) {
            first = i;
        }
        differ |= ok[i] && !same_bytes(&c[i], &c[first]);
    }
    for (int i = 0; i < nc; ++i) {
        if (differ && ok[i]) {
            ok[i] = accepted(st, call, key, c[i].val, c[i].len, c[i].flags);
        }
        any |= ok[i];
    }
    return any;
}

sd_store_result sd_store_read(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *lock_key, sd_store_read_mode mode, char **val,
                              apr_size_t *len, apr_uint16_t *flags)
{
    const sd_backend_ops *ops = st->be->ops;
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t), nc = 0, best = -1;
    int ok[SD_STORE_MAX_COPIES], any_ok;
    copy c[SD_STORE_MAX_COPIES];
    sd_store_result none = SD_STORE_DOWN;

    for (int i = 0; i < n; ++i) {
        if (!usable(st, t[i])) {
            continue;
        }
        c[nc] = (copy){ .server = t[i] };
        c[nc].res = ops->get(st->be->baton, t[i], call, key, &c[nc].val, &c[nc].len,
                             &c[nc].flags);
        if (c[nc].res == SD_BACKEND_MISS) {
            none = SD_STORE_NOTFOUND;
        }
        else if (none == SD_STORE_DOWN && c[nc].res == SD_BACKEND_REFUSED) {
            none = SD_STORE_ERROR;
        }
        ++nc;
    }
    any_ok = validate(st, call, key, c, nc, ok);
    for (int i = 0; i < nc; ++i) {
        int cmp;
        if (c[i].res != SD_BACKEND_OK || (any_ok && !ok[i])) {
            continue;
        }
        cmp = best < 0 ? 1 : newer(st, &c[i], &c[best]);
        if (cmp == 0 && !same_bytes(&c[i], &c[best])) {
            SD_STATS_INC(st->stats, divergences);
            if (st->log && apr_atomic_xchg32(&st->divergence_logged, 1) == 0) {
                st->log(st->log_baton, call->request, apr_psprintf(call->pool,
                        "replicas of %s hold two different copies of one"
                        " generation (front-ends that saw different servers"
                        " as down both wrote it); the later save is kept, the"
                        " other change is lost (logged once per process)", key));
            }
            cmp = sd_store_tiebreak(&c[i].h, c[i].val, c[i].len, &c[best].h, c[best].val,
                                    c[best].len);
        }
        if (cmp > 0) {
            best = i;
        }
    }
    if (best < 0) {
        return mode == SD_STORE_LOOK ? none : counted(st, t, none);
    }
    /* Older copies, refused ones and the losing side of a divergence are
     * brought to the kept one, unless it is itself refused. */
    for (int i = 0; i < nc && st->copies > 1 && ok[best]; ++i) {
        if (i != best && (c[i].res == SD_BACKEND_MISS
                          || (c[i].res == SD_BACKEND_OK && !same_bytes(&c[best], &c[i])
                              && (!ok[i] || newer(st, &c[best], &c[i]) >= 0)))) {
            repair(st, call, key, lock_key, &c[best], &c[i], mode);
        }
    }
    *val = c[best].val;
    *len = c[best].len;
    *flags = c[best].flags;
    return SD_STORE_OK;
}

sd_store_result sd_store_write(sd_store *st, const sd_backend_call *call, const char *key,
                               const char *lock_key, const char *val, apr_size_t len,
                               apr_int64_t ttl_seconds, apr_uint16_t flags)
{
    const sd_backend_ops *ops = st->be->ops;
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t), stored = 0;
    sd_store_result worst = SD_STORE_DOWN;
    apr_uint32_t exptime = wire_exptime(ttl_seconds);

    for (int i = 0; i < n; ++i) {
        sd_backend_result r = usable(st, t[i])
            ? ops->write(st->be->baton, t[i], call, key, val, len, exptime, flags)
            : SD_BACKEND_DOWN;
        if (r == SD_BACKEND_OK) {
            ++stored;
            continue;
        }
        /* A server that keeps refusing is left to reads that see it behind. */
        if (n > 1 && (r != SD_BACKEND_REFUSED || !refusing(st, t[i]))) {
            remember(st, call, key, lock_key, "", 0, t[i], 0);
        }
        if (r == SD_BACKEND_REFUSED) {
            worst = SD_STORE_ERROR;
            refused_now(st, t[i]);
        }
    }
    return stored ? SD_STORE_OK : counted(st, t, worst);
}

sd_store_result sd_store_add(sd_store *st, const sd_backend_call *call, const char *key,
                             const char *lock_key, const char *val, apr_size_t len,
                             apr_int64_t ttl_seconds, apr_uint16_t flags)
{
    const sd_backend_ops *ops = st->be->ops;
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t), first;
    apr_uint32_t exptime = wire_exptime(ttl_seconds);
    sd_store_result res = SD_STORE_DOWN;

    /* A replica that fails to answer passes the add to the next one; only
     * "exists" or a refusal ends the search. */
    for (first = 0; first < n; ++first) {
        if (!usable(st, t[first])) {
            continue;
        }
        res = (sd_store_result)ops->add(st->be->baton, t[first], call, key, val, len, exptime,
                                        flags);
        if (res != SD_STORE_DOWN) {
            break;
        }
    }
    for (int i = 0; i < n && res == SD_STORE_OK; ++i) {
        if (i != first
            && (i < first || !usable(st, t[i])
                || ops->write(st->be->baton, t[i], call, key, val, len, exptime, flags)
                   == SD_BACKEND_DOWN)) {
            remember(st, call, key, lock_key, "", 0, t[i], 0);
        }
    }
    return counted(st, t, res);
}

sd_store_result sd_store_remove(sd_store *st, const sd_backend_call *call, const char *key)
{
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t), answered = 0;
    sd_store_result worst = SD_STORE_OK;

    for (int i = 0; i < n; ++i) {
        sd_backend_result r;
        if (!usable(st, t[i])) {
            continue;
        }
        r = st->be->ops->remove(st->be->baton, t[i], call, key);
        if (r == SD_BACKEND_OK || r == SD_BACKEND_MISS) {
            ++answered;
        }
        else {
            worst = (sd_store_result)r;
        }
    }
    return counted(st, t, !answered && worst == SD_STORE_OK ? SD_STORE_DOWN : worst);
}

sd_store_result sd_store_counter(sd_store *st, const sd_backend_call *call, const char *key,
                                 apr_int32_t delta, apr_int64_t ttl_seconds,
                                 apr_uint32_t *value)
{
    const sd_backend_ops *ops = st->be->ops;
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t);
    char text[16];

    *value = 0;
    for (int i = 0; i < n; ++i) {
        sd_backend_result r;
        if (!usable(st, t[i])) {
            continue;
        }
        r = ops->incr(st->be->baton, t[i], call, key, delta, value);
        if (r == SD_BACKEND_MISS && delta > 0) {
            /* A window's first count: the loser of a race counts on. */
            apr_snprintf(text, sizeof(text), "%d", (int)delta);
            r = ops->add(st->be->baton, t[i], call, key, text, strlen(text),
                         wire_exptime(ttl_seconds), 0);
            if (r == SD_BACKEND_OK) {
                *value = (apr_uint32_t)delta;
            }
            else if (r == SD_BACKEND_EXISTS) {
                r = ops->incr(st->be->baton, t[i], call, key, delta, value);
            }
        }
        if (r != SD_BACKEND_DOWN) {
            return counted(st, t, (sd_store_result)r);
        }
    }
    return counted(st, t, SD_STORE_DOWN);
}

sd_store_result sd_store_lock(sd_store *st, const sd_backend_call *call, const char *key,
                              const char *token, apr_size_t len, apr_int64_t ttl_seconds,
                              apr_uint64_t *sent)
{
    const sd_backend_ops *ops = st->be->ops;
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t), held[SD_STORE_MAX_COPIES];
    int nheld = 0;
    apr_uint32_t exptime = wire_exptime(ttl_seconds);
    sd_store_result res = SD_STORE_DOWN;
    apr_uint64_t unanswered = 0;

    *sent = 0;
    /* Two requests that disagree on a returning server's health still
     * meet on one replica. */
    for (int i = 0; i < n; ++i) {
        sd_store_result one;
        if (!usable(st, t[i])) {
            continue;
        }
        *sent |= (apr_uint64_t)1 << t[i];
        one = (sd_store_result)ops->add(st->be->baton, t[i], call, key, token, len, exptime, 0);
        if (one == SD_STORE_OK) {
            held[nheld++] = t[i];
            res = SD_STORE_OK;
        }
        else if (one == SD_STORE_DOWN) {
            unanswered |= (apr_uint64_t)1 << t[i];
        }
        else if (one == SD_STORE_ERROR) {
            /* Refused (memory full): others meet us on another replica. */
            res = res == SD_STORE_OK ? res : SD_STORE_ERROR;
        }
        else {
            for (int j = 0; j < nheld; ++j) {
                ops->remove(st->be->baton, held[j], call, key);
            }
            res = one;
            break;
        }
    }
    if (res != SD_STORE_OK) {
        /* Not ours after all: only the adds still in flight can leave one. */
        *sent = unanswered;
        for (int i = 0; i < n; ++i) {
            if (unanswered & ((apr_uint64_t)1 << t[i])) {
                remember(st, call, key, NULL, token, len, t[i], 0);
            }
        }
    }
    return counted(st, t, res);
}

void sd_store_unlock(sd_store *st, const sd_backend_call *call, const char *key,
                     const char *token, apr_size_t len, apr_uint64_t sent)
{
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t);

    for (int i = 0; i < n; ++i) {
        if (sent & ((apr_uint64_t)1 << t[i])) {
            unlock_one(st, call, key, token, len, t[i]);
        }
    }
}

typedef enum { REPLAY_DONE, REPLAY_NOTHING, REPLAY_LATER, REPLAY_FAILED } replay_result;

void sd_store_set_validator(sd_store *st, const sd_store_validator *validator)
{
    if (validator) {
        st->validator = *validator;
    }
}

void sd_store_set_local_lock(sd_store *st, const sd_store_local_lock *lock)
{
    if (lock) {
        st->local = *lock;
    }
}

/* Brings server's copy of h->key to the newest, under the session's locks:
 * this host's, then memcached's. */
static replay_result replay_one(sd_store *st, const sd_backend_call *call, const hint *h,
                                int server)
{
    const sd_backend_ops *ops = st->be->ops;
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, h->key, t), in_set = 0;
    const char *token = apr_psprintf(call->pool, "replay-%ld-%u", (long)getpid(),
                                     apr_atomic_inc32(&st->replays));
    copy kept = { 0 }, mine = { 0 };
    apr_uint64_t sent = 0;
    apr_time_t locked_at = apr_time_now();
    replay_result res = REPLAY_NOTHING;
    sd_store_result locked = SD_STORE_OK;
    sd_backend_result own;
    void *hold = NULL;
    int cmp;

    for (int i = 0; i < n; ++i) {
        in_set |= t[i] == server;
    }
    if (!in_set) {
        return REPLAY_NOTHING;
    }
    if (!usable(st, server)) {
        return REPLAY_LATER;  /* gone again: for its next return */
    }
    if (*h->lock_key && st->local.take
        && !st->local.take(st->local.baton, h->lock_key, SD_STORE_REPAIR_LOCK_TTL, call->pool,
                           &hold)) {
        return REPLAY_LATER;   /* a request of this host holds it */
    }
    if (*h->lock_key) {
        locked = sd_store_lock(st, call, h->lock_key, token, strlen(token),
                               SD_STORE_REPAIR_LOCK_TTL, &sent);
    }
    if (locked != SD_STORE_OK) {
        /* Busy: tried again at the next probe. */
        res = locked == SD_STORE_EXISTS ? REPLAY_LATER : REPLAY_FAILED;
    }
    else if ((own = ops->get(st->be->baton, server, call, h->key, &mine.val, &mine.len,
                             &mine.flags)) == SD_BACKEND_DOWN || own == SD_BACKEND_REFUSED) {
        res = REPLAY_FAILED;
    }
    else if (sd_store_read(st, call, h->key, NULL, SD_STORE_READ_ONLY, &kept.val, &kept.len,
                           &kept.flags)
             == SD_STORE_OK
             && accepted(st, call, h->key, kept.val, kept.len, kept.flags)
             && (own == SD_BACKEND_MISS
                 || (own == SD_BACKEND_OK
                     && (!accepted(st, call, h->key, mine.val, mine.len, mine.flags)
                         || (cmp = newer(st, &kept, &mine)) > 0
                         || (cmp == 0 && !same_bytes(&kept, &mine)))))) {
        apr_uint32_t exptime = wire_exptime(header(st, &kept)->ttl);
        /* After the lock's TTL a writer may have stored a newer copy. */
        if (*h->lock_key && apr_time_now() >= locked_at
                                               + apr_time_from_sec(SD_STORE_REPAIR_LOCK_TTL - 1)) {
            res = REPLAY_FAILED;
        }
        else {
            res = ops->write(st->be->baton, server, call, h->key, kept.val, kept.len, exptime,
                             kept.flags)
                  == SD_BACKEND_OK ? REPLAY_DONE : REPLAY_FAILED;
        }
    }
    if (*h->lock_key && locked == SD_STORE_OK) {
        sd_store_unlock(st, call, h->lock_key, token, strlen(token), sent);
    }
    if (hold) {
        st->local.give(st->local.baton, hold);
    }
    return res;
}

int sd_store_replay_pending(const sd_store *st, int server)
{
    return server < 64 && (st->pending & ((apr_uint64_t)1 << server)) != 0;
}

int sd_store_replay(sd_store *st, const sd_backend_call *call, int server,
                    int (*stop)(const void *baton), const void *stop_baton)
{
    int replayed = 0;
    apr_uint64_t bit = (apr_uint64_t)1 << server;
    apr_pool_t *each;
    sd_backend_call one;

    /* Nothing is pending without hints, nor for a server past bit 63. */
    if (!sd_store_replay_pending(st, server) || apr_pool_create(&each, call->pool) != APR_SUCCESS) {
        return 0;
    }
    one.pool = each;
    one.request = NULL;
    apr_thread_mutex_lock(st->hints_lock);
    st->pending &= ~bit;
    apr_thread_mutex_unlock(st->hints_lock);
    /* Our stale locks first: a replay takes the key's lock itself. */
    for (int pass = 0; pass < 2; ++pass) {
        for (int i = 0; i < st->nhints && usable(st, server)
                        && !(stop && stop(stop_baton)); ++i) {
            hint h;
            replay_result r;
            apr_thread_mutex_lock(st->hints_lock);
            h = st->hints[i];
            if ((h.missing & bit) && (pass == 0) == (h.token[0] != '\0')) {
                st->hints[i].missing &= ~bit;
            }
            else {
                h.missing = 0;
            }
            apr_thread_mutex_unlock(st->hints_lock);
            if (!(h.missing & bit)) {
                continue;
            }
            apr_pool_clear(each);   /* one hint's copies at a time */
            if (pass == 0) {
                unlock_one(st, &one, h.key, h.token, strlen(h.token), server);
                continue;
            }
            r = replay_one(st, &one, &h, server);
            if (r == REPLAY_DONE) {
                ++replayed;
            }
            else if (r == REPLAY_FAILED && h.tries + 1 >= SD_STORE_REPLAY_TRIES) {
                SD_STATS_INC(st->stats, hints_dropped);
            }
            else if (r != REPLAY_NOTHING) {
                remember(st, &one, h.key, h.lock_key, "", 0, server,
                         h.tries + (r == REPLAY_FAILED));
            }
        }
    }
    /* Hints left by a stop or a new outage keep the server pending. */
    apr_thread_mutex_lock(st->hints_lock);
    for (int i = 0; i < st->nhints && !(st->pending & bit); ++i) {
        st->pending |= st->hints[i].missing & bit;
    }
    apr_thread_mutex_unlock(st->hints_lock);
    apr_pool_destroy(each);
    SD_STATS_ADD(st->stats, replayed, replayed);
    return replayed;
}

apr_size_t sd_store_max_value(const sd_store *st, const char *key)
{
    int t[SD_STORE_MAX_COPIES], n = targets_for(st, key, t);
    apr_size_t overhead = strlen(key) + SD_STORE_ITEM_OVERHEAD, best = 0;

    for (int i = 0; i < n; ++i) {
        apr_size_t limit = st->be->ops->item_size_max(st->be->baton, t[i]);
        apr_size_t room = limit > overhead ? limit - overhead : 0;
        if (i == 0 || room < best) {
            best = room;
        }
    }
    return best;
}
