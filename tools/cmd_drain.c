/*
 * drover drain NODE --dry-run: the plan for emptying NODE — which VMs
 * leave in which order, to which node, over which network — from the
 * cluster's current state, changing nothing (docs/drain.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crm/common/util.h> /* crm_is_true() */

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/drain.h>
#include <drover/netsel.h>
#include <drover/rc.h>

#include "cli.h"
#include "drover_private.h"

static gboolean dry_run = FALSE;
static char **targets = NULL;
static char *on_unmovable = NULL;

static GOptionEntry entries[] = {
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
      "Print the plan, change nothing", NULL },
    { "target", 0, 0, G_OPTION_ARG_STRING_ARRAY, &targets,
      "Only to this node (repeat for more)", "NODE" },
    { "on-unmovable", 0, 0, G_OPTION_ARG_STRING, &on_unmovable,
      "A VM that cannot be live-migrated: skip it, stop it, or fail (no "
      "plan; the default)",
      "skip|stop|fail" },
    { 0 },
};

static void
plan_text(const xmlNode *result, GString *text)
{
    xmlNode *plan = xmlFirstElementChild((xmlNode *) result);
    int n = 0;

    if (plan == NULL) {
        return;
    }
    for (xmlNode *s = xmlFirstElementChild(plan); s != NULL;
         s = xmlNextElementSibling(s)) {
        n++;
    }
    g_string_append_printf(text, "Drain of %s%s: %d VM(s), in this order\n",
                           drover_output_get(plan, "node"),
                           strcmp(drover_output_get(plan, "dry-run"), "true")
                                   == 0
                               ? " (dry run: nothing changed)"
                               : "",
                           n);
    for (xmlNode *s = xmlFirstElementChild(plan); s != NULL;
         s = xmlNextElementSibling(s)) {
        const char *action = drover_output_get(s, "action");
        const char *network = drover_output_get(s, "network");

        if (strcmp(action, "migrate") == 0) {
            g_string_append_printf(
                text, "  %2s. %-12s -> %-8s over %-6s priority %s, %s MiB: %s\n",
                drover_output_get(s, "order"), drover_output_get(s, "vm"),
                drover_output_get(s, "target"),
                (*network != '\0') ? network : "default",
                drover_output_get(s, "priority"),
                drover_output_get(s, "memory-mib"),
                drover_output_get(s, "reason"));
        } else {
            g_string_append_printf(text, "  %2s. %-12s %-8s %s\n",
                                   drover_output_get(s, "order"),
                                   drover_output_get(s, "vm"), action,
                                   drover_output_get(s, "reason"));
        }
    }
}

static gint64
mib(const char *text)
{
    gint64 value = 0;

    return (text != NULL
            && g_ascii_string_to_signed(text, 10, 0, G_MAXINT32, &value, NULL))
               ? value
               : -1;
}

static bool
is_vm(xmlNode *r)
{
    const char *agent = cli_xml_prop(r, "resource_agent");

    return strcmp(agent, "ocf:drover:VirtualDomain") == 0
           || strcmp(agent, "ocf:heartbeat:VirtualDomain") == 0;
}

/* Every running VM of \p node's subtree */
static void
collect_vms(const drover_cib_t *cib, xmlNode *node, GPtrArray *vms)
{
    for (xmlNode *r = xmlFirstElementChild(node); r != NULL;
         r = xmlNextElementSibling(r)) {
        drover_plan_vm_t *vm = NULL;
        xmlNode *where = NULL;
        const char *id = NULL;
        const char *migrate = NULL;
        const char *priority = NULL;

        if (!xmlStrEqual(r->name, BAD_CAST "resource")) {
            collect_vms(cib, r, vms);
            continue;
        }
        where = cli_xml_find(r, "node");
        if (!is_vm(r) || where == NULL) {
            continue;
        }
        id = cli_xml_prop(r, "id");
        migrate = drover_cib_resource_meta(cib, id, "allow-migrate");
        priority = drover_cib_resource_meta(cib, id, "priority");
        vm = g_new0(drover_plan_vm_t, 1);
        vm->id = g_strdup(id);
        vm->node = g_strdup(cli_xml_prop(where, "name"));
        vm->priority = (priority != NULL) ? atoi(priority) : 0;
        vm->memory_mib =
            MAX(mib(drover_cib_resource_utilization(cib, id, "memory")), 0);
        vm->migratable = (migrate != NULL && crm_is_true(migrate));
        vm->banned = drover_cib_banned_nodes(cib, id);
        g_ptr_array_add(vms, vm);
    }
}

static GPtrArray *
collect_nodes(const drover_cib_t *cib, xmlNode *mon_nodes, GPtrArray *vms)
{
    GPtrArray *nodes = g_ptr_array_new_with_free_func(drover_plan_node_free);

    for (xmlNode *n = xmlFirstElementChild(mon_nodes); n != NULL;
         n = xmlNextElementSibling(n)) {
        drover_plan_node_t *node = g_new0(drover_plan_node_t, 1);
        const char *policy = NULL;

        node->name = g_strdup(cli_xml_prop(n, "name"));
        node->online = strcmp(cli_xml_prop(n, "online"), "true") == 0;
        node->standby = strcmp(cli_xml_prop(n, "standby"), "true") == 0;
        policy = drover_cib_node_attr(cib, node->name, DROVER_INCOMING_ATTR,
                                      DROVER_ATTR_PERMANENT);
        node->accepts_live = (g_strcmp0(policy, "none") != 0);
        node->capacity_mib =
            mib(drover_cib_node_utilization(cib, node->name, "memory"));
        for (guint i = 0; i < vms->len; i++) {
            drover_plan_vm_t *vm = g_ptr_array_index(vms, i);

            if (strcmp(vm->node, node->name) == 0) {
                node->used_mib += vm->memory_mib;
            }
        }
        g_ptr_array_add(nodes, node);
    }
    return nodes;
}

/* The network the migration would take, from what the nodes published
 * (no probes: this may not run on the source) */
static char *
plan_network(const drover_cib_t *cib, const char *vm, const char *from,
             const char *to)
{
    g_autoptr(drover_netplan_t) plan = NULL;
    g_autoptr(GPtrArray) choices = NULL;
    g_autoptr(GString) ignored = g_string_new(NULL);
    drover_netsel_t sel = { 0 };
    int chosen;

    if (drover_netplan_load(cib,
                            drover_cib_resource_param(cib, vm,
                                                      "migration_networks"),
                            from, to, false, &plan, ignored)
            != 0
        || plan == NULL) {
        return NULL;
    }
    sel.order = plan->order;
    sel.policy = plan->policy;
    sel.source_node = from;
    sel.target_node = to;
    sel.source_facts = plan->source_facts;
    sel.target_facts = plan->target_facts;
    chosen = drover_netsel_choose(&sel, &choices);
    if (chosen < 0) {
        return g_strdup("none usable");
    }
    return g_strdup(
        ((drover_net_choice_t *) g_ptr_array_index(choices, chosen))
            ->network->name);
}

static crm_exit_t
plan(cli_t *cli, const char *node_name)
{
    g_autoptr(drover_output_t) out = drover_output_new("drain");
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(xmlDoc) mon = NULL;
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) nodes = NULL;
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_FAIL,
                                 .targets = (const char *const *) targets };
    xmlNode *root = NULL;
    xmlNode *list = NULL;
    bool known = false;
    crm_exit_t rc;
    int cib_rc;

    if (on_unmovable != NULL
        && drover_unmovable_parse(on_unmovable, &opts.on_unmovable) != 0) {
        g_autofree char *shown = drover__shown(on_unmovable);

        fprintf(stderr,
                "drover drain: --on-unmovable must be skip, stop or fail, "
                "not '%s'\n",
                shown);
        return CRM_EX_USAGE;
    }
    cib_rc = drover_cib_query(cli_deadline(cli), &cib);
    if (cib_rc != 0) {
        return cli_fail(cli, out, drover_rc_to_exit(cib_rc),
                        "Cannot read the cluster configuration: %s",
                        drover_rc_str(cib_rc));
    }
    rc = cli_crm_mon(cli, out, &mon);
    if (rc != CRM_EX_OK) {
        return rc;
    }
    root = xmlDocGetRootElement(mon);
    collect_vms(cib, cli_xml_find(root, "resources"), vms);
    nodes = collect_nodes(cib, cli_xml_find(root, "nodes"), vms);
    for (guint i = 0; i < nodes->len; i++) {
        known = known
                || strcmp(((drover_plan_node_t *) g_ptr_array_index(nodes, i))
                              ->name,
                          node_name)
                       == 0;
    }
    for (char **t = targets; t != NULL && *t != NULL; t++) {
        if (strcmp(*t, node_name) == 0) {
            return cli_fail(cli, out, CRM_EX_USAGE,
                            "--target %s: the node being drained", *t);
        }
    }
    if (!known) {
        g_autofree char *shown = drover__shown(node_name);

        return cli_fail(cli, out, CRM_EX_NOSUCH, "No node '%s' in the cluster",
                        shown);
    }
    if (drover_drain_plan(node_name, nodes, vms, &opts, &steps, reason) != 0) {
        return cli_fail(cli, out, CRM_EX_UNSATISFIED,
                        "No plan: %s (--on-unmovable=skip or stop to go on "
                        "without it)",
                        reason->str);
    }
    list = drover_output_add(drover_output_root(out), "plan");
    drover_output_set(list, "node", node_name);
    drover_output_set_bool(out, list, "dry-run", dry_run);
    for (guint i = 0; i < steps->len; i++) {
        drover_plan_step_t *s = g_ptr_array_index(steps, i);
        xmlNode *step = drover_output_add(list, "step");
        g_autofree char *network =
            (s->action == DROVER_STEP_MIGRATE)
                ? plan_network(cib, s->vm->id, node_name, s->target)
                : NULL;

        drover_output_set_int(out, step, "order", i + 1);
        drover_output_set(step, "vm", s->vm->id);
        drover_output_set(step, "action", drover_step_action_str(s->action));
        drover_output_set(step, "target", s->target);
        drover_output_set(step, "network", network);
        drover_output_set_int(out, step, "priority", s->vm->priority);
        drover_output_set_int(out, step, "memory-mib", s->vm->memory_mib);
        drover_output_set(step, "reason", s->reason);
    }
    return cli_finish(cli, out, plan_text);
}

crm_exit_t
cmd_drain(cli_t *cli, int argc, char **argv)
{
    crm_exit_t rc = cli_parse(
        cli, "drain", "NODE --dry-run",
        "Plan the evacuation of NODE: its VMs by priority (highest first), "
        "then smallest memory first, each to the allowed node with the most "
        "free memory (Pacemaker utilization \"memory\"), never beyond its "
        "capacity, over the network a migration would choose.  This version "
        "plans only (--dry-run).",
        entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 2) {
        fprintf(stderr, "drover drain: Expected one NODE\n");
        return CRM_EX_USAGE;
    }
    if (!dry_run) {
        fprintf(stderr, "drover drain: only --dry-run is available in this "
                        "version (the plan); to empty the node now use "
                        "crm_standby, within drover's migration limits\n");
        return CRM_EX_UNIMPLEMENT_FEATURE;
    }
    return plan(cli, argv[1]);
}
