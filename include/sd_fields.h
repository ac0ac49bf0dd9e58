/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The app's fields of a session (every stored member but "cookie"), with
 * jansson object semantics (insertion order; a replaced member keeps its
 * place, a deleted and re-added one goes last). Loaded from canonical
 * stored text they are kept as that text and decoded member by member on
 * first use, and dumped by copying the text of the members nobody touched:
 * a view reads three members and changes one, and pays for no more. Pure. */
#ifndef SD_FIELDS_H
#define SD_FIELDS_H

#include <apr_pools.h>
#include <jansson.h>

#include "sd_json_scan.h"

typedef struct sd_fields sd_fields;

/* Fields held in obj (tracked by the caller's pool); NULL when out of memory. */
sd_fields *sd_fields_wrap(apr_pool_t *p, json_t *obj);

/* Fields read in place: members[0..n) of a text sd_json_scan_object
 * accepted (which must live as long as p). NULL when out of memory. */
sd_fields *sd_fields_scanned(apr_pool_t *p, const sd_json_scan_member *members, int n);

/* The member's value, or NULL. Borrowed: valid as long as the pool. Not to
 * be modified (use sd_fields_get_mut). */
const json_t *sd_fields_get(sd_fields *f, const char *key);

/* The member's value, to be modified in place; NULL when absent. */
json_t *sd_fields_get_mut(sd_fields *f, const char *key);

/* Sets a member, taking the reference to v (as json_object_set_new).
 * Returns 0, or -1 (v released) when out of memory or key is not UTF-8. */
int sd_fields_set_new(sd_fields *f, const char *key, json_t *v);

void sd_fields_del(sd_fields *f, const char *key);

/* All fields as one mutable jansson object (tracked by the pool); from
 * then on they are that object. NULL when out of memory. */
json_t *sd_fields_object(sd_fields *f);

/* Exactly sd_json_dump of sd_fields_object, without building it when the
 * fields are read in place. NULL when out of memory or nested too deep. */
char *sd_fields_dump(sd_fields *f, apr_size_t *len);

/* When the fields are still read in place: each member but `except`
 * (NULL: none) as ",\"key\":value", in order, into one buffer, which is how
 * sd_json_dump would write them inside an object; NULL otherwise (then use
 * sd_fields_object), or when out of memory (*len is then 1). */
char *sd_fields_members(sd_fields *f, const char *except, apr_size_t *len);

#endif
