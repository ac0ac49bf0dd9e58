/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* What the units below the routes, the gate and the status handler answer:
 * never an HTTP status; only those three turn it into one (sd_http_status). */
#ifndef SD_RESULT_H
#define SD_RESULT_H

typedef enum {
    SD_OK = 0,
    SD_BUSY,         /* a lock tried once is held by another request      */
    SD_UNAVAILABLE,  /* the store did not answer, or a lock was not had   */
    SD_TOO_LARGE,    /* the write would pass memcached's item size; nothing
                        was written                                        */
    SD_ENDED,        /* the session was ended instead of saved            */
    SD_NOT_FOUND,    /* nothing of the user's has that name               */
    SD_REFUSED,      /* input a rule refuses (the username rule)          */
    SD_DENIED,       /* the password check said no                        */
    SD_FAILED        /* memory, OpenSSL or a provider failed (logged)     */
} sd_result;

#endif
