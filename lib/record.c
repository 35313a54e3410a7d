/*
 * Migration records as JSON in private attributes of pacemaker-attrd
 * (attrd_updater --private): replicated to every node's attribute
 * manager, gone when the node restarts, and never a CIB change — a
 * transient attribute in the CIB would abort the transition that runs the
 * migration (see docs/design.md).
 */
#include <string.h>

#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <qb/qblog.h>

#include <drover/rc.h>
#include <drover/record.h>
#include <drover/spawn.h>

#include "drover_private.h"

void
drover_record_clear(drover_record_t *r)
{
    g_free(r->source);
    g_free(r->target);
    g_free(r->mode);
    g_free(r->network);
    g_free(r->uri);
    g_free(r->skipped);
    g_free(r->error);
    memset(r, 0, sizeof(*r));
}

static void
add_string(JsonBuilder *b, const char *key, const char *value)
{
    if (value != NULL) {
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
    }
}

static void
add_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

char *
drover_record_format(const drover_record_t *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    add_int(b, "at", r->at_ms / 1000); /* what older readers compare */
    add_int(b, "at_ms", r->at_ms);
    add_string(b, "from", r->source);
    add_string(b, "to", r->target);
    add_string(b, "mode", r->mode);
    add_string(b, "result", r->ok ? "ok" : "failed");
    add_string(b, "network", r->network);
    add_string(b, "uri", r->uri);
    add_int(b, "ms", r->duration_ms);
    add_int(b, "bytes", (gint64) r->bytes);
    add_int(b, "attempts", r->attempts);
    add_string(b, "skipped", r->skipped);
    add_string(b, "error", r->error);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

int
drover_record_parse(const char *text, drover_record_t *r)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *result = NULL;
    JsonObject *o;

    memset(r, 0, sizeof(*r));
    if (text == NULL || !json_parser_load_from_data(parser, text, -1, NULL)
        || json_parser_get_root(parser) == NULL
        || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        return DROVER_RC_PROTOCOL;
    }
    o = json_node_get_object(json_parser_get_root(parser));
    if (json_object_has_member(o, "at_ms")) {
        r->at_ms = drover__json_int(o, "at_ms");
    } else {
        gint64 at = drover__json_int(o, "at"); /* an older agent's seconds */

        /* one no clock can give is unknown, as a missing one */
        r->at_ms =
            (at > G_MAXINT64 / 1000 || at < G_MININT64 / 1000) ? 0 : at * 1000;
    }
    r->source = drover__json_string(o, "from", NULL);
    r->target = drover__json_string(o, "to", NULL);
    r->mode = drover__json_string(o, "mode", NULL);
    result = drover__json_string(o, "result", NULL);
    r->ok = (g_strcmp0(result, "ok") == 0);
    r->network = drover__json_string(o, "network", NULL);
    r->uri = drover__json_string(o, "uri", NULL);
    r->duration_ms = drover__json_int(o, "ms");
    r->bytes = (guint64) drover__json_int(o, "bytes");
    r->attempts = (int) drover__json_int(o, "attempts");
    r->skipped = drover__json_string(o, "skipped", NULL);
    r->error = drover__json_string(o, "error", NULL);
    return 0;
}

int
drover_private_attr_set(const char *name, const char *value,
                        drover_deadline_t deadline)
{
    g_autofree char *err = NULL;
    const char *argv[] = { "attrd_updater", "--private", "--name", name,
                           "--update",      value,       NULL };
    int status = -1;
    int rc = drover_spawn(argv, deadline, NULL, &err, &status);

    if (rc == 0 && status != 0) {
        qb_log(LOG_WARNING, "Cannot set %s: %s", name,
               (err != NULL) ? g_strstrip(err) : "");
        rc = DROVER_RC_ERROR;
    }
    return rc;
}

int
drover_private_attr_read(const char *name, drover_deadline_t deadline,
                         GHashTable **values)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *argv[] = {
        "attrd_updater",   "--query", "--all", "--name", name,
        "--output-as=xml", NULL
    };
    /* Pacemaker 2.1's attrd_updater answers --all with the node in this
     * variable only, and Pacemaker sets it for every agent it runs */
    const char *unset[] = { "OCF_RESKEY_CRM_meta_on_node", NULL };
    g_autoptr(xmlDoc) doc = NULL;
    int status = -1;
    int rc = drover_spawn_env(argv, unset, deadline, &out, &err, &status);

    *values = NULL;
    if (rc != 0) {
        return rc;
    }
    if (status != 0) {
        /* attrd_updater exits 105 (CRM_EX_NOSUCH) for an unknown name */
        return (status == 105) ? DROVER_RC_NO_SUCH : DROVER_RC_UNREACHABLE;
    }
    doc = drover__xml_read(out, strlen(out), "attrd_updater");
    if (doc == NULL) {
        return DROVER_RC_PROTOCOL;
    }
    *values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (xmlNode *n = xmlDocGetRootElement(doc)->children; n != NULL;
         n = n->next) {
        char *value = NULL;
        char *host = NULL;

        if (n->type != XML_ELEMENT_NODE
            || strcmp((const char *) n->name, "attribute") != 0) {
            continue;
        }
        value = (char *) xmlGetProp(n, (const xmlChar *) "value");
        host = (char *) xmlGetProp(n, (const xmlChar *) "host");
        if (value != NULL && *value != '\0' && host != NULL) {
            g_hash_table_insert(*values, g_strdup(host), g_strdup(value));
        }
        xmlFree(value);
        xmlFree(host);
    }
    return (g_hash_table_size(*values) > 0) ? 0 : DROVER_RC_NO_SUCH;
}

int
drover_record_publish(const char *rsc, const drover_record_t *record,
                      drover_deadline_t deadline)
{
    g_autofree char *name = g_strconcat(DROVER_RECORD_ATTR_PREFIX, rsc, NULL);
    g_autofree char *value = drover_record_format(record);

    return drover_private_attr_set(name, value, deadline);
}

int
drover_record_read(const char *rsc, drover_deadline_t deadline,
                   drover_record_t *record)
{
    g_autofree char *name = g_strconcat(DROVER_RECORD_ATTR_PREFIX, rsc, NULL);
    g_autoptr(GHashTable) values = NULL;
    GHashTableIter iter;
    gpointer value;
    int rc = drover_private_attr_read(name, deadline, &values);

    memset(record, 0, sizeof(*record));
    if (rc != 0) {
        return rc;
    }
    rc = DROVER_RC_NO_SUCH;
    g_hash_table_iter_init(&iter, values);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        drover_record_t candidate;

        if (drover_record_parse(value, &candidate) != 0) {
            continue;
        }
        if (rc != 0 || candidate.at_ms > record->at_ms) {
            drover_record_clear(record);
            *record = candidate;
            rc = 0;
        } else {
            drover_record_clear(&candidate);
        }
    }
    return rc;
}
