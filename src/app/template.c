/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Template engine: a small Handlebars subset ({{path}}, {{#if}}/{{else}}/
 * {{/if}}, {{#each}}/{{else}}/{{/each}}, {{! comments }}, {{> partial}}),
 * compiled once into a read-only node tree so that many request threads can
 * render the same template without locking. */
#include "sd_template.h"

#include <apr_cstr.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
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

typedef enum { TPL_TEXT, TPL_VAR, TPL_IF, TPL_EACH } tpl_kind;

/* Split at compile time so rendering is just a chain of object lookups. */
typedef struct {
    const char **segs; /* NUL-terminated keys, never empty */
    apr_size_t nsegs;
    const char *dotted; /* the path as written, for error messages */
} tpl_path;

typedef struct tpl_node tpl_node;
struct tpl_node {
    tpl_kind kind;
    tpl_node *next;
    union {
        struct {
            const char *ptr; /* into the template's own copy of the source */
            apr_size_t len;
        } text;
        tpl_path var;
        struct {            /* {{#if}}, and {{#each}}: then_list per element */
            tpl_path path;
            tpl_node *then_list;
            tpl_node *else_list;
        } cond;
    } u;
};

struct sd_template {
    const char *name;
    tpl_node *body;
    apr_size_t text_len; /* all text nodes together: sizes the first buffer */
};

typedef struct {
    tpl_node *cond;  /* NULL for the top level */
    tpl_node **tail; /* where the next sibling gets linked */
    apr_size_t line; /* line of the {{#if}}, for "never closed" errors */
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
    apr_size_t text_len;                 /* of the text nodes so far */
    int depth; /* number of open blocks; stack[0] is the top level */
    tpl_frame stack[TPL_MAX_DEPTH + 1];
} tpl_compiler;

static void *compile_fail(tpl_compiler *c, apr_size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = apr_pvsprintf(c->pool, fmt, ap);
    va_end(ap);
    *c->err = apr_psprintf(c->pool, "%s:%" APR_SIZE_T_FMT ": %s", c->name, line, msg);
    return NULL;
}

/* Quotes source text in an error message without letting control bytes, NULs
 * or megabytes of garbage reach the server log. */
static const char *snippet(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_size_t n = len > TPL_SNIPPET_MAX ? TPL_SNIPPET_MAX : len;
    char *out = apr_palloc(p, n + 4);
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)s[i];
        out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (n < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f'
           || ch == '\v';
}

static int is_seg_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
           || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* Index of needle at or after `from`, or `len` if none. */
static apr_size_t find_str(const char *s, apr_size_t from, apr_size_t len,
                           const char *needle)
{
    const char *hit = memmem(s + from, len - from, needle, strlen(needle));
    return hit ? (apr_size_t)(hit - s) : len;
}

/* Moves pos forward, keeping the line number in step so every tag can be
 * reported at the line of its opening braces. */
static void advance_to(tpl_compiler *c, apr_size_t to)
{
    for (apr_size_t i = c->pos; i < to; ++i) {
        if (c->src[i] == '\n') {
            ++c->line;
        }
    }
    c->pos = to;
}

static int word_is(const char *s, apr_size_t len, const char *word)
{
    return len == strlen(word) && memcmp(s, word, len) == 0;
}

static tpl_node *new_node(tpl_compiler *c, tpl_kind kind)
{
    tpl_node *n = apr_pcalloc(c->pool, sizeof(*n));
    n->kind = kind;
    return n;
}

static void append_node(tpl_compiler *c, tpl_node *n)
{
    tpl_frame *f = &c->stack[c->depth];
    *f->tail = n;
    f->tail = &n->next;
}

/* Parses "a.b-c.d_e" into segments. The grammar is deliberately strict so
 * that Handlebars features we do not implement (this, ../, @index, helper
 * arguments, literals) fail loudly instead of silently rendering nothing. */
static int parse_path(tpl_compiler *c, apr_size_t line, const char *s, apr_size_t len,
                      tpl_path *out)
{
    apr_array_header_t *segs;
    int ok = len > 0 && s[0] != '.' && s[len - 1] != '.';
    for (apr_size_t i = 0; ok && i < len; ++i) {
        /* i + 1 < len at a '.': s cannot end with one. */
        ok = s[i] == '.' ? s[i + 1] != '.' : is_seg_char(s[i]);
    }
    if (!ok) {
        compile_fail(c, line,
                     "bad path '%s' (segments are [A-Za-z0-9_-]+ "
                     "separated by single dots)",
                     snippet(c->pool, s, len));
        return 0;
    }

    out->dotted = apr_pstrmemdup(c->pool, s, len);
    segs = apr_cstr_split(out->dotted, ".", 0, c->pool);
    out->segs = (const char **)segs->elts;
    out->nsegs = (apr_size_t)segs->nelts;
    if (strcmp(out->segs[0], "this") == 0) {
        compile_fail(c, line,
                     "'this' is not supported; write the full path "
                     "from the view root in '%s'",
                     snippet(c->pool, s, len));
        return 0;
    }
    return 1;
}

static const char *block_name(tpl_kind kind)
{
    return kind == TPL_EACH ? "each" : "if";
}

static int compile_block(tpl_compiler *c, apr_size_t line, tpl_kind kind, const char *arg,
                         apr_size_t len)
{
    const char *name = block_name(kind);
    if (len == 0) {
        compile_fail(c, line, "{{#%s}} needs a path", name);
        return 0;
    }
    for (apr_size_t i = 0; i < len; ++i) {
        if (is_space(arg[i])) {
            compile_fail(c, line, "{{#%s}} takes exactly one path, got '%s'", name,
                         snippet(c->pool, arg, len));
            return 0;
        }
    }
    if (c->depth >= TPL_MAX_DEPTH) {
        compile_fail(c, line, "blocks nested deeper than %d levels", TPL_MAX_DEPTH);
        return 0;
    }
    tpl_node *n = new_node(c, kind);
    if (!parse_path(c, line, arg, len, &n->u.cond.path)) {
        return 0;
    }
    append_node(c, n);
    tpl_frame *f = &c->stack[++c->depth];
    f->cond = n;
    f->tail = &n->u.cond.then_list;
    f->line = line;
    f->in_else = 0;
    return 1;
}

static int compile_else(tpl_compiler *c, apr_size_t line)
{
    if (c->depth == 0) {
        compile_fail(c, line, "{{else}} outside {{#if}} or {{#each}}");
        return 0;
    }
    tpl_frame *f = &c->stack[c->depth];
    if (f->in_else) {
        compile_fail(c, line,
                     "duplicate {{else}} in {{#%s %s}} opened at "
                     "line %" APR_SIZE_T_FMT,
                     block_name(f->cond->kind), f->cond->u.cond.path.dotted, f->line);
        return 0;
    }
    f->in_else = 1;
    f->tail = &f->cond->u.cond.else_list;
    return 1;
}

/* {{> name}}: the caller's text for name, as a text node of its own copy.
 * Unknown names fail, as a page without its stylesheet would go unnoticed. */
static int compile_partial(tpl_compiler *c, apr_size_t line, const char *tag,
                           apr_size_t len)
{
    apr_size_t b = 1;
    while (b < len && is_space(tag[b])) {
        ++b;
    }
    const char *name = tag + b;
    apr_size_t n = len - b;
    int ok = n > 0;
    for (apr_size_t i = 0; ok && i < n; ++i) {
        ok = is_seg_char(name[i]);
    }
    if (!c->partials) {
        compile_fail(c, line, "partials ('{{%s}}') are not supported", snippet(c->pool, tag, len));
        return 0;
    }
    if (!ok) {
        compile_fail(c, line, "bad partial name in '{{%s}}' (one word of [A-Za-z0-9_-])",
                     snippet(c->pool, tag, len));
        return 0;
    }
    for (const sd_template_partial *pt = c->partials; pt->name; ++pt) {
        if (word_is(name, n, pt->name)) {
            tpl_node *text = new_node(c, TPL_TEXT);
            text->u.text.ptr = apr_pstrmemdup(c->pool, pt->text, pt->len);
            text->u.text.len = pt->len;
            c->text_len += pt->len;
            append_node(c, text);
            return 1;
        }
    }
    compile_fail(c, line, "unknown partial '{{%s}}'", snippet(c->pool, tag, len));
    return 0;
}

static int compile_tag(tpl_compiler *c)
{
    const apr_size_t line = c->line;
    const apr_size_t body = c->pos + 2;
    const char *src = c->src;

    if (body < c->len && src[body] == '{') {
        compile_fail(c, line,
                     "triple-stash '{{{' (unescaped output) is not "
                     "supported; all output is HTML-escaped");
        return 0;
    }

    if (body < c->len && src[body] == '!') {
        /* {{!-- --}} may contain "}}", as in Handlebars. */
        int long_form = c->len - body >= 3 && memcmp(src + body, "!--", 3) == 0;
        const char *closer = long_form ? "--}}" : "}}";
        apr_size_t end = find_str(src, body + (long_form ? 3 : 1), c->len, closer);
        if (end == c->len) {
            compile_fail(c, line, "unclosed comment (no matching '%s')", closer);
            return 0;
        }
        advance_to(c, end + strlen(closer));
        return 1;
    }

    apr_size_t close = find_str(src, body, c->len, "}}");
    if (close == c->len) {
        compile_fail(c, line, "unclosed '{{' (no matching '}}')");
        return 0;
    }
    advance_to(c, close + 2);

    /* Trim: Handlebars allows {{ a.b }} and tags spread over lines. */
    apr_size_t b = body, e = close;
    while (b < e && is_space(src[b])) {
        ++b;
    }
    while (e > b && is_space(src[e - 1])) {
        --e;
    }
    const char *s = src + b;
    apr_size_t n = e - b;
    if (n == 0) {
        compile_fail(c, line, "empty tag '{{}}'");
        return 0;
    }

    apr_size_t w = 0;
    while (w < n && !is_space(s[w])) {
        ++w;
    }
    apr_size_t a = w;
    while (a < n && is_space(s[a])) {
        ++a;
    }
    const char *arg = s + a;
    apr_size_t arg_len = n - a;

    switch (s[0]) {
    case '&':
        compile_fail(c, line, "unescaped output ('{{%s}}') is not supported; all output is"
                     " HTML-escaped", snippet(c->pool, s, n));
        return 0;
    case '^':
        compile_fail(c, line, "inverse sections ('{{%s}}') are not supported; use {{else}}",
                     snippet(c->pool, s, n));
        return 0;
    case '>':
        return compile_partial(c, line, s, n);
    case '#':
        if (word_is(s + 1, w - 1, "if")) {
            return compile_block(c, line, TPL_IF, arg, arg_len);
        }
        if (word_is(s + 1, w - 1, "each")) {
            return compile_block(c, line, TPL_EACH, arg, arg_len);
        }
        compile_fail(c, line,
                     "unknown block helper '{{%s}}' (only "
                     "{{#if}} and {{#each}} are supported)",
                     snippet(c->pool, s, w));
        return 0;
    case '/': {
        /* Allow "{{/ if}}" like Handlebars does. */
        apr_size_t k = 1;
        while (k < n && is_space(s[k])) {
            ++k;
        }
        tpl_kind closes = word_is(s + k, n - k, "if")     ? TPL_IF
                          : word_is(s + k, n - k, "each") ? TPL_EACH
                                                          : TPL_TEXT;
        if (closes == TPL_TEXT) {
            compile_fail(c, line,
                         "unknown closing tag '{{%s}}' (only "
                         "{{/if}} and {{/each}} are supported)",
                         snippet(c->pool, s, n));
            return 0;
        }
        if (c->depth == 0) {
            compile_fail(c, line, "{{/%s}} without matching {{#%s}}", block_name(closes),
                         block_name(closes));
            return 0;
        }
        if (c->stack[c->depth].cond->kind != closes) {
            const tpl_frame *f = &c->stack[c->depth];
            compile_fail(c, line,
                         "{{/%s}} closes {{#%s %s}} opened at line %" APR_SIZE_T_FMT,
                         block_name(closes), block_name(f->cond->kind),
                         f->cond->u.cond.path.dotted, f->line);
            return 0;
        }
        --c->depth;
        return 1;
    }
    default:
        break;
    }

    if (word_is(s, w, "else")) {
        if (arg_len != 0) {
            compile_fail(c, line,
                         "'{{%s}}' is not supported; nest an {{#if}} "
                         "inside {{else}}",
                         snippet(c->pool, s, n));
            return 0;
        }
        return compile_else(c, line);
    }
    if (w != n) {
        compile_fail(c, line,
                     "unknown helper '%s' in '{{%s}}' (only paths, "
                     "#if, #each, else, /if, /each and comments are supported)",
                     snippet(c->pool, s, w), snippet(c->pool, s, n));
        return 0;
    }
    tpl_node *var = new_node(c, TPL_VAR);
    if (!parse_path(c, line, s, n, &var->u.var)) {
        return 0;
    }
    append_node(c, var);
    return 1;
}

sd_template *sd_template_compile(apr_pool_t *p, const char *name, const char *src,
                                 apr_size_t len, const sd_template_partial *partials,
                                 const char **err)
{
    const char *ignored;
    tpl_compiler c;
    memset(&c, 0, sizeof(c));
    c.pool = p;
    c.name = name ? name : "(template)";
    c.err = err ? err : &ignored;
    c.partials = partials;
    c.line = 1;

    if (!src && len > 0) {
        return compile_fail(&c, 1, "no template source");
    }

    /* Own copy: the caller's buffer (often a file read into a temp pool) need
     * not outlive the template, and text nodes point straight into this. */
    char *copy = apr_palloc(p, len + 1);
    if (len > 0) {
        memcpy(copy, src, len);
    }
    copy[len] = '\0';
    c.src = copy;
    c.len = len;

    sd_template *t = apr_pcalloc(p, sizeof(*t));
    t->name = apr_pstrdup(p, c.name);
    c.stack[0].tail = &t->body;

    while (c.pos < c.len) {
        apr_size_t open = find_str(c.src, c.pos, c.len, "{{");
        if (open > c.pos) {
            tpl_node *text = new_node(&c, TPL_TEXT);
            text->u.text.ptr = c.src + c.pos;
            text->u.text.len = open - c.pos;
            c.text_len += text->u.text.len;
            append_node(&c, text);
            advance_to(&c, open);
        }
        if (open < c.len && !compile_tag(&c)) {
            return NULL;
        }
    }

    if (c.depth > 0) {
        const tpl_frame *f = &c.stack[c.depth];
        return compile_fail(&c, f->line,
                            "{{#%s %s}} is never closed "
                            "(missing {{/%s}})",
                            block_name(f->cond->kind), f->cond->u.cond.path.dotted,
                            block_name(f->cond->kind));
    }
    t->text_len = c.text_len;
    return t;
}

static char *read_fail(apr_pool_t *p, const char *path, const char *what,
                       apr_status_t rv, const char **err)
{
    char buf[256];
    *err = apr_psprintf(p, "%s: %s: %s", path, what, apr_strerror(rv, buf, sizeof(buf)));
    return NULL;
}

char *sd_template_read(apr_pool_t *p, const char *path, apr_size_t *len, const char **err)
{
    apr_file_t *f;
    apr_finfo_t info;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT,
                       p);
    if (rv != APR_SUCCESS) {
        return read_fail(p, path, "cannot open template", rv, err);
    }
    rv = apr_file_info_get(&info, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS) {
        apr_file_close(f);
        return read_fail(p, path, "cannot stat template", rv, err);
    }
    if (info.filetype != APR_REG) {
        apr_file_close(f);
        *err = apr_psprintf(p, "%s: not a regular file", path);
        return NULL;
    }
    if (info.size > TPL_MAX_FILE_SIZE) {
        apr_file_close(f);
        *err = apr_psprintf(p, "%s: template is %" APR_OFF_T_FMT " bytes, limit is %d", path,
                            info.size, TPL_MAX_FILE_SIZE);
        return NULL;
    }

    apr_size_t size = (apr_size_t)info.size;
    char *buf = apr_palloc(p, size + 1);
    apr_size_t got = 0;
    rv = size > 0 ? apr_file_read_full(f, buf, size, &got) : APR_SUCCESS;
    apr_file_close(f);
    /* APR_EOF: the file shrank since the stat; use what is there. */
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return read_fail(p, path, "cannot read template", rv, err);
    }
    buf[got] = '\0';
    *len = got;
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
    apr_size_t cap;  /* bytes of buf, one kept for the NUL */
    apr_size_t used;
} tpl_sink;

#define TPL_VALUE_MARGIN 1024 /* for a page's values, on top of its text */

static void sink_init(tpl_sink *out, apr_pool_t *p, apr_size_t hint)
{
    out->pool = p;
    out->cap = hint + 1;
    out->buf = apr_palloc(p, out->cap);
    out->used = 0;
}

static void sink_put(tpl_sink *out, const char *s, apr_size_t n)
{
    if (n >= out->cap - out->used) {
        apr_size_t cap = out->cap;
        char *grown;
        while (n >= cap - out->used) {
            cap *= 2;
        }
        grown = apr_palloc(out->pool, cap);
        memcpy(grown, out->buf, out->used);
        out->buf = grown;
        out->cap = cap;
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

static const json_t *lookup(const json_t *view, const tpl_path *path)
{
    const json_t *v = view;
    for (apr_size_t i = 0; v && i < path->nsegs; ++i) {
        v = json_is_object(v) ? json_object_get(v, path->segs[i]) : NULL;
    }
    return v;
}

static int truthy(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
    case JSON_FALSE:
        return 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_STRING:
        return json_string_length(v) != 0;
    case JSON_ARRAY:
        return json_array_size(v) != 0;
    case JSON_TRUE:
    case JSON_OBJECT:
        return 1;
    }
    return 1;
}

/* Strings are escaped; numbers and booleans print as JavaScript would;
 * null, objects and arrays print nothing (Handlebars has nothing useful). */
static void put_value(tpl_sink *out, const json_t *v)
{
    char num[64];
    const char *text = num;
    int n = 0;

    if (json_is_string(v)) {
        put_escaped(out, json_string_value(v), json_string_length(v));
        return;
    }
    if (json_is_boolean(v)) {
        text = json_is_true(v) ? "true" : "false";
        n = (int)strlen(text);
    }
    else if (json_is_integer(v)) {
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }
    else if (json_is_real(v)) {
        /* JavaScript prints -0 as "0". %.15g matches JS for typical values
         * (0.5, 3.14, 1e+21); JS's shortest round-trip form can differ in the
         * last digits of values like 0.1 + 0.2, which pages do not show. */
        n = json_real_value(v) == 0.0 ? snprintf(num, sizeof(num), "0")
                                      : snprintf(num, sizeof(num), "%.15g", json_real_value(v));
    }
    if (n > 0) {
        sink_put(out, text, (apr_size_t)n < sizeof(num) ? (apr_size_t)n : sizeof(num) - 1);
    }
}

static void render_list(tpl_sink *out, const tpl_node *n, const json_t *view)
{
    for (; n; n = n->next) {
        switch (n->kind) {
        case TPL_TEXT:
            sink_put(out, n->u.text.ptr, n->u.text.len);
            break;
        case TPL_VAR:
            put_value(out, lookup(view, &n->u.var));
            break;
        case TPL_IF:
            render_list(out,
                        truthy(lookup(view, &n->u.cond.path)) ? n->u.cond.then_list
                                                              : n->u.cond.else_list,
                        view);
            break;
        case TPL_EACH: {
            /* As in Handlebars, each element is the view of the body; an
             * empty list, or none, renders the {{else}} part. */
            const json_t *list = lookup(view, &n->u.cond.path);
            size_t count = json_is_array(list) ? json_array_size(list) : 0;
            for (size_t i = 0; i < count; ++i) {
                render_list(out, n->u.cond.then_list, json_array_get(list, i));
            }
            if (count == 0) {
                render_list(out, n->u.cond.else_list, view);
            }
            break;
        }
        }
    }
}

char *sd_template_render(apr_pool_t *p, const sd_template *t, const json_t *view,
                         apr_size_t *len)
{
    tpl_sink out;
    sink_init(&out, p, t ? t->text_len + TPL_VALUE_MARGIN : 0);
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
    tpl_sink out;
    if (!s) {
        s = "";
        len = 0;
    }
    /* Most text needs no escape; each that does grows by at most 5. */
    sink_init(&out, p, len + len / 8 + 16);
    put_escaped(&out, s, len);
    out.buf[out.used] = '\0';
    return out.buf;
}
