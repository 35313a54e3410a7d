/*
 * drover health: health checks (drover/health.h) for people, for
 * monitoring (Nagios/Icinga plugin output, Prometheus text exposition) and
 * for tools (XML, JSON).  Without --node/--all it runs this node's checks;
 * with them it shows what each node's NodeHealth last published.  Exit
 * status as a monitoring plugin's, in every format: 0 ok, 1 warning,
 * 2 critical, 3 unknown.
 */
#include <stdio.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/health.h>
#include <drover/rc.h>
#include <drover/record.h>
#include <drover/spawn.h>

#include "cli.h"
#include "drover_private.h"

static char *format = NULL;
static char *libvirt_uri = NULL;
static char *only_node = NULL;
static gboolean all_nodes = FALSE;
static gint max_age_s = 60;

static GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      "nagios (plugin output) or prometheus (text exposition); otherwise "
      "--output-as decides",
      "nagios|prometheus" },
    { "connect", 0, 0, G_OPTION_ARG_STRING, &libvirt_uri,
      "The libvirt URI to check (default qemu:///system)", "URI" },
    { "node", 0, 0, G_OPTION_ARG_STRING, &only_node,
      "What NODE's NodeHealth last published, instead of checking here",
      "NODE" },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all_nodes,
      "What every node's NodeHealth last published", NULL },
    { "max-age", 0, 0, G_OPTION_ARG_INT, &max_age_s,
      "A published report older than this is unknown (default 60)", "SECONDS" },
    { 0 },
};

/* One node's results, and how old they are (-1: checked just now) */
typedef struct {
    char *node;
    GPtrArray *results;
    gint64 age_s;
} node_report_t;

static void
node_report_free(gpointer data)
{
    node_report_t *r = data;

    g_free(r->node);
    g_ptr_array_unref(r->results);
    g_free(r);
}

static drover_health_result_t *
report_problem(const char *node, const char *reason)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->node = g_strdup(node);
    r->check = g_strdup("report");
    r->subject = g_strdup(DROVER_HEALTH_REPORT_ATTR);
    r->status = DROVER_HEALTH_UNKNOWN;
    r->reason = g_strdup(reason);
    return r;
}

/* What \p node published (\p text may be NULL): a stale, missing or
 * unreadable report is unknown, with the reason */
static node_report_t *
published_report(const drover_cib_t *cib, const char *node, const char *text,
                 gint64 now)
{
    node_report_t *report = g_new0(node_report_t, 1);
    gint64 at = 0;

    report->node = g_strdup(node);
    report->age_s = -1;
    if (text == NULL) {
        const char *standby = (cib != NULL) ? drover_cib_node_attr(
                                  cib, node, "standby", DROVER_ATTR_PERMANENT)
                                            : NULL;
        const char *kept =
            (cib != NULL) ? drover_cib_node_attr(cib, node, DROVER_HEALTH_ATTR,
                                                 DROVER_ATTR_TRANSIENT)
                          : NULL;
        g_autofree char *why = NULL;

        if (standby == NULL && cib != NULL) {
            standby = drover_cib_node_attr(cib, node, "standby",
                                           DROVER_ATTR_TRANSIENT);
        }
        /* a standby node runs no resource, NodeHealth neither */
        why = (standby != NULL && drover_cib_is_true(standby))
                  ? g_strdup_printf(
                      "%s is in standby, where its NodeHealth does not run "
                      "(%s=%s, from its last check); `drover health` on %s "
                      "checks it now",
                      node, DROVER_HEALTH_ATTR, (kept != NULL) ? kept : "unset",
                      node)
                  : g_strdup("nothing published (does ocf:drover:NodeHealth "
                             "run there?)");
        report->results =
            g_ptr_array_new_with_free_func(drover_health_result_free);
        g_ptr_array_add(report->results, report_problem(node, why));
        return report;
    }
    if (drover_health_report_parse(text, &report->results, &at) != 0) {
        report->results =
            g_ptr_array_new_with_free_func(drover_health_result_free);
        g_ptr_array_add(report->results,
                        report_problem(node, "the published report is not "
                                             "readable"));
        return report;
    }
    report->age_s = MAX(now - at, 0);
    if (report->age_s > max_age_s) {
        g_autofree char *why = g_strdup_printf("published %" G_GINT64_FORMAT
                                               " s ago (--max-age %d)",
                                               report->age_s, max_age_s);

        g_ptr_array_insert(report->results, 0, report_problem(node, why));
    }
    return report;
}

/* The reports of --node/--all; exit code, or CRM_EX_OK */
static crm_exit_t
read_published(cli_t *cli, GPtrArray *reports)
{
    drover_deadline_t deadline = cli_deadline(cli);
    g_autoptr(GHashTable) values = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    g_autoptr(drover_cib_t) cib = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    int rc =
        drover_private_attr_read(DROVER_HEALTH_REPORT_ATTR, deadline, &values);

    if (rc != 0 && rc != DROVER_RC_NO_SUCH) {
        /* unknown, as a monitoring plugin says it, in every format */
        g_autofree char *why = g_strdup_printf(
            "cannot read the published reports from pacemaker-attrd: %s",
            drover_rc_str(rc));
        node_report_t *report = g_new0(node_report_t, 1);

        report->node = g_strdup((only_node != NULL) ? only_node : "cluster");
        report->age_s = -1;
        report->results =
            g_ptr_array_new_with_free_func(drover_health_result_free);
        g_ptr_array_add(report->results, report_problem(report->node, why));
        g_ptr_array_add(reports, report);
        return CRM_EX_OK;
    }
    if (drover_cib_query(deadline, &cib) == 0) {
        nodes = drover_cib_node_names(cib);
    }
    if (only_node != NULL) {
        if (nodes != NULL
            && !g_ptr_array_find_with_equal_func(nodes, only_node, g_str_equal,
                                                 NULL)) {
            g_autofree char *shown = drover__shown(only_node);
            g_autofree char *names = NULL;

            g_ptr_array_add(nodes, NULL);
            names = g_strjoinv(", ", (char **) nodes->pdata);
            fprintf(stderr,
                    "drover health: No node '%s' in the cluster (nodes: %s)\n",
                    shown, names);
            return CRM_EX_USAGE;
        }
        g_ptr_array_add(reports,
                        published_report(cib, only_node,
                                         (values != NULL) ? g_hash_table_lookup(
                                             values, only_node)
                                                          : NULL,
                                         now));
        return CRM_EX_OK;
    }
    if (nodes == NULL) { /* no CIB: the nodes that published something */
        nodes = g_ptr_array_new_with_free_func(g_free);
        if (values != NULL) {
            GList *keys = g_hash_table_get_keys(values);

            keys = g_list_sort(keys, (GCompareFunc) strcmp);
            for (GList *k = keys; k != NULL; k = k->next) {
                g_ptr_array_add(nodes, g_strdup(k->data));
            }
            g_list_free(keys);
        }
    }
    for (guint i = 0; i < nodes->len; i++) {
        const char *node = g_ptr_array_index(nodes, i);

        g_ptr_array_add(reports,
                        published_report(cib, node,
                                         (values != NULL)
                                             ? g_hash_table_lookup(values, node)
                                             : NULL,
                                         now));
    }
    return CRM_EX_OK;
}

static void
health_text(const xmlNode *result, GString *text)
{
    for (xmlNode *list = xmlFirstElementChild((xmlNode *) result); list != NULL;
         list = xmlNextElementSibling(list)) {
        const char *age = drover_output_get(list, "age");

        if (!xmlStrEqual(list->name, BAD_CAST "health")) {
            continue;
        }
        g_string_append_printf(text, "%s: %s", drover_output_get(list, "node"),
                               drover_output_get(list, "status"));
        if (*age != '\0') {
            g_string_append_printf(text, " (published %s s ago)", age);
        }
        g_string_append_c(text, '\n');
        for (xmlNode *c = xmlFirstElementChild(list); c != NULL;
             c = xmlNextElementSibling(c)) {
            g_string_append_printf(
                text, "  %-9s %-10s %-16s %s (%s ms)\n",
                drover_output_get(c, "status"), drover_output_get(c, "name"),
                drover_output_get(c, "subject"), drover_output_get(c, "reason"),
                drover_output_get(c, "ms"));
        }
    }
}

static void
add_report(drover_output_t *out, const node_report_t *report)
{
    xmlNode *list = drover_output_add(drover_output_root(out), "health");

    drover_output_set(list, "node", report->node);
    drover_output_set(list, "status",
                      drover_health_str(drover_health_worst(report->results)));
    if (report->age_s >= 0) {
        drover_output_set_int(out, list, "age", report->age_s);
    }
    for (guint i = 0; i < report->results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(report->results, i);
        xmlNode *c = drover_output_add(list, "check");

        drover_output_set(c, "name", r->check);
        drover_output_set(c, "subject", r->subject);
        drover_output_set(c, "status", drover_health_str(r->status));
        drover_output_set(c, "reason", r->reason);
        drover_output_set_int(out, c, "ms", r->ms);
    }
}

crm_exit_t
cmd_health(cli_t *cli, int argc, char **argv)
{
    g_autoptr(drover_output_t) out = drover_output_new("health");
    g_autoptr(GPtrArray) reports =
        g_ptr_array_new_with_free_func(node_report_free);
    g_autoptr(GPtrArray) all = g_ptr_array_new(); /* borrowed results */
    crm_exit_t rc = cli_parse(
        cli, "health", "[--node NODE|--all] [--format nagios|prometheus]",
        "Run this node's health checks, all at once, each within --timeout: "
        "libvirt answers a real call, Corosync runs in a quorate partition, "
        "Pacemaker's CIB, controller and attribute manager answer, the "
        "node's name resolves to an address of this host (not loopback) and "
        "back, and on each migration network every peer has the same MTU "
        "and a full-size don't-fragment packet reaches it.  With --node or "
        "--all, what ocf:drover:NodeHealth last published instead.  Exit "
        "status as a monitoring plugin's: 0 ok, 1 warning, 2 critical, 3 "
        "unknown.",
        entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 1) {
        g_autofree char *shown = drover__shown(argv[1]);

        fprintf(stderr, "drover health: Unexpected argument '%s'\n", shown);
        return CRM_EX_USAGE;
    }
    if (format != NULL && strcmp(format, "nagios") != 0
        && strcmp(format, "prometheus") != 0) {
        g_autofree char *shown = drover__shown(format);

        fprintf(stderr,
                "drover health: --format must be nagios or prometheus, not "
                "'%s' (--output-as=text|xml|json for the others)\n",
                shown);
        return CRM_EX_USAGE;
    }
    if (only_node != NULL && all_nodes) {
        fprintf(stderr, "drover health: --node and --all exclude each other "
                        "(one node, or every node)\n");
        return CRM_EX_USAGE;
    }
    if (max_age_s <= 0) {
        fprintf(stderr,
                "drover health: --max-age must be a number of seconds above "
                "0, not %d\n",
                max_age_s);
        return CRM_EX_USAGE;
    }
    if (only_node != NULL || all_nodes) {
        rc = read_published(cli, reports);
        if (rc != CRM_EX_OK) {
            return rc;
        }
    } else {
        node_report_t *report = g_new0(node_report_t, 1);

        report->node = cli_local_node_name();
        report->age_s = -1;
        report->results = drover_health_local(
            report->node,
            (libvirt_uri != NULL) ? libvirt_uri : "qemu:///system",
            cli_deadline(cli));
        g_ptr_array_add(reports, report);
    }
    if (reports->len == 0) { /* --all, and nobody published anything */
        node_report_t *report = g_new0(node_report_t, 1);

        report->node = g_strdup("cluster");
        report->age_s = -1;
        report->results =
            g_ptr_array_new_with_free_func(drover_health_result_free);
        g_ptr_array_add(
            report->results,
            report_problem(report->node, "no node has published a report"));
        g_ptr_array_add(reports, report);
    }
    for (guint i = 0; i < reports->len; i++) {
        const node_report_t *report = g_ptr_array_index(reports, i);

        g_ptr_array_extend(all, report->results, NULL, NULL);
    }
    if (g_strcmp0(format, "nagios") == 0) {
        g_autofree char *text = drover_health_nagios(all);

        fputs(text, stdout);
    } else if (g_strcmp0(format, "prometheus") == 0) {
        g_autofree char *text = drover_health_prometheus(all);

        fputs(text, stdout);
    } else {
        for (guint i = 0; i < reports->len; i++) {
            add_report(out, g_ptr_array_index(reports, i));
        }
        cli_finish(cli, out, health_text);
    }
    return (crm_exit_t) drover_health_worst(all);
}
