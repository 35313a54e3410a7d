/*
 * drover networks explain VM --to NODE [--from NODE]: which migration
 * network a migration of VM would use, and why each other one would be
 * skipped — without migrating.  On the source node itself the path probes
 * run too; elsewhere the verdicts rest on what the nodes published.
 * With --check, also what in VM's domain keeps it from moving live at all
 * (host devices, node-local disks: what drover drain shows as blocked).
 */
#include <stdio.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/domxml.h>
#include <drover/netsel.h>
#include <drover/platform.h>
#include <drover/probe.h>
#include <drover/rc.h>
#include <drover/record.h>

#include "cli.h"
#include "drover_private.h"

static char *to_node = NULL;
static char *from_node = NULL;
static gboolean check = FALSE;

static GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING, &to_node, "The target node (required)",
      "NODE" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from_node,
      "The source node (default: where VM runs now)", "NODE" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check,
      "Also check what in VM's domain keeps it from moving live (host "
      "devices, disks only one node sees)",
      NULL },
    { 0 },
};

static const char *verdict_names[] = {
    [DROVER_NET_CHOSEN] = "chosen",
    [DROVER_NET_SKIPPED] = "skipped",
    [DROVER_NET_NOT_TRIED] = "not tried",
    [DROVER_NET_EQUAL] = "equal",
};

static void
explain_text(const xmlNode *result, GString *text)
{
    xmlNode *list = xmlFirstElementChild((xmlNode *) result);
    int i = 0;

    if (list == NULL || !xmlStrEqual(list->name, BAD_CAST "networks")) {
        return;
    }
    if (strcmp(drover_output_get(list, "checked"), "true") == 0) {
        if (*drover_output_get(list, "blocked") != '\0') {
            g_string_append_printf(text, "%s cannot move live: %s\n",
                                   drover_output_get(list, "vm"),
                                   drover_output_get(list, "blocked"));
        } else if (*drover_output_get(list, "unchecked") != '\0') {
            g_string_append_printf(text,
                                   "%s: what blocks a live move cannot be "
                                   "told here: %s\n",
                                   drover_output_get(list, "vm"),
                                   drover_output_get(list, "unchecked"));
        } else {
            g_string_append_printf(text,
                                   "%s: nothing in its domain blocks a live "
                                   "move (host devices, disks)\n",
                                   drover_output_get(list, "vm"));
        }
    }
    g_string_append_printf(
        text, "%s from %s to %s", drover_output_get(list, "vm"),
        drover_output_get(list, "from"), drover_output_get(list, "to"));
    if (strcmp(drover_output_get(list, "configured"), "false") == 0) {
        g_string_append(text, ": drover-migration-networks is not set; "
                              "migrateuri or libvirt decide\n");
        return;
    }
    g_string_append_printf(text, "%s:\n",
                           strcmp(drover_output_get(list, "probed"), "true")
                                   == 0
                               ? ""
                               : " (path probes not run: not on the source)");
    for (xmlNode *n = xmlFirstElementChild(xmlFirstElementChild(list));
         n != NULL; n = xmlNextElementSibling(n)) {
        g_string_append_printf(
            text, "  %d. %-8s %-9s %s%s%s%s\n", ++i,
            drover_output_get(n, "name"), drover_output_get(n, "verdict"),
            drover_output_get(n, "reason"),
            (*drover_output_get(n, "address") != '\0') ? " (" : "",
            drover_output_get(n, "address"),
            (*drover_output_get(n, "address") != '\0') ? ")" : "");
    }
}

/* The node where crm_mon says \p vm is started, or NULL (valid while \p mon
 * lives) */
static const char *
running_on(xmlDoc *mon, const char *vm)
{
    xmlNode *r = cli_mon_resource(xmlDocGetRootElement(mon), vm);
    xmlNode *where = (r != NULL) ? cli_xml_find(r, "node") : NULL;

    return (where != NULL
            && strcmp(drover_output_get(r, "role"), "Started") == 0)
               ? drover_output_get(where, "name")
               : NULL;
}

/* With --check, a blocked VM makes the answer "unsatisfied" */
static crm_exit_t
finish(cli_t *cli, drover_output_t *out, const char *blocked)
{
    if (blocked == NULL) {
        return cli_finish(cli, out, explain_text);
    }
    drover_output_status(out, CRM_EX_UNSATISFIED, "Cannot move live");
    drover_output_print(out, cli->format, explain_text, stdout);
    return CRM_EX_UNSATISFIED;
}

/* --check: whether \p to's QEMU takes the VM from \p from, as their
 * NodeHealth published them (drover_platform_refuses()); nothing is known
 * without a cluster (CIB_file) */
static char *
qemu_refuses(cli_t *cli, const char *from, const char *to, const char *arch,
             const char *machine)
{
    g_autoptr(GHashTable) published = NULL;
    drover_platform_t here = { 0 };
    drover_platform_t there = { 0 };
    char *why = NULL;

    if (g_getenv("CIB_file") != NULL
        || drover_private_attr_read(
               DROVER_PLATFORM_ATTR,
               MIN(cli_deadline(cli), drover_deadline_in_ms(5000)), &published)
               != 0) {
        return NULL;
    }
    (void) drover_platform_parse(g_hash_table_lookup(published, from), &here);
    (void) drover_platform_parse(g_hash_table_lookup(published, to), &there);
    why = drover_platform_refuses(from, &here, to, &there, arch, machine);
    drover_platform_clear(&here);
    drover_platform_clear(&there);
    return why;
}

static crm_exit_t
explain(cli_t *cli, const char *vm)
{
    g_autoptr(drover_output_t) out = drover_output_new("networks explain");
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(drover_netplan_t) plan = NULL;
    g_autoptr(GPtrArray) choices = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(xmlDoc) mon = NULL;
    g_autofree char *blocked = NULL;
    g_autofree char *unknown = NULL;
    const char *from = from_node;
    bool local = false;
    drover_netsel_t sel = { 0 };
    xmlNode *list = NULL;
    xmlNode *candidates = NULL;
    int chosen;
    int rc;
    crm_exit_t exit_code = cli_cib(cli, out, &cib);

    if (exit_code != CRM_EX_OK) {
        return exit_code;
    }
    if (!drover_cib_has_resource(cib, vm)) {
        g_autofree char *shown = drover__shown(vm);

        return cli_fail(cli, out, CRM_EX_NOSUCH, "No resource '%s'", shown);
    }
    if (from == NULL) { /* where it runs now */
        exit_code = cli_crm_mon(cli, out, &mon);
        if (exit_code != CRM_EX_OK) {
            return exit_code;
        }
        from = running_on(mon, vm);
        if (from == NULL) {
            return cli_fail(cli, out, CRM_EX_NOT_RUNNING,
                            "%s runs nowhere now: --from NODE says from where",
                            vm);
        }
    }
    if (strcmp(from, to_node) == 0) {
        return cli_fail(cli, out, CRM_EX_USAGE,
                        "%s would go from %s to %s: --to names another node "
                        "(--from the source, when it is not where %s runs)",
                        vm, from, to_node, vm);
    }
    local = (strcmp(from, g_get_host_name()) == 0);
    rc = drover_netplan_load(
        cib, drover_cib_resource_param(cib, vm, "migration_networks"), from,
        to_node, local, &plan, reason);
    if (rc != 0) {
        return cli_fail(cli, out, CRM_EX_CONFIG, "%s", reason->str);
    }
    list = drover_output_add(drover_output_root(out), "networks");
    drover_output_set(list, "vm", vm);
    drover_output_set(list, "from", from);
    drover_output_set(list, "to", to_node);
    drover_output_set_bool(out, list, "configured", plan != NULL);
    if (check) {
        g_autofree char *config = NULL;
        g_autofree char *arch = NULL;
        g_autofree char *machine = NULL;

        blocked = cli_vm_blocked(cib, vm, &unknown, &config);
        if (config != NULL) {
            drover_domxml_machine(config, &arch, &machine);
        }
        if (blocked == NULL) {
            blocked = qemu_refuses(cli, from, to_node, arch, machine);
        }
        if (blocked == NULL && config != NULL) {
            blocked = cli_cpu_refuses(cli, cib, vm, config, to_node);
        }
        drover_output_set_bool(out, list, "checked", true);
        drover_output_set(list, "blocked", blocked);
        drover_output_set(list, "unchecked", unknown);
    }
    if (plan == NULL) {
        return finish(cli, out, blocked);
    }
    drover_output_set_bool(out, list, "probed", local);
    candidates = drover_output_add(list, "candidates");

    sel.order = plan->order;
    sel.policy = plan->policy;
    sel.source_node = from;
    sel.target_node = to_node;
    sel.source_facts = plan->source_facts;
    sel.target_facts = plan->target_facts;
    sel.probe = local ? drover_probe_path_quick : NULL;
    chosen = drover_netsel_choose(&sel, &choices);
    for (guint i = 0; i < choices->len; i++) {
        drover_net_choice_t *c = g_ptr_array_index(choices, i);
        xmlNode *n = drover_output_add(candidates, "network");
        g_autofree char *address =
            (c->target != NULL) ? g_inet_address_to_string(c->target) : NULL;

        drover_output_set(n, "name", c->network->name);
        drover_output_set(n, "verdict", verdict_names[c->verdict]);
        drover_output_set(n, "reason", c->reason);
        drover_output_set(n, "address", address);
    }
    if (chosen >= 0) {
        return finish(cli, out, blocked);
    }
    drover_output_status(out, CRM_EX_UNSATISFIED,
                         "No usable migration network");
    drover_output_print(out, cli->format, explain_text, stdout);
    return CRM_EX_UNSATISFIED;
}

crm_exit_t
cmd_networks(cli_t *cli, int argc, char **argv)
{
    crm_exit_t rc = cli_parse(
        cli, "networks", "explain VM --to NODE [--from NODE] [--check]",
        "Which migration network a migration of VM from one node to another "
        "would use, and why each other network would be skipped, without "
        "migrating.  Exit 0 if a network would be chosen, 113 if none.",
        entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 3 || strcmp(argv[1], "explain") != 0) {
        fprintf(stderr, "drover networks: Expected 'explain VM --to NODE'\n");
        return CRM_EX_USAGE;
    }
    if (to_node == NULL) {
        fprintf(stderr, "drover networks explain: --to NODE is required\n");
        return CRM_EX_USAGE;
    }
    return explain(cli, argv[2]);
}
