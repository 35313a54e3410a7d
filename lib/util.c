/*
 * Small helpers shared by the library's subjects.
 */
#include <string.h>

#include "drover_private.h"

#define SHOWN_MAX_CHARS 80

char *
drover__shown(const char *value)
{
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    glong length = g_utf8_strlen(valid, -1);

    g_strdelimit(valid, "\r\n\t", ' ');
    if (length > SHOWN_MAX_CHARS) {
        const char *end = g_utf8_offset_to_pointer(valid, SHOWN_MAX_CHARS);

        return g_strdup_printf("%.*s...", (int) (end - valid), valid);
    }
    return g_steal_pointer(&valid);
}
