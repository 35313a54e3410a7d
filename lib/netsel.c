/*
 * The choice of a migration network (drover/netsel.h): which of the
 * networks can carry a migration to a target, in order, and why the others
 * cannot; this host's own facts; a migration's inputs from the CIB.  The
 * parsers are lib/networks.c.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <net/if.h>
#include <string.h>

#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/netsel.h>
#include <drover/rc.h>
#include <drover/slot_group.h>

#include "drover_private.h"
#include "netsel_private.h"

/* ------------------------------------------------------------------ */
/* The choice                                                         */
/* ------------------------------------------------------------------ */

void
drover_net_choice_free(gpointer data)
{
    drover_net_choice_t *choice = data;

    g_free(choice->reason);
    g_clear_object(&choice->target);
    g_free(choice);
}

/* "10.20.2.0/24, fd00:20:2::/64" */
static char *
subnets_text(const drover_network_t *network)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < network->subnets->len; i++) {
        g_autofree char *mask = g_inet_address_mask_to_string(
            g_ptr_array_index(network->subnets, i));

        g_string_append_printf(text, "%s%s", (i > 0) ? ", " : "", mask);
    }
    return g_string_free(text, FALSE);
}

/* Why \p node cannot use \p network (NULL: it can) */
static char *
node_unfit(const char *node, const drover_network_t *network,
           const drover_net_facts_t *facts)
{
    if (facts == NULL || facts->address == NULL) {
        return g_strdup_printf("%s has no address on it", node);
    }
    /* A published address is a node's word: the memory stream must not go
     * where the network's definition does not reach */
    if (!drover__network_contains(network, facts->address)) {
        g_autofree char *address = g_inet_address_to_string(facts->address);
        g_autofree char *subnets = subnets_text(network);

        return g_strdup_printf("%s's address %s is outside %s's subnets "
                               "(%s)",
                               node, address, network->name, subnets);
    }
    if (!facts->link_up) {
        return g_strdup_printf("%s's link is down", node);
    }
    return NULL;
}

/* Why \p network cannot carry this migration (NULL: it can) */
static char *
network_unfit(const drover_netsel_t *sel, const drover_network_t *network)
{
    const drover_net_facts_t *src =
        g_hash_table_lookup(sel->source_facts, network->name);
    const drover_net_facts_t *dst =
        g_hash_table_lookup(sel->target_facts, network->name);
    char *why = NULL;

    if (!drover_incoming_allows(sel->policy, network,
                                (dst != NULL) ? dst->address : NULL)) {
        return g_strdup_printf("%s does not accept migrations on it "
                               "(drover-incoming)",
                               sel->target_node);
    }
    why = node_unfit(sel->source_node, network, src);
    if (why == NULL) {
        why = node_unfit(sel->target_node, network, dst);
    }
    if (why != NULL) {
        return why;
    }
    if (src->mtu > 0 && dst->mtu > 0 && src->mtu != dst->mtu) {
        return g_strdup_printf("MTU mismatch: %s has %d, %s has %d",
                               sel->source_node, src->mtu, sel->target_node,
                               dst->mtu);
    }
    if (sel->probe != NULL) {
        g_autoptr(GString) reason = g_string_new(NULL);
        int size = (src->mtu > 0) ? src->mtu : 1500;

        if (sel->probe(sel->probe_data, src->address, dst->address, size,
                       reason)
            != 0) {
            return g_strdup_printf("%s", reason->str);
        }
    }
    return NULL;
}

GPtrArray *
drover_netsel_tiered(const GPtrArray *order)
{
    GPtrArray *result = g_ptr_array_new();

    for (guint i = 0; i < order->len; i++) {
        const drover_network_t *n = g_ptr_array_index(order, i);

        if (g_ptr_array_find(result, n, NULL)) {
            continue; /* placed with its group */
        }
        g_ptr_array_add(result, (gpointer) n);
        for (guint j = i + 1; n->group != NULL && j < order->len; j++) {
            const drover_network_t *other = g_ptr_array_index(order, j);

            if (g_strcmp0(other->group, n->group) == 0) {
                g_ptr_array_add(result, (gpointer) other);
            }
        }
    }
    return result;
}

int
drover_netsel_choose(const drover_netsel_t *sel, GPtrArray **choices)
{
    GPtrArray *result = g_ptr_array_new_with_free_func(drover_net_choice_free);
    g_autoptr(GPtrArray) order = drover_netsel_tiered(sel->order);
    const drover_network_t *first = NULL; /* the chosen one */
    int chosen = -1;

    for (guint i = 0; i < order->len; i++) {
        const drover_network_t *network = g_ptr_array_index(order, i);
        const drover_net_facts_t *dst =
            g_hash_table_lookup(sel->target_facts, network->name);
        drover_net_choice_t *choice = g_new0(drover_net_choice_t, 1);
        bool same_group = first != NULL && first->group != NULL
                          && g_strcmp0(network->group, first->group) == 0;

        choice->network = network;
        if (dst != NULL && dst->address != NULL) {
            choice->target = g_object_ref(dst->address);
        }
        if (first != NULL && !same_group) {
            choice->verdict = DROVER_NET_NOT_TRIED;
            choice->reason = g_strdup("an earlier network was chosen");
        } else if ((choice->reason = network_unfit(sel, network)) != NULL) {
            choice->verdict = DROVER_NET_SKIPPED;
        } else if (first == NULL) {
            choice->verdict = DROVER_NET_CHOSEN;
            choice->reason =
                (network->group != NULL)
                    ? g_strdup_printf("first usable network in the order "
                                      "(group %s)",
                                      network->group)
                    : g_strdup("first usable network in the order");
            first = network;
            chosen = (int) i;
        } else {
            choice->verdict = DROVER_NET_EQUAL;
            choice->reason = g_strdup_printf(
                "usable, of equal preference (group %s): migrations spread "
                "over the group",
                network->group);
        }
        g_ptr_array_add(result, choice);
    }
    *choices = result;
    return chosen;
}

static void
facts_free(gpointer data)
{
    drover_net_facts_clear(data);
    g_free(data);
}

static int
interface_mtu(const char *ifname)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s/mtu", ifname);
    g_autofree char *text = NULL;
    gint64 mtu = 0;

    if (strchr(ifname, '/') != NULL
        || !g_file_get_contents(path, &text, NULL, NULL)
        || !g_ascii_string_to_signed(g_strstrip(text), 10, 68, 65536, &mtu,
                                     NULL)) {
        return 0;
    }
    return (int) mtu;
}

GHashTable *
drover_net_facts_local(const GPtrArray *networks)
{
    GHashTable *facts =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, facts_free);
    struct ifaddrs *list = NULL;

    if (getifaddrs(&list) < 0) {
        return facts;
    }
    for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        g_autoptr(GSocketAddress) sa = NULL;
        const drover_network_t *network = NULL;
        drover_net_facts_t *f = NULL;
        GInetAddress *address = NULL;

        if (ifa->ifa_addr == NULL
            || (ifa->ifa_addr->sa_family != AF_INET
                && ifa->ifa_addr->sa_family != AF_INET6)) {
            continue;
        }
        sa = g_socket_address_new_from_native(
            ifa->ifa_addr, (ifa->ifa_addr->sa_family == AF_INET)
                               ? sizeof(struct sockaddr_in)
                               : sizeof(struct sockaddr_in6));
        address = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
        network = drover_networks_find_address(networks, address);
        if (network == NULL || g_hash_table_contains(facts, network->name)) {
            continue; /* the first address on a network counts */
        }
        f = g_new0(drover_net_facts_t, 1);
        f->address = g_object_ref(address);
        f->interface = g_strdup(ifa->ifa_name);
        f->mtu = interface_mtu(ifa->ifa_name);
        f->link_up =
            (ifa->ifa_flags & IFF_UP) && (ifa->ifa_flags & IFF_RUNNING);
        g_hash_table_insert(facts, g_strdup(network->name), f);
    }
    freeifaddrs(list);
    return facts;
}

char *
drover_net_rdma_device(const char *sysfs, const char *ifname)
{
    g_autofree char *own = NULL;
    g_autofree char *devices = NULL;
    GDir *d = NULL;
    const char *dev = NULL;
    char *found = NULL;

    if (ifname == NULL || *ifname == '\0' || strchr(ifname, '/') != NULL) {
        return NULL;
    }
    /* an InfiniBand port of the interface's own device */
    own = g_build_filename(sysfs, "class", "net", ifname, "device",
                           "infiniband", NULL);
    d = g_dir_open(own, 0, NULL);
    if (d != NULL && (dev = g_dir_read_name(d)) != NULL) {
        found = g_strdup(dev);
    }
    g_clear_pointer(&d, g_dir_close);
    /* else a port whose GIDs are bound to the interface (RoCE, rdma_rxe) */
    devices = g_build_filename(sysfs, "class", "infiniband", NULL);
    d = (found == NULL) ? g_dir_open(devices, 0, NULL) : NULL;
    while (d != NULL && found == NULL && (dev = g_dir_read_name(d)) != NULL) {
        g_autofree char *ports = g_build_filename(devices, dev, "ports", NULL);
        GDir *pd = g_dir_open(ports, 0, NULL);
        const char *port = NULL;

        while (pd != NULL && found == NULL
               && (port = g_dir_read_name(pd)) != NULL) {
            g_autofree char *ndevs =
                g_build_filename(ports, port, "gid_attrs", "ndevs", NULL);
            GDir *nd = g_dir_open(ndevs, 0, NULL);
            const char *gid = NULL;

            while (nd != NULL && found == NULL
                   && (gid = g_dir_read_name(nd)) != NULL) {
                g_autofree char *path = g_build_filename(ndevs, gid, NULL);
                g_autofree char *name = NULL;

                /* a GID not in use reads as an error, not as a name */
                if (g_file_get_contents(path, &name, NULL, NULL)
                    && strcmp(g_strstrip(name), ifname) == 0) {
                    found = g_strdup(dev);
                }
            }
            g_clear_pointer(&nd, g_dir_close);
        }
        g_clear_pointer(&pd, g_dir_close);
    }
    g_clear_pointer(&d, g_dir_close);
    return found;
}

/* ------------------------------------------------------------------ */
/* A migration's inputs, from the CIB                                 */
/* ------------------------------------------------------------------ */

void
drover_netplan_free(drover_netplan_t *plan)
{
    if (plan == NULL) {
        return;
    }
    g_clear_pointer(&plan->order, g_ptr_array_unref);
    g_clear_pointer(&plan->networks, g_ptr_array_unref);
    drover_incoming_free(plan->policy);
    g_clear_pointer(&plan->source_facts, g_hash_table_destroy);
    g_clear_pointer(&plan->target_facts, g_hash_table_destroy);
    g_free(plan);
}

GHashTable *
drover_net_facts_published(const drover_cib_t *cib, const GPtrArray *networks,
                           const char *node)
{
    GHashTable *facts =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, facts_free);

    for (guint i = 0; i < networks->len; i++) {
        drover_network_t *n = g_ptr_array_index(networks, i);
        g_autofree char *attr = g_strconcat("drover-net-", n->name, NULL);
        g_autoptr(GString) ignored = g_string_new(NULL);
        const char *text =
            drover_cib_node_attr(cib, node, attr, DROVER_ATTR_TRANSIENT);
        drover_net_facts_t *f = g_new0(drover_net_facts_t, 1);

        if (text == NULL || drover_net_facts_parse(text, f, ignored) != 0) {
            g_free(f); /* nothing (valid) published: no address there */
            continue;
        }
        g_hash_table_insert(facts, g_strdup(n->name), f);
    }
    return facts;
}

int
drover_netplan_load(const drover_cib_t *cib, const char *vm_order,
                    const char *source, const char *target, bool local_source,
                    drover_netplan_t **plan, GString *reason)
{
    const char *list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    g_autoptr(drover_netplan_t) p = NULL;

    *plan = NULL;
    if (list == NULL) {
        return 0;
    }
    p = g_new0(drover_netplan_t, 1);
    if (drover_networks_parse(list, &p->networks, reason) != 0
        || (vm_order != NULL
            && drover_networks_order(p->networks, vm_order, &p->order, reason)
                   != 0)
        || drover_incoming_parse(p->networks,
                                 drover_cib_node_attr(cib, target,
                                                      DROVER_INCOMING_ATTR,
                                                      DROVER_ATTR_PERMANENT),
                                 &p->policy, reason)
               != 0) {
        return DROVER_RC_CONFIG;
    }
    for (guint i = 0; i < p->networks->len; i++) {
        drover_network_t *n = g_ptr_array_index(p->networks, i);
        g_autofree char *property = drover_transport_property(n->name);
        g_autofree char *group_property =
            drover_network_property(n->name, "group");
        const char *group = drover_cib_property(cib, group_property);

        if (drover_transport_parse(drover_cib_property(cib, property),
                                   &n->transport, reason)
            != 0) {
            g_string_prepend(reason, ": ");
            g_string_prepend(reason, property);
            return DROVER_RC_CONFIG;
        }
        if (group != NULL && !drover__network_name_valid(group)) {
            g_autofree char *shown = drover__shown(group);

            /* a preference only: a migration goes on without it (a
             * failed migrate_to would restart the VM); drover config
             * check reports it */
            qb_log(LOG_WARNING,
                   "Ignoring %s: '%s' is not a valid group name (drover "
                   "config check)",
                   group_property, shown);
            group = NULL;
        }
        n->group = g_strdup(group);
    }
    if (p->order == NULL) {
        p->order = g_ptr_array_new();
        for (guint i = 0; i < p->networks->len; i++) {
            g_ptr_array_add(p->order, g_ptr_array_index(p->networks, i));
        }
    }
    p->source_facts =
        local_source ? drover_net_facts_local(p->networks)
                     : drover_net_facts_published(cib, p->networks, source);
    p->target_facts = drover_net_facts_published(cib, p->networks, target);
    *plan = g_steal_pointer(&p);
    return 0;
}
