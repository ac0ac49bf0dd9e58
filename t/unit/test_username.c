/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the username rule: a table of names and the verdict each
 * must get. */
#include "sd_username.h"
#include "tap.h"

typedef struct {
    const char *name;
    apr_size_t len;     /* 0: strlen */
    sd_username_verdict want;
    const char *what;
} row;

int main(void)
{
    static const row rows[] = {
        { "alice", 0, SD_USERNAME_OK, "plain ASCII" },
        { "Mary Ann", 0, SD_USERNAME_OK, "a space inside" },
        { "j\xc3\xbcrgen", 0, SD_USERNAME_OK, "two-byte UTF-8 (\xc3\xbc)" },
        { "\xe5\xb1\xb1\xe7\x94\xb0", 0, SD_USERNAME_OK, "three-byte UTF-8 (CJK)" },
        { "\xf0\x9f\x98\x80x", 0, SD_USERNAME_OK, "four-byte UTF-8 (emoji)" },
        { "a\xe3\x80\x80" "b", 0, SD_USERNAME_OK, "U+3000 inside" },
        { "a.b-c_d@e", 0, SD_USERNAME_OK, "punctuation" },
        { "", 0, SD_USERNAME_EMPTY, "empty" },
        { "alice ", 0, SD_USERNAME_EDGE_SPACE, "trailing space" },
        { " alice", 0, SD_USERNAME_EDGE_SPACE, "leading space" },
        { "alice\xc2\xa0", 0, SD_USERNAME_EDGE_SPACE, "trailing U+00A0" },
        { "\xe3\x80\x80" "alice", 0, SD_USERNAME_EDGE_SPACE, "leading U+3000" },
        { "alice\xe2\x80\x8b", 0, SD_USERNAME_EDGE_SPACE, "trailing U+200B" },
        { "\xef\xbb\xbf" "alice", 0, SD_USERNAME_EDGE_SPACE, "leading U+FEFF" },
        { "alice\xe2\x80\xa8", 0, SD_USERNAME_EDGE_SPACE, "trailing U+2028" },
        { " ", 0, SD_USERNAME_EDGE_SPACE, "only a space" },
        { "alice\t", 0, SD_USERNAME_CONTROL, "trailing tab (a control)" },
        { "al\nice", 0, SD_USERNAME_CONTROL, "LF" },
        { "al\rice", 0, SD_USERNAME_CONTROL, "CR" },
        { "al\x01ice", 0, SD_USERNAME_CONTROL, "SOH" },
        { "al\x7f" "ice", 0, SD_USERNAME_CONTROL, "DEL" },
        { "al\xc2\x85ice", 0, SD_USERNAME_CONTROL, "C1 NEL (U+0085)" },
        { "al\xc2\x9fice", 0, SD_USERNAME_CONTROL, "C1 U+009F" },
        { "al\0ice", 6, SD_USERNAME_CONTROL, "NUL inside" },
        { "al\xffice", 0, SD_USERNAME_BAD_UTF8, "byte FF" },
        { "al\x80ice", 0, SD_USERNAME_BAD_UTF8, "stray continuation byte" },
        { "al\xc0\xafice", 0, SD_USERNAME_BAD_UTF8, "overlong '/' (C0 AF)" },
        { "al\xc1\x81ice", 0, SD_USERNAME_BAD_UTF8, "overlong 'A' (C1 81)" },
        { "al\xe0\x80\xafice", 0, SD_USERNAME_BAD_UTF8, "overlong three-byte" },
        { "al\xf0\x80\x80\xafice", 0, SD_USERNAME_BAD_UTF8, "overlong four-byte" },
        { "al\xed\xa0\x80ice", 0, SD_USERNAME_BAD_UTF8, "surrogate U+D800" },
        { "al\xed\xbf\xbfice", 0, SD_USERNAME_BAD_UTF8, "surrogate U+DFFF" },
        { "al\xf4\x90\x80\x80", 0, SD_USERNAME_BAD_UTF8, "above U+10FFFF" },
        { "al\xf5\x80\x80\x80", 0, SD_USERNAME_BAD_UTF8, "lead byte F5" },
        { "alice\xc3", 0, SD_USERNAME_BAD_UTF8, "truncated at the end" },
        { "al\xe3\x80ice", 0, SD_USERNAME_BAD_UTF8, "truncated inside" },
        { "0123456789abcdef", 0, SD_USERNAME_OK, "exactly the limit (16)" },
        { "0123456789abcdefg", 0, SD_USERNAME_TOO_LONG, "one byte over the limit" },
    };
    int n = (int)(sizeof(rows) / sizeof(*rows));

    TAP_PLAN(n + 3);
    for (int i = 0; i < n; ++i) {
        apr_size_t len = rows[i].len ? rows[i].len : strlen(rows[i].name);
        sd_username_verdict got = sd_username_check(rows[i].name, len, 16);
        TAP_OK(got == rows[i].want, "%s: %s (got %s)", rows[i].what,
               sd_username_reason(rows[i].want), sd_username_reason(got));
    }
    TAP_OK(sd_username_check(NULL, 0, 16) == SD_USERNAME_EMPTY, "NULL is empty");
    TAP_OK(sd_username_check("ab", 2, 1) == SD_USERNAME_TOO_LONG, "the length limit is in bytes");
    TAP_OK(sd_username_check("\xc3\xbc", 2, 2) == SD_USERNAME_OK,
           "a two-byte character fits a two-byte limit");
    return tap_failed;
}
