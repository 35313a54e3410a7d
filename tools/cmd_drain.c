/*
 * drover drain NODE --dry-run: the plan for emptying NODE — which VMs
 * leave in which order, to which node, over which network — from the
 * cluster's current state, changing nothing (docs/drain.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/domxml.h>
#include <drover/drain.h>
#include <drover/health.h>
#include <drover/netsel.h>
#include <drover/rc.h>
#include <drover/record.h>
#include <drover/slot_group.h>
#include <drover/spawn.h>

#include "cli.h"
#include "drover_private.h"

static gboolean dry_run = FALSE;
static gboolean wait_done = FALSE;
static gboolean cancel = FALSE;
static gboolean failback = FALSE;
static char **targets = NULL;
static char *on_unmovable = NULL;
static char *order = NULL;

#define DRAIN_PREFER "10000" /* beats any stickiness */

static GOptionEntry entries[] = {
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
      "Print the plan, change nothing", NULL },
    { "target", 0, 0, G_OPTION_ARG_STRING_ARRAY, &targets,
      "Only to this node (repeat for more)", "NODE" },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &wait_done,
      "Show progress until the node is empty (exit 0 then)", NULL },
    { "cancel", 0, 0, G_OPTION_ARG_NONE, &cancel,
      "Stop the drain: running migrations finish, nothing else moves", NULL },
    { "order", 0, 0, G_OPTION_ARG_STRING, &order,
      "These VMs leave first, in this order; the others after them, by "
      "priority",
      "VM[,VM...]" },
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
        n += xmlStrEqual(s->name, BAD_CAST "step");
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

        if (xmlStrEqual(s->name, BAD_CAST "avoided")) {
            g_string_append_printf(text, "  not a target: %s, %s\n",
                                   drover_output_get(s, "node"),
                                   drover_output_get(s, "reason"));
        } else if (strcmp(action, "migrate") == 0) {
            g_string_append_printf(
                text,
                "  %2s. %-12s -> %-8s over %-6s priority %s, %s MiB: %s\n",
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
    const char *agent = drover_output_get(r, "resource_agent");

    return strcmp(agent, "ocf:drover:VirtualDomain") == 0
           || strcmp(agent, "ocf:heartbeat:VirtualDomain") == 0;
}

/* crm_mon's VMs that are placed on a node, in groups and clones too
 * (borrowed xmlNode *, added to \p out) */
static void
placed_vms(xmlNode *resources, GPtrArray *out)
{
    for (xmlNode *r = xmlFirstElementChild(resources); r != NULL;
         r = xmlNextElementSibling(r)) {
        if (!xmlStrEqual(r->name, BAD_CAST "resource")) {
            placed_vms(r, out);
        } else if (is_vm(r) && cli_xml_find(r, "node") != NULL) {
            g_ptr_array_add(out, r);
        }
    }
}

/* Every placed VM of crm_mon's \p resources, for the planner */
static void
collect_vms(const drover_cib_t *cib, xmlNode *resources, GPtrArray *vms)
{
    g_autoptr(GPtrArray) placed = g_ptr_array_new();

    placed_vms(resources, placed);
    for (guint i = 0; i < placed->len; i++) {
        xmlNode *r = g_ptr_array_index(placed, i);
        xmlNode *where = cli_xml_find(r, "node");
        const char *id = drover_output_get(r, "id");
        const char *migrate =
            drover_cib_resource_meta(cib, id, "allow-migrate");
        const char *priority = drover_cib_resource_meta(cib, id, "priority");
        drover_plan_vm_t *vm = g_new0(drover_plan_vm_t, 1);

        vm->id = g_strdup(id);
        vm->node = g_strdup(drover_output_get(where, "name"));
        vm->priority = (priority != NULL) ? atoi(priority) : 0;
        vm->memory_mib =
            MAX(mib(drover_cib_resource_utilization(cib, id, "memory")), 0);
        vm->migratable = (migrate != NULL && drover_cib_is_true(migrate));
        vm->banned = drover_cib_banned_nodes(cib, id);
        vm->together = drover_cib_colocated(cib, id, false);
        vm->apart = drover_cib_colocated(cib, id, true);
        vm->after = drover_cib_ordered_after(cib, id);
        g_ptr_array_add(vms, vm);
    }
}

/* What keeps each VM on \p node from moving live (cli_vm_blocked()),
 * and what the planner asks of each target: the VM's machine type, and
 * which online nodes' libvirt cannot provide its CPU */
static void
find_blockers(cli_t *cli, const drover_cib_t *cib, const char *node,
              GPtrArray *vms, const GPtrArray *nodes)
{
    for (guint i = 0; i < vms->len; i++) {
        drover_plan_vm_t *vm = g_ptr_array_index(vms, i);
        g_autofree char *config = NULL;

        if (strcmp(vm->node, node) != 0 || !vm->migratable) {
            continue;
        }
        vm->blocked = cli_vm_blocked(cib, vm->id, NULL, &config);
        if (config == NULL) {
            continue;
        }
        drover_domxml_machine(config, &vm->arch, &vm->machine);
        for (guint j = 0; j < nodes->len && vm->blocked == NULL; j++) {
            const drover_plan_node_t *n = g_ptr_array_index(nodes, j);
            char *why = (n->online && strcmp(n->name, node) != 0)
                            ? cli_cpu_refuses(cli, cib, vm->id, config, n->name)
                            : NULL;

            if (why == NULL) {
                continue;
            }
            if (vm->cpu_refused == NULL) {
                vm->cpu_refused = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                        g_free, g_free);
            }
            g_hash_table_insert(vm->cpu_refused, g_strdup(n->name), why);
        }
    }
}

/*
 * Other drains under way: a VM they send elsewhere counts where it goes,
 * not where it is — so two drains do not fill the same room twice, and
 * a VM on its way to the node now drained is planned again.
 */
static void
follow_other_drains(const drover_cib_t *cib, xmlNode *mon_nodes, GPtrArray *vms)
{
    for (xmlNode *n = xmlFirstElementChild(mon_nodes); n != NULL;
         n = xmlNextElementSibling(n)) {
        const char *name = drover_output_get(n, "name");
        const char *moves = drover_cib_node_attr(
            cib, name, DROVER_DRAIN_PLAN_ATTR, DROVER_ATTR_PERMANENT);
        g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);

        if (g_strcmp0(drover_cib_node_attr(cib, name, DROVER_DRAIN_STATE_ATTR,
                                           DROVER_ATTR_PERMANENT),
                      "draining")
            != 0) {
            continue;
        }
        drover_drain_moves_parse((moves != NULL) ? moves : "", ids, to);
        for (guint i = 0; i < ids->len; i++) {
            for (guint j = 0; j < vms->len; j++) {
                drover_plan_vm_t *vm = g_ptr_array_index(vms, j);

                if (strcmp(vm->id, g_ptr_array_index(ids, i)) == 0
                    && strcmp(vm->node, name) == 0) {
                    g_free(vm->node);
                    vm->node = g_strdup(g_ptr_array_index(to, i));
                }
            }
        }
    }
}

/*
 * The nodes as targets.  Host facts come from NodeHealth's private
 * attribute, except for a CIB file (CIB_file): a what-if on a file uses
 * only what the file says.
 */
static GPtrArray *
collect_nodes(cli_t *cli, const drover_cib_t *cib, xmlNode *mon_nodes,
              GPtrArray *vms)
{
    GPtrArray *nodes = g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GHashTable) hosts = NULL;
    g_autoptr(GHashTable) platforms = NULL;

    /* no NodeHealth: utilization only, any QEMU */
    if (g_getenv("CIB_file") == NULL
        && drover_private_attr_read(
               DROVER_HOST_ATTR,
               MIN(cli_deadline(cli), drover_deadline_in_ms(5000)), &hosts)
               != 0) {
        g_clear_pointer(&hosts, g_hash_table_unref);
    }
    if (g_getenv("CIB_file") == NULL
        && drover_private_attr_read(
               DROVER_PLATFORM_ATTR,
               MIN(cli_deadline(cli), drover_deadline_in_ms(5000)), &platforms)
               != 0) {
        g_clear_pointer(&platforms, g_hash_table_unref);
    }

    for (xmlNode *n = xmlFirstElementChild(mon_nodes); n != NULL;
         n = xmlNextElementSibling(n)) {
        drover_plan_node_t *node =
            drover_plan_node_new(drover_output_get(n, "name"));
        const char *policy = NULL;
        const char *facts =
            (hosts != NULL) ? g_hash_table_lookup(hosts, node->name) : NULL;

        if (facts != NULL && drover_host_facts_parse(facts, &node->host) != 0) {
            node->host = (drover_host_facts_t){ .mem_available_mib = -1,
                                                .load = -1 }; /* unknown */
        }
        if (platforms != NULL) {
            (void) drover_platform_parse(
                g_hash_table_lookup(platforms, node->name), &node->platform);
        }
        node->health = drover_node_health(cib, node->name, &node->health_why);
        node->online = strcmp(drover_output_get(n, "online"), "true") == 0;
        node->standby = strcmp(drover_output_get(n, "standby"), "true") == 0;
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
 * (no probes: this may not run on the source).  Of a group's usable
 * networks, the one the plan gave the fewest migrations so far
 * (\p assigned: name -> count), as the slot group spreads them. */
static char *
plan_network(const drover_cib_t *cib, const char *vm, const char *from,
             const char *to, GHashTable *assigned)
{
    const char *best = NULL;
    guint best_count = G_MAXUINT;
    g_autoptr(drover_netplan_t) plan = NULL;
    g_autoptr(GPtrArray) choices = NULL;
    g_autoptr(GString) ignored = g_string_new(NULL);
    drover_netsel_t sel = { 0 };
    int chosen;

    if (drover_netplan_load(
            cib, drover_cib_resource_param(cib, vm, "migration_networks"), from,
            to, false, &plan, ignored)
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
    for (guint i = chosen; i < choices->len; i++) {
        const drover_net_choice_t *c = g_ptr_array_index(choices, i);
        guint n =
            GPOINTER_TO_UINT(g_hash_table_lookup(assigned, c->network->name));

        if ((c->verdict == DROVER_NET_CHOSEN || c->verdict == DROVER_NET_EQUAL)
            && n < best_count) {
            best = c->network->name;
            best_count = n;
        }
    }
    g_hash_table_insert(assigned, g_strdup(best),
                        GUINT_TO_POINTER(best_count + 1));
    return g_strdup(best);
}

/* ------------------------------------------------------------------ */
/* Carrying it out: all of it in the CIB, Pacemaker moves the VMs     */
/* ------------------------------------------------------------------ */

/* Run a Pacemaker tool; 0, or a result after saying what it said */
static int
run_tool(cli_t *cli, const char *const *argv)
{
    g_autofree char *err = NULL;
    int status = -1;
    int rc = drover_spawn(argv, cli_deadline(cli), NULL, &err, &status);

    if (rc == 0 && status != 0) {
        fprintf(stderr, "drover: %s failed: %s", argv[0],
                (err != NULL) ? err : "\n");
        rc = DROVER_RC_ERROR;
    }
    return rc;
}

static int
set_attr(cli_t *cli, const char *node, const char *name, const char *value)
{
    return drover_cib_set_node_attr(node, name, value, DROVER_ATTR_PERMANENT,
                                    cli_deadline(cli));
}

/* Delete every constraint whose id starts with \p prefix, in one change */
static int
remove_constraints(cli_t *cli, const char *prefix)
{
    g_autofree char *literal = drover__xpath_literal(prefix);
    g_autofree char *xpath =
        g_strdup_printf("//constraints/*[starts-with(@id,%s)]", literal);
    const char *argv[] = { "cibadmin", "--delete-all", "--force",
                           "--xpath",  xpath,          NULL };
    g_autofree char *err = NULL;
    int status = -1;
    int rc = drover_spawn(argv, cli_deadline(cli), NULL, &err, &status);

    /* 105 (no such object): nothing of ours was there */
    return (rc == 0 && status != 0 && status != 105) ? DROVER_RC_ERROR : rc;
}

/* How many migrations run at once: the node's outgoing limit */
static guint
lanes_of(const drover_cib_t *cib, const char *node, guint steps)
{
    g_autoptr(GString) ignored = g_string_new(NULL);
    const char *text = drover_cib_node_attr(cib, node, DROVER_MAX_OUTGOING_ATTR,
                                            DROVER_ATTR_PERMANENT);
    int limit = DROVER_DEFAULT_MAX_OUTGOING;

    if (text != NULL && drover_limit_parse(text, &limit, ignored) != 0) {
        limit = DROVER_DEFAULT_MAX_OUTGOING;
    }
    return (limit == 0) ? MAX(steps, 1) : (guint) limit;
}

/*
 * The moves as constraints, in one CIB change: each VM prefers its target,
 * and waits for the VM \p lanes places before it (optional ordering: both
 * in the same transition, so the migrations form \p lanes pipelines).
 * With \p ban, each also keeps off \p node afterwards.
 */
static int
apply_moves(cli_t *cli, const char *prefix, const char *node, char **vms,
            char **to, guint n, guint lanes, bool ban)
{
    g_autofree char *xml = drover_drain_constraints_xml(
        prefix, node, (const char *const *) vms, (const char *const *) to, n,
        lanes, DRAIN_PREFER, ban);
    const char *argv[] = { "cibadmin", "--modify",    "--allow-create",
                           "-o",       "constraints", "-X",
                           xml,        NULL };

    return run_tool(cli, argv);
}

#define MIB (1024.0 * 1024.0)

/* How a VM of the drain is doing */
typedef struct {
    const char *state;             /* queued, migrating, done, failed */
    const char *node;              /* where crm_mon shows it */
    const drover_slot_req_t *slot; /* its granted slot, while migrating */
} vm_progress_t;

/* Seconds until \p bytes are moved at \p per_s, or -1: unknown */
static double
eta_of(double bytes, double per_s)
{
    return (per_s > 0) ? bytes / per_s : -1;
}

static void
append_eta(GString *text, double eta)
{
    if (eta >= 0) {
        g_string_append_printf(text, ", ETA %.0f s", eta);
    }
}

/* One VM's state (with bytes, speed and ETA while it migrates): a line, or
 * a JSON line */
static void
report(cli_t *cli, const char *vm, const vm_progress_t *p, double at)
{
    const drover_slot_req_t *q = p->slot;

    if (cli->format == DROVER_OUTPUT_JSON) {
        g_autoptr(GString) line = g_string_new(NULL);

        g_string_printf(line,
                        "{\"event\": \"vm\", \"vm\": \"%s\", \"state\": "
                        "\"%s\", \"node\": \"%s\", \"seconds\": %.1f",
                        vm, p->state, p->node, at);
        if (q != NULL && q->network != NULL) {
            g_string_append_printf(line, ", \"network\": \"%s\"", q->network);
        }
        if (q != NULL) {
            g_string_append_printf(
                line,
                ", \"bytes-done\": %" G_GUINT64_FORMAT
                ", \"bytes-left\": %" G_GUINT64_FORMAT
                ", \"bytes-per-second\": %" G_GUINT64_FORMAT
                ", \"eta-seconds\": %.0f",
                q->bytes_done, q->bytes_left, q->bytes_per_s,
                eta_of((double) q->bytes_left, (double) q->bytes_per_s));
        }
        printf("%s}\n", line->str);
    } else if (cli->format == DROVER_OUTPUT_TEXT) {
        g_autoptr(GString) line = g_string_new(NULL);

        g_string_printf(line, "%7.1f s  %-12s %-10s %s", at, vm, p->state,
                        p->node);
        if (q != NULL && q->network != NULL) {
            g_string_append_printf(line, " over %s", q->network);
        }
        if (q != NULL && q->bytes_done > 0) {
            g_string_append_printf(
                line, "  %.0f MiB sent, %.0f MiB left, %.1f MiB/s",
                q->bytes_done / MIB, q->bytes_left / MIB, q->bytes_per_s / MIB);
            append_eta(line,
                       eta_of((double) q->bytes_left, (double) q->bytes_per_s));
        }
        puts(line->str);
    }
    fflush(stdout);
}

/* Each network's throughput: name -> bytes per second, of \p slots' holders
 * (none without networks) */
static GHashTable *
per_network(const GPtrArray *slots)
{
    GHashTable *rates = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; slots != NULL && i < slots->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(slots, i);

        if (r->granted && r->network != NULL) {
            g_hash_table_insert(
                rates, r->network,
                GSIZE_TO_POINTER(
                    GPOINTER_TO_SIZE(g_hash_table_lookup(rates, r->network))
                    + (gsize) r->bytes_per_s));
        }
    }
    return rates;
}

/* All of it: VMs done, when the rest should be moved at the current speed
 * (the queued ones by their utilization memory), and each network's part
 * of the speed */
static void
report_overall(cli_t *cli, guint done, guint total, double bytes_left,
               double per_s, const GPtrArray *slots, double at)
{
    double eta = eta_of(bytes_left, per_s);
    g_autoptr(GHashTable) rates = per_network(slots);
    g_autoptr(GList) names =
        g_list_sort(g_hash_table_get_keys(rates), (GCompareFunc) strcmp);
    g_autoptr(GString) line = g_string_new(NULL);

    if (cli->format == DROVER_OUTPUT_JSON) {
        g_string_printf(line,
                        "{\"event\": \"progress\", \"done\": %u, "
                        "\"total\": %u, \"bytes-left\": %.0f, "
                        "\"bytes-per-second\": %.0f, \"eta-seconds\": %.0f, "
                        "\"seconds\": %.1f, \"networks\": [",
                        done, total, bytes_left, per_s, eta, at);
        for (GList *n = names; n != NULL; n = n->next) {
            g_string_append_printf(
                line, "%s{\"name\": \"%s\", \"bytes-per-second\": %zu}",
                (n != names) ? ", " : "", (const char *) n->data,
                GPOINTER_TO_SIZE(g_hash_table_lookup(rates, n->data)));
        }
        printf("%s]}\n", line->str);
    } else if (cli->format == DROVER_OUTPUT_TEXT) {
        g_string_printf(line,
                        "%7.1f s  %u of %u done, %.0f MiB to move, "
                        "%.1f MiB/s",
                        at, done, total, bytes_left / MIB, per_s / MIB);
        append_eta(line, eta);
        for (GList *n = names; n != NULL; n = n->next) {
            g_string_append_printf(
                line, "%s%s %.1f MiB/s", (n == names) ? " (" : ", ",
                (const char *) n->data,
                GPOINTER_TO_SIZE(g_hash_table_lookup(rates, n->data)) / MIB);
        }
        g_string_append(line, (names != NULL) ? ")" : "");
        puts(line->str);
    }
    fflush(stdout);
}

/* crm_mon's failed operations, as "op_key@node#call" */
static GHashTable *
failures_of(xmlDoc *mon)
{
    GHashTable *seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    xmlNode *list = cli_xml_find(xmlDocGetRootElement(mon), "failures");

    for (xmlNode *f = (list != NULL) ? xmlFirstElementChild(list) : NULL;
         f != NULL; f = xmlNextElementSibling(f)) {
        g_hash_table_add(seen, g_strdup_printf("%s@%s#%s",
                                               drover_output_get(f, "op_key"),
                                               drover_output_get(f, "node"),
                                               drover_output_get(f, "call")));
    }
    return seen;
}

/* Whether \p now has a failed operation of \p vm that \p before did not */
static bool
failed_since(GHashTable *now, GHashTable *before, const char *vm)
{
    g_autofree char *prefix = g_strdup_printf("%s_", vm);
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, now);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (g_str_has_prefix(key, prefix)
            && !g_hash_table_contains(before, key)) {
            return true;
        }
    }
    return false;
}

/* The granted slot of \p vm's migration, if any */
static const drover_slot_req_t *
slot_of(GPtrArray *slots, const char *vm)
{
    for (guint j = 0; slots != NULL && j < slots->len; j++) {
        const drover_slot_req_t *q = g_ptr_array_index(slots, j);

        if (q->granted && g_strcmp0(q->vm, vm) == 0) {
            return q;
        }
    }
    return NULL;
}

/* Whether a VM (crm_mon's \p r, on \p node) is where it should be: on
 * \p target, or (NULL) started elsewhere than \p from, or (empty) not
 * running on \p from */
static bool
left_node(xmlNode *r, const char *node, const char *from, const char *target)
{
    bool started =
        (r != NULL && strcmp(drover_output_get(r, "role"), "Started") == 0
         && *node != '\0');

    if (target != NULL && *target == '\0') {
        return !started || strcmp(node, from) != 0;
    }
    return started
           && ((target != NULL) ? strcmp(node, target) == 0
                                : strcmp(node, from) != 0);
}

#define PROGRESS_EVERY_US (2 * G_USEC_PER_SEC)

/*
 * Follow the moves until every VM runs away from \p from (or on its
 * target, with \p to_target), printing (with \p show) each change, and
 * every few seconds the migrations' bytes, speed and ETA; 0, or
 * DROVER_RC_TIMEOUT
 */
static int
watch(cli_t *cli, const drover_cib_t *cib, const char *from, GPtrArray *vms,
      GPtrArray *to, bool to_target, bool show, drover_deadline_t deadline)
{
    g_autoptr(GHashTable) states =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(drover_slot_group_t) group = NULL;
    g_autoptr(GHashTable) old_failures = NULL;
    gint64 started = g_get_monotonic_time();
    gint64 last_progress = started;

    if (drover_slot_group_join(NULL, drover_deadline_in_ms(3000), &group)
        != 0) {
        group = NULL; /* no "migrating" state without Corosync */
    }
    for (;;) {
        g_autoptr(drover_output_t) scratch = drover_output_new("drain");
        g_autoptr(xmlDoc) mon = NULL;
        g_autoptr(GHashTable) failures = NULL;
        g_autoptr(drover_slots_t) table =
            (group != NULL) ? drover_slot_group_table(group) : NULL;
        g_autoptr(GPtrArray) slots =
            (table != NULL) ? drover_slots_list(table) : NULL;
        gint64 now = g_get_monotonic_time();
        bool tick = (now - last_progress >= PROGRESS_EVERY_US);
        double at = (now - started) / 1e6;
        double bytes_left = 0;
        double per_s = 0;
        guint done = 0;
        guint migrating = 0;

        if (cli_crm_mon(cli, scratch, &mon) != CRM_EX_OK) {
            return DROVER_RC_UNREACHABLE;
        }
        failures = failures_of(mon);
        if (old_failures == NULL) {
            old_failures = g_hash_table_ref(failures);
        }
        for (guint i = 0; i < vms->len; i++) {
            const char *vm = g_ptr_array_index(vms, i);
            const char *want = g_ptr_array_index(to, i);
            const char *was = g_hash_table_lookup(states, vm);
            xmlNode *r = cli_mon_resource(xmlDocGetRootElement(mon), vm);
            xmlNode *where = (r != NULL) ? cli_xml_find(r, "node") : NULL;
            vm_progress_t p = { .state = "queued", .node = "" };

            p.node = (where != NULL) ? drover_output_get(where, "name") : "";
            p.slot = slot_of(slots, vm);
            if (left_node(r, p.node, from,
                          (to_target || *want == '\0') ? want : NULL)) {
                p.state = "done";
                p.slot = NULL;
                done++;
            } else if (failed_since(failures, old_failures, vm)) {
                /* Pacemaker recovers it (crm_mon says how) */
                p.state = "failed";
            } else if (p.slot != NULL || g_strcmp0(was, "migrating") == 0) {
                /* between its slot's release and crm_mon's update it is
                 * still migrating */
                p.state = "migrating";
                migrating++;
            }
            if (p.slot != NULL) {
                bytes_left += (double) p.slot->bytes_left;
                per_s += (double) p.slot->bytes_per_s;
            } else if (strcmp(p.state, "queued") == 0) {
                gint64 m =
                    mib(drover_cib_resource_utilization(cib, vm, "memory"));

                bytes_left += (m > 0) ? m * MIB : 0;
            }
            if (g_strcmp0(was, p.state) != 0) {
                g_hash_table_insert(states, (gpointer) vm, g_strdup(p.state));
                if (show) {
                    report(cli, vm, &p, at);
                }
            } else if (show && tick && p.slot != NULL) {
                report(cli, vm, &p, at);
            }
        }
        if (show && tick && migrating > 0) {
            report_overall(cli, done, vms->len, bytes_left, per_s, slots, at);
        }
        if (tick) {
            last_progress = now;
        }
        if (done == vms->len) {
            return 0;
        }
        if (drover_deadline_passed(deadline)) {
            return DROVER_RC_TIMEOUT;
        }
        g_usleep(G_USEC_PER_SEC / 2);
    }
}

/* The drain is done: its moves are no longer needed (the bans stay) */
static int
finish(cli_t *cli, const char *node)
{
    g_autofree char *to = g_strdup_printf("drover-drain-%s-to-", node);
    g_autofree char *after = g_strdup_printf("drover-drain-%s-after-", node);
    int rc = remove_constraints(cli, to);

    if (rc == 0) {
        rc = remove_constraints(cli, after);
    }
    if (rc == 0) {
        rc = set_attr(cli, node, DROVER_DRAIN_STATE_ATTR, "drained");
    }
    return rc;
}

/* The VMs crm_mon shows started on \p node (ids added to \p out) */
static void
vms_on(xmlNode *resources, const char *node, GPtrArray *out)
{
    g_autoptr(GPtrArray) placed = g_ptr_array_new();

    placed_vms(resources, placed);
    for (guint i = 0; i < placed->len; i++) {
        xmlNode *r = g_ptr_array_index(placed, i);

        if (strcmp(drover_output_get(cli_xml_find(r, "node"), "name"), node)
                == 0
            && strcmp(drover_output_get(r, "role"), "Started") == 0) {
            g_ptr_array_add(out, g_strdup(drover_output_get(r, "id")));
        }
    }
}

static bool
listed_in(GPtrArray *ids, const char *id)
{
    for (guint i = 0; i < ids->len; i++) {
        if (strcmp(g_ptr_array_index(ids, i), id) == 0) {
            return true;
        }
    }
    return false;
}

/* The VMs still on \p node, or NULL when crm_mon cannot say */
static GPtrArray *
still_on(cli_t *cli, const char *node)
{
    g_autoptr(drover_output_t) scratch = drover_output_new("drain");
    g_autoptr(xmlDoc) mon = NULL;
    GPtrArray *ids = NULL;

    if (cli_crm_mon(cli, scratch, &mon) != CRM_EX_OK) {
        return NULL;
    }
    ids = g_ptr_array_new_with_free_func(g_free);
    vms_on(cli_xml_find(xmlDocGetRootElement(mon), "resources"), node, ids);
    return ids;
}

/*
 * Follow the drain of \p node to its end: its moves, and (in standby) the
 * VMs the standby stops (--on-unmovable=stop; an empty target: done when
 * off the node).  Exit 0 only when the node is empty.
 */
static crm_exit_t
follow(cli_t *cli, const drover_cib_t *cib, const char *node)
{
    const char *moves = drover_cib_node_attr(cib, node, DROVER_DRAIN_PLAN_ATTR,
                                             DROVER_ATTR_PERMANENT);
    const char *standby =
        drover_cib_node_attr(cib, node, "standby", DROVER_ATTR_PERMANENT);
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) here = still_on(cli, node);
    g_autoptr(GPtrArray) left = NULL;
    int rc;

    if (here == NULL) {
        return CRM_EX_UNAVAILABLE;
    }
    drover_drain_moves_parse((moves != NULL) ? moves : "", vms, to);
    for (guint i = 0;
         standby != NULL && drover_cib_is_true(standby) && i < here->len; i++) {
        if (!listed_in(vms, g_ptr_array_index(here, i))) {
            g_ptr_array_add(vms, g_strdup(g_ptr_array_index(here, i)));
            g_ptr_array_add(to, g_strdup(""));
        }
    }
    rc = watch(cli, cib, node, vms, to, false, true, cli_deadline(cli));
    if (rc == DROVER_RC_TIMEOUT) {
        fprintf(stderr,
                "drover: %s is still draining (Pacemaker goes on); run "
                "`drover drain %s --wait` again to follow it\n",
                node, node);
        return CRM_EX_TIMEOUT;
    }
    left = (rc == 0) ? still_on(cli, node) : NULL;
    if (left == NULL || finish(cli, node) != 0) {
        return CRM_EX_ERROR;
    }
    if (left->len > 0) {
        g_autofree char *names = NULL;

        g_ptr_array_add(left, NULL);
        names = g_strjoinv(", ", (char **) left->pdata);

        /* --on-unmovable=skip: they stay, the node stays out of standby */
        if (cli->format == DROVER_OUTPUT_JSON) {
            printf("{\"event\": \"drained\", \"node\": \"%s\", "
                   "\"left\": \"%s\"}\n",
                   node, names);
        } else if (cli->format == DROVER_OUTPUT_TEXT) {
            printf("%s is drained but for %s (not movable, skipped)\n", node,
                   names);
        }
        return CRM_EX_UNSATISFIED;
    }
    if (cli->format == DROVER_OUTPUT_TEXT) {
        printf("%s is drained\n", node);
    } else if (cli->format == DROVER_OUTPUT_JSON) {
        printf("{\"event\": \"drained\", \"node\": \"%s\"}\n", node);
    }
    return CRM_EX_OK;
}

static crm_exit_t
start_drain(cli_t *cli, const drover_cib_t *cib, const char *node,
            GPtrArray *steps)
{
    g_autofree char *prefix = g_strdup_printf("drover-drain-%s-", node);
    g_autoptr(GPtrArray) vms = g_ptr_array_new();
    g_autoptr(GPtrArray) to = g_ptr_array_new();
    g_autofree char *moves = NULL;
    bool skipped = false;

    for (guint i = 0; i < steps->len; i++) {
        drover_plan_step_t *s = g_ptr_array_index(steps, i);

        if (s->action == DROVER_STEP_MIGRATE) {
            g_ptr_array_add(vms, s->vm->id);
            g_ptr_array_add(to, s->target);
        }
        skipped = skipped || (s->action == DROVER_STEP_SKIP);
    }
    moves =
        drover_drain_moves_format((const char *const *) vms->pdata,
                                  (const char *const *) to->pdata, vms->len);
    /* The state first, so that a drain cut short is seen as one */
    if (set_attr(cli, node, DROVER_DRAIN_PLAN_ATTR, moves) != 0
        || set_attr(cli, node, DROVER_DRAIN_STATE_ATTR, "draining") != 0
        || apply_moves(cli, prefix, node, (char **) vms->pdata,
                       (char **) to->pdata, vms->len,
                       lanes_of(cib, node, vms->len), skipped)
               != 0
        /* with VMs left behind the node cannot go to standby: the bans
         * keep the others away instead */
        || (!skipped && set_attr(cli, node, "standby", "on") != 0)) {
        fprintf(stderr,
                "drover: The drain of %s could not be set up; "
                "`drover drain --cancel` undoes what was done\n",
                node);
        return CRM_EX_ERROR;
    }
    return CRM_EX_OK;
}

/* Delete the constraints with these ids, in one change */
static int
remove_ids(cli_t *cli, GPtrArray *ids)
{
    g_autoptr(GString) xpath = g_string_new("//constraints/*[");
    const char *argv[] = { "cibadmin", "--delete-all", "--force",
                           "--xpath",  NULL,           NULL };
    g_autofree char *err = NULL;
    int status = -1;
    int rc;

    if (ids->len == 0) {
        return 0;
    }
    for (guint i = 0; i < ids->len; i++) {
        g_autofree char *literal =
            drover__xpath_literal(g_ptr_array_index(ids, i));

        g_string_append_printf(xpath, "%s@id=%s", (i > 0) ? " or " : "",
                               literal);
    }
    g_string_append(xpath, "]");
    argv[4] = xpath->str;
    rc = drover_spawn(argv, cli_deadline(cli), NULL, &err, &status);
    return (rc == 0 && status != 0 && status != 105) ? DROVER_RC_ERROR : rc;
}

/* Whether \p vm runs, started, on \p node (per crm_mon) */
static bool
runs_on(xmlDoc *mon, const char *vm, const char *node)
{
    xmlNode *r = cli_mon_resource(xmlDocGetRootElement(mon), vm);
    xmlNode *where = (r != NULL) ? cli_xml_find(r, "node") : NULL;

    return where != NULL && strcmp(drover_output_get(where, "name"), node) == 0
           && strcmp(drover_output_get(r, "role"), "Started") == 0;
}

/* Whether anything of a drain of \p node is in the CIB: its state, its plan
 * or one of its constraints (a cancel cut short can leave some) */
static bool
has_drain(const drover_cib_t *cib, const char *node)
{
    g_autofree char *prefix = g_strdup_printf("drover-drain-%s-", node);
    xmlNode *constraints = cli_xml_find(drover_cib_root(cib), "constraints");

    if (drover_cib_node_attr(cib, node, DROVER_DRAIN_STATE_ATTR,
                             DROVER_ATTR_PERMANENT)
            != NULL
        || drover_cib_node_attr(cib, node, DROVER_DRAIN_PLAN_ATTR,
                                DROVER_ATTR_PERMANENT)
               != NULL) {
        return true;
    }
    for (xmlNode *c = (constraints != NULL) ? xmlFirstElementChild(constraints)
                                            : NULL;
         c != NULL; c = xmlNextElementSibling(c)) {
        if (g_str_has_prefix(drover_output_get(c, "id"), prefix)) {
            return true;
        }
    }
    return false;
}

/*
 * Cancel: the VMs that have not started moving (their pipeline predecessor
 * is not there yet) stay; the ones that may be migrating keep their target
 * until they are there — taking it away mid-migration makes Pacemaker
 * stop and start them — and then the drain's traces go.
 */
static crm_exit_t
cancel_drain(cli_t *cli, const drover_cib_t *cib, const char *node, bool say)
{
    g_autofree char *prefix = g_strdup_printf("drover-drain-%s-", node);
    g_autofree char *after = g_strdup_printf("drover-drain-%s-after-", node);
    g_autofree char *ban = g_strdup_printf("drover-drain-%s-ban-", node);
    const char *moves = drover_cib_node_attr(cib, node, DROVER_DRAIN_PLAN_ATTR,
                                             DROVER_ATTR_PERMANENT);
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) stay = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) moving = g_ptr_array_new();
    g_autoptr(GPtrArray) moving_to = g_ptr_array_new();
    g_autoptr(drover_output_t) scratch = drover_output_new("drain");
    g_autoptr(xmlDoc) mon = NULL;
    guint lanes;

    drover_drain_moves_parse((moves != NULL) ? moves : "", vms, to);
    lanes = lanes_of(cib, node, vms->len);
    if (vms->len > 0 && cli_crm_mon(cli, scratch, &mon) != CRM_EX_OK) {
        return CRM_EX_ERROR;
    }
    for (guint i = 0; i < vms->len; i++) {
        const char *vm = g_ptr_array_index(vms, i);

        if (i >= lanes
            && !runs_on(mon, g_ptr_array_index(vms, i - lanes),
                        g_ptr_array_index(to, i - lanes))) {
            g_ptr_array_add(stay, g_strdup_printf("%sto-%s", prefix, vm));
        } else {
            g_ptr_array_add(moving, (gpointer) vm);
            g_ptr_array_add(moving_to, g_ptr_array_index(to, i));
        }
    }
    if (remove_ids(cli, stay) != 0 || remove_constraints(cli, after) != 0
        || remove_constraints(cli, ban) != 0
        || set_attr(cli, node, "standby", NULL) != 0) {
        return CRM_EX_ERROR;
    }
    if (moving->len > 0) {
        if (say && cli->format == DROVER_OUTPUT_TEXT) {
            printf(
                "Cancelling the drain of %s: waiting for the %u migration(s) "
                "that may be under way\n",
                node, moving->len);
        }
        if (watch(cli, cib, node, moving, moving_to, true, say,
                  cli_deadline(cli))
            != 0) {
            fprintf(stderr,
                    "drover: Migrations of the drain of %s still "
                    "under way; `drover drain %s --cancel` again "
                    "finishes the cancel\n",
                    node, node);
            return CRM_EX_TIMEOUT;
        }
    }
    if (remove_constraints(cli, prefix) != 0
        || set_attr(cli, node, DROVER_DRAIN_STATE_ATTR, NULL) != 0
        || set_attr(cli, node, DROVER_DRAIN_PLAN_ATTR, NULL) != 0) {
        return CRM_EX_ERROR;
    }
    if (say) {
        printf("The drain of %s is cancelled: the migrations under way "
               "finished, nothing else moved\n",
               node);
    }
    return CRM_EX_OK;
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
    g_autoptr(GHashTable) assigned =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) first = (order != NULL) ? g_strsplit(order, ",", -1) : NULL;
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_FAIL,
                                 .targets = (const char *const *) targets,
                                 .first = (const char *const *) first };
    xmlNode *root = NULL;
    xmlNode *list = NULL;
    bool known = false;
    int planned;
    crm_exit_t rc;

    if (on_unmovable != NULL
        && drover_unmovable_parse(on_unmovable, &opts.on_unmovable) != 0) {
        g_autofree char *shown = drover__shown(on_unmovable);

        fprintf(stderr,
                "drover drain: --on-unmovable must be skip, stop or fail, "
                "not '%s'\n",
                shown);
        return CRM_EX_USAGE;
    }
    rc = cli_cib(cli, out, &cib);
    if (rc != CRM_EX_OK) {
        return rc;
    }
    rc = cli_crm_mon(cli, out, &mon);
    if (rc != CRM_EX_OK) {
        return rc;
    }
    root = xmlDocGetRootElement(mon);
    collect_vms(cib, cli_xml_find(root, "resources"), vms);
    follow_other_drains(cib, cli_xml_find(root, "nodes"), vms);
    nodes = collect_nodes(cli, cib, cli_xml_find(root, "nodes"), vms);
    find_blockers(cli, cib, node_name, vms, nodes);
    for (guint i = 0; i < nodes->len; i++) {
        known =
            known
            || strcmp(
                   ((drover_plan_node_t *) g_ptr_array_index(nodes, i))->name,
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
    {
        const char *state = drover_cib_node_attr(
            cib, node_name, DROVER_DRAIN_STATE_ATTR, DROVER_ATTR_PERMANENT);

        if (state != NULL && !dry_run) {
            /* a drain under way (or done): follow it, do not plan again */
            return wait_done
                       ? follow(cli, cib, node_name)
                       : (printf("%s is %s\n", node_name, state), CRM_EX_OK);
        }
    }
    planned = drover_drain_plan(node_name, nodes, vms, &opts, &steps, reason);
    if (planned == DROVER_RC_USAGE) {
        return cli_fail(cli, out, CRM_EX_USAGE, "--order: %s", reason->str);
    }
    if (planned != 0) {
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
                ? plan_network(cib, s->vm->id, node_name, s->target, assigned)
                : NULL;

        drover_output_set_int(out, step, "order", i + 1);
        drover_output_set(step, "vm", s->vm->id);
        drover_output_set(step, "action", drover_step_action_str(s->action));
        drover_output_set(step, "target", s->target);
        drover_output_set(step, "network", network);
        drover_output_set_int(out, step, "priority", s->vm->priority);
        drover_output_set_int(out, step, "memory-mib", s->vm->memory_mib);
        drover_output_set(step, "reason", s->reason);
        drover_output_set(step, "blocked", s->vm->blocked);
    }
    for (guint i = 0; i < nodes->len; i++) {
        const drover_plan_node_t *n = g_ptr_array_index(nodes, i);

        if (n->health >= 2 && strcmp(n->name, node_name) != 0) {
            g_autofree char *why =
                g_strdup_printf("health red (%s)", n->health_why);
            xmlNode *avoided = drover_output_add(list, "avoided");

            drover_output_set(avoided, "node", n->name);
            drover_output_set(avoided, "reason", why);
        }
    }
    if (dry_run) {
        return cli_finish(cli, out, plan_text);
    }
    if (cli->format == DROVER_OUTPUT_TEXT) {
        g_autoptr(GString) text = g_string_new(NULL);

        plan_text(drover_output_root(out), text);
        fputs(text->str, stdout);
    }
    rc = start_drain(cli, cib, node_name, steps);
    if (rc != CRM_EX_OK || !wait_done) {
        return rc;
    }
    g_clear_pointer(&cib, drover_cib_free);
    rc = cli_cib(cli, NULL, &cib); /* the plan as written */
    return (rc != CRM_EX_OK) ? rc : follow(cli, cib, node_name);
}

/* A node name from the command line, checked before it reaches an XPath
 * expression or a constraint: 0, or CRM_EX_USAGE after saying why */
static crm_exit_t
check_node_arg(const char *command, const char *option, const char *name)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    if (drover_cib_node_name_check(name, reason) == 0) {
        return CRM_EX_OK;
    }
    fprintf(stderr, "drover %s: %s%s\n", command, option, reason->str);
    return CRM_EX_USAGE;
}

crm_exit_t
cmd_undrain(cli_t *cli, int argc, char **argv)
{
    static GOptionEntry undrain_entries[] = {
        { "failback", 0, 0, G_OPTION_ARG_NONE, &failback,
          "Bring back the VMs drained from NODE, in the drain's order", NULL },
        { 0 },
    };
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) from = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) home = g_ptr_array_new();
    g_autofree char *drain_prefix = NULL;
    g_autofree char *back_prefix = NULL;
    const char *moves = NULL;
    crm_exit_t rc = cli_parse(
        cli, "undrain", "NODE [--failback]",
        "Take NODE out of its drain (and standby); with --failback, "
        "live-migrate the VMs drained from it back, in the drain's order, "
        "within the migration limits.",
        undrain_entries, &argc, &argv);
    int watch_rc;

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 2) {
        fprintf(stderr, "drover undrain: Expected one NODE\n");
        return CRM_EX_USAGE;
    }
    if (check_node_arg("undrain", "", argv[1]) != CRM_EX_OK) {
        return CRM_EX_USAGE;
    }
    rc = cli_cib(cli, NULL, &cib);
    if (rc != CRM_EX_OK) {
        return rc;
    }
    moves = drover_cib_node_attr(cib, argv[1], DROVER_DRAIN_PLAN_ATTR,
                                 DROVER_ATTR_PERMANENT);
    if (drover_cib_node_attr(cib, argv[1], DROVER_DRAIN_STATE_ATTR,
                             DROVER_ATTR_PERMANENT)
        == NULL) {
        g_autofree char *shown = drover__shown(argv[1]);

        return cli_fail(cli, NULL, CRM_EX_NOSUCH, "'%s' is not drained", shown);
    }
    drover_drain_moves_parse((moves != NULL) ? moves : "", vms, from);
    drain_prefix = g_strdup_printf("drover-drain-%s-", argv[1]);
    if (cancel_drain(cli, cib, argv[1], false) != CRM_EX_OK) {
        return CRM_EX_ERROR;
    }
    if (!failback || vms->len == 0) {
        printf("%s is out of its drain\n", argv[1]);
        return CRM_EX_OK;
    }
    back_prefix = g_strdup_printf("drover-failback-%s-", argv[1]);
    for (guint i = 0; i < vms->len; i++) {
        g_ptr_array_add(home, argv[1]);
    }
    if (apply_moves(cli, back_prefix, argv[1], (char **) vms->pdata,
                    (char **) home->pdata, vms->len,
                    lanes_of(cib, argv[1], vms->len), false)
        != 0) {
        return CRM_EX_ERROR;
    }
    watch_rc =
        watch(cli, cib, argv[1], vms, home, true, true, cli_deadline(cli));
    remove_constraints(cli, back_prefix);
    if (watch_rc != 0) {
        fprintf(stderr, "drover: failback to %s not complete: %s\n", argv[1],
                drover_rc_str(watch_rc));
        return (watch_rc == DROVER_RC_TIMEOUT) ? CRM_EX_TIMEOUT : CRM_EX_ERROR;
    }
    printf("%s is back, with its %u VM(s)\n", argv[1], vms->len);
    return CRM_EX_OK;
}

crm_exit_t
cmd_drain(cli_t *cli, int argc, char **argv)
{
    crm_exit_t rc = cli_parse(
        cli, "drain", "NODE [--dry-run|--wait|--cancel]",
        "Plan the evacuation of NODE: its VMs by priority (highest first), "
        "then smallest memory first, each to the allowed node with the most "
        "free memory (Pacemaker utilization \"memory\"), never beyond its "
        "capacity, over the network a migration would choose.  The moves go "
        "into the CIB at once (Pacemaker carries them out, as many at a "
        "time as NODE's drover-max-outgoing, in order) and NODE goes to "
        "standby.  Running it again follows a drain under way.",
        entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 2) {
        fprintf(stderr, "drover drain: Expected one NODE\n");
        return CRM_EX_USAGE;
    }
    if (check_node_arg("drain", "", argv[1]) != CRM_EX_OK) {
        return CRM_EX_USAGE;
    }
    for (char **t = targets; t != NULL && *t != NULL; t++) {
        if (check_node_arg("drain", "--target: ", *t) != CRM_EX_OK) {
            return CRM_EX_USAGE;
        }
    }
    if (cancel) {
        g_autoptr(drover_cib_t) cib = NULL;

        rc = cli_cib(cli, NULL, &cib);
        if (rc != CRM_EX_OK) {
            return rc;
        }
        if (!has_drain(cib, argv[1])) {
            /* as undrain of a node not drained; and a standby set by hand
             * is not the drain's to take away */
            g_autofree char *shown = drover__shown(argv[1]);

            return cli_fail(cli, NULL, CRM_EX_NOSUCH,
                            "There is no drain of '%s' to cancel", shown);
        }
        return cancel_drain(cli, cib, argv[1], true);
    }
    return plan(cli, argv[1]);
}
