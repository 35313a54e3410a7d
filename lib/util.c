/*
 * Small helpers shared by the library's subjects.
 */
#include <string.h>

#include "drover_private.h"

#define SHOWN_MAX_CHARS 80

/* Characters no URI of ours needs (RFC 3986 has no use for most of them;
 * the others are a shell's) */
#define URI_REFUSED "\"'`;|$<>\\^(){}"

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

char *
drover__uri_problem(const char *text)
{
    const char *query = strchr(text, '?');
    const char *fragment = strchr(text, '#');
    g_autoptr(GUri) uri = NULL;

    for (const char *c = text; *c != '\0'; c++) {
        bool in_query =
            query != NULL && c > query && (fragment == NULL || c < fragment);

        if (*c == ' ' || *c == '\t') {
            return g_strdup("a blank is not allowed");
        }
        if ((unsigned char) *c < 0x20 || *c == 0x7f) {
            return g_strdup("a control character is not allowed");
        }
        if ((unsigned char) *c > 0x7f) {
            return g_strdup("a non-ASCII character must be percent-encoded");
        }
        if (*c == '"' || *c == '\'') {
            return g_strdup("a quote is not allowed");
        }
        if (strchr(URI_REFUSED, *c) != NULL) {
            return g_strdup_printf("'%c' is not allowed", *c);
        }
        if (*c == '&' && !in_query) {
            return g_strdup("'&' is allowed only between query parameters");
        }
    }
    uri = g_uri_parse(text, G_URI_FLAGS_NONE, NULL);
    if (uri == NULL) {
        return g_strdup("it does not parse as scheme:[//host]/path");
    }
    return NULL;
}

char *
drover__xpath_literal(const char *value)
{
    g_auto(GStrv) parts = NULL;
    GString *literal = NULL;

    if (strchr(value, '\'') == NULL) {
        return g_strdup_printf("'%s'", value);
    }
    if (strchr(value, '"') == NULL) {
        return g_strdup_printf("\"%s\"", value);
    }
    /* XPath 1.0 has no escapes: the apostrophes in double quotes */
    parts = g_strsplit(value, "\'", -1);
    literal = g_string_new("concat(");
    for (char **p = parts; *p != NULL; p++) {
        g_string_append_printf(literal, "%s'%s'", (p == parts) ? "" : ",\"'\",",
                               *p);
    }
    g_string_append_c(literal, ')');
    return g_string_free(literal, FALSE);
}
