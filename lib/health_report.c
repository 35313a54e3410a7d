/*
 * How health results are shown: problems, the Nagios plugin line,
 * Prometheus, and the report NodeHealth publishes (JSON).
 */
#include <string.h>

#include <json-glib/json-glib.h>

#include <drover/health.h>
#include <drover/rc.h>

#include "drover_private.h"
#include "health_private.h"

/* Whether \p results are of more than one node (then each says whose) */
static bool
several_nodes(const GPtrArray *results)
{
    for (guint i = 1; i < results->len; i++) {
        const drover_health_result_t *a = g_ptr_array_index(results, 0);
        const drover_health_result_t *b = g_ptr_array_index(results, i);

        if (g_strcmp0(a->node, b->node) != 0) {
            return true;
        }
    }
    return false;
}

/* "check subject: status: reason", "node: " first with \p whose */
static void
append_result(GString *out, const drover_health_result_t *r, bool whose,
              bool status)
{
    if (whose) {
        g_string_append_printf(out, "%s: ", r->node);
    }
    g_string_append_printf(out, "%s %s: ", r->check, r->subject);
    if (status) {
        g_string_append_printf(out, "%s: ", drover_health_str(r->status));
    }
    g_string_append(out, r->reason);
}

char *
drover_health_problems(const GPtrArray *results)
{
    GString *problems = g_string_new(NULL);
    bool whose = several_nodes(results);

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (r->status != DROVER_HEALTH_OK) {
            if (problems->len > 0) {
                g_string_append(problems, "; ");
            }
            append_result(problems, r, whose, false);
        }
    }
    return g_string_free(problems, FALSE);
}

/* A perfdata label: the check, and the subject when there are several of
 * its kind ("network lm1 n2" -> 'network lm1 n2') */
static void
append_perf_label(GString *perf, const drover_health_result_t *r,
                  const GPtrArray *results)
{
    g_autofree char *label = NULL;
    guint same = 0;

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *o = g_ptr_array_index(results, i);

        same += (strcmp(o->check, r->check) == 0);
    }
    if (same <= 1) {
        g_string_append(perf, r->check);
        return;
    }
    /* quoted: a label with spaces; no quote or '=' inside it */
    label = several_nodes(results)
                ? g_strdup_printf("%s %s %s", r->node, r->check, r->subject)
                : g_strdup_printf("%s %s", r->check, r->subject);
    g_strdelimit(label, "'=", '_');
    g_string_append_printf(perf, "'%s'", label);
}

char *
drover_health_nagios(const GPtrArray *results)
{
    drover_health_t worst = drover_health_worst(results);
    g_autofree char *problems = drover_health_problems(results);
    g_autoptr(GString) perf = g_string_new(NULL);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        g_string_append_c(perf, ' ');
        append_perf_label(perf, r, results);
        g_string_append_printf(perf, "=%" G_GINT64_FORMAT "ms;;;0", r->ms);
    }
    g_string_append_printf(out, "DROVER %s - ",
                           (worst == DROVER_HEALTH_OK)         ? "OK"
                           : (worst == DROVER_HEALTH_WARNING)  ? "WARNING"
                           : (worst == DROVER_HEALTH_CRITICAL) ? "CRITICAL"
                                                               : "UNKNOWN");
    if (*problems != '\0') {
        g_string_append(out, problems);
    } else {
        g_string_append_printf(out, "%u checks ok", results->len);
    }
    /* '|' separates perfdata: none in the text */
    g_strdelimit(out->str, "|", '/');
    g_string_append_printf(out, " |%s\n", perf->str);
    for (guint i = 0; i < results->len; i++) {
        g_autoptr(GString) line = g_string_new(NULL);

        append_result(line, g_ptr_array_index(results, i),
                      several_nodes(results), true);
        g_strdelimit(line->str, "|", '/');
        g_string_append_printf(out, "%s\n", line->str);
    }
    return g_string_free(out, FALSE);
}

/* A label value: backslash, double quote and newline escaped */
static void
append_label(GString *out, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, *p);
        } else if (*p == '\n') {
            g_string_append(out, "\\n");
        } else {
            g_string_append_c(out, *p);
        }
    }
}

char *
drover_health_prometheus(const GPtrArray *results)
{
    GString *out = g_string_new(NULL);
    static const char *const metrics[][2] = {
        { "drover_health_status",
          "Result of a drover health check: 0 ok, 1 warning, 2 critical, 3 "
          "unknown" },
        { "drover_health_check_seconds", "How long a drover health check "
                                         "took" },
    };

    for (guint m = 0; m < G_N_ELEMENTS(metrics); m++) {
        g_string_append_printf(out, "# HELP %s %s\n# TYPE %s gauge\n",
                               metrics[m][0], metrics[m][1], metrics[m][0]);
        for (guint i = 0; i < results->len; i++) {
            const drover_health_result_t *r = g_ptr_array_index(results, i);

            g_string_append_printf(out, "%s{node=\"", metrics[m][0]);
            append_label(out, (r->node != NULL) ? r->node : "");
            g_string_append(out, "\",check=\"");
            append_label(out, r->check);
            g_string_append(out, "\",subject=\"");
            append_label(out, r->subject);
            if (m == 0) {
                g_string_append_printf(out, "\"} %d\n", (int) r->status);
            } else {
                g_string_append_printf(out, "\"} %.3f\n", r->ms / 1000.0);
            }
        }
    }
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ */
/* The published report                                               */
/* ------------------------------------------------------------------ */

char *
drover_health_report_format(const GPtrArray *results, const char *node,
                            gint64 at)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "node");
    json_builder_add_string_value(b, node);
    json_builder_set_member_name(b, "at");
    json_builder_add_int_value(b, at);
    json_builder_set_member_name(b, "checks");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "check");
        json_builder_add_string_value(b, r->check);
        json_builder_set_member_name(b, "subject");
        json_builder_add_string_value(b, r->subject);
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, drover_health_str(r->status));
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, r->reason);
        json_builder_set_member_name(b, "ms");
        json_builder_add_int_value(b, r->ms);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static bool
status_parse(const char *text, drover_health_t *status)
{
    for (drover_health_t s = DROVER_HEALTH_OK; s <= DROVER_HEALTH_UNKNOWN;
         s++) {
        if (g_strcmp0(text, drover_health_str(s)) == 0) {
            *status = s;
            return true;
        }
    }
    return false;
}

int
drover_health_report_parse(const char *text, GPtrArray **results, gint64 *at)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *top = NULL;
    JsonObject *root = NULL;
    JsonNode *checks_node = NULL;
    JsonArray *checks = NULL;
    g_autofree char *node = NULL;

    *results = NULL;
    if (text == NULL || !json_parser_load_from_data(parser, text, -1, NULL)) {
        return DROVER_RC_PROTOCOL;
    }
    top = json_parser_get_root(parser); /* NULL for a blank text */
    if (top == NULL || !JSON_NODE_HOLDS_OBJECT(top)) {
        return DROVER_RC_PROTOCOL;
    }
    root = json_node_get_object(top);
    node = drover__json_string(root, "node", NULL);
    checks_node = json_object_get_member(root, "checks");
    if (checks_node != NULL && JSON_NODE_HOLDS_ARRAY(checks_node)) {
        checks = json_node_get_array(checks_node);
    }
    if (node == NULL || checks == NULL) {
        return DROVER_RC_PROTOCOL;
    }
    *at = drover__json_int(root, "at");
    *results = g_ptr_array_new_with_free_func(drover_health_result_free);
    for (guint i = 0; i < json_array_get_length(checks); i++) {
        JsonNode *item = json_array_get_element(checks, i);
        JsonObject *o =
            JSON_NODE_HOLDS_OBJECT(item) ? json_node_get_object(item) : NULL;
        g_autofree char *status_text =
            (o != NULL) ? drover__json_string(o, "status", NULL) : NULL;
        drover_health_result_t *r = NULL;
        drover_health_t status;

        if (o == NULL || !status_parse(status_text, &status)) {
            g_clear_pointer(results, g_ptr_array_unref);
            return DROVER_RC_PROTOCOL;
        }
        r = g_new0(drover_health_result_t, 1);
        r->node = g_strdup(node);
        r->check = drover__json_string(o, "check", "?");
        r->subject = drover__json_string(o, "subject", "");
        r->status = status;
        r->reason = drover__json_string(o, "reason", "");
        r->ms = drover__json_int(o, "ms");
        g_ptr_array_add(*results, r);
    }
    return 0;
}
