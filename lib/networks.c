/*
 * Migration networks, parsed: the cluster's list, a network's transport,
 * a VM's order, the incoming policies and what a node publishes of itself
 * on each network (drover/netsel.h).  lib/netsel.c makes the choice.
 */
#include <string.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/netsel.h>
#include <drover/rc.h>

#include "drover_private.h"
#include "netsel_private.h"

#define NAME_MAX_CHARS 32

void
drover_network_free(gpointer data)
{
    drover_network_t *network = data;

    g_free(network->name);
    g_free(network->group);
    g_ptr_array_unref(network->subnets);
    g_free(network);
}

bool
drover__network_name_valid(const char *name)
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
    if (!drover__network_name_valid(name)) {
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

bool
drover__network_contains(const drover_network_t *network, GInetAddress *address)
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

        if (drover__network_contains(n, address)) {
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
        if (!drover__network_name_valid(*w)) {
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
