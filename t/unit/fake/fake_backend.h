/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* An in-process backend (sd_backend.h) of up to 8 servers for the unit
 * tests: each can be made frozen (its prober has not noticed yet: commands
 * time out, but like a stopped memcached whose kernel buffered them, it
 * carries them out when thawed), away (its prober has: not usable),
 * refusing, emptied (a restart) or left stale (it keeps what it had). */
#ifndef SD_FAKE_BACKEND_H
#define SD_FAKE_BACKEND_H

#include "sd_backend.h"

#define FAKE_SERVERS 8
#define FAKE_KEYS 64

typedef enum { FAKE_UP, FAKE_AWAY, FAKE_FROZEN, FAKE_REFUSING } fake_state;

typedef struct {
    char key[256];
    char value[1024];
    apr_size_t len;
    apr_uint16_t flags;
    int used;
} fake_item;

#define FAKE_QUEUE 16

typedef struct {
    char op;                  /* 'w'rite, 'a'dd, 'r'emove                 */
    char key[256];
    char value[1024];
    apr_size_t len;
    apr_uint16_t flags;
} fake_queued;

typedef struct {
    fake_state state;
    fake_item items[FAKE_KEYS];
    int writes, gets;
    fake_queued queue[FAKE_QUEUE];   /* sent while frozen, unanswered      */
    int queued;
} fake_server;

typedef struct {
    fake_server servers[FAKE_SERVERS];
    sd_backend backend;
    const char *names[FAKE_SERVERS];
} fake_backend;

void fake_backend_init(fake_backend *f, int n);
void fake_backend_empty(fake_backend *f, int server);
/* The server's copy of key, or NULL. */
const char *fake_backend_value(fake_backend *f, int server, const char *key);
void fake_backend_put(fake_backend *f, int server, const char *key, const char *value);
/* Carries out what was sent to the server while it was frozen, and
 * leaves it in `now` (up or away). */
void fake_backend_thaw(fake_backend *f, int server, fake_state now);

#endif
