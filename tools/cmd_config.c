/*
 * drover config show: drover's settings as the cluster holds them —
 * cluster properties drover-*, and each node's drover-* attributes.
 */
#include <stdio.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/netsel.h>
#include <drover/rc.h>

#include "cli.h"
#include "drover_private.h"
#include "options.h"

/* " (default)", " (transient)", ...: what the text adds to a value */
static void
show_origin(GString *text, xmlNode *setting)
{
    const char *origin = drover_output_get(setting, "origin");
    const char *lifetime = drover_output_get(setting, "lifetime");

    if (strcmp(origin, "unset") == 0) {
        g_string_append_printf(text, "  %s: not set (%s)\n",
                               drover_output_get(setting, "name"),
                               drover_output_get(setting, "meaning"));
        return;
    }
    g_string_append_printf(text, "  %s = %s",
                           drover_output_get(setting, "name"),
                           drover_output_get(setting, "value"));
    if (strcmp(origin, "default") == 0) {
        g_string_append(text, " (default)");
    } else if (strcmp(origin, "unknown") == 0) {
        g_string_append(text, " (not a drover setting)");
    } else if (strcmp(origin, "misplaced") == 0) {
        g_string_append_printf(text,
                               " (%s, not read there: drover config "
                               "check)",
                               (*lifetime != '\0') ? lifetime
                                                   : "cluster property");
    } else if (strcmp(origin, "ignored") == 0) {
        g_string_append(text, " (transient: drover reads only the permanent "
                              "one)");
    } else if (*lifetime != '\0') {
        g_string_append_printf(text, " (%s)", lifetime);
    }
    g_string_append_c(text, '\n');
}

static void
config_show_text(const xmlNode *result, GString *text)
{
    for (xmlNode *part = xmlFirstElementChild((xmlNode *) result); part != NULL;
         part = xmlNextElementSibling(part)) {
        if (xmlStrEqual(part->name, BAD_CAST "properties")) {
            g_string_append(text, "Cluster properties:\n");
            for (xmlNode *p = xmlFirstElementChild(part); p != NULL;
                 p = xmlNextElementSibling(p)) {
                show_origin(text, p);
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
                for (xmlNode *a = xmlFirstElementChild(attrs); a != NULL;
                     a = xmlNextElementSibling(a)) {
                    show_origin(text, a);
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

/* What an unset setting without a default means */
static const char *
option_unset(const drover_option_t *o)
{
    return (o->unset != NULL) ? o->unset : "off";
}

/* A setting of the table as drover reads it: \p value when set, else its
 * default, else what unset means */
static void
add_setting(xmlNode *parent, const char *element, const char *name,
            const drover_option_t *option, const char *value)
{
    xmlNode *node = drover_output_add(parent, element);

    drover_output_set(node, "name", name);
    if (value != NULL) {
        drover_output_set(node, "value", value);
        drover_output_set(node, "origin", "set");
    } else if (option->default_value != NULL) {
        drover_output_set(node, "value", option->default_value);
        drover_output_set(node, "origin", "default");
    } else {
        drover_output_set(node, "origin", "unset");
        drover_output_set(node, "meaning", option_unset(option));
    }
}

/* Whether drover reads a setting of \p scope where it was found: a cluster
 * property (\p lifetime NULL) or a node attribute of \p lifetime */
static bool
read_there(drover_option_scope_t scope, const char *lifetime)
{
    if (lifetime == NULL) {
        return scope == DROVER_OPTION_CLUSTER;
    }
    if (strcmp(lifetime, "permanent") == 0) {
        return scope == DROVER_OPTION_NODE || scope == DROVER_OPTION_DRAIN;
    }
    return scope == DROVER_OPTION_STATUS;
}

/* The set names of \p pairs that the table rows before did not show, in
 * order; \p shown the names shown */
static void
add_others(xmlNode *parent, const char *element, GHashTable *pairs,
           GHashTable *shown, const char *lifetime)
{
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(pairs, NULL);
    guint n = g_hash_table_size(pairs);

    qsort(keys, n, sizeof(gpointer), compare_names);
    for (guint i = 0; i < n; i++) {
        const drover_option_t *option = drover__option_find(keys[i]);
        xmlNode *node = NULL;
        const char *origin = "set";

        if (g_hash_table_contains(shown, keys[i])) {
            continue;
        }
        if (option == NULL
            || (option->scope == DROVER_OPTION_NETWORK && lifetime == NULL)) {
            /* a network's option shown here is not a listed network's */
            origin = "unknown";
        } else if (!read_there(option->scope, lifetime)) {
            /* drover config check says where it belongs */
            origin = (option->scope == DROVER_OPTION_NODE && lifetime != NULL
                      && strcmp(lifetime, "transient") == 0)
                         ? "ignored"
                         : "misplaced";
        }
        node = drover_output_add(parent, element);
        drover_output_set(node, "name", keys[i]);
        drover_output_set(node, "value", g_hash_table_lookup(pairs, keys[i]));
        drover_output_set(node, "origin", origin);
        drover_output_set(node, "lifetime", lifetime);
    }
}

/* The cluster properties of the table, each network's for each listed
 * network, then any other drover-* property */
static void
show_properties(const drover_cib_t *cib, xmlNode *list)
{
    g_autoptr(GHashTable) properties = drover_cib_properties(cib, "drover-");
    g_autoptr(GHashTable) shown = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    const char *list_text = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);

    if (list_text != NULL) {
        (void) drover_networks_parse(list_text, &networks, reason);
    }
    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        if (o->scope == DROVER_OPTION_CLUSTER) {
            add_setting(list, "property", o->name, o,
                        g_hash_table_lookup(properties, o->name));
            g_hash_table_add(shown, (gpointer) o->name);
            continue;
        }
        for (guint i = 0; o->scope == DROVER_OPTION_NETWORK && networks != NULL
                          && i < networks->len;
             i++) {
            const drover_network_t *n = g_ptr_array_index(networks, i);
            g_autoptr(GString) name = g_string_new(o->name);
            gssize open = strchr(o->name, '<') - o->name;
            gssize close = strchr(o->name, '>') - o->name;
            gpointer key = NULL;

            g_string_erase(name, open, close - open + 1);
            g_string_insert(name, open, n->name);
            add_setting(list, "property", name->str, o,
                        g_hash_table_lookup(properties, name->str));
            if (g_hash_table_lookup_extended(properties, name->str, &key,
                                             NULL)) {
                g_hash_table_add(shown, key);
            }
        }
    }
    add_others(list, "property", properties, shown, NULL);
}

static void
show_node(const drover_cib_t *cib, const char *node, xmlNode *attrs)
{
    g_autoptr(GHashTable) permanent =
        drover_cib_node_attrs(cib, node, "drover-", DROVER_ATTR_PERMANENT);
    g_autoptr(GHashTable) transient =
        drover_cib_node_attrs(cib, node, "drover-", DROVER_ATTR_TRANSIENT);
    g_autoptr(GHashTable) shown = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) none = g_hash_table_new(g_str_hash, g_str_equal);

    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        if (o->scope == DROVER_OPTION_NODE) {
            add_setting(attrs, "attribute", o->name, o,
                        g_hash_table_lookup(permanent, o->name));
            g_hash_table_add(shown, (gpointer) o->name);
        }
    }
    add_others(attrs, "attribute", permanent, shown, "permanent");
    add_others(attrs, "attribute", transient, none, "transient");
}

static crm_exit_t
config_show(cli_t *cli)
{
    g_autoptr(drover_output_t) out = drover_output_new("config show");
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    xmlNode *list = NULL;
    crm_exit_t rc = cli_cib(cli, out, &cib);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    show_properties(cib,
                    drover_output_add(drover_output_root(out), "properties"));
    nodes = drover_cib_nodes(cib);
    list = drover_output_add(drover_output_root(out), "nodes");
    for (guint i = 0; i < nodes->len; i++) {
        drover_cib_node_t *node = g_ptr_array_index(nodes, i);
        xmlNode *n = drover_output_add(list, "node");

        drover_output_set(n, "name", node->name);
        drover_output_set_bool(out, n, "online", node->online);
        show_node(cib, node->name, drover_output_add(n, "attributes"));
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

/* "2", "not set: no directory check" */
static char *
option_default(const drover_option_t *o)
{
    if (o->default_value != NULL) {
        return g_strdup(o->default_value);
    }
    return g_strdup_printf("not set: %s", option_unset(o));
}

static void
config_options_text(const xmlNode *result, GString *text)
{
    xmlNode *list = xmlFirstElementChild((xmlNode *) result);

    for (xmlNode *o = xmlFirstElementChild(list); o != NULL;
         o = xmlNextElementSibling(o)) {
        g_string_append_printf(text, "%s (%s)\n    %s\n    Valid: %s\n",
                               drover_output_get(o, "name"),
                               drover_output_get(o, "scope"),
                               drover_output_get(o, "description"),
                               drover_output_get(o, "values"));
        if (xmlHasProp(o, BAD_CAST "default") != NULL) {
            g_string_append_printf(text, "    Default: %s\n",
                                   drover_output_get(o, "default"));
        } else if (xmlHasProp(o, BAD_CAST "unset") != NULL) {
            g_string_append_printf(text, "    Unset: %s\n",
                                   drover_output_get(o, "unset"));
        }
    }
}

/* Every setting drover reads or writes in the CIB (lib/options.c) */
static crm_exit_t
config_options(cli_t *cli)
{
    g_autoptr(drover_output_t) out = drover_output_new("config options");
    xmlNode *list = drover_output_add(drover_output_root(out), "options");

    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        xmlNode *node = drover_output_add(list, "option");
        g_autofree char *values = drover__option_values(o);

        drover_output_set(node, "name", o->name);
        drover_output_set(node, "scope", drover__option_scope_name(o->scope));
        drover_output_set(node, "values", values);
        drover_output_set(node, "default", o->default_value);
        if (o->default_value == NULL) {
            drover_output_set(node, "unset", option_unset(o));
        }
        drover_output_set(node, "description", o->description);
    }
    return cli_finish(cli, out, config_options_text);
}

void
cli_options_man(GString *man)
{
    g_string_append(man, ".SH SETTINGS\n"
                         "drover's settings in the CIB; names in <> stand "
                         "for a network's, node's or VM's name.  ");
    drover__roff_text(man, "drover config show prints their values, drover "
                           "config check checks them.");
    g_string_append_c(man, '\n');
    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        g_autofree char *values = drover__option_values(o);
        g_autofree char *fallback = option_default(o);

        g_string_append(man, ".TP\n.B ");
        drover__roff_text(man, o->name);
        g_string_append(man, "\n");
        drover__roff_text(man, o->description);
        g_string_append(man, ".\n(");
        drover__roff_text(man, drover__option_scope_name(o->scope));
        g_string_append(man, "; ");
        drover__roff_text(man, values);
        g_string_append(man, "; default ");
        drover__roff_text(man, fallback);
        g_string_append(man, ")\n");
    }
}

/* A Markdown table cell: no '|' or newline breaks it */
static void
markdown_cell(GString *md, const char *text)
{
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '|') {
            g_string_append(md, "\\|");
        } else {
            g_string_append_c(md, (*c == '\n') ? ' ' : *c);
        }
    }
}

void
cli_options_markdown(GString *md)
{
    g_string_append(
        md, "# drover's settings\n\n"
            "<!-- Generated by `drover help --markdown` from lib/options.c; "
            "tests/man/check fails when this file differs.  Do not edit. "
            "-->\n\n"
            "Every drover setting in the CIB: the cluster properties and "
            "node attributes an admin sets, then the node attributes drover "
            "writes.  A name part in <> stands for a network's, node's or "
            "VM's name.  `drover config show` prints the values the cluster "
            "holds (defaults marked), `drover config check` checks them, "
            "`drover config options` prints this table.\n\n"
            "| name | where | valid | default | what it does |\n"
            "|---|---|---|---|---|\n");
    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        g_autofree char *values = drover__option_values(o);
        g_autofree char *fallback = option_default(o);

        g_string_append(md, "| `");
        markdown_cell(md, o->name);
        g_string_append(md, "` | ");
        markdown_cell(md, drover__option_scope_name(o->scope));
        g_string_append(md, " | ");
        markdown_cell(md, values);
        g_string_append(md, " | ");
        markdown_cell(md, fallback);
        g_string_append(md, " | ");
        markdown_cell(md, o->description);
        g_string_append(md, " |\n");
    }
}

crm_exit_t
cmd_config(cli_t *cli, int argc, char **argv)
{
    crm_exit_t rc = cli_parse(cli, "config", "show|check|options",
                              "show: drover's settings as the cluster holds "
                              "them (defaults marked), and any other "
                              "property or node attribute named drover-*.\n"
                              "check: check them; exit 78 if anything is "
                              "invalid.\noptions: every setting, where it "
                              "goes, what is valid and its default.",
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
    if (argc == 2 && strcmp(argv[1], "options") == 0) {
        return config_options(cli);
    }
    {
        g_autofree char *shown = drover__shown((argc > 1) ? argv[1] : "");

        fprintf(stderr,
                "drover config: Expected 'show', 'check' or 'options', not "
                "'%s'\n",
                shown);
    }
    return CRM_EX_USAGE;
}
