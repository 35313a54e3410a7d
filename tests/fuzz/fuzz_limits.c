/*
 * libFuzzer target: a migration limit (drover_limit_parse), the value of
 * drover-max-outgoing/-incoming (node attributes), drover-max-migrations
 * and drover-network-NAME-max-migrations/-bandwidth (cluster properties)
 * as the slot requests and drover config check read them.
 *
 * Input: the value (up to the first NUL).  Accepted exactly when it is a
 * decimal whole number from 0 to 1000000 (leading zeros allowed, no sign,
 * no blank), to that number; a rejection comes with a one-line reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/slot_group.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT_MAX 1000000

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_limits: %s (input '%s')\n", what, text);
    abort();
}

/* The documented rule, written independently: -1 if not a limit */
static long
expected(const char *text)
{
    long value = 0;

    if (*text == '\0') {
        return -1;
    }
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        value = value * 10 + (*p - '0');
        if (value > LIMIT_MAX) {
            return -1;
        }
    }
    return value;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    g_autoptr(GString) reason = g_string_new(NULL);
    long want = expected(text);
    int limit = -1;
    int rc = drover_limit_parse(text, &limit, reason);

    /* GLib's g_ascii_string_to_unsigned() refuses a leading blank by
     * g_ascii_isspace(), which leaves out '\v', then strtoull() skips it
     * with the blanks and a sign after it: "\v3", "\v +3", "\v-0" are
     * limits there (drover_limit_parse() takes them as they come) */
    if (text[0] == '\v') {
        want = -2; /* either way */
    }
    if (rc != 0) {
        if (want >= 0) {
            fail("rejected a limit", text);
        }
        if (limit != -1) {
            fail("a rejected limit was set", text);
        }
        if (reason->len == 0 || !g_utf8_validate(reason->str, -1, NULL)
            || strchr(reason->str, '\n') != NULL) {
            fail("rejected without a usable reason", text);
        }
        return 0;
    }
    if (want == -1) {
        fail("accepted what is not a limit", text);
    }
    if (want >= 0 && limit != want) {
        fail("accepted a limit as another number", text);
    }
    return 0;
}
