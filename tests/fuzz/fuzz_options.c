/*
 * libFuzzer target: the option table (lib/options.c), which names and
 * checks every drover-* cluster property and node attribute an admin or a
 * script can set: drover config check and config show run each CIB name
 * and value through it.
 *
 * Input: a name, a NUL, a value (no NUL: the value is empty).  Checked:
 * a name the table finds matches that row (its exact name, or its pattern
 * with a non-empty part in the <>); a pattern's part, put back, gives the
 * name again; a value is valid or comes with a one-line reason; a valid
 * value reads as itself, an invalid one as the row's default.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *name, const char *value)
{
    fprintf(stderr, "fuzz_options: %s (name '%s', value '%s')\n", what, name,
            value);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    const char *name = text;
    size_t name_len = strlen(text);
    /* what follows the first NUL, up to the next; none: empty */
    g_autofree char *value_text =
        (name_len < size)
            ? g_strndup((const char *) data + name_len + 1, size - name_len - 1)
            : g_strdup("");
    const drover_option_t *o = drover__option_find(name);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *part = NULL;

    if (o == NULL) {
        return 0;
    }
    part = drover__option_name_part(o->name, name);
    if (part == NULL && strcmp(o->name, name) != 0) {
        fail("found a row that does not match", name, value_text);
    }
    if (part != NULL) {
        const char *open = strchr(o->name, '<');
        const char *close = strchr(open, '>');
        g_autofree char *again = g_strdup_printf(
            "%.*s%s%s", (int) (open - o->name), o->name, part, close + 1);

        if (*part == '\0' || strcmp(again, name) != 0) {
            fail("a pattern's part does not give the name again", name,
                 value_text);
        }
    }
    if (drover__option_valid(o, value_text, reason)) {
        if (reason->len > 0) {
            fail("a valid value with a reason", name, value_text);
        }
        if (drover__option_or_default(o->name, value_text) != value_text
            && strchr(o->name, '<') == NULL) {
            fail("a valid value does not read as itself", name, value_text);
        }
    } else {
        if (reason->len == 0 || strchr(reason->str, '\n') != NULL) {
            fail("an invalid value without a one-line reason", name,
                 value_text);
        }
        if (strchr(o->name, '<') == NULL
            && g_strcmp0(drover__option_or_default(o->name, value_text),
                         o->default_value)
                   != 0) {
            fail("an invalid value does not read as the default", name,
                 value_text);
        }
    }
    {
        g_autofree char *values = drover__option_values(o);

        if (*values == '\0') {
            fail("a row without its valid values", name, value_text);
        }
    }
    return 0;
}
