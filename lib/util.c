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

void
drover__roff_text(GString *out, const char *text)
{
    bool line_start = true;

    for (const char *p = text; *p != '\0'; p++) {
        if (line_start && (*p == '.' || *p == '\'')) {
            g_string_append(out, "\\&");
        }
        line_start = false;
        switch (*p) {
            case '\\': g_string_append(out, "\\e"); break;
            case '-': g_string_append(out, "\\-"); break;
            case '\n':
                g_string_append(out, "\n.PP\n");
                line_start = true;
                break;
            default: g_string_append_c(out, *p); break;
        }
    }
}
