/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* AuthType sessiondemo: the session as httpd authentication for any
 * content (static files, CGI, proxied backends), with httpd's own authz
 * (Require valid-user, Require user NAME) deciding. */
#ifndef SD_GATE_H
#define SD_GATE_H

#include <httpd.h>

/* check_authn hook for AuthType sessiondemo: OK with r->user for a
 * logged-in session of this realm; a guest gets a 302 to SessionDemoLoginURL
 * (with next) when it asks for an HTML page, else 401; 503 when the store
 * cannot answer. The session is read once per request and refreshed when
 * its idle deadline is due, never from a subrequest nor with
 * SessionDemoLock Off. */
int sd_gate_check_authn(request_rec *r);

/* post_read_request hook: removes the client's copy of the
 * SessionDemoPassUser header, on every request, guest or not. */
int sd_gate_strip_header(request_rec *r);

/* fixups hook: with SessionDemoStripCookie On, removes every session
 * cookie name of the httpd from every request's Cookie header, so no static
 * file, CGI or backend sees the bearer token; the module's own handlers
 * read the removed pairs from the notes (sd_session_stash_cookie). */
int sd_gate_strip_cookie(request_rec *r);

#endif
