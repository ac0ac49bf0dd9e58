/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* A scanner for JSON that is already in the form sd_json_dump writes
 * (JavaScript's JSON.stringify form), so a stored session can be read in
 * place instead of through a full jansson tree. It accepts only text it can
 * prove is valid JSON that sd_json_parse would read and sd_json_dump would
 * write back byte for byte ("canonical"); anything else (whitespace, other
 * escapes, reals, big numbers, integer-like or repeated keys, keys holding
 * NUL (which jansson refuses), deep nesting,
 * large objects, invalid UTF-8, invalid JSON) is refused, and the caller
 * goes the jansson way, which decides validity as before. Pure. */
#ifndef SD_JSON_SCAN_H
#define SD_JSON_SCAN_H

#include <apr_pools.h>
#include <jansson.h>

/* Deeper nesting is refused (the jansson path takes it). */
#define SD_JSON_SCAN_MAX_DEPTH 16
/* An object with more members is refused: repeated keys are found by
 * comparing every pair, so the cost must stay bounded. */
#define SD_JSON_SCAN_MAX_MEMBERS 64

/* One member of a scanned object, as spans of the scanned text. */
typedef struct {
    const char *key;        /* the key between its quotes, still escaped   */
    apr_size_t key_len;
    const char *value;      /* the value's text                            */
    apr_size_t value_len;
} sd_json_scan_member;

/* If buf[0..len) is a canonical JSON object, fills members[] (room for
 * SD_JSON_SCAN_MAX_MEMBERS) and returns their number; else -1. */
int sd_json_scan_object(const char *buf, apr_size_t len, sd_json_scan_member *members);

/* The members of an object that is part of a text sd_json_scan_object
 * accepted (so canonical, with at most SD_JSON_SCAN_MAX_MEMBERS members),
 * split without checking it again; their number. */
int sd_json_scan_members(const char *buf, apr_size_t len, sd_json_scan_member *members);

/* Whether buf[0..len) is one canonical JSON value. */
int sd_json_scan_value(const char *buf, apr_size_t len);

/* The jansson value of a canonical text, as sd_json_parse would build it
 * (integers as integers); a new reference, NULL when the text is not
 * canonical or memory runs out. p holds temporary unescaping buffers. */
json_t *sd_json_scan_build(apr_pool_t *p, const char *buf, apr_size_t len);

/* The decoded bytes of a canonical string's content (the text between its
 * quotes, e.g. a member's key) and their number in *out_len: the text
 * itself when it holds no escape, else a copy from p. Not NUL-terminated
 * (a key may hold "\u0000"). NULL when the content is not canonical. */
const char *sd_json_scan_unquote(apr_pool_t *p, const char *s, apr_size_t n,
                                 apr_size_t *out_len);

/* Whether s[0..n) is UTF-8 as jansson accepts it (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
int sd_json_scan_utf8(const char *s, apr_size_t n);

/* Appends the JSON string of s[0..n) as sd_json_dump writes it to out
 * (which has room for 6 * n + 2 bytes) and returns the bytes written; s
 * must be valid UTF-8 (sd_json_scan_utf8). */
apr_size_t sd_json_scan_quote(char *out, const char *s, apr_size_t n);

#endif
