/*
 * drover config show: drover's settings as the cluster holds them —
 * cluster properties drover-*, and each node's drover-* attributes.
 */
#include <stdio.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/rc.h>

#include "cli.h"
#include "drover_private.h"

#define DROVER_PREFIX "drover-"

static void
config_show_text(const xmlNode *result, GString *text)
{
    for (xmlNode *part = xmlFirstElementChild((xmlNode *) result); part != NULL;
         part = xmlNextElementSibling(part)) {
        if (xmlStrEqual(part->name, BAD_CAST "properties")) {
            g_string_append(text, "Cluster properties:\n");
            if (xmlFirstElementChild(part) == NULL) {
                g_string_append(text, "  (none set)\n");
            }
            for (xmlNode *p = xmlFirstElementChild(part); p != NULL;
                 p = xmlNextElementSibling(p)) {
                g_string_append_printf(text, "  %s = %s\n",
                                       drover_output_get(p, "name"),
                                       drover_output_get(p, "value"));
            }
        } else if (xmlStrEqual(part->name, BAD_CAST "nodes")) {
            for (xmlNode *n = xmlFirstElementChild(part); n != NULL;
                 n = xmlNextElementSibling(n)) {
                xmlNode *attrs = xmlFirstElementChild(n);

                g_string_append_printf(
                    text, "Node %s (%s):\n", drover_output_get(n, "name"),
                    strcmp(drover_output_get(n, "online"), "true") == 0
                        ? "online"
                        : "offline");
                if (attrs == NULL || xmlFirstElementChild(attrs) == NULL) {
                    g_string_append(text, "  (none set)\n");
                    continue;
                }
                for (xmlNode *a = xmlFirstElementChild(attrs); a != NULL;
                     a = xmlNextElementSibling(a)) {
                    g_string_append_printf(text, "  %s = %s (%s)\n",
                                           drover_output_get(a, "name"),
                                           drover_output_get(a, "value"),
                                           drover_output_get(a, "lifetime"));
                }
            }
        }
    }
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Sorted, so output is stable */
static void
add_pairs(xmlNode *parent, const char *element, GHashTable *pairs,
          const char *lifetime)
{
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(pairs, NULL);
    guint n = g_hash_table_size(pairs);

    qsort(keys, n, sizeof(gpointer), compare_names);
    for (guint i = 0; i < n; i++) {
        xmlNode *node = drover_output_add(parent, element);

        drover_output_set(node, "name", keys[i]);
        drover_output_set(node, "value", g_hash_table_lookup(pairs, keys[i]));
        drover_output_set(node, "lifetime", lifetime);
    }
}

static crm_exit_t
config_show(cli_t *cli)
{
    g_autoptr(drover_output_t) out = drover_output_new("config show");
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GHashTable) properties = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    xmlNode *list = NULL;
    crm_exit_t rc = cli_cib(cli, out, &cib);

    if (rc != CRM_EX_OK) {
        return rc;
    }

    properties = drover_cib_properties(cib, DROVER_PREFIX);
    list = drover_output_add(drover_output_root(out), "properties");
    add_pairs(list, "property", properties, NULL);

    nodes = drover_cib_nodes(cib);
    list = drover_output_add(drover_output_root(out), "nodes");
    for (guint i = 0; i < nodes->len; i++) {
        drover_cib_node_t *node = g_ptr_array_index(nodes, i);
        xmlNode *n = drover_output_add(list, "node");
        xmlNode *attrs = NULL;
        g_autoptr(GHashTable) permanent = NULL;
        g_autoptr(GHashTable) transient = NULL;

        drover_output_set(n, "name", node->name);
        drover_output_set_bool(out, n, "online", node->online);
        attrs = drover_output_add(n, "attributes");
        permanent = drover_cib_node_attrs(cib, node->name, DROVER_PREFIX,
                                          DROVER_ATTR_PERMANENT);
        transient = drover_cib_node_attrs(cib, node->name, DROVER_PREFIX,
                                          DROVER_ATTR_TRANSIENT);
        add_pairs(attrs, "attribute", permanent, "permanent");
        add_pairs(attrs, "attribute", transient, "transient");
    }
    return cli_finish(cli, out, config_show_text);
}

static const char *
severity_name(drover_problem_severity_t severity)
{
    return (severity == DROVER_PROBLEM_ERROR) ? "error" : "warning";
}

static void
config_check_text(const xmlNode *result, GString *text)
{
    xmlNode *list = xmlFirstElementChild((xmlNode *) result);
    int errors = 0;
    int warnings = 0;

    for (xmlNode *p = xmlFirstElementChild(list); p != NULL;
         p = xmlNextElementSibling(p)) {
        const char *severity = drover_output_get(p, "severity");
        g_autofree char *value =
            (xmlHasProp(p, BAD_CAST "value") != NULL)
                ? g_strdup_printf("'%s'", drover_output_get(p, "value"))
                : g_strdup("(not set)");

        g_string_append_printf(text, "%s: %s: %s %s: %s\n", severity,
                               drover_output_get(p, "subject"),
                               drover_output_get(p, "name"), value,
                               drover_output_get(p, "message"));
        if (strcmp(severity, "error") == 0) {
            errors++;
        } else {
            warnings++;
        }
    }
    g_string_append_printf(text, "%d error(s), %d warning(s)\n", errors,
                           warnings);
}

static crm_exit_t
config_check(cli_t *cli)
{
    g_autoptr(drover_output_t) out = drover_output_new("config check");
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) problems = NULL;
    xmlNode *list = NULL;
    bool errors = false;
    crm_exit_t rc = cli_cib(cli, out, &cib);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    problems = drover_config_check(cib);
    {
        g_autofree char *node = cli_local_node_name();

        drover_config_check_node(cib, node, cli_deadline(cli), problems);
    }
    list = drover_output_add(drover_output_root(out), "problems");
    for (guint i = 0; i < problems->len; i++) {
        drover_problem_t *p = g_ptr_array_index(problems, i);
        xmlNode *node = drover_output_add(list, "problem");

        drover_output_set(node, "severity", severity_name(p->severity));
        drover_output_set(node, "subject", p->subject);
        drover_output_set(node, "name", p->name);
        drover_output_set(node, "value", p->value);
        drover_output_set(node, "message", p->message);
        errors |= (p->severity == DROVER_PROBLEM_ERROR);
    }
    if (!errors) {
        return cli_finish(cli, out, config_check_text);
    }
    /* The problems are the output; the status says the configuration
     * is invalid */
    drover_output_status(out, CRM_EX_CONFIG, "Invalid configuration");
    drover_output_print(out, cli->format, config_check_text, stdout);
    return CRM_EX_CONFIG;
}

crm_exit_t
cmd_config(cli_t *cli, int argc, char **argv)
{
    crm_exit_t rc = cli_parse(cli, "config", "show|check",
                              "show: drover's configuration, the cluster "
                              "properties and node attributes named "
                              "drover-*.\ncheck: check it; exit 78 if "
                              "anything is invalid.",
                              NULL, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc == 2 && strcmp(argv[1], "show") == 0) {
        return config_show(cli);
    }
    if (argc == 2 && strcmp(argv[1], "check") == 0) {
        return config_check(cli);
    }
    {
        g_autofree char *shown = drover__shown((argc > 1) ? argv[1] : "");

        fprintf(stderr, "drover config: Expected 'show' or 'check', not '%s'\n",
                shown);
    }
    return CRM_EX_USAGE;
}
