/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Compiled once into a read-only node tree, so that many request threads
 * render one template without locking. */
#include "sd_template.h"

#include <apr_cstr.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Deeper nesting is almost certainly a generated or hostile template; the cap
 * also bounds the render recursion and keeps the compile stack fixed-size. */
#define TPL_MAX_DEPTH 64

/* Templates are hand-written pages; anything bigger is a mistake (wrong path)
 * and would be held in memory for the life of the server. */
#define TPL_MAX_FILE_SIZE (1024 * 1024)

#define TPL_SNIPPET_MAX 40 /* bytes of source quoted in an error */

#define TPL_WORD "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

typedef enum { TPL_TEXT, TPL_VAR, TPL_IF, TPL_EACH } tpl_kind;

typedef struct tpl_node tpl_node;
struct tpl_node {
    tpl_kind kind;
    tpl_node *next;
    const char *text; /* TPL_TEXT: into the template's own copies */
    apr_size_t len;
    apr_array_header_t *keys; /* the others: the path, split at compile time */
    const char *dotted;       /* the path as written, for errors */
    apr_size_t line;          /* of a block's opening tag, for errors */
    tpl_node *then_list;      /* {{#each}}: once per element */
    tpl_node *else_list;
};

struct sd_template {
    tpl_node *body;
    apr_size_t text_len; /* all text nodes together: sizes the first buffer */
};

typedef struct {
    tpl_node *block;  /* NULL for the top level */
    tpl_node **tail;  /* where the next sibling gets linked */
    int in_else;
} tpl_frame;

typedef struct {
    apr_pool_t *pool;
    const char *name;
    const char *src; /* the pool copy; text nodes point into it */
    apr_size_t len;
    apr_size_t pos;
    apr_size_t line; /* 1-based line number at pos */
    const char **err;
    const sd_template_partial *partials; /* NULL: {{> x}} is an error */
    apr_size_t text_len;
    int depth; /* number of open blocks; stack[0] is the top level */
    tpl_frame stack[TPL_MAX_DEPTH + 1];
} tpl_compiler;

static const char *const kind_names[] = { [TPL_IF] = "if", [TPL_EACH] = "each" };

static int compile_fail(tpl_compiler *c, apr_size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = apr_pvsprintf(c->pool, fmt, ap);
    va_end(ap);
    *c->err = apr_psprintf(c->pool, "%s:%" APR_SIZE_T_FMT ": %s", c->name, line, msg);
    return 0;
}

/* Quotes source text in an error message without letting control bytes, NULs
 * or megabytes of garbage reach the server log. */
static const char *snippet(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_size_t n = len > TPL_SNIPPET_MAX ? TPL_SNIPPET_MAX : len;
    char *out = apr_palloc(p, n + 1);
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)s[i];
        out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    out[n] = '\0';
    return n < len ? apr_pstrcat(p, out, "...", NULL) : out;
}

/* Index of needle at or after `from`, or `len` if none. */
static apr_size_t find_str(const tpl_compiler *c, apr_size_t from, const char *needle)
{
    const char *hit = memmem(c->src + from, c->len - from, needle, strlen(needle));
    return hit ? (apr_size_t)(hit - c->src) : c->len;
}

/* Moves pos forward, keeping the line number in step so every tag can be
 * reported at the line of its opening braces. */
static void advance_to(tpl_compiler *c, apr_size_t to)
{
    for (; c->pos < to; ++c->pos) {
        c->line += c->src[c->pos] == '\n';
    }
}

static int word_is(const char *s, apr_size_t len, const char *word)
{
    return len == strlen(word) && memcmp(s, word, len) == 0;
}

/* TPL_IF or TPL_EACH for their names, else TPL_TEXT. */
static tpl_kind block_kind(const char *s, apr_size_t len)
{
    return word_is(s, len, "if") ? TPL_IF : word_is(s, len, "each") ? TPL_EACH : TPL_TEXT;
}

static tpl_node *add_node(tpl_compiler *c, tpl_kind kind)
{
    tpl_frame *f = &c->stack[c->depth];
    tpl_node *n = apr_pcalloc(c->pool, sizeof(*n));
    n->kind = kind;
    *f->tail = n;
    f->tail = &n->next;
    return n;
}

static void add_text(tpl_compiler *c, const char *text, apr_size_t len)
{
    tpl_node *n = add_node(c, TPL_TEXT);
    n->text = text;
    n->len = len;
    c->text_len += len;
}

/* Parses "a.b-c.d_e" into n's keys. The grammar is deliberately strict so
 * that Handlebars features we do not implement (this, ../, @index, helper
 * arguments, literals) fail loudly instead of silently rendering nothing. */
static int parse_path(tpl_compiler *c, apr_size_t line, const char *s, apr_size_t len,
                      tpl_node *n)
{
    n->dotted = apr_pstrmemdup(c->pool, s, len);
    if (len == 0 || strspn(n->dotted, TPL_WORD ".") != len || s[0] == '.' || s[len - 1] == '.'
        || strstr(n->dotted, "..")) {
        return compile_fail(c, line,
                            "bad path '%s' (segments are [A-Za-z0-9_-]+ "
                            "separated by single dots)",
                            snippet(c->pool, s, len));
    }
    n->keys = apr_cstr_split(n->dotted, ".", 0, c->pool);
    if (strcmp(APR_ARRAY_IDX(n->keys, 0, const char *), "this") == 0) {
        return compile_fail(c, line,
                            "'this' is not supported; write the full path "
                            "from the view root in '%s'",
                            snippet(c->pool, s, len));
    }
    return 1;
}

static int compile_block(tpl_compiler *c, apr_size_t line, tpl_kind kind, const char *arg,
                         apr_size_t len)
{
    const char *name = kind_names[kind];
    tpl_node *n;
    if (len == 0) {
        return compile_fail(c, line, "{{#%s}} needs a path", name);
    }
    for (apr_size_t i = 0; i < len; ++i) {
        if (apr_isspace(arg[i])) {
            return compile_fail(c, line, "{{#%s}} takes exactly one path, got '%s'", name,
                                snippet(c->pool, arg, len));
        }
    }
    if (c->depth >= TPL_MAX_DEPTH) {
        return compile_fail(c, line, "blocks nested deeper than %d levels", TPL_MAX_DEPTH);
    }
    n = add_node(c, kind);
    n->line = line;
    c->stack[++c->depth] = (tpl_frame){ n, &n->then_list, 0 };
    return parse_path(c, line, arg, len, n);
}

static int compile_else(tpl_compiler *c, apr_size_t line)
{
    tpl_frame *f = &c->stack[c->depth];
    if (c->depth == 0) {
        return compile_fail(c, line, "{{else}} outside {{#if}} or {{#each}}");
    }
    if (f->in_else) {
        return compile_fail(c, line,
                            "duplicate {{else}} in {{#%s %s}} opened at "
                            "line %" APR_SIZE_T_FMT,
                            kind_names[f->block->kind], f->block->dotted, f->block->line);
    }
    f->in_else = 1;
    f->tail = &f->block->else_list;
    return 1;
}

static int compile_close(tpl_compiler *c, apr_size_t line, tpl_kind closes, const char *tag,
                         apr_size_t len)
{
    const tpl_node *open = c->stack[c->depth].block;
    if (closes == TPL_TEXT) {
        return compile_fail(c, line,
                            "unknown closing tag '{{%s}}' (only "
                            "{{/if}} and {{/each}} are supported)",
                            snippet(c->pool, tag, len));
    }
    if (!open) {
        return compile_fail(c, line, "{{/%s}} without matching {{#%s}}", kind_names[closes],
                            kind_names[closes]);
    }
    if (open->kind != closes) {
        return compile_fail(c, line, "{{/%s}} closes {{#%s %s}} opened at line %" APR_SIZE_T_FMT,
                            kind_names[closes], kind_names[open->kind], open->dotted,
                            open->line);
    }
    --c->depth;
    return 1;
}

/* {{> name}}: the caller's text for name, as a text node of its own copy.
 * Unknown names fail, as a page without its stylesheet would go unnoticed. */
static int compile_partial(tpl_compiler *c, apr_size_t line, const char *tag,
                           apr_size_t len)
{
    apr_size_t b = 1;
    while (b < len && apr_isspace(tag[b])) {
        ++b;
    }
    const char *name = apr_pstrmemdup(c->pool, tag + b, len - b);
    if (!c->partials) {
        return compile_fail(c, line, "partials ('{{%s}}') are not supported",
                            snippet(c->pool, tag, len));
    }
    if (b == len || strspn(name, TPL_WORD) != len - b) {
        return compile_fail(c, line, "bad partial name in '{{%s}}' (one word of [A-Za-z0-9_-])",
                            snippet(c->pool, tag, len));
    }
    for (const sd_template_partial *pt = c->partials; pt->name; ++pt) {
        if (strcmp(name, pt->name) == 0) {
            add_text(c, apr_pstrmemdup(c->pool, pt->text, pt->len), pt->len);
            return 1;
        }
    }
    return compile_fail(c, line, "unknown partial '{{%s}}'", snippet(c->pool, tag, len));
}

/* The tag whose "{{" is at pos; a comment is dropped. */
static int compile_tag(tpl_compiler *c)
{
    const apr_size_t line = c->line;
    const apr_size_t body = c->pos + 2;
    const char *src = c->src;

    if (src[body] == '{') {
        return compile_fail(c, line,
                            "triple-stash '{{{' (unescaped output) is not "
                            "supported; all output is HTML-escaped");
    }
    if (src[body] == '!') {
        /* {{!-- --}} may contain "}}", as in Handlebars. */
        int long_form = strncmp(src + body, "!--", 3) == 0;
        const char *closer = long_form ? "--}}" : "}}";
        apr_size_t end = find_str(c, body + (long_form ? 3 : 1), closer);
        if (end == c->len) {
            return compile_fail(c, line, "unclosed comment (no matching '%s')", closer);
        }
        advance_to(c, end + strlen(closer));
        return 1;
    }

    apr_size_t close = find_str(c, body, "}}");
    if (close == c->len) {
        return compile_fail(c, line, "unclosed '{{' (no matching '}}')");
    }
    advance_to(c, close + 2);

    /* Handlebars allows {{ a.b }} and tags spread over lines. */
    apr_size_t b = body, e = close;
    while (b < e && apr_isspace(src[b])) {
        ++b;
    }
    while (e > b && apr_isspace(src[e - 1])) {
        --e;
    }
    const char *s = src + b;
    apr_size_t n = e - b;
    apr_size_t w = 0; /* the first word */
    while (w < n && !apr_isspace(s[w])) {
        ++w;
    }
    apr_size_t a = w; /* and its argument */
    while (a < n && apr_isspace(s[a])) {
        ++a;
    }
    if (n == 0) {
        return compile_fail(c, line, "empty tag '{{}}'");
    }

    switch (s[0]) {
    case '&':
        return compile_fail(c, line, "unescaped output ('{{%s}}') is not supported; all output"
                            " is HTML-escaped", snippet(c->pool, s, n));
    case '^':
        return compile_fail(c, line, "inverse sections ('{{%s}}') are not supported; use"
                            " {{else}}", snippet(c->pool, s, n));
    case '>':
        return compile_partial(c, line, s, n);
    case '#':
        if (block_kind(s + 1, w - 1) != TPL_TEXT) {
            return compile_block(c, line, block_kind(s + 1, w - 1), s + a, n - a);
        }
        return compile_fail(c, line,
                            "unknown block helper '{{%s}}' (only "
                            "{{#if}} and {{#each}} are supported)",
                            snippet(c->pool, s, w));
    case '/': {
        /* "{{/ if}}" too, as in Handlebars. */
        apr_size_t k = 1;
        while (k < n && apr_isspace(s[k])) {
            ++k;
        }
        return compile_close(c, line, block_kind(s + k, n - k), s, n);
    }
    }
    if (word_is(s, w, "else")) {
        if (a < n) {
            return compile_fail(c, line,
                                "'{{%s}}' is not supported; nest an {{#if}} "
                                "inside {{else}}",
                                snippet(c->pool, s, n));
        }
        return compile_else(c, line);
    }
    if (w != n) {
        return compile_fail(c, line,
                            "unknown helper '%s' in '{{%s}}' (only paths, "
                            "#if, #each, else, /if, /each and comments are supported)",
                            snippet(c->pool, s, w), snippet(c->pool, s, n));
    }
    return parse_path(c, line, s, n, add_node(c, TPL_VAR));
}

sd_template *sd_template_compile(apr_pool_t *p, const char *name, const char *src,
                                 apr_size_t len, const sd_template_partial *partials,
                                 const char **err)
{
    const char *ignored;
    sd_template *t = apr_pcalloc(p, sizeof(*t));
    tpl_compiler c = { .pool = p, .name = name ? name : "(template)", .len = len, .line = 1,
                       .err = err ? err : &ignored, .partials = partials };

    if (!src && len > 0) {
        compile_fail(&c, 1, "no template source");
        return NULL;
    }
    /* Own copy, NUL-terminated: the caller's buffer (often a file read into
     * a temp pool) need not outlive the template. */
    c.src = src ? apr_pstrmemdup(p, src, len) : "";
    c.stack[0].tail = &t->body;

    while (c.pos < c.len) {
        apr_size_t open = find_str(&c, c.pos, "{{");
        if (open > c.pos) {
            add_text(&c, c.src + c.pos, open - c.pos);
            advance_to(&c, open);
        }
        if (open < c.len && !compile_tag(&c)) {
            return NULL;
        }
    }
    if (c.depth > 0) {
        const tpl_node *open = c.stack[c.depth].block;
        compile_fail(&c, open->line, "{{#%s %s}} is never closed (missing {{/%s}})",
                     kind_names[open->kind], open->dotted, kind_names[open->kind]);
        return NULL;
    }
    t->text_len = c.text_len;
    return t;
}

char *sd_template_read(apr_pool_t *p, const char *path, apr_size_t *len, const char **err)
{
    apr_file_t *f;
    apr_finfo_t info;
    char *buf = NULL;
    char msg[256];
    const char *what = "cannot open template";
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                                    APR_FPROT_OS_DEFAULT, p);

    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: %s: %s", path, what, apr_strerror(rv, msg, sizeof(msg)));
        return NULL;
    }
    what = "cannot stat template";
    rv = apr_file_info_get(&info, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv == APR_SUCCESS && info.filetype != APR_REG) {
        *err = apr_psprintf(p, "%s: not a regular file", path);
    }
    else if (rv == APR_SUCCESS && info.size > TPL_MAX_FILE_SIZE) {
        *err = apr_psprintf(p, "%s: template is %" APR_OFF_T_FMT " bytes, limit is %d", path,
                            info.size, TPL_MAX_FILE_SIZE);
    }
    else if (rv == APR_SUCCESS) {
        what = "cannot read template";
        buf = apr_palloc(p, (apr_size_t)info.size + 1);
        *len = 0;
        rv = info.size > 0 ? apr_file_read_full(f, buf, (apr_size_t)info.size, len)
                           : APR_SUCCESS;
        /* APR_EOF: the file shrank since the stat; use what is there. */
        rv = rv == APR_EOF ? APR_SUCCESS : rv;
        buf[*len] = '\0';
    }
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: %s: %s", path, what, apr_strerror(rv, msg, sizeof(msg)));
        return NULL;
    }
    return buf;
}

sd_template *sd_template_load(apr_pool_t *p, const char *path,
                              const sd_template_partial *partials, const char **err)
{
    apr_size_t len;
    const char *src = sd_template_read(p, path, &len, err);
    return src ? sd_template_compile(p, path, src, len, partials, err) : NULL;
}

/* One pass into a buffer that doubles: a sizing pass cost more than the
 * rare growth past the template's text and a margin. */
typedef struct {
    apr_pool_t *pool;
    char *buf;
    apr_size_t cap; /* bytes of buf, one kept for the NUL */
    apr_size_t used;
} tpl_sink;

#define TPL_VALUE_MARGIN 1024 /* for a page's values, on top of its text */

static void sink_put(tpl_sink *out, const char *s, apr_size_t n)
{
    if (n >= out->cap - out->used) {
        char *grown;
        while (n >= out->cap - out->used) {
            out->cap *= 2;
        }
        grown = apr_palloc(out->pool, out->cap);
        memcpy(grown, out->buf, out->used);
        out->buf = grown;
    }
    memcpy(out->buf + out->used, s, n);
    out->used += n;
}

/* Handlebars' set; every other byte is copied as it is. */
static const char *const html_escapes[256] = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
    ['\''] = "&#x27;", ['`'] = "&#x60;", ['='] = "&#x3D;",
};

static void put_escaped(tpl_sink *out, const char *s, apr_size_t len)
{
    apr_size_t run = 0;
    for (apr_size_t i = 0; i < len; ++i) {
        const char *rep = html_escapes[(unsigned char)s[i]];
        if (rep) {
            sink_put(out, s + run, i - run);
            sink_put(out, rep, strlen(rep));
            run = i + 1;
        }
    }
    sink_put(out, s + run, len - run);
}

static const json_t *lookup(const json_t *view, const tpl_node *n)
{
    const json_t *v = view;
    for (int i = 0; v && i < n->keys->nelts; ++i) {
        v = json_is_object(v) ? json_object_get(v, APR_ARRAY_IDX(n->keys, i, const char *))
                              : NULL;
    }
    return v;
}

/* Handlebars': false, null, 0, "" and [] are false (a missing value too). */
static int truthy(const json_t *v)
{
    return json_is_true(v) || json_is_object(v) || json_string_length(v) != 0
           || json_integer_value(v) != 0 || json_real_value(v) != 0.0
           || json_array_size(v) != 0;
}

/* Strings are escaped; numbers and booleans print as JavaScript would;
 * null, objects and arrays print nothing (Handlebars has nothing useful). */
static void put_value(tpl_sink *out, const json_t *v)
{
    char num[64];
    int n = 0;

    if (json_is_string(v)) {
        put_escaped(out, json_string_value(v), json_string_length(v));
    }
    else if (json_is_boolean(v)) {
        sink_put(out, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
    }
    else if (json_is_integer(v)) {
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }
    else if (json_is_real(v)) {
        /* + 0.0 makes -0 the 0 JavaScript prints. %.15g matches JS for
         * typical values (0.5, 3.14, 1e+21); JS's shortest round-trip form
         * can differ in the last digits of values like 0.1 + 0.2, which
         * pages do not show. */
        n = snprintf(num, sizeof(num), "%.15g", json_real_value(v) + 0.0);
    }
    if (n > 0) {
        sink_put(out, num, (apr_size_t)n);
    }
}

static void render_list(tpl_sink *out, const tpl_node *n, const json_t *view)
{
    for (; n; n = n->next) {
        const json_t *v = n->kind == TPL_TEXT ? NULL : lookup(view, n);
        switch (n->kind) {
        case TPL_TEXT:
            sink_put(out, n->text, n->len);
            break;
        case TPL_VAR:
            put_value(out, v);
            break;
        case TPL_IF:
            render_list(out, truthy(v) ? n->then_list : n->else_list, view);
            break;
        case TPL_EACH:
            /* Each element is the view of the body, as in Handlebars; an
             * empty list, or none, renders the {{else}} part. */
            for (size_t i = 0; i < json_array_size(v); ++i) {
                render_list(out, n->then_list, json_array_get(v, i));
            }
            if (json_array_size(v) == 0) {
                render_list(out, n->else_list, view);
            }
            break;
        }
    }
}

char *sd_template_render(apr_pool_t *p, const sd_template *t, const json_t *view,
                         apr_size_t *len)
{
    apr_size_t hint = t ? t->text_len + TPL_VALUE_MARGIN : 0;
    tpl_sink out = { p, apr_palloc(p, hint + 1), hint + 1, 0 };
    if (t) {
        render_list(&out, t->body, view);
    }
    out.buf[out.used] = '\0';
    if (len) {
        *len = out.used;
    }
    return out.buf;
}

char *sd_template_html_escape(apr_pool_t *p, const char *s, apr_size_t len)
{
    /* Most text needs no escape; each that does grows by at most 5. */
    apr_size_t hint = s ? len + len / 8 + 16 : 0;
    tpl_sink out = { p, apr_palloc(p, hint + 1), hint + 1, 0 };
    put_escaped(&out, s ? s : "", s ? len : 0);
    out.buf[out.used] = '\0';
    return out.buf;
}
