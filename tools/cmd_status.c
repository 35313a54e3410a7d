/*
 * drover status: the nodes (membership, incoming policy, what each has on
 * the migration networks) and drover's VMs (where they run, and what
 * their last migration did).  Where things run comes from crm_mon, which
 * computes it as Pacemaker does; the records from the attribute manager.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/netsel.h>
#include <drover/rc.h>
#include <drover/record.h>
#include <drover/spawn.h>

#include "cli.h"
#include "drover_private.h"

#define VM_AGENT "ocf:drover:VirtualDomain"

static GOptionEntry entries[] = {
    { 0 },
};

static void
status_nodes_text(const xmlNode *nodes, GString *text)
{
    g_string_append(text, "Nodes:\n");
    for (xmlNode *n = xmlFirstElementChild((xmlNode *) nodes); n != NULL;
         n = xmlNextElementSibling(n)) {
        xmlNode *nets = xmlFirstElementChild(n);

        g_string_append_printf(
            text, "  %-10s %-8s%s%s incoming %s", drover_output_get(n, "name"),
            strcmp(drover_output_get(n, "standby"), "true") == 0  ? "standby"
            : strcmp(drover_output_get(n, "online"), "true") == 0 ? "online"
                                                                  : "offline",
            (*drover_output_get(n, "drain") != '\0') ? " " : "",
            drover_output_get(n, "drain"), drover_output_get(n, "incoming"));
        for (xmlNode *net = (nets != NULL) ? xmlFirstElementChild(nets) : NULL;
             net != NULL; net = xmlNextElementSibling(net)) {
            g_string_append_printf(
                text, "%s %s %s link %s mtu %s",
                (net == xmlFirstElementChild(nets)) ? ";" : ",",
                drover_output_get(net, "name"),
                drover_output_get(net, "address"),
                drover_output_get(net, "link"), drover_output_get(net, "mtu"));
        }
        g_string_append_c(text, '\n');
    }
}

static void
status_vm_text(const xmlNode *vm, GString *text)
{
    xmlNode *m = xmlFirstElementChild((xmlNode *) vm);
    const char *node = drover_output_get(vm, "node");

    g_string_append_printf(
        text, "  %-12s %-8s %-10s", drover_output_get(vm, "id"),
        drover_output_get(vm, "role"), (*node != '\0') ? node : "-");
    if (m == NULL) {
        g_string_append(text, " no migration recorded\n");
        return;
    }
    g_string_append_printf(
        text, " last: %s -> %s %s %s", drover_output_get(m, "from"),
        drover_output_get(m, "to"), drover_output_get(m, "mode"),
        drover_output_get(m, "result"));
    if (*drover_output_get(m, "network") != '\0') {
        g_string_append_printf(text, " over %s",
                               drover_output_get(m, "network"));
    }
    g_string_append_printf(
        text, ", %.1f s, %.0f MiB",
        g_ascii_strtod(drover_output_get(m, "ms"), NULL) / 1000.0,
        g_ascii_strtod(drover_output_get(m, "bytes"), NULL) / 1048576.0);
    if (*drover_output_get(m, "skipped") != '\0') {
        g_string_append_printf(text, " (skipped %s)",
                               drover_output_get(m, "skipped"));
    }
    if (*drover_output_get(m, "error") != '\0') {
        g_string_append_printf(text, ": %s", drover_output_get(m, "error"));
    }
    g_string_append_c(text, '\n');
}

static void
status_text(const xmlNode *result, GString *text)
{
    for (xmlNode *part = xmlFirstElementChild((xmlNode *) result); part != NULL;
         part = xmlNextElementSibling(part)) {
        if (xmlStrEqual(part->name, BAD_CAST "nodes")) {
            status_nodes_text(part, text);
        } else if (xmlStrEqual(part->name, BAD_CAST "vms")) {
            g_string_append(text, "VMs:\n");
            if (xmlFirstElementChild(part) == NULL) {
                g_string_append(text, "  (none use " VM_AGENT ")\n");
            }
            for (xmlNode *vm = xmlFirstElementChild(part); vm != NULL;
                 vm = xmlNextElementSibling(vm)) {
                status_vm_text(vm, text);
            }
        }
    }
}

static void
add_nodes(drover_output_t *out, const drover_cib_t *cib, xmlNode *mon_nodes)
{
    xmlNode *list = drover_output_add(drover_output_root(out), "nodes");
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GString) ignored = g_string_new(NULL);
    const char *property = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);

    if (property != NULL) {
        drover_networks_parse(property, &networks, ignored);
    }
    for (xmlNode *n = xmlFirstElementChild(mon_nodes); n != NULL;
         n = xmlNextElementSibling(n)) {
        const char *name = drover_output_get(n, "name");
        const char *incoming = drover_cib_node_attr(
            cib, name, DROVER_INCOMING_ATTR, DROVER_ATTR_PERMANENT);
        xmlNode *node = drover_output_add(list, "node");
        xmlNode *nets = NULL;

        drover_output_set(node, "name", name);
        drover_output_set_bool(out, node, "online",
                               strcmp(drover_output_get(n, "online"), "true")
                                   == 0);
        drover_output_set_bool(out, node, "standby",
                               strcmp(drover_output_get(n, "standby"), "true")
                                   == 0);
        drover_output_set(node, "incoming",
                          (incoming != NULL) ? incoming : "any");
        drover_output_set(node, "drain",
                          drover_cib_node_attr(cib, name, "drover-drain",
                                               DROVER_ATTR_PERMANENT));
        nets = drover_output_add(node, "networks");
        for (guint i = 0; networks != NULL && i < networks->len; i++) {
            drover_network_t *net = g_ptr_array_index(networks, i);
            g_autofree char *attr = g_strconcat("drover-net-", net->name, NULL);
            const char *value =
                drover_cib_node_attr(cib, name, attr, DROVER_ATTR_TRANSIENT);
            drover_net_facts_t facts = { 0 };
            g_autofree char *address = NULL;
            xmlNode *e;

            if (value == NULL
                || drover_net_facts_parse(value, &facts, ignored) != 0
                || facts.address == NULL) {
                drover_net_facts_clear(&facts);
                continue;
            }
            address = g_inet_address_to_string(facts.address);
            e = drover_output_add(nets, "network");
            drover_output_set(e, "name", net->name);
            drover_output_set(e, "address", address);
            drover_output_set_int(out, e, "mtu", facts.mtu);
            drover_output_set(e, "link", facts.link_up ? "up" : "down");
            drover_net_facts_clear(&facts);
        }
    }
}

static void
add_record(drover_output_t *out, xmlNode *vm, const drover_record_t *r)
{
    xmlNode *m = drover_output_add(vm, "last-migration");
    g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc(r->at_ms / 1000);
    g_autofree char *when = g_date_time_format_iso8601(at);

    drover_output_set(m, "at", when);
    drover_output_set(m, "from", r->source);
    drover_output_set(m, "to", r->target);
    drover_output_set(m, "mode", r->mode);
    drover_output_set(m, "result", r->ok ? "ok" : "failed");
    drover_output_set(m, "network", r->network);
    drover_output_set(m, "uri", r->uri);
    drover_output_set_int(out, m, "ms", r->duration_ms);
    drover_output_set_int(out, m, "bytes", (gint64) r->bytes);
    drover_output_set_int(out, m, "attempts", r->attempts);
    drover_output_set(m, "skipped", r->skipped);
    drover_output_set(m, "error", r->error);
}

/* Each resource of \p node's subtree (groups, clones) that is a VM; a
 * cloned one once (\p seen: ids) */
static void
add_vms(cli_t *cli, drover_output_t *out, xmlNode *list, xmlNode *node,
        GHashTable *seen)
{
    /* without a cluster (CIB_file) there is no attribute manager to ask */
    bool records = (getenv("CIB_file") == NULL);

    for (xmlNode *r = xmlFirstElementChild(node); r != NULL;
         r = xmlNextElementSibling(r)) {
        xmlNode *vm;
        xmlNode *where;
        drover_record_t record;

        if (!xmlStrEqual(r->name, BAD_CAST "resource")) {
            add_vms(cli, out, list, r, seen);
            continue;
        }
        if (strcmp(drover_output_get(r, "resource_agent"), VM_AGENT) != 0
            || !g_hash_table_add(seen, (gpointer) drover_output_get(r, "id"))) {
            continue;
        }
        vm = drover_output_add(list, "vm");
        where = cli_xml_find(r, "node");
        drover_output_set(vm, "id", drover_output_get(r, "id"));
        drover_output_set(vm, "role", drover_output_get(r, "role"));
        drover_output_set(vm, "node",
                          (where != NULL) ? drover_output_get(where, "name")
                                          : NULL);
        if (records
            && drover_record_read(drover_output_get(r, "id"), cli_deadline(cli),
                                  &record)
                   == 0) {
            add_record(out, vm, &record);
            drover_record_clear(&record);
        }
    }
}

crm_exit_t
cmd_status(cli_t *cli, int argc, char **argv)
{
    g_autoptr(drover_output_t) out = drover_output_new("status");
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(xmlDoc) mon = NULL;
    g_autoptr(GHashTable) seen = NULL;
    crm_exit_t rc = cli_parse(
        cli, "status", "",
        "The nodes (membership, incoming policy, what each has on the "
        "migration networks) and the VMs managed by " VM_AGENT
        " (where they run, what their last migration did).",
        entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 1) {
        fprintf(stderr, "drover status: Unexpected argument '%s'\n", argv[1]);
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
    add_nodes(out, cib, cli_xml_find(xmlDocGetRootElement(mon), "nodes"));
    seen = g_hash_table_new(g_str_hash, g_str_equal);
    add_vms(cli, out, drover_output_add(drover_output_root(out), "vms"),
            cli_xml_find(xmlDocGetRootElement(mon), "resources"), seen);
    return cli_finish(cli, out, status_text);
}
