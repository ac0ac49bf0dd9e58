/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the Handlebars-subset template engine (src/template.c). */
#include "sd_template.h"
#include "tap.h"

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <stdlib.h>

/* Renders that disagree with strlen(): checked once at the end, since every
 * helper-driven render below should produce NUL-free output. */
static int len_mismatches;
static int renders;

static json_t *parse_view(const char *json)
{
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!v) {
        fprintf(stderr, "# bad test JSON %s: %s\n", json, jerr.text);
        exit(255);
    }
    return v;
}

/* Compiles `src` as "t" and renders it against `json` (NULL = no view). */
static const char *render(apr_pool_t *p, const char *src, const char *json)
{
    const char *err = NULL;
    sd_template *t = sd_template_compile(p, "t", src, strlen(src), NULL, &err);
    if (!t) {
        return apr_pstrcat(p, "COMPILE ERROR: ", err, NULL);
    }
    json_t *view = json ? parse_view(json) : NULL;
    apr_size_t len = (apr_size_t)-1;
    char *out = sd_template_render(p, t, view, &len);
    renders++;
    if (len != strlen(out)) {
        len_mismatches++;
    }
    json_decref(view);
    return out;
}

/* The compile error for `src`, or a marker when it compiled. */
static const char *compile_err(apr_pool_t *p, const char *name,
                               const char *src, apr_size_t len)
{
    const char *err = NULL;
    if (sd_template_compile(p, name, src, len, NULL, &err)) {
        return "(compiled)";
    }
    return err ? err : "(NULL with no message)";
}

#define CERR(p, src) compile_err((p), "page.hbs", (src), strlen(src))

/* render()'s shape, for the table of compile errors (view unused). */
static const char *cerr(apr_pool_t *p, const char *src, const char *unused)
{
    (void)unused;
    return CERR(p, src);
}

/* render()'s shape, for the table of escapes: all of `text`. */
static const char *escape(apr_pool_t *p, const char *text, const char *unused)
{
    (void)unused;
    return sd_template_html_escape(p, text, strlen(text));
}

static const char *newlines(apr_pool_t *p, int n)
{
    char *s = apr_palloc(p, (apr_size_t)n + 1);
    memset(s, '\n', (apr_size_t)n);
    s[n] = '\0';
    return s;
}

/* n nested {{#if x}} each on its own line, closed again. */
static const char *deep_ifs(apr_pool_t *p, int n)
{
    char *s = "";
    for (int i = 0; i < n; i++) {
        s = apr_pstrcat(p, s, "{{#if x}}\n", NULL);
    }
    s = apr_pstrcat(p, s, "deep", NULL);
    for (int i = 0; i < n; i++) {
        s = apr_pstrcat(p, s, "{{/if}}", NULL);
    }
    return s;
}

static const char *home_page =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head><title>{{ title }}</title></head>\n"
    "<body>\n"
    "{{! the greeting depends on the session }}\n"
    "{{#if user.isLoggedIn}}\n"
    "<p>Welcome back, {{ user.name }}!</p>\n"
    "{{#if user.visitCount}}<p>Visits: {{user.visitCount}}</p>{{/if}}\n"
    "<form method=\"post\" action=\"/logout\"><button>Log out</button></form>\n"
    "{{else}}\n"
    "<p>Please <a href=\"/login\">log in</a>.</p>\n"
    "{{/if}}\n"
    "</body>\n"
    "</html>\n";

static int write_file(apr_pool_t *p, const char *path, const char *data,
                      apr_size_t len)
{
    apr_file_t *f;
    apr_size_t written;
    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE |
                      APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                      APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS) {
        return 0;
    }
    int ok = apr_file_write_full(f, data, len, &written) == APR_SUCCESS;
    return apr_file_close(f) == APR_SUCCESS && ok;
}

/* --- concurrency: one compiled template, several rendering threads ------ */

typedef struct {
    const sd_template *tpl;
    const json_t *view;
    const char *expected;
    apr_pool_t *pool;   /* created by the main thread, used by one thread */
    int failures;
} render_job;

static void *APR_THREAD_FUNC render_thread(apr_thread_t *thd, void *data)
{
    render_job *job = data;
    for (int i = 0; i < 200; i++) {
        apr_size_t len;
        const char *out = sd_template_render(job->pool, job->tpl, job->view,
                                             &len);
        if (strcmp(out, job->expected) != 0 || len != strlen(job->expected)) {
            job->failures++;
        }
        apr_pool_clear(job->pool);
    }
    apr_thread_exit(thd, APR_SUCCESS);
    return NULL;
}

/* Feeds every prefix of `src` (in an exactly-sized heap buffer, so the
 * sanitizers catch any read past len) through compile and render. */
static int survives_prefixes(apr_pool_t *p, const char *src, apr_size_t len,
                             const json_t *view)
{
    for (apr_size_t n = 0; n <= len; n++) {
        char *buf = malloc(n ? n : 1);
        if (!buf) {
            return 0;
        }
        memcpy(buf, src, n);
        const char *err = NULL;
        sd_template *t = sd_template_compile(p, "fuzz", buf, n, NULL, &err);
        free(buf);
        if (t) {
            apr_size_t out_len;
            char *out = sd_template_render(p, t, view, &out_len);
            if (out[out_len] != '\0') {
                return 0;
            }
        } else if (!err || strncmp(err, "fuzz:", 5) != 0) {
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    json_t *vectors;
    apr_pool_t *pool;
    const char *out;
    apr_size_t len;

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);

    vectors = tap_vectors_load("template");
    TAP_PLAN(48 + (int)tap_vectors_count(vectors));

    /* --- plain text ----------------------------------------------------- */
    {
        sd_template *t = sd_template_compile(pool, "empty", "", 0, NULL, NULL);
        len = 99;
        out = t ? sd_template_render(pool, t, NULL, &len) : NULL;
        TAP_OK(out && out[0] == '\0' && len == 0, "empty template renders "
               "as empty string with len 0");
    }
    TAP_IS_STR(render(pool, "Hello, world!\n<b>raw & 'template' text</b>\n",
                      "{}"),
               "Hello, world!\n<b>raw & 'template' text</b>\n",
               "plain text passes through unescaped");
    TAP_IS_STR(render(pool, "a { b } c }} d {x} {", "{}"),
               "a { b } c }} d {x} {", "lone braces are text");
    {
        static const char src[] = "a\0b{{x}}c\0";
        sd_template *t = sd_template_compile(pool, "nul", src,
                                             sizeof src - 1, NULL, NULL);
        json_t *view = parse_view("{\"x\":\"<\"}");
        out = t ? sd_template_render(pool, t, view, &len) : NULL;
        TAP_OK(out && len == 9 && memcmp(out, "a\0b&lt;c\0", 10) == 0,
               "NUL bytes in the source are text");
        json_decref(view);
    }
    {
        /* Only len bytes count: the tag after them must not be seen. */
        const char *src = "abc{{unclosed";
        sd_template *t = sd_template_compile(pool, "n", src, 3, NULL, NULL);
        out = t ? sd_template_render(pool, t, NULL, &len) : NULL;
        TAP_IS_STR(out, "abc", "source is read only up to len");
    }

    /* --- variables ------------------------------------------------------ */
    tap_vectors_run(vectors, "render", render, pool);

    /* --- escaping ------------------------------------------------------- */
    TAP_IS_STR(render(pool, "<p>{{v}}</p>",
                      "{\"v\":\"<script>alert(\\\"x\\\")&'</script>\"}"),
               "<p>&lt;script&gt;alert(&quot;x&quot;)&amp;&#x27;&lt;/script&gt;"
               "</p>",
               "script payload is escaped");
    tap_vectors_run(vectors, "escape", escape, pool);
    TAP_IS_STR(sd_template_html_escape(pool, NULL, 0), "", "escape NULL, 0");
    TAP_IS_STR(sd_template_html_escape(pool, "ab<cd", 3), "ab&lt;",
               "escape honours len");
    TAP_IS_STR(render(pool, "{{v}}", "{\"v\":\"caf\\u00e9 \\u2603\"}"),
               "caf\xc3\xa9 \xe2\x98\x83", "UTF-8 passes through");
    {
        sd_template *t = sd_template_compile(pool, "t", "[{{v}}]", 7, NULL, NULL);
        json_t *view = parse_view("{\"v\":\"a\\u0000<\"}");
        out = sd_template_render(pool, t, view, &len);
        TAP_OK(len == 8 && memcmp(out, "[a\0&lt;]", 9) == 0,
               "NUL inside a string value is kept and counted");
        json_decref(view);
    }
    {
        /* Values far past the first buffer (text + margin): it grows. */
        apr_size_t n = 3000;
        char *big = apr_palloc(pool, n + 1), *want = apr_palloc(pool, n * 5 + 3);
        sd_template *t = sd_template_compile(pool, "t", "[{{v}}]", 7, NULL, NULL);
        json_t *view = json_object();
        memset(big, '&', n);
        big[n] = '\0';
        json_object_set_new(view, "v", json_string(big));
        want[0] = '[';
        for (apr_size_t i = 0; i < n; ++i) {
            memcpy(want + 1 + i * 5, "&amp;", 5);
        }
        memcpy(want + 1 + n * 5, "]", 2);
        out = sd_template_render(pool, t, view, &len);
        TAP_OK(len == n * 5 + 2 && strcmp(out, want) == 0,
               "a value many times the template's size renders whole");
        TAP_IS_STR(sd_template_html_escape(pool, big, n), apr_pstrndup(pool, want + 1, n * 5),
                   "escaping text that quintuples grows its buffer");
        json_decref(view);
    }

    /* --- value types ---------------------------------------------------- */

    /* --- truthiness (Handlebars rules) ---------------------------------- */

    /* --- blocks --------------------------------------------------------- */
    TAP_IS_STR(render(pool, deep_ifs(pool, 64), "{\"x\":1}"),
               apr_pstrcat(pool, newlines(pool, 64), "deep", NULL),
               "64 nested #if levels are allowed");

    /* --- comments ------------------------------------------------------- */
    TAP_IS_STR(CERR(pool, "{{!\n\n}}\n{{bad!}}"),
               "page.hbs:4: bad path 'bad!' (segments are [A-Za-z0-9_-]+ "
               "separated by single dots)",
               "lines inside a comment are counted");

    /* --- compile errors ------------------------------------------------- */
    tap_vectors_run(vectors, "cerr", cerr, pool);
    TAP_IS_STR(compile_err(pool, "page.hbs", "{{a\0b}}", 7),
               "page.hbs:1: bad path 'a?b' (segments are [A-Za-z0-9_-]+ "
               "separated by single dots)",
               "NUL inside a tag is a bad path and is not echoed raw");
    TAP_IS_STR(CERR(pool, deep_ifs(pool, 65)),
               "page.hbs:65: blocks nested deeper than 64 levels",
               "65 nested #if levels are rejected");
    TAP_IS_STR(compile_err(pool, NULL, "{{", 2),
               "(template):1: unclosed '{{' (no matching '}}')",
               "NULL name is reported as (template)");
    {
        const char *err = "untouched";
        sd_template *t = sd_template_compile(pool, "x", "{{/if}}", 7, NULL, &err);
        TAP_OK(t == NULL && strncmp(err, "x:1: ", 5) == 0,
               "failure returns NULL and sets *err");
        TAP_OK(sd_template_compile(pool, "x", "{{/if}}", 7, NULL, NULL) == NULL,
               "failure with err == NULL does not crash");
    }

    /* --- partials ------------------------------------------------------- */
    {
        /* Text a partial stands for is start-up text: inserted as it is,
         * tags, quotes and angle brackets included. */
        static const char css[] = "<style>a > b{content:\"{{x}}\"}</style>";
        const sd_template_partial partials[] = {
            { "style", css, sizeof(css) - 1 }, { "other", "O", 1 }, { NULL, NULL, 0 }
        };
        const char *err = NULL;
        const char *src = "<head>{{> style}}</head>{{#if a}}{{>other}}{{else}}-{{/if}}";
        sd_template *t = sd_template_compile(pool, "p.html", src, strlen(src), partials,
                                             &err);
        json_t *view = parse_view("{\"a\":true,\"x\":\"<no>\"}");
        out = t ? sd_template_render(pool, t, view, &len) : NULL;
        TAP_IS_STR(out, apr_pstrcat(pool, "<head>", css, "</head>O", NULL),
                   "a partial is inserted verbatim, also inside {{#if}}");
        TAP_OK(out && len == strlen(out), "... and *len counts it");
        json_decref(view);
        err = NULL;
        TAP_OK(!sd_template_compile(pool, "p.html", "a\n{{> header}}", 14, partials, &err),
               "an unknown partial fails to compile");
        TAP_IS_STR(err, "p.html:2: unknown partial '{{> header}}'", "... naming it and the line");
        err = NULL;
        sd_template_compile(pool, "p.html", "{{> two words}}", 15, partials, &err);
        TAP_IS_STR(err, "p.html:1: bad partial name in '{{> two words}}' (one word of [A-Za-z0-9_-])",
                   "a partial's name is one word");
        err = NULL;
        sd_template_compile(pool, "p.html", "{{>}}", 5, partials, &err);
        TAP_IS_STR(err, "p.html:1: bad partial name in '{{>}}' (one word of [A-Za-z0-9_-])",
                   "... and not empty");
        err = NULL;
        sd_template_compile(pool, "p.html", "{{> style}}", 11, NULL, &err);
        TAP_IS_STR(err, "p.html:1: partials ('{{> style}}') are not supported",
                   "without partials, {{> x}} is refused as before");
        /* The partial is copied: the template outlives the caller's text. */
        char *mutable_text = apr_pstrdup(pool, "before");
        const sd_template_partial copied[] = { { "p", mutable_text, 6 }, { NULL, NULL, 0 } };
        t = sd_template_compile(pool, "c", "[{{> p}}]", 9, copied, NULL);
        memcpy(mutable_text, "AFTER!", 6);
        out = t ? sd_template_render(pool, t, NULL, &len) : NULL;
        TAP_IS_STR(out, "[before]", "the template keeps its own copy of a partial");
    }

    /* --- realistic page ------------------------------------------------- */
    {
        const char *err = NULL;
        sd_template *t = sd_template_compile(pool, "home.hbs", home_page,
                                             strlen(home_page), NULL, &err);
        TAP_OK(t != NULL, "home page compiles%s%s", err ? ": " : "",
               err ? err : "");
        json_t *in = parse_view("{\"title\":\"Home & <Away>\","
                                "\"user\":{\"name\":\"O'Brien <admin>\","
                                "\"isLoggedIn\":true,\"visitCount\":3}}");
        json_t *first = parse_view("{\"title\":\"Home\",\"user\":{\"name\":"
                                   "\"Ann\",\"isLoggedIn\":true,"
                                   "\"visitCount\":0}}");
        json_t *anon = parse_view("{\"title\":\"Home\","
                                  "\"user\":{\"isLoggedIn\":false}}");
        const char *want_in =
            "<!DOCTYPE html>\n<html>\n"
            "<head><title>Home &amp; &lt;Away&gt;</title></head>\n"
            "<body>\n\n\n"
            "<p>Welcome back, O&#x27;Brien &lt;admin&gt;!</p>\n"
            "<p>Visits: 3</p>\n"
            "<form method=\"post\" action=\"/logout\"><button>Log out</button>"
            "</form>\n\n"
            "</body>\n</html>\n";
        const char *want_first =
            "<!DOCTYPE html>\n<html>\n"
            "<head><title>Home</title></head>\n"
            "<body>\n\n\n"
            "<p>Welcome back, Ann!</p>\n"
            "\n"
            "<form method=\"post\" action=\"/logout\"><button>Log out</button>"
            "</form>\n\n"
            "</body>\n</html>\n";
        const char *want_anon =
            "<!DOCTYPE html>\n<html>\n"
            "<head><title>Home</title></head>\n"
            "<body>\n\n\n"
            "<p>Please <a href=\"/login\">log in</a>.</p>\n\n"
            "</body>\n</html>\n";
        out = t ? sd_template_render(pool, t, in, &len) : NULL;
        TAP_IS_STR(out, want_in, "home page, logged in");
        TAP_OK(out && len == strlen(out) && len == strlen(want_in),
               "home page *len equals strlen");
        out = t ? sd_template_render(pool, t, first, &len) : NULL;
        TAP_IS_STR(out, want_first, "home page, visitCount 0 hides the count");
        out = t ? sd_template_render(pool, t, anon, &len) : NULL;
        TAP_IS_STR(out, want_anon, "home page, logged out");
        TAP_OK(out && len == strlen(want_anon), "logged-out *len is exact");

        /* The compiled template is shared read-only across threads. */
        int failures = 0;
        if (t) {
            enum { NTHREADS = 4 };
            render_job jobs[NTHREADS];
            apr_thread_t *threads[NTHREADS];
            int started = 0;
            for (int i = 0; i < NTHREADS; i++) {
                jobs[i].tpl = t;
                jobs[i].view = (i % 2) ? anon : in;
                jobs[i].expected = (i % 2) ? want_anon : want_in;
                jobs[i].failures = 0;
                apr_pool_create(&jobs[i].pool, NULL);
                if (apr_thread_create(&threads[i], NULL, render_thread,
                                      &jobs[i], pool) == APR_SUCCESS) {
                    started++;
                } else {
                    failures++;
                }
            }
            for (int i = 0; i < started; i++) {
                apr_status_t trv;
                apr_thread_join(&trv, threads[i]);
                failures += jobs[i].failures;
            }
            for (int i = 0; i < NTHREADS; i++) {
                apr_pool_destroy(jobs[i].pool);
            }
        } else {
            failures = 1;
        }
        TAP_OK(failures == 0, "4 threads render one template concurrently");
        TAP_OK(survives_prefixes(pool, home_page, strlen(home_page), in),
               "every prefix of the home page compiles or fails cleanly");
        json_decref(in);
        json_decref(first);
        json_decref(anon);
    }
    {
        /* Deterministic pseudo-random templates from the tag alphabet. */
        static const char alphabet[] = "{{}}#/!-if else.ab \n\0{{x}}";
        unsigned long seed = 12345;
        int ok = 1;
        json_t *view = parse_view("{\"a\":{\"b\":\"<&>\"},\"x\":1,\"if\":2}");
        for (int i = 0; i < 3000 && ok; i++) {
            char buf[48];
            seed = seed * 1103515245UL + 12345UL;
            apr_size_t n = (seed >> 16) % sizeof buf;
            for (apr_size_t k = 0; k < n; k++) {
                seed = seed * 1103515245UL + 12345UL;
                buf[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
            }
            ok = survives_prefixes(pool, buf, n, view);
        }
        json_decref(view);
        TAP_OK(ok, "random tag soup compiles or fails cleanly");
    }

    /* --- loading from a file -------------------------------------------- */
    {
        const char *tmpdir = NULL;
        apr_file_t *f;
        char *path = NULL;
        if (apr_temp_dir_get(&tmpdir, pool) == APR_SUCCESS) {
            path = apr_pstrcat(pool, tmpdir, "/sd_tpl_XXXXXX", NULL);
            if (apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_READ |
                                APR_FOPEN_WRITE | APR_FOPEN_EXCL, pool) == APR_SUCCESS) {
                apr_file_close(f);
            } else {
                path = NULL;
            }
        }
        TAP_OK(path != NULL, "created a temp file");
        if (!path) {
            path = "/nonexistent-tmp/x";
        }

        const char *err = NULL;
        const char *src = "Hi {{who}}!\n{{#if n}}n={{n}}{{/if}}\n";
        int wrote = write_file(pool, path, src, strlen(src));
        sd_template *t = wrote ? sd_template_load(pool, path, NULL, &err) : NULL;
        TAP_OK(t != NULL, "sd_template_load reads the file%s%s",
               err ? ": " : "", err ? err : "");
        json_t *view = parse_view("{\"who\":\"<you>\",\"n\":7}");
        out = t ? sd_template_render(pool, t, view, &len) : NULL;
        TAP_IS_STR(out, "Hi &lt;you&gt;!\nn=7\n", "loaded template renders");
        json_decref(view);

        err = NULL;
        wrote = write_file(pool, path, "ok\n{{#if a}}\n", 13);
        t = wrote ? sd_template_load(pool, path, NULL, &err) : NULL;
        TAP_IS_STR(err, apr_pstrcat(pool, path, ":2: {{#if a}} is never "
                                    "closed (missing {{/if}})", NULL),
                   "syntax errors in a file are reported as path:line:");

        err = NULL;
        wrote = write_file(pool, path, "", 0);
        t = wrote ? sd_template_load(pool, path, NULL, &err) : NULL;
        out = t ? sd_template_render(pool, t, NULL, &len) : NULL;
        TAP_OK(out && len == 0 && *out == '\0', "empty file loads");

        /* Exactly 1 MiB is allowed, one byte more is not. */
        apr_size_t mib = 1024 * 1024;
        char *big = apr_palloc(pool, mib + 1);
        memset(big, 'x', mib + 1);
        err = NULL;
        wrote = write_file(pool, path, big, mib);
        t = wrote ? sd_template_load(pool, path, NULL, &err) : NULL;
        out = t ? sd_template_render(pool, t, NULL, &len) : NULL;
        TAP_OK(out && len == mib, "a 1 MiB template loads");
        err = NULL;
        wrote = write_file(pool, path, big, mib + 1);
        t = wrote ? sd_template_load(pool, path, NULL, &err) : NULL;
        TAP_IS_STR(err, apr_pstrcat(pool, path, ": template is 1048577 bytes, "
                                    "limit is 1048576", NULL),
                   "a template over 1 MiB is rejected");
        apr_file_remove(path, pool);

        err = NULL;
        t = sd_template_load(pool, "/nonexistent-dir/home.hbs", NULL, &err);
        TAP_OK(t == NULL, "missing file returns NULL");
        TAP_IS_STR(err, "/nonexistent-dir/home.hbs: cannot open template: "
                   "No such file or directory",
                   "missing file error names the path and the OS error");

        err = NULL;
        t = sd_template_load(pool, tmpdir ? tmpdir : "/", NULL, &err);
        TAP_IS_STR(err, apr_pstrcat(pool, tmpdir ? tmpdir : "/",
                                    ": not a regular file", NULL),
                   "a directory is rejected");
    }

    /* --- render robustness ---------------------------------------------- */
    out = sd_template_render(pool, NULL, NULL, &len);
    TAP_OK(out && *out == '\0' && len == 0, "NULL template renders empty");
    TAP_OK(renders > 60 && len_mismatches == 0,
           "*len == strlen(output) for all %d helper renders", renders);

    apr_pool_destroy(pool);
    json_decref(vectors);
    TAP_DONE();
}
