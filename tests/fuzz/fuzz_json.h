/*
 * What the JSON targets share.
 */
#ifndef DROVER_FUZZ_JSON__H
#define DROVER_FUZZ_JSON__H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/*
 * The input up to the end of its first top-level JSON value: json-glib
 * 1.6 leaks a second top-level array or object ("{}{}", "0[1]": the
 * parser fails and never frees it; later versions parse several roots).
 * Only the bytes that would follow a complete value go, found by brackets
 * and string quotes alone: whatever json-glib makes of the rest, it makes
 * of it as before.
 */
static inline char *
fuzz_json_first_value(const uint8_t *data, size_t size)
{
    size_t depth = 0;
    bool in_string = false;
    bool started = false;
    size_t i;

    for (i = 0; i < size && data[i] != '\0'; i++) {
        char c = (char) data[i];

        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (depth == 0 && started) {
                break; /* a container after a scalar */
            }
            depth++;
        } else if ((c == '}' || c == ']') && depth > 0) {
            if (--depth == 0) {
                i++;
                break;
            }
        }
        started = started || !g_ascii_isspace(c);
    }
    return g_strndup((const char *) data, MIN(i, size));
}

#endif /* DROVER_FUZZ_JSON__H */
