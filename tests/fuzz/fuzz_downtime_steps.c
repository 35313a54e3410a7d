/*
 * libFuzzer target: VirtualDomain's migration_downtime_steps
 * (drover_migopts_steps_parse).
 *
 * Input: the parameter's value (up to the first NUL).  What parses is
 * one step per word, strictly increasing, from 1 to
 * DROVER_MIGOPTS_MAX_STEP_MS; checking alone (no array) says the same;
 * a rejection comes with a one-line reason (the agent's ocf-exit-reason).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/migopts.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_downtime_steps: %s (input '%s')\n", what, text);
    abort();
}

/* The words: separated by commas and spaces, empty ones not counted */
static guint
count_words(const char *text)
{
    g_auto(GStrv) words = g_strsplit_set(text, ", ", -1);
    guint n = 0;

    for (char **w = words; *w != NULL; w++) {
        n += (**w != '\0');
    }
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GString) reason_check = g_string_new(NULL);
    g_autoptr(GArray) steps = g_array_new(FALSE, FALSE, sizeof(guint64));
    int rc = drover_migopts_steps_parse(text, steps, reason);

    if (drover_migopts_steps_parse(text, NULL, reason_check) != rc) {
        fail("checking and parsing disagree", text);
    }
    if (rc != 0) {
        if (reason->len == 0 || !g_utf8_validate(reason->str, -1, NULL)
            || strchr(reason->str, '\n') != NULL) {
            fail("rejected without a usable reason", text);
        }
        return 0;
    }
    if (steps->len != count_words(text)) {
        fail("not one step per word", text);
    }
    for (guint i = 0; i < steps->len; i++) {
        guint64 ms = g_array_index(steps, guint64, i);

        if (ms < 1 || ms > DROVER_MIGOPTS_MAX_STEP_MS
            || (i > 0 && ms <= g_array_index(steps, guint64, i - 1))) {
            fail("a step out of range or not increasing", text);
        }
    }
    return 0;
}
