/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The per-directory record: the <Location> (or <Directory>) that sets
 * `SetHandler sessiondemo` is the app's mount, so the path is written once,
 * and a place may set SessionDemoLoginURL. check_config marks those
 * sections' records; a request's merged record names the innermost. */
#ifndef SD_MOUNT_H
#define SD_MOUNT_H

#include <httpd.h>
#include <http_config.h>

typedef struct sd_mount_dir sd_mount_dir;

void *sd_mount_create_dir(apr_pool_t *p, char *dir);
void *sd_mount_merge_dir(apr_pool_t *p, void *base, void *add);

/* Validated by the caller. */
void sd_mount_set_login_url(void *dir, const char *login_url);

/* NULL where the place sets none (the server's applies). */
const char *sd_mount_login_url(const request_rec *r);

/* At check_config, before the servers' configs are finalized: marks the
 * sections that set the handler, and records on each server's config
 * whether it serves the app or the gate (so it needs a secret) and its
 * first mount. NULL or an error naming the section at fault. */
const char *sd_mount_scan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* The request's mount without its last '/' ("" at /), or NULL when the
 * handler reached it through a section of the main server while this
 * virtual host mounts the app in sections of its own. */
const char *sd_mount_base(request_rec *r);

#endif
