/* The demo application: a route table (method, path, function), the view
 * models, and the error pages. Talks to the session unit, never memcached. */
#ifndef SD_ROUTES_H
#define SD_ROUTES_H

#include <httpd.h>

#include "sd_config.h"

/* Compiles the templates the routes render (home, login, profile, error)
 * from dir. Returns NULL with *err ("file:line: problem") on failure. */
const sd_views *sd_routes_load_views(apr_pool_t *p, const char *dir,
                                     const char **err);

/* Serves one request for `SetHandler sessiondemo`. */
int sd_routes_handle(request_rec *r, const sd_config *conf);

#endif
