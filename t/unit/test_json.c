/* SPDX-License-Identifier: Apache-2.0 — mod_sessiondemo, see LICENSE */
/* Unit tests for the JSON codec: JSON.stringify's exact output, depth. */
#include "sd_json.h"
#include "tap.h"

#include <apr_general.h>
#include <langinfo.h>
#include <locale.h>

int main(void)
{
    apr_pool_t *p;
    const char *err = NULL;
    apr_size_t len = 0;
    char *out;

    apr_initialize();
    apr_pool_create(&p, NULL);
    TAP_PLAN(10);
    /* Strings are escaped, non-ASCII stays raw UTF-8 as JSON.stringify does. */
    json_t *s = sd_json_track(p, json_pack("{s:s}", "u", "<é\"\n/>"));
    TAP_IS_STR(sd_json_dump(p, s, NULL), "{\"u\":\"<é\\\"\\n/>\"}", "string escaping");

    /* JSON.stringify fidelity: every expected string below is what Node 20
     * prints for JSON.stringify(JSON.parse(input)). */
    static const struct { const char *in, *want, *what; } js[] = {
        { "[0.1,0.30000000000000004,1e21,1.5e-7,1e-7,123456789012345680000,9007199254740993,100,-0.5,5e-324,1.7976931348623157e308,0.000001,123.456,-1e-7,1E2,-0,-0.0,2.5e+25,1e-6,0.1e1]",
          "[0.1,0.30000000000000004,1e+21,1.5e-7,1e-7,123456789012345680000,9007199254740992,100,-0.5,5e-324,1.7976931348623157e+308,0.000001,123.456,-1e-7,100,0,0,2.5e+25,0.000001,1]",
          "numbers as Number#toString writes them" },
        { "{\"b\":1,\"10\":2,\"2\":3,\"a\":4,\"01\":5,\"4294967295\":6,\"4294967294\":7,\"-1\":8,\"0\":9}",
          "{\"0\":9,\"2\":3,\"10\":2,\"4294967294\":7,\"b\":1,\"a\":4,\"01\":5,\"4294967295\":6,\"-1\":8}",
          "integer-like keys first, ascending" },
        { "[\"\\u001f\\u007f\\u2028\\u0000\\b\\f\\n\\r\\t\\/\\\"\\\\\\u00e9\\ud83d\\ude00\"]",
          "[\"\\u001f\177\342\200\250\\u0000\\b\\f\\n\\r\\t/\\\"\\\\\303\251\360\237\230\200\"]",
          "string escapes as JSON.stringify writes them" },
        { "{\"a\":{\"z\":[{},[],null,true,false,\"\"],\"1\":\"one\"}}",
          "{\"a\":{\"1\":\"one\",\"z\":[{},[],null,true,false,\"\"]}}",
          "nested objects and empty values" },
        { "{\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\",\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"},\"7\":\"x\",\"n\":12345678901234567890}",
          "{\"7\":\"x\",\"cookie\":{\"originalMaxAge\":86400000,\"expires\":\"2026-11-28T09:24:59.033Z\",\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"},\"n\":12345678901234567000}",
          "a stored session with an integer key and a big number" },

    };
    for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); ++i) {
        json_t *v = sd_json_parse(p, js[i].in, strlen(js[i].in), &err);
        TAP_IS_STR(v ? sd_json_dump(p, v, NULL) : err, js[i].want, "%s", js[i].what);
    }
    {
        char num[SD_JSON_NUMBER_BUF];
        static const struct { double d; const char *want; } nums[] = {
            { -0.0, "0" }, { 1e21, "1e+21" }, { 1e-7, "1e-7" }, { 123e-20, "1.23e-18" },
            { 0.1 + 0.2, "0.30000000000000004" }, { -1.5, "-1.5" },
        };
        int ok = 1;
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); ++i) {
            sd_json_js_number(nums[i].d, num);
            if (strcmp(num, nums[i].want) != 0) {
                printf("# %s: got %s\n", nums[i].want, num);
                ok = 0;
            }
        }
        TAP_OK(ok, "sd_json_js_number");
    }
    {
        json_t *deep = sd_json_track(p, json_array());
        json_t *cur = deep;
        for (int i = 0; i < SD_JSON_MAX_DEPTH + 2; ++i) {
            json_t *next = json_array();
            json_array_append_new(cur, next);
            cur = next;
        }
        TAP_OK(sd_json_dump(p, deep, NULL) == NULL, "nesting beyond SD_JSON_MAX_DEPTH is refused");
    }

    /* Regression: many integer-like keys, in descending order, were sorted
     * with an insertion sort (minutes for a 1 MiB stored value). */
    {
        json_t *many = sd_json_track(p, json_object());
        char key[16];
        int ordered = 1;
        for (int i = 30000; i >= 0; --i) {
            snprintf(key, sizeof key, "%d", i);
            json_object_set_new(many, key, json_true());
        }
        json_object_set_new(many, "z", json_true());
        out = sd_json_dump(p, many, &len);
        const char *c = out ? out + 1 : NULL;
        for (int i = 0; c && ordered && i <= 30000; ++i) {
            int n = snprintf(key, sizeof key, "\"%d\":true,", i);
            ordered = strncmp(c, key, (size_t)n) == 0;
            c += n;
        }
        TAP_OK(out && ordered && strcmp(c, "\"z\":true}") == 0,
               "30001 integer-like keys listed first, ascending");
    }

    /* strtod and printf follow LC_NUMERIC, which another module of the
     * process may set (PHP's setlocale is process-wide): "1.5" must not
     * read as 1, nor 0.25 be written "0,25". Checked under the first of
     * these the system has (LOCPATH may point at one made by localedef). */
    {
        static const char *const comma[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "ru_RU.UTF-8", NULL };
        static const char in[] = "[1.5,0.25,-2.5e-7]";
        locale_t loc = (locale_t)0;
        json_t *v;
        for (int i = 0; comma[i] && !(loc = newlocale(LC_NUMERIC_MASK, comma[i], (locale_t)0)); ++i) {
        }
        printf("# decimal point '%s'\n", loc ? nl_langinfo_l(RADIXCHAR, loc) : ".");
        if (loc) {
            uselocale(loc);
        }
        v = sd_json_parse(p, in, strlen(in), &err);
        TAP_IS_STR(v ? sd_json_dump(p, v, NULL) : err, in, "numbers read and written whatever the locale");
        if (loc) {
            uselocale(LC_GLOBAL_LOCALE);
            freelocale(loc);
        }
    }

    apr_pool_destroy(p);
    apr_terminate();
    TAP_DONE();
}
