/*
 * Health checks of addressing: the node's name, and each migration
 * network towards each peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/deadline.h>
#include <drover/health.h>
#include <drover/netsel.h>
#include <drover/probe.h>
#include <drover/rc.h>

#include "health_private.h"

/* ------------------------------------------------------------------ */
/* The node's name                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
    char *node;
    int error;          /* getaddrinfo's */
    GPtrArray *address; /* char *, as text */
    char *reverse;      /* the first address's name, or NULL */
} name_call_t;

static void
name_call_free(gpointer data)
{
    name_call_t *c = data;

    g_free(c->node);
    g_ptr_array_unref(c->address);
    g_free(c->reverse);
    g_free(c);
}

static int
name_call(void *data)
{
    name_call_t *c = data;
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *list = NULL;
    char host[NI_MAXHOST];

    c->error = getaddrinfo(c->node, NULL, &hints, &list);
    if (c->error != 0) {
        return DROVER_RC_NO_SUCH;
    }
    for (struct addrinfo *a = list; a != NULL; a = a->ai_next) {
        if (getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), NULL, 0,
                        NI_NUMERICHOST)
            == 0) {
            g_ptr_array_add(c->address, g_strdup(host));
        }
    }
    if (list != NULL
        && getnameinfo(list->ai_addr, list->ai_addrlen, host, sizeof(host),
                       NULL, 0, NI_NAMEREQD)
               == 0) {
        c->reverse = g_strdup(host);
    }
    freeaddrinfo(list);
    return 0;
}

static bool
is_loopback(const char *text)
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(text);

    return a != NULL && g_inet_address_get_is_loopback(a);
}

/* Whether \p text is an address of one of this host's interfaces */
static bool
is_local(const char *text)
{
    g_autoptr(GInetAddress) want = g_inet_address_new_from_string(text);
    struct ifaddrs *list = NULL;
    bool found = false;

    if (want == NULL || getifaddrs(&list) != 0) {
        return false;
    }
    for (struct ifaddrs *i = list; i != NULL && !found; i = i->ifa_next) {
        g_autoptr(GSocketAddress) sa = NULL;

        if (i->ifa_addr == NULL
            || (i->ifa_addr->sa_family != AF_INET
                && i->ifa_addr->sa_family != AF_INET6)) {
            continue;
        }
        sa = g_socket_address_new_from_native(
            i->ifa_addr, (i->ifa_addr->sa_family == AF_INET)
                             ? sizeof(struct sockaddr_in)
                             : sizeof(struct sockaddr_in6));
        found =
            (sa != NULL
             && g_inet_address_equal(want, g_inet_socket_address_get_address(
                                               G_INET_SOCKET_ADDRESS(sa))));
    }
    freeifaddrs(list);
    return found;
}

/* "n1" and "n1.example.org" name the same host */
static bool
same_host(const char *a, const char *b)
{
    size_t la = strcspn(a, ".");
    size_t lb = strcspn(b, ".");

    return la == lb && g_ascii_strncasecmp(a, b, la) == 0;
}

drover_health_result_t *
drover_health_name(const char *node, bool local, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    name_call_t *c = g_new0(name_call_t, 1);
    drover_health_result_t *r = NULL;
    const char *first = NULL;
    int rc;

    c->node = g_strdup(node);
    c->address = g_ptr_array_new_with_free_func(g_free);
    rc = drover_deadline_run(deadline, name_call, c, name_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        return drover__health_result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("resolving it took longer than "
                            "%" G_GINT64_FORMAT " ms",
                            (g_get_monotonic_time() - started) / 1000));
    }
    first = (c->address->len > 0) ? g_ptr_array_index(c->address, 0) : NULL;
    if (rc != 0 || first == NULL) {
        r = drover__health_result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("does not resolve: %s",
                            (rc != 0) ? gai_strerror(c->error) : "no address"));
    } else if (is_loopback(first)) {
        r = drover__health_result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("resolves to the loopback address %s "
                            "(peers cannot reach it by name)",
                            first));
    } else if (local && !is_local(first)) {
        r = drover__health_result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("resolves to %s, which is not an address "
                            "of this host",
                            first));
    } else if (c->reverse == NULL) {
        r = drover__health_result(
            "name", node, started, DROVER_HEALTH_WARNING,
            g_strdup_printf("resolves to %s, which has no name "
                            "(reverse lookup)",
                            first));
    } else if (!same_host(c->reverse, node)) {
        r = drover__health_result(
            "name", node, started, DROVER_HEALTH_WARNING,
            g_strdup_printf("resolves to %s, whose name is %s", first,
                            c->reverse));
    } else {
        r = drover__health_result(
            "name", node, started, DROVER_HEALTH_OK,
            g_strdup_printf("resolves to %s and back", first));
    }
    name_call_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* The migration networks, towards each peer                          */
/* ------------------------------------------------------------------ */

/* A warning, not critical: a migration routes around a network that does
 * not work (the network choice skips it), so the node is still fit to run
 * and receive VMs; monitoring is told (docs/health.md) */
#define NETWORK_PROBLEM DROVER_HEALTH_WARNING

static void
add_network(GPtrArray *results, const char *network, const char *peer,
            gint64 started, drover_health_t status, char *reason)
{
    g_autofree char *subject = (peer != NULL)
                                   ? g_strdup_printf("%s %s", network, peer)
                                   : g_strdup(network);

    g_ptr_array_add(results, drover__health_result("network", subject, started,
                                                   status, reason));
}

/* One network towards one peer: MTU agreement, then a full-size
 * don't-fragment packet (what a migration's stream will send) */
static void
check_peer(GPtrArray *results, const char *network,
           const drover_net_facts_t *here, const char *peer,
           const drover_net_facts_t *there, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autoptr(GString) why = g_string_new(NULL);
    g_autofree char *address = NULL;

    if (here->mtu > 0 && there->mtu > 0 && here->mtu != there->mtu) {
        add_network(results, network, peer, started, NETWORK_PROBLEM,
                    g_strdup_printf("MTU mismatch: %d here, %d on %s (packets "
                                    "over %d bytes are lost)",
                                    here->mtu, there->mtu, peer,
                                    MIN(here->mtu, there->mtu)));
        return;
    }
    /* A node that has just booted may have published its link before its
     * address (the rolling upgrade's lab run): nothing to probe yet */
    if (here->mtu <= 0 || !there->link_up || here->address == NULL
        || there->address == NULL) {
        add_network(
            results, network, peer, started, DROVER_HEALTH_OK,
            g_strdup_printf("%s published link %s, MTU %d%s; not "
                            "probed",
                            peer, there->link_up ? "up" : "down", there->mtu,
                            (there->address == NULL) ? ", no address" : ""));
        return;
    }
    address = g_inet_address_to_string(there->address);
    if (drover_probe_path(here->address, there->address, here->mtu, deadline,
                          why)
        != 0) {
        add_network(results, network, peer, started, NETWORK_PROBLEM,
                    g_strdup_printf("a %d-byte don't-fragment packet to %s "
                                    "does not arrive: %s",
                                    here->mtu, address, why->str));
        return;
    }
    add_network(results, network, peer, started, DROVER_HEALTH_OK,
                g_strdup_printf("MTU %d at both ends, a %d-byte don't-fragment "
                                "packet reaches %s",
                                here->mtu, here->mtu, address));
}

/* One network towards one peer, to be checked */
typedef struct {
    const char *network;
    const drover_net_facts_t *mine;
    const char *peer;
    const drover_net_facts_t *theirs;
} peer_check_t;

static void
facts_free(gpointer facts)
{
    if (facts != NULL) {
        g_hash_table_destroy(facts);
    }
}

void
drover_health_networks(const drover_cib_t *cib, const char *node,
                       drover_deadline_t deadline, GPtrArray *results)
{
    gint64 started = g_get_monotonic_time();
    const char *list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    g_autoptr(GString) why = g_string_new(NULL);
    g_autoptr(GHashTable) here = NULL;
    g_autoptr(GPtrArray) peers = NULL; /* facts per node, NULL for this one */
    g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(peer_check_t));

    if (list == NULL) {
        return;
    }
    if (drover_networks_parse(list, &networks, why) != 0) {
        add_network(results, DROVER_NETWORKS_PROPERTY, NULL, started,
                    DROVER_HEALTH_WARNING, g_strdup(why->str));
        return;
    }
    here = drover_net_facts_local(networks);
    nodes = drover_cib_node_names(cib);
    peers = g_ptr_array_new_with_free_func(facts_free);
    for (guint p = 0; p < nodes->len; p++) {
        const char *peer = g_ptr_array_index(nodes, p);

        g_ptr_array_add(peers,
                        (strcmp(peer, node) == 0)
                            ? NULL
                            : drover_net_facts_published(cib, networks, peer));
    }
    /* what to check: each network this node is on, towards each peer that
     * published facts there */
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);
        const drover_net_facts_t *mine = g_hash_table_lookup(here, n->name);

        if (mine == NULL) {
            continue; /* not on this network: nothing to check here */
        }
        if (!mine->link_up) {
            add_network(results, n->name, NULL, g_get_monotonic_time(),
                        NETWORK_PROBLEM, g_strdup("link down on this node"));
            continue;
        }
        for (guint p = 0; p < nodes->len; p++) {
            GHashTable *facts = g_ptr_array_index(peers, p);
            peer_check_t c = {
                .network = n->name,
                .mine = mine,
                .peer = g_ptr_array_index(nodes, p),
                .theirs = (facts != NULL) ? g_hash_table_lookup(facts, n->name)
                                          : NULL,
            };

            if (c.theirs != NULL) {
                g_array_append_val(todo, c);
            }
        }
    }
    for (guint i = 0; i < todo->len; i++) {
        const peer_check_t *c = &g_array_index(todo, peer_check_t, i);
        /* an equal share of what is left for each probe still to run */
        gint64 share = drover_deadline_remaining_ms(deadline) / (todo->len - i);

        if (share <= 0) {
            add_network(results, c->network, c->peer, g_get_monotonic_time(),
                        DROVER_HEALTH_UNKNOWN,
                        g_strdup("not probed: out of time"));
            continue;
        }
        check_peer(results, c->network, c->mine, c->peer, c->theirs,
                   drover_deadline_in_ms(share));
    }
}
