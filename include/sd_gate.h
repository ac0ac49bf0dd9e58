/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* AuthType sessiondemo: the session as httpd authentication for any
 * content (static files, CGI, proxied backends), with httpd's own authz
 * (Require valid-user, Require user NAME) deciding. */
#ifndef SD_GATE_H
#define SD_GATE_H

#include <httpd.h>

/* check_authn hook: DECLINED unless the request's AuthType is
 * sessiondemo; OK with r->user set for a logged-in session of this
 * server's realm; for a guest, 302 to SessionDemoLoginURL (with the
 * original path as next) when it asks for a page with GET or HEAD and
 * accepts HTML, else 401 (no WWW-Authenticate); 503 when the store cannot
 * answer. The session is read once per request, also for subrequests and
 * internal redirects, and refreshed (written, with a new Set-Cookie in
 * err_headers_out) when its idle deadline is due and would move, as the
 * app's read-only pages do; never from a subrequest, nor with
 * SessionDemoLock Off. */
int sd_gate_check_authn(request_rec *r);

/* post_read_request hook: removes the client's copy of the
 * SessionDemoPassUser header, on every request, guest or not. */
int sd_gate_strip_header(request_rec *r);

/* fixups hook: with SessionDemoStripCookie On (the default), removes every
 * session cookie name of the httpd (each SessionDemoCookieName of a server
 * with a secret, and every SessionDemoStripCookieName) from the Cookie
 * header(s) of every request, whatever its handler: static files, CGI,
 * proxied backends never see the bearer token. Every other cookie stays
 * byte for byte. The removed pairs stay reachable for the module's own
 * handlers in the request's notes (sd_session_stash_cookie). */
int sd_gate_strip_cookie(request_rec *r);

#endif
