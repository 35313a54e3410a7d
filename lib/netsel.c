/*
 * Migration networks: parsing the cluster's order, a VM's order and the
 * incoming policies.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <net/if.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/netsel.h>
#include <drover/rc.h>

#include "drover_private.h"

#define NAME_MAX_CHARS 32

void
drover_network_free(gpointer data)
{
    drover_network_t *network = data;

    g_free(network->name);
    g_ptr_array_unref(network->subnets);
    g_free(network);
}

static bool
valid_name(const char *name)
{
    size_t len = strlen(name);

    /* any and none are words of drover-incoming */
    if (len == 0 || len > NAME_MAX_CHARS || !g_ascii_isalnum(name[0])
        || strcmp(name, "any") == 0 || strcmp(name, "none") == 0) {
        return false;
    }
    for (const char *c = name; *c != '\0'; c++) {
        if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '-'
            && *c != '_') {
            return false;
        }
    }
    return true;
}

static void
say_bad_name(GString *reason, const char *name)
{
    g_autofree char *shown = drover__shown(name);

    g_string_printf(reason,
                    "'%s' is not a valid network name: use 1-%d of a-z, "
                    "0-9, '-' and '_', starting with a letter or digit, "
                    "other than any and none",
                    shown, NAME_MAX_CHARS);
}

static const drover_network_t *
find_name(const GPtrArray *networks, const char *name)
{
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);

        if (strcmp(n->name, name) == 0) {
            return n;
        }
    }
    return NULL;
}

static bool
masks_overlap(GInetAddressMask *a, GInetAddressMask *b)
{
    return g_inet_address_mask_get_family(a)
               == g_inet_address_mask_get_family(b)
           && (g_inet_address_mask_matches(a,
                                           g_inet_address_mask_get_address(b))
               || g_inet_address_mask_matches(
                   b, g_inet_address_mask_get_address(a)));
}

/* The network of \p networks whose subnets overlap \p mask, or NULL */
static const drover_network_t *
find_overlap(const GPtrArray *networks, GInetAddressMask *mask)
{
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);

        for (guint j = 0; j < n->subnets->len; j++) {
            if (masks_overlap(g_ptr_array_index(n->subnets, j), mask)) {
                return n;
            }
        }
    }
    return NULL;
}

static int
parse_subnet(const char *network, const char *text, GInetAddressMask **mask,
             GString *reason)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *shown = drover__shown(text);
    const char *slash = strchr(text, '/');
    guint64 prefix = 0;

    if (slash == NULL) {
        g_string_printf(reason,
                        "Network '%s': '%s' is not a subnet; write it as "
                        "ADDRESS/PREFIX, e.g. 10.20.1.0/24",
                        network, shown);
        return DROVER_RC_CONFIG;
    }
    /* GLib warns on a prefix out of any range: check it first */
    if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, 128, &prefix, NULL)) {
        *mask = NULL;
    } else {
        *mask = g_inet_address_mask_new_from_string(text, &error);
    }
    if (*mask == NULL) {
        g_string_printf(reason,
                        "Network '%s': '%s' is not a valid subnet; write "
                        "it as ADDRESS/PREFIX, e.g. 10.20.1.0/24",
                        network, shown);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* One "name=subnet[,subnet...]" entry */
static int
parse_network(const char *entry, GPtrArray *networks, GString *reason)
{
    g_autofree char *shown = drover__shown(entry);
    const char *eq = strchr(entry, '=');
    g_autofree char *name = NULL;
    g_auto(GStrv) subnets = NULL;
    drover_network_t *network = NULL;

    if (eq == NULL || eq[1] == '\0') {
        g_string_printf(reason,
                        "'%s' is not NAME=SUBNET[,SUBNET...], e.g. "
                        "lm1=10.20.1.0/24",
                        shown);
        return DROVER_RC_CONFIG;
    }
    name = g_strndup(entry, eq - entry);
    if (!valid_name(name)) {
        say_bad_name(reason, name);
        return DROVER_RC_CONFIG;
    }
    if (find_name(networks, name) != NULL) {
        g_string_printf(reason, "Network '%s' is listed twice", name);
        return DROVER_RC_CONFIG;
    }
    network = g_new0(drover_network_t, 1);
    network->name = g_steal_pointer(&name);
    network->subnets = g_ptr_array_new_with_free_func(g_object_unref);
    subnets = g_strsplit(eq + 1, ",", -1);
    for (char **s = subnets; *s != NULL; s++) {
        GInetAddressMask *mask = NULL;
        const drover_network_t *other = NULL;
        int rc = parse_subnet(network->name, *s, &mask, reason);

        if (rc == 0) {
            other = find_overlap(networks, mask);
            if (other == NULL) {
                /* also against this network's own earlier subnets */
                for (guint j = 0; j < network->subnets->len; j++) {
                    if (masks_overlap(g_ptr_array_index(network->subnets, j),
                                      mask)) {
                        other = network;
                    }
                }
            }
            if (other != NULL) {
                g_string_printf(reason,
                                "Subnet %s of network '%s' overlaps network "
                                "'%s'",
                                *s, network->name, other->name);
                rc = DROVER_RC_CONFIG;
            }
        }
        if (rc != 0) {
            g_clear_object(&mask);
            drover_network_free(network);
            return rc;
        }
        g_ptr_array_add(network->subnets, mask);
    }
    g_ptr_array_add(networks, network);
    return 0;
}

int
drover_networks_parse(const char *text, GPtrArray **networks, GString *reason)
{
    g_auto(GStrv) entries = NULL;
    GPtrArray *result = g_ptr_array_new_with_free_func(drover_network_free);

    *networks = NULL;
    if (text == NULL || !g_utf8_validate(text, -1, NULL)) {
        g_string_printf(reason, "The network list is %s",
                        (text == NULL) ? "not set" : "not valid UTF-8");
        g_ptr_array_unref(result);
        return DROVER_RC_CONFIG;
    }
    entries = g_strsplit_set(text, " \t\n", -1);
    for (char **e = entries; *e != NULL; e++) {
        if (**e != '\0' && parse_network(*e, result, reason) != 0) {
            g_ptr_array_unref(result);
            return DROVER_RC_CONFIG;
        }
    }
    if (result->len == 0) {
        g_string_printf(reason, "The network list is empty; write "
                                "NAME=SUBNET entries in order of preference, "
                                "e.g. 'lm1=10.20.1.0/24 lm2=10.20.2.0/24'");
        g_ptr_array_unref(result);
        return DROVER_RC_CONFIG;
    }
    *networks = result;
    return 0;
}

static const char *const transport_names[] = {
    [DROVER_TRANSPORT_TCP] = "tcp",
    [DROVER_TRANSPORT_TLS] = "tls",
    [DROVER_TRANSPORT_RDMA] = "rdma",
};

const char *
drover_transport_str(drover_transport_t transport)
{
    return transport_names[transport];
}

int
drover_transport_parse(const char *text, drover_transport_t *transport,
                       GString *reason)
{
    *transport = DROVER_TRANSPORT_TCP;
    if (text == NULL) {
        return 0;
    }
    for (guint i = 0; i < G_N_ELEMENTS(transport_names); i++) {
        if (strcmp(text, transport_names[i]) == 0) {
            *transport = (drover_transport_t) i;
            return 0;
        }
    }
    {
        g_autofree char *shown = drover__shown(text);

        g_string_printf(
            reason, "Unknown transport '%s' (valid: tcp, tls, rdma)", shown);
    }
    return DROVER_RC_CONFIG;
}

char *
drover_transport_property(const char *network)
{
    return g_strdup_printf("drover-network-%s-transport", network);
}

char *
drover_tls_networks(const drover_cib_t *cib)
{
    const char *list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GString) names = g_string_new(NULL);

    if (list == NULL || drover_networks_parse(list, &networks, reason) != 0) {
        return NULL;
    }
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);
        g_autofree char *property = drover_transport_property(n->name);

        if (g_strcmp0(drover_cib_property(cib, property), "tls") == 0) {
            g_string_append_printf(names, "%s%s", (names->len > 0) ? ", " : "",
                                   n->name);
        }
    }
    return (names->len > 0) ? g_string_free(g_steal_pointer(&names), FALSE)
                            : NULL;
}

char *
drover_net_migrate_uri(const drover_network_t *network, GInetAddress *address,
                       const char *port)
{
    g_autofree char *host = g_inet_address_to_string(address);
    bool v6 = (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV6);

    return g_strdup_printf(
        "%s://%s%s%s%s%s",
        (network->transport == DROVER_TRANSPORT_RDMA) ? "rdma" : "tcp",
        v6 ? "[" : "", host, v6 ? "]" : "", (port != NULL) ? ":" : "",
        (port != NULL) ? port : "");
}

static bool
in_subnets(const drover_network_t *network, GInetAddress *address)
{
    for (guint i = 0; i < network->subnets->len; i++) {
        if (g_inet_address_mask_matches(g_ptr_array_index(network->subnets, i),
                                        address)) {
            return true;
        }
    }
    return false;
}

const drover_network_t *
drover_networks_find_address(const GPtrArray *networks, GInetAddress *address)
{
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);

        if (in_subnets(n, address)) {
            return n;
        }
    }
    return NULL;
}

static char *
known_names(const GPtrArray *networks)
{
    g_autoptr(GString) names = g_string_new(NULL);

    if (networks->len == 0) {
        return g_strdup("none defined");
    }
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);

        g_string_append_printf(names, "%s%s", (i > 0) ? ", " : "", n->name);
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}

/* A VM's order: names separated by blanks or commas */
#define ORDER_SEPARATORS " ,\t"

int
drover_networks_order_check(const char *text, GString *reason)
{
    g_auto(GStrv) words =
        g_strsplit_set((text != NULL) ? text : "", ORDER_SEPARATORS, -1);
    guint n = 0;

    for (char **w = words; *w != NULL; w++) {
        if (**w == '\0') {
            continue;
        }
        if (!valid_name(*w)) {
            say_bad_name(reason, *w);
            return DROVER_RC_CONFIG;
        }
        for (char **earlier = words; earlier < w; earlier++) {
            if (strcmp(*earlier, *w) == 0) {
                g_string_printf(reason,
                                "Migration network '%s' is listed twice", *w);
                return DROVER_RC_CONFIG;
            }
        }
        n++;
    }
    if (n == 0) {
        g_string_printf(reason, "The network order is empty; name one or "
                                "more networks, e.g. 'lm2 lm1'");
        return DROVER_RC_CONFIG;
    }
    return 0;
}

int
drover_networks_order(const GPtrArray *networks, const char *text,
                      GPtrArray **order, GString *reason)
{
    g_auto(GStrv) words =
        g_strsplit_set((text != NULL) ? text : "", ORDER_SEPARATORS, -1);
    GPtrArray *result = g_ptr_array_new();

    *order = NULL;
    for (char **w = words; *w != NULL; w++) {
        const drover_network_t *n = NULL;

        if (**w == '\0') {
            continue;
        }
        n = find_name(networks, *w);
        if (n == NULL || g_ptr_array_find(result, n, NULL)) {
            g_autofree char *shown = drover__shown(*w);
            g_autofree char *names = known_names(networks);

            g_string_printf(reason,
                            (n == NULL) ? "Unknown migration network '%s'; "
                                          "the cluster has: %s"
                                        : "Migration network '%s' is listed "
                                          "twice (the cluster has: %s)",
                            shown, names);
            g_ptr_array_unref(result);
            return DROVER_RC_CONFIG;
        }
        g_ptr_array_add(result, (gpointer) n);
    }
    if (result->len == 0) {
        g_autofree char *names = known_names(networks);

        g_string_printf(reason,
                        "The network order is empty; name one or more of: %s",
                        names);
        g_ptr_array_unref(result);
        return DROVER_RC_CONFIG;
    }
    *order = result;
    return 0;
}

void
drover_incoming_free(drover_incoming_t *policy)
{
    if (policy != NULL) {
        g_ptr_array_unref(policy->networks);
        g_ptr_array_unref(policy->addresses);
        g_free(policy);
    }
}

int
drover_incoming_parse(const GPtrArray *networks, const char *text,
                      drover_incoming_t **policy, GString *reason)
{
    g_auto(GStrv) words =
        g_strsplit_set((text != NULL) ? text : "", " ,\t", -1);
    drover_incoming_t *p = g_new0(drover_incoming_t, 1);
    guint n_words = 0;

    *policy = NULL;
    p->networks = g_ptr_array_new_with_free_func(g_free);
    p->addresses = g_ptr_array_new_with_free_func(g_object_unref);
    p->mode = DROVER_INCOMING_LISTED;
    for (char **w = words; *w != NULL; w++) {
        GInetAddress *address = NULL;

        if (**w == '\0') {
            continue;
        }
        n_words++;
        if (strcmp(*w, "any") == 0 || strcmp(*w, "none") == 0) {
            p->mode = (**w == 'a') ? DROVER_INCOMING_ANY : DROVER_INCOMING_NONE;
            continue;
        }
        if (find_name(networks, *w) != NULL) {
            g_ptr_array_add(p->networks, g_strdup(*w));
            continue;
        }
        address = g_inet_address_new_from_string(*w);
        if (address != NULL) {
            g_ptr_array_add(p->addresses, address);
            continue;
        }
        {
            g_autofree char *shown = drover__shown(*w);
            g_autofree char *names = known_names(networks);

            g_string_printf(reason,
                            "Incoming policy: '%s' is neither any, none, a "
                            "migration network (%s) nor an IP address",
                            shown, names);
        }
        drover_incoming_free(p);
        return DROVER_RC_CONFIG;
    }
    if (n_words == 0) {
        p->mode = DROVER_INCOMING_ANY;
    } else if (p->mode != DROVER_INCOMING_LISTED && n_words > 1) {
        g_string_printf(reason,
                        "Incoming policy: '%s' stands alone; do not "
                        "combine it with other words",
                        (p->mode == DROVER_INCOMING_ANY) ? "any" : "none");
        drover_incoming_free(p);
        return DROVER_RC_CONFIG;
    }
    *policy = p;
    return 0;
}

bool
drover_incoming_allows(const drover_incoming_t *policy,
                       const drover_network_t *network, GInetAddress *address)
{
    switch (policy->mode) {
        case DROVER_INCOMING_ANY: return true;
        case DROVER_INCOMING_NONE: return false;
        default: break;
    }
    for (guint i = 0; i < policy->networks->len; i++) {
        if (strcmp(g_ptr_array_index(policy->networks, i), network->name)
            == 0) {
            return true;
        }
    }
    for (guint i = 0; address != NULL && i < policy->addresses->len; i++) {
        if (g_inet_address_equal(g_ptr_array_index(policy->addresses, i),
                                 address)) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Node facts                                                         */
/* ------------------------------------------------------------------ */

void
drover_net_facts_clear(drover_net_facts_t *facts)
{
    g_clear_object(&facts->address);
    g_clear_pointer(&facts->interface, g_free);
    facts->mtu = 0;
    facts->link_up = false;
}

int
drover_net_facts_parse(const char *text, drover_net_facts_t *facts,
                       GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set((text != NULL) ? text : "", " \t", -1);

    memset(facts, 0, sizeof(*facts));
    for (char **w = words; *w != NULL; w++) {
        gint64 mtu = 0;

        if (**w == '\0') {
            continue;
        }
        if (g_str_has_prefix(*w, "address=")) {
            g_clear_object(&facts->address);
            facts->address = g_inet_address_new_from_string(*w + 8);
            if (facts->address != NULL) {
                continue;
            }
        } else if (g_str_has_prefix(*w, "mtu=")
                   && g_ascii_string_to_signed(*w + 4, 10, 68, 65536, &mtu,
                                               NULL)) {
            facts->mtu = (int) mtu;
            continue;
        } else if (strcmp(*w, "link=up") == 0 || strcmp(*w, "link=down") == 0) {
            facts->link_up = (strcmp(*w, "link=up") == 0);
            continue;
        }
        {
            g_autofree char *shown = drover__shown(*w);

            g_string_printf(reason,
                            "'%s' is not address=IP, mtu=68..65536 or "
                            "link=up|down",
                            shown);
        }
        drover_net_facts_clear(facts);
        return DROVER_RC_PROTOCOL;
    }
    return 0;
}

char *
drover_net_facts_format(const drover_net_facts_t *facts)
{
    g_autofree char *address = (facts->address != NULL)
                                   ? g_inet_address_to_string(facts->address)
                                   : NULL;
    g_autoptr(GString) text = g_string_new(NULL);

    if (address != NULL) {
        g_string_append_printf(text, "address=%s ", address);
    }
    if (facts->mtu > 0) {
        g_string_append_printf(text, "mtu=%d ", facts->mtu);
    }
    g_string_append_printf(text, "link=%s", facts->link_up ? "up" : "down");
    return g_string_free(g_steal_pointer(&text), FALSE);
}

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
    if (!in_subnets(network, facts->address)) {
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

int
drover_netsel_choose(const drover_netsel_t *sel, GPtrArray **choices)
{
    GPtrArray *result = g_ptr_array_new_with_free_func(drover_net_choice_free);
    int chosen = -1;

    for (guint i = 0; i < sel->order->len; i++) {
        const drover_network_t *network = g_ptr_array_index(sel->order, i);
        const drover_net_facts_t *dst =
            g_hash_table_lookup(sel->target_facts, network->name);
        drover_net_choice_t *choice = g_new0(drover_net_choice_t, 1);

        choice->network = network;
        if (dst != NULL && dst->address != NULL) {
            choice->target = g_object_ref(dst->address);
        }
        if (chosen >= 0) {
            choice->verdict = DROVER_NET_NOT_TRIED;
            choice->reason = g_strdup("an earlier network was chosen");
        } else {
            choice->reason = network_unfit(sel, network);
            if (choice->reason == NULL) {
                choice->verdict = DROVER_NET_CHOSEN;
                choice->reason = g_strdup("first usable network in the order");
                chosen = (int) i;
            } else {
                choice->verdict = DROVER_NET_SKIPPED;
            }
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

        if (drover_transport_parse(drover_cib_property(cib, property),
                                   &n->transport, reason)
            != 0) {
            g_string_prepend(reason, ": ");
            g_string_prepend(reason, property);
            return DROVER_RC_CONFIG;
        }
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
