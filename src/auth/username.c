/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* The username rule (see sd_username.h). */
#include "sd_username.h"
#include "sd_json.h"

#include <apr_lib.h>
#include <apr_strings.h>

static int is_space(apr_uint32_t c)
{
    return c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b)
           || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000
           || c == 0xfeff;
}

/* Matching rules (LDAP's RFC 4518, *_ai_ci collations) ignore these, so
 * "al<U+00AD>ice" would be alice with counters and an index of its own.
 * Sorted; ranges inclusive. */
static const struct {
    apr_uint32_t first, last;
} invisible[] = {
    { 0x00ad, 0x00ad },     /* soft hyphen                                 */
    { 0x034f, 0x034f },     /* combining grapheme joiner                   */
    { 0x0600, 0x0605 },     /* Arabic number signs (Cf)                    */
    { 0x061c, 0x061c },     /* Arabic letter mark                          */
    { 0x06dd, 0x06dd },     /* Arabic end of ayah (Cf)                     */
    { 0x070f, 0x070f },     /* Syriac abbreviation mark (Cf)               */
    { 0x0890, 0x0891 },     /* Arabic pound and piastre marks above (Cf)   */
    { 0x08e2, 0x08e2 },     /* Arabic disputed end of ayah (Cf)            */
    { 0x115f, 0x1160 },     /* Hangul choseong and jungseong fillers       */
    { 0x17b4, 0x17b5 },     /* Khmer inherent vowels                       */
    { 0x180b, 0x180f },     /* Mongolian variation selectors, vowel sep.   */
    { 0x200b, 0x200f },     /* zero width space, (non-)joiner, LRM, RLM    */
    { 0x2028, 0x202e },     /* line and paragraph separators, bidi controls */
    { 0x2060, 0x206f },     /* word joiner, invisible operators, bidi      */
    { 0x3164, 0x3164 },     /* Hangul filler                               */
    { 0xfdd0, 0xfdef },     /* noncharacters                               */
    { 0xfe00, 0xfe0f },     /* variation selectors                         */
    { 0xfeff, 0xfeff },     /* zero width no-break space (BOM)             */
    { 0xffa0, 0xffa0 },     /* halfwidth Hangul filler                     */
    { 0xfff0, 0xfffb },     /* unassigned ignorables, interlinear annotation */
    { 0x110bd, 0x110bd },   /* Kaithi number sign (Cf)                     */
    { 0x110cd, 0x110cd },   /* Kaithi number sign above (Cf)               */
    { 0x13430, 0x1343f },   /* Egyptian hieroglyph format controls         */
    { 0x1bca0, 0x1bca3 },   /* shorthand format controls                   */
    { 0x1d173, 0x1d17a },   /* musical symbol format controls              */
    { 0xe0000, 0xe0fff },   /* tags, variation selectors supplement        */
};

static int is_invisible(apr_uint32_t c)
{
    /* U+xFFFE and U+xFFFF are noncharacters in every plane. */
    if ((c & 0xfffe) == 0xfffe) {
        return 1;
    }
    for (apr_size_t i = 0; i < sizeof(invisible) / sizeof(*invisible) && c >= invisible[i].first;
         ++i) {
        if (c <= invisible[i].last) {
            return 1;
        }
    }
    return 0;
}

sd_username_verdict sd_username_check(const char *name, apr_size_t len, apr_size_t max_len)
{
    const unsigned char *s = (const unsigned char *)name;
    apr_uint32_t cp = 0;
    int first = 1;

    if (!name || len == 0) {
        return SD_USERNAME_EMPTY;
    }
    if (len > max_len) {
        return SD_USERNAME_TOO_LONG;
    }
    for (apr_size_t i = 0; i < len;) {
        apr_size_t n = sd_json_utf8(s + i, s + len, &cp);
        if (!n) {
            return SD_USERNAME_BAD_UTF8;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {   /* C0, DEL, C1 */
            return SD_USERNAME_CONTROL;
        }
        if ((first || i + n == len) && is_space(cp)) {
            return SD_USERNAME_EDGE_SPACE;
        }
        if (is_invisible(cp)) {
            return SD_USERNAME_INVISIBLE;
        }
        first = 0;
        i += n;
    }
    return SD_USERNAME_OK;
}

const char *sd_username_reason(sd_username_verdict v)
{
    static const char *const reasons[] = {
        [SD_USERNAME_OK] = "a valid username",
        [SD_USERNAME_EMPTY] = "empty",
        [SD_USERNAME_TOO_LONG] = "longer than SessionDemoMaxUsernameLength",
        [SD_USERNAME_BAD_UTF8] = "not valid UTF-8",
        [SD_USERNAME_CONTROL] = "holds a control character",
        [SD_USERNAME_EDGE_SPACE] = "white space at either end",
        [SD_USERNAME_INVISIBLE] = "holds an invisible or format character",
    };
    return (unsigned)v < sizeof(reasons) / sizeof(*reasons) ? reasons[v] : "refused";
}

const char *sd_username_fold(apr_pool_t *p, const char *name, int lower)
{
    char *s = lower ? apr_pstrdup(p, name) : NULL;
    for (char *c = s; c && *c; ++c) {
        *c = (char)apr_tolower(*c);   /* as ap_str_tolower */
    }
    return s ? s : name;
}
