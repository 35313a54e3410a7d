/*
 * Output in text, XML and JSON (json-glib), and progress lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include <drover/output.h>
#include <drover/rc.h>

#include "drover_private.h"

/* JSON types of attributes (xmlAttr._private belongs to Pacemaker's
 * libxml2 hooks, so the types are kept beside the tree) */
enum {
    JSON_STRING = 0,
    JSON_INT,
    JSON_BOOL,
};

struct drover_output_s {
    xmlDoc *doc;
    GHashTable *types; /* xmlAttr * -> JSON type */
};

int
drover_output_format_parse(const char *name, drover_output_format_t *format)
{
    if (g_strcmp0(name, "text") == 0) {
        *format = DROVER_OUTPUT_TEXT;
    } else if (g_strcmp0(name, "xml") == 0) {
        *format = DROVER_OUTPUT_XML;
    } else if (g_strcmp0(name, "json") == 0) {
        *format = DROVER_OUTPUT_JSON;
    } else {
        return DROVER_RC_USAGE;
    }
    return 0;
}

drover_output_t *
drover_output_new(const char *command)
{
    drover_output_t *out = g_new0(drover_output_t, 1);
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "drover");

    out->doc = xmlNewDoc(BAD_CAST "1.0");
    out->types = g_hash_table_new(g_direct_hash, g_direct_equal);
    xmlDocSetRootElement(out->doc, root);
    drover_output_set(root, "version", DROVER_VERSION);
    drover_output_set(root, "command", command);
    return out;
}

void
drover_output_free(drover_output_t *out)
{
    if (out != NULL) {
        xmlFreeDoc(out->doc);
        g_hash_table_destroy(out->types);
        g_free(out);
    }
}

xmlNode *
drover_output_root(drover_output_t *out)
{
    return xmlDocGetRootElement(out->doc);
}

xmlNode *
drover_output_add(xmlNode *parent, const char *name)
{
    return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

void
drover_output_set(xmlNode *node, const char *name, const char *value)
{
    if (value != NULL) {
        xmlSetProp(node, BAD_CAST name, BAD_CAST value);
    }
}

void
drover_output_set_int(drover_output_t *out, xmlNode *node, const char *name,
                      gint64 value)
{
    char buf[32];

    g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT, value);
    g_hash_table_insert(out->types,
                        xmlSetProp(node, BAD_CAST name, BAD_CAST buf),
                        GINT_TO_POINTER(JSON_INT));
}

void
drover_output_set_bool(drover_output_t *out, xmlNode *node, const char *name,
                       bool value)
{
    g_hash_table_insert(
        out->types,
        xmlSetProp(node, BAD_CAST name, BAD_CAST(value ? "true" : "false")),
        GINT_TO_POINTER(JSON_BOOL));
}

const char *
drover_output_get(const xmlNode *node, const char *name)
{
    const char *value = drover__xml_attr(node, name);

    return (value != NULL) ? value : "";
}

void
drover_output_status(drover_output_t *out, int exit_code, const char *message)
{
    xmlNode *status = drover_output_add(drover_output_root(out), "status");

    drover_output_set_int(out, status, "code", exit_code);
    drover_output_set(status, "message", message);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

/* A list: no attributes, and element children all of one name (or none) */
static bool
is_list(const xmlNode *node)
{
    const xmlChar *name = NULL;

    if (node->properties != NULL) {
        return false;
    }
    for (xmlNode *c = node->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (name != NULL && !xmlStrEqual(name, c->name)) {
            return false;
        }
        name = c->name;
    }
    return true;
}

static void build_json(JsonBuilder *b, GHashTable *types, const xmlNode *node);

static void
build_json_object(JsonBuilder *b, GHashTable *types, const xmlNode *node)
{
    g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);

    json_builder_begin_object(b);
    for (xmlAttr *a = node->properties; a != NULL; a = a->next) {
        const char *value =
            (a->children != NULL) ? (const char *) a->children->content : "";

        json_builder_set_member_name(b, (const char *) a->name);
        switch (GPOINTER_TO_INT(g_hash_table_lookup(types, a))) {
            case JSON_INT:
                json_builder_add_int_value(b, g_ascii_strtoll(value, NULL, 10));
                break;
            case JSON_BOOL:
                json_builder_add_boolean_value(b, strcmp(value, "true") == 0);
                break;
            default: json_builder_add_string_value(b, value); break;
        }
    }
    for (xmlNode *c = node->children; c != NULL; c = c->next) {
        unsigned int count = 0;

        if (c->type != XML_ELEMENT_NODE
            || g_hash_table_contains(done, c->name)) {
            continue;
        }
        g_hash_table_add(done, (gpointer) c->name);
        for (xmlNode *s = c; s != NULL; s = s->next) {
            count +=
                (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, c->name));
        }
        json_builder_set_member_name(b, (const char *) c->name);
        if (count == 1) {
            build_json(b, types, c);
            continue;
        }
        /* A repeated element outside a list element: an array */
        json_builder_begin_array(b);
        for (xmlNode *s = c; s != NULL; s = s->next) {
            if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, c->name)) {
                build_json(b, types, s);
            }
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

static void
build_json(JsonBuilder *b, GHashTable *types, const xmlNode *node)
{
    if (!is_list(node)) {
        build_json_object(b, types, node);
        return;
    }
    json_builder_begin_array(b);
    for (xmlNode *c = node->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            build_json(b, types, c);
        }
    }
    json_builder_end_array(b);
}

char *
drover_output_to_json(drover_output_t *out)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) json = NULL;

    build_json_object(builder, out->types, drover_output_root(out));
    json = json_builder_get_root(builder);
    json_generator_set_root(generator, json);
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_indent(generator, 2);
    return json_generator_to_data(generator, NULL);
}

int
drover_output_print(drover_output_t *out, drover_output_format_t format,
                    drover_output_text_fn text, FILE *stream)
{
    xmlNode *root = drover_output_root(out);

    switch (format) {
        case DROVER_OUTPUT_XML:
            if (xmlDocFormatDump(stream, out->doc, 1) < 0) {
                return EIO;
            }
            break;
        case DROVER_OUTPUT_JSON: {
            g_autofree char *json = drover_output_to_json(out);

            fprintf(stream, "%s\n", json);
            break;
        }
        default: {
            g_autoptr(GString) s = g_string_new(NULL);

            if (text != NULL) {
                text(root, s);
            }
            fputs(s->str, stream);
            break;
        }
    }
    return (fflush(stream) == 0) ? 0 : errno;
}

/* ------------------------------------------------------------------ */
/* Progress                                                           */
/* ------------------------------------------------------------------ */

#define PROGRESS_LINE_INTERVAL_US G_USEC_PER_SEC

struct drover_progress_s {
    FILE *stream;
    bool terminal;
    bool line_open; /* terminal: a line awaits "\n" */
    char *last;
    gint64 last_us;
};

drover_progress_t *
drover_progress_new(FILE *stream, bool terminal)
{
    drover_progress_t *p = g_new0(drover_progress_t, 1);

    p->stream = stream;
    p->terminal = terminal;
    return p;
}

static void
progress_show(drover_progress_t *p, char *text, bool final)
{
    gint64 now = g_get_monotonic_time();

    if (p->terminal) {
        /* carriage return and erase-line: rewrite in place */
        fprintf(p->stream, "\r\033[K%s%s", text, final ? "\n" : "");
        p->line_open = !final;
    } else if (final
               || (g_strcmp0(text, p->last) != 0
                   && now - p->last_us >= PROGRESS_LINE_INTERVAL_US)) {
        fprintf(p->stream, "%s\n", text);
        p->last_us = now;
    } else {
        g_free(text);
        return; /* not shown: keep the last shown */
    }
    fflush(p->stream);
    g_free(p->last);
    p->last = text;
}

void
drover_progress_update(drover_progress_t *progress, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    progress_show(progress, g_strdup_vprintf(format, ap), false);
    va_end(ap);
}

void
drover_progress_done(drover_progress_t *progress, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    progress_show(progress, g_strdup_vprintf(format, ap), true);
    va_end(ap);
}

void
drover_progress_free(drover_progress_t *progress)
{
    if (progress == NULL) {
        return;
    }
    if (progress->line_open) {
        fputc('\n', progress->stream);
    }
    g_free(progress->last);
    g_free(progress);
}
