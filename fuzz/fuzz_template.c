/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Fuzz target: the template compiler and renderer (sd_template_compile,
 * sd_template_render, sd_template_html_escape).
 *
 * The input is template source. A failed compile must say why in the
 * documented "<name>:<line>: <what>" form with a line inside the source.
 * A compiled template is rendered against a fixed view model shaped like
 * the app's (user.*, flash.*, error, status, title, message) whose strings
 * are full of HTML metacharacters, and against an empty object:
 *  - rendering is deterministic and its length matches the text;
 *  - no view value reaches the page unescaped: every text node renders at
 *    most once (there are no loops), so the page can never hold more of
 *    < > " ' ` = than the template source itself;
 *  - a template without "{{" renders as itself;
 *  - with the empty view, the page is no longer than the source. */
#include "fuzz_common.h"

#include "sd_template.h"

#include <apr_strings.h>

static json_t *view_full;
static json_t *view_empty;

static json_t *make_view(void)
{
    json_error_t jerr;
    json_t *v = json_loads(
        "{\"user\":{\"name\":\"<script>alert('x')</script> & \\\"q\\\" `b` a=b\","
        "\"isLoggedIn\":true,\"loginTime\":\"2026-01-15T12:00:00.000Z\","
        "\"visitCount\":3,\"ratio\":0.5,\"negzero\":-0.0,\"big\":1e300,"
        "\"min\":-9223372036854775808,\"empty\":\"\",\"none\":null,"
        "\"no\":false,\"zero\":0,\"list\":[1,2],\"nolist\":[],"
        "\"profile\":{\"email\":\"a@b.c\\\"><img src=x onerror=alert(1)>\","
        "\"nul\":\"a\\u0000<b>\",\"deep\":{\"er\":{\"still\":\"'\"}}}},"
        "\"flash\":{\"type\":\"success\\\" onmouseover=\\\"x\","
        "\"message\":\"Welcome back, <b>alice</b>!\"},"
        "\"error\":true,\"status\":404,\"title\":\"Not Found <>\","
        "\"message\":\"=`'\\\"<>&\",\"cart\":[\"apple\",\"<pear>\"]}",
        JSON_ALLOW_NUL, &jerr);
    if (!v) {
        fprintf(stderr, "view model: %s\n", jerr.text);
        abort();
    }
    return v;
}

static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
        k += s[i] == c;
    }
    return k;
}

static void check_render(apr_pool_t *p, const sd_template *t, const json_t *view,
                         const char *src, size_t len)
{
    apr_size_t n1 = 0, n2 = 0;
    char *out1 = sd_template_render(p, t, view, &n1);
    char *out2 = sd_template_render(p, t, view, &n2);

    SD_CHECK(out1 && out2, "render returned NULL");
    SD_CHECK(n1 == n2 && memcmp(out1, out2, n1) == 0, "render not deterministic");
    SD_CHECK(out1[n1] == '\0', "render output not terminated");
    for (const char *c = "<>\"'`="; *c; ++c) {
        size_t in_src = count_char(src, len, *c);
        size_t in_out = count_char(out1, n1, *c);
        SD_CHECK(in_out <= in_src, "'%c' appears %zu times in the page but"
                 " only %zu times in the template: a value was not escaped",
                 *c, in_out, in_src);
    }
    if (len < 2 || !memmem(src, len, "{{", 2)) {
        SD_CHECK(n1 == len && memcmp(out1, src, len) == 0,
                 "a template without tags did not render as itself");
    }
    if (view != view_full) {
        SD_CHECK(n1 <= len, "empty view rendered %zu bytes from %zu", (size_t)n1,
                 len);
    }
}

void sd_fuzz_target_init(void)
{
    view_full = make_view();
    view_empty = json_object();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = sd_fuzz_pool();
    /* Exactly size bytes: templates are length-delimited file contents. */
    char *src = malloc(size ? size : 1);
    const char *err = NULL;
    sd_template *t;

    if (!src) {
        abort();
    }
    if (size) {
        memcpy(src, data, size);
    }

    t = sd_template_compile(p, "fuzz.html", src, size, NULL, &err);
    if (!t) {
        size_t lines = count_char(src, size, '\n') + 1;
        unsigned long line = 0;
        char rest = 0;
        SD_CHECK(err != NULL, "compile failed without a message");
        SD_CHECK(sscanf(err, "fuzz.html:%lu:%c", &line, &rest) == 2 && rest == ' ',
                 "error not in '<name>:<line>: <what>' form: %s", err);
        SD_CHECK(line >= 1 && line <= lines, "error line %lu outside 1..%zu: %s",
                 line, lines, err);
        for (const char *c = err; *c; ++c) {
            SD_CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f,
                     "control or non-ASCII byte 0x%02x in the error message",
                     (unsigned char)*c);
        }
    }
    else {
        check_render(p, t, view_full, src, size);
        check_render(p, t, view_empty, src, size);
        check_render(p, t, NULL, src, size);
    }

    /* The escaper on its own: output never holds a metacharacter. */
    char *esc = sd_template_html_escape(p, src, size);
    SD_CHECK(esc != NULL, "escape failed");
    SD_CHECK(strcspn(esc, "<>\"'`=") == strlen(esc), "escaper let one through");

    free(src);
    sd_fuzz_pool_done(p);
    return 0;
}
