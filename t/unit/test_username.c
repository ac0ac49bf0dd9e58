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
        { "al\xc2\xadice", 0, SD_USERNAME_INVISIBLE, "soft hyphen U+00AD inside" },
        { "alice\xc2\xad", 0, SD_USERNAME_INVISIBLE, "soft hyphen U+00AD at the end" },
        { "al\xe2\x80\x8bice", 0, SD_USERNAME_INVISIBLE, "zero width space U+200B inside" },
        { "al\xe2\x80\x8cice", 0, SD_USERNAME_INVISIBLE, "ZWNJ U+200C" },
        { "al\xe2\x80\x8dice", 0, SD_USERNAME_INVISIBLE, "ZWJ U+200D" },
        { "alice\xe2\x80\x8e", 0, SD_USERNAME_INVISIBLE, "LRM U+200E at the end" },
        { "al\xe2\x80\x8fice", 0, SD_USERNAME_INVISIBLE, "RLM U+200F" },
        { "al\xe2\x80\xaaice", 0, SD_USERNAME_INVISIBLE, "LRE U+202A" },
        { "\xe2\x80\xae" "alice", 0, SD_USERNAME_INVISIBLE, "RLO U+202E at the start" },
        { "al\xe2\x80\xa8ice", 0, SD_USERNAME_INVISIBLE, "line separator U+2028 inside" },
        { "al\xe2\x80\xa9ice", 0, SD_USERNAME_INVISIBLE, "paragraph separator U+2029 inside" },
        { "al\xe2\x81\xa0ice", 0, SD_USERNAME_INVISIBLE, "word joiner U+2060" },
        { "al\xe2\x81\xafice", 0, SD_USERNAME_INVISIBLE, "U+206F" },
        { "al\xef\xbb\xbfice", 0, SD_USERNAME_INVISIBLE, "U+FEFF inside" },
        { "al\xe1\xa0\x8eice", 0, SD_USERNAME_INVISIBLE, "Mongolian vowel separator U+180E" },
        { "al\xe3\x85\xa4ice", 0, SD_USERNAME_INVISIBLE, "Hangul filler U+3164" },
        { "al\xe1\x85\x9fice", 0, SD_USERNAME_INVISIBLE, "Hangul choseong filler U+115F" },
        { "al\xe1\x85\xa0ice", 0, SD_USERNAME_INVISIBLE, "Hangul jungseong filler U+1160" },
        { "al\xef\xbe\xa0ice", 0, SD_USERNAME_INVISIBLE, "halfwidth Hangul filler U+FFA0" },
        { "alice\xf3\xa0\x80\x81", 0, SD_USERNAME_INVISIBLE, "tag U+E0001" },
        { "al\xf3\xa0\x81\xa1ice", 0, SD_USERNAME_INVISIBLE, "tag letter U+E0061" },
        { "al\xf3\xa0\xbf\xbfice", 0, SD_USERNAME_INVISIBLE, "U+E0FFF" },
        { "al\xef\xb8\x80ice", 0, SD_USERNAME_INVISIBLE, "variation selector U+FE00" },
        { "al\xef\xb8\x8fice", 0, SD_USERNAME_INVISIBLE, "variation selector U+FE0F" },
        { "al\xf3\xa0\x84\x80ice", 0, SD_USERNAME_INVISIBLE, "variation selector U+E0100" },
        { "al\xf3\xa0\x87\xafice", 0, SD_USERNAME_INVISIBLE, "variation selector U+E01EF" },
        { "al\xcd\x8fice", 0, SD_USERNAME_INVISIBLE, "combining grapheme joiner U+034F" },
        { "al\xd8\x9cice", 0, SD_USERNAME_INVISIBLE, "Arabic letter mark U+061C" },
        { "al\xd8\x80ice", 0, SD_USERNAME_INVISIBLE, "Arabic number sign U+0600 (Cf)" },
        { "al\xef\xbf\xbeice", 0, SD_USERNAME_INVISIBLE, "noncharacter U+FFFE" },
        { "al\xef\xbf\xbfice", 0, SD_USERNAME_INVISIBLE, "noncharacter U+FFFF" },
        { "al\xef\xb7\x90ice", 0, SD_USERNAME_INVISIBLE, "noncharacter U+FDD0" },
        { "al\xf0\x9f\xbf\xbfice", 0, SD_USERNAME_INVISIBLE, "noncharacter U+1FFFF" },
        { "al\xef\xbf\xb9ice", 0, SD_USERNAME_INVISIBLE, "interlinear annotation U+FFF9 (Cf)" },
        { "al\xf0\x9d\x85\xb3ice", 0, SD_USERNAME_INVISIBLE, "musical format U+1D173" },
        { "al\xc2\xacice", 0, SD_USERNAME_OK, "U+00AC (not sign, next to soft hyphen) is fine" },
        { "al\xe2\x80\x90ice", 0, SD_USERNAME_OK, "U+2010 hyphen is fine" },
        { "al\xe2\x80\xafice", 0, SD_USERNAME_OK, "U+202F inside (white space, shown) is fine" },
        { "al\xef\xbf\xbdice", 0, SD_USERNAME_OK, "U+FFFD replacement character is fine" },
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
