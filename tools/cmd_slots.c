/*
 * drover slots: who holds a migration slot and who waits, as the slot
 * group's members agree on it (docs/slots.md).  Watches the group for a
 * moment: it needs a running Corosync.
 */
#include <stdio.h>
#include <string.h>

#include <drover/rc.h>
#include <drover/slot_group.h>
#include <drover/slots.h>

#include "cli.h"
#include "drover_private.h"

static GOptionEntry entries[] = {
    { 0 },
};

static void
slots_text(const xmlNode *result, GString *text)
{
    xmlNode *list = xmlFirstElementChild((xmlNode *) result);

    if (list == NULL || xmlFirstElementChild(list) == NULL) {
        g_string_append(text, "No migration holds or waits for a slot\n");
        return;
    }
    g_string_append_printf(text, "%-6s %-14s %-10s %-10s %-8s %s\n", "STATE",
                           "VM", "FROM", "TO", "NETWORK", "SINCE");
    for (xmlNode *s = xmlFirstElementChild(list); s != NULL;
         s = xmlNextElementSibling(s)) {
        const char *share = drover_output_get(s, "bandwidth-share");

        g_string_append_printf(
            text, "%-6s %-14s %-10s %-10s %-8s %s%s%s%s\n",
            drover_output_get(s, "state"), drover_output_get(s, "vm"),
            drover_output_get(s, "from"), drover_output_get(s, "to"),
            (*drover_output_get(s, "network") != '\0')
                ? drover_output_get(s, "network")
                : "-",
            drover_output_get(s, "since"), (*share != '\0') ? " (" : "", share,
            (*share != '\0') ? " MiB/s)" : "");
    }
}

static char *
iso_time(gint64 us)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);

    return g_date_time_format_iso8601(t);
}

crm_exit_t
cmd_slots(cli_t *cli, int argc, char **argv)
{
    g_autoptr(drover_output_t) out = drover_output_new("slots");
    g_autoptr(drover_slot_group_t) group = NULL;
    g_autoptr(drover_slots_t) table = NULL;
    g_autoptr(GPtrArray) list = NULL;
    xmlNode *slots = NULL;
    crm_exit_t rc = cli_parse(
        cli, "slots", "",
        "The cluster's migration slots: which migrations hold one (with "
        "their share of the network's bandwidth budget) and which wait, in "
        "order.",
        entries, &argc, &argv);
    int group_rc;

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 1) {
        fprintf(stderr, "drover slots: Unexpected argument '%s'\n", argv[1]);
        return CRM_EX_USAGE;
    }
    group_rc = drover_slot_group_join(NULL, cli_deadline(cli), &group);
    if (group_rc == 0) {
        group_rc = drover_slot_group_wait_synced(group, cli_deadline(cli));
    }
    if (group_rc != 0) {
        return cli_fail(cli, out, drover_rc_to_exit(group_rc),
                        "Cannot read the slot group from Corosync: %s",
                        drover_rc_str(group_rc));
    }
    table = drover_slot_group_table(group);
    list = drover_slots_list(table);
    slots = drover_output_add(drover_output_root(out), "slots");
    for (guint i = 0; i < list->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(list, i);
        xmlNode *s = drover_output_add(slots, "slot");
        g_autofree char *since = iso_time(r->granted ? r->granted_at : r->key);
        g_autofree char *holder = g_strdup_printf("%u/%u", r->nodeid, r->pid);

        /* a member that did not answer counts as one slot of every
         * limit until it leaves */
        drover_output_set(s, "state",
                          r->silent    ? "silent"
                          : r->granted ? "holds"
                                       : "waits");
        drover_output_set(s, "vm", r->vm);
        drover_output_set(s, "from", r->source);
        drover_output_set(s, "to", r->target);
        drover_output_set(s, "network", r->network);
        drover_output_set(s, "since", since);
        drover_output_set(s, "holder", holder);
        if (r->granted && r->bandwidth > 0) {
            drover_output_set_int(out, s, "bandwidth-share",
                                  drover_slots_bandwidth_share(table, r));
        }
    }
    return cli_finish(cli, out, slots_text);
}
