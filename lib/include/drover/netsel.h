/*
 * Migration networks: the cluster's ordered list, a VM's own order, and a
 * target node's incoming policy.
 *
 *   drover-migration-networks = "lm1=10.20.1.0/24 lm2=10.20.2.0/24,fd00::/64"
 *   migration_networks (VM)   = "lm2 lm1"
 *   drover-incoming (node)    = "any" | "none" | "lm2" | "10.20.2.12 lm1"
 */
#ifndef DROVER_NETSEL__H
#define DROVER_NETSEL__H

#include <stdbool.h>

#include <gio/gio.h>

#include <drover/cib.h>

/* How the memory stream travels on a network (cluster property
 * drover-network-<name>-transport) */
typedef enum {
    DROVER_TRANSPORT_TCP,  /* tcp://, the default */
    DROVER_TRANSPORT_TLS,  /* tcp:// with VIR_MIGRATE_TLS */
    DROVER_TRANSPORT_RDMA, /* rdma:// */
} drover_transport_t;

/* One named migration network and its subnets */
typedef struct {
    char *name;
    GPtrArray *subnets; /* GInetAddressMask *, at least one */
    drover_transport_t transport;
    /* drover-network-<name>-group: networks of one group are of equal
     * preference (NULL: alone) */
    char *group;
} drover_network_t;

/*!
 * \brief Parse a transport name (tcp, tls or rdma); NULL is tcp
 */
int drover_transport_parse(const char *text, drover_transport_t *transport,
                           GString *reason);
const char *drover_transport_str(drover_transport_t transport);

/*!
 * \brief The cluster property naming \p network's transport (free it)
 */
char *drover_transport_property(const char *network);

/*!
 * \brief The cluster's networks whose transport is tls, as "lm1, lm2"
 *        (free it; NULL: none, or no readable network list)
 */
char *drover_tls_networks(const drover_cib_t *cib);

/*!
 * \brief The memory stream's URI to \p address on \p network:
 *        tcp://10.20.1.12, rdma://[fd00::12]:49152 (\p port may be NULL)
 */
char *drover_net_migrate_uri(const drover_network_t *network,
                             GInetAddress *address, const char *port);

/*!
 * \brief Parse the cluster's ordered network list
 *
 * Names are 1-32 of [a-z0-9_-], starting with a letter or digit, each
 * used once; every subnet is an IPv4 or IPv6 CIDR with no host bits set;
 * no two networks' subnets overlap.
 *
 * \param[out] networks  drover_network_t * in preference order
 * \param[out] reason    What is wrong, naming the bad value
 */
int drover_networks_parse(const char *text, GPtrArray **networks,
                          GString *reason);

/*!
 * \brief The network (from \p networks) that \p address belongs to, or NULL
 */
const drover_network_t *drover_networks_find_address(const GPtrArray *networks,
                                                     GInetAddress *address);

/*!
 * \brief Check a VM's own order without the cluster's list: every word
 *        (blank- or comma-separated) a valid network name, each once
 *
 * drover_networks_order() then checks the names against the cluster's.
 */
int drover_networks_order_check(const char *text, GString *reason);

/*!
 * \brief Parse a VM's own order: names from \p networks, each once
 *
 * \param[out] order  the networks (borrowed from \p networks) in order
 */
int drover_networks_order(const GPtrArray *networks, const char *text,
                          GPtrArray **order, GString *reason);

typedef enum {
    DROVER_INCOMING_ANY,    /* every network in the order */
    DROVER_INCOMING_NONE,   /* no live migrations at all */
    DROVER_INCOMING_LISTED, /* only listed networks or addresses */
} drover_incoming_mode_t;

typedef struct {
    drover_incoming_mode_t mode;
    GPtrArray *networks;  /* names (char *) listed */
    GPtrArray *addresses; /* GInetAddress * listed */
} drover_incoming_t;

/*!
 * \brief Parse a node's incoming policy (NULL or empty: any)
 */
int drover_incoming_parse(const GPtrArray *networks, const char *text,
                          drover_incoming_t **policy, GString *reason);
void drover_incoming_free(drover_incoming_t *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_incoming_t, drover_incoming_free)

/*!
 * \brief Whether \p policy lets a migration arrive on \p network at
 *        \p address (the target's address on it; may be NULL)
 */
bool drover_incoming_allows(const drover_incoming_t *policy,
                            const drover_network_t *network,
                            GInetAddress *address);

void drover_network_free(gpointer network);

/* ------------------------------------------------------------------ */
/* Choosing the network of one migration                              */
/* ------------------------------------------------------------------ */

/* What a node has on one migration network (published by NodeHealth as
 * the transient attribute drover-net-<name>: "address=A mtu=N link=up") */
typedef struct {
    GInetAddress *address; /* NULL: no address there */
    int mtu;               /* 0: unknown */
    bool link_up;
    char *interface; /* this node's own facts only: the interface's name */
} drover_net_facts_t;

int drover_net_facts_parse(const char *text, drover_net_facts_t *facts,
                           GString *reason);

/*!
 * \brief This node's facts on each of \p networks, from its interfaces
 *
 * \return network name -> drover_net_facts_t * (only networks where this
 *         node has an address); free with g_hash_table_destroy()
 */
GHashTable *drover_net_facts_local(const GPtrArray *networks);
/*!
 * \brief What \p node published on each of \p networks (drover-net-<name>)
 *
 * \return network name -> drover_net_facts_t * (only valid ones)
 */
GHashTable *drover_net_facts_published(const drover_cib_t *cib,
                                       const GPtrArray *networks,
                                       const char *node);
char *drover_net_facts_format(const drover_net_facts_t *facts);
/*!
 * \brief The RDMA device on interface \p ifname, from sysfs under \p sysfs
 *        ("/sys"): an InfiniBand port under the interface's device
 *        (IPoIB, a RoCE adapter), or a port whose GIDs are bound to it
 *        (RoCE, rdma_rxe); NULL when there is none
 */
char *drover_net_rdma_device(const char *sysfs, const char *ifname);
void drover_net_facts_clear(drover_net_facts_t *facts);

/* Checks that need the network itself (the lab tests use real ones, unit
 * tests fakes): a don't-fragment probe of \p size bytes from \p source to
 * \p target; 0 if it arrived, else a result with \p reason filled */
typedef int (*drover_path_probe_fn)(void *data, GInetAddress *source,
                                    GInetAddress *target, int size,
                                    GString *reason);

typedef enum {
    DROVER_NET_CHOSEN,
    DROVER_NET_SKIPPED,
    DROVER_NET_NOT_TRIED, /* an earlier one was chosen */
    DROVER_NET_EQUAL,     /* usable, in the chosen one's group: the
                             migrations spread over these and it */
} drover_net_verdict_t;

typedef struct {
    const drover_network_t *network;
    drover_net_verdict_t verdict;
    char *reason;         /* why it was skipped or chosen */
    GInetAddress *target; /* the target's address on it, if any */
} drover_net_choice_t;

void drover_net_choice_free(gpointer choice);

/* Everything the choice looks at */
typedef struct {
    const GPtrArray *order;          /* drover_network_t *, preference order */
    const drover_incoming_t *policy; /* the target's */
    const char *source_node;
    const char *target_node;
    GHashTable *source_facts; /* network name -> drover_net_facts_t * */
    GHashTable *target_facts;
    drover_path_probe_fn probe; /* NULL: no path probe */
    void *probe_data;
} drover_netsel_t;

/*!
 * \brief \p order with each group in its first network's place (borrowed
 *        drover_network_t *; free the array)
 *
 * Leave networks out of an order after this, not before: a group keeps
 * its place when its first network is left out.
 */
GPtrArray *drover_netsel_tiered(const GPtrArray *order);

/*!
 * \brief Try the networks in order, each group (drover_network_t.group) in
 *        its first network's place; the first usable one is chosen, and
 *        the other usable networks of its group are of equal preference
 *        (DROVER_NET_EQUAL)
 *
 * \param[out] choices  drover_net_choice_t *, one per network, in that
 *                      order
 *
 * \return index in \p choices of the chosen network, or -1 if none is
 *         usable
 */
int drover_netsel_choose(const drover_netsel_t *sel, GPtrArray **choices);

/* Everything one migration's choice reads from the cluster */
typedef struct {
    GPtrArray *networks;       /* drover_network_t * */
    GPtrArray *order;          /* borrowed from networks: the VM's or the
                                  cluster's order */
    drover_incoming_t *policy; /* the target's */
    GHashTable *source_facts;  /* name -> drover_net_facts_t * */
    GHashTable *target_facts;
} drover_netplan_t;

/*!
 * \brief Read the networks, \p vm_order (NULL: the cluster's), the
 *        target's policy and both nodes' published facts from \p cib
 *
 * With \p local_source, the source's facts come from this host's
 * interfaces instead of what it published.
 *
 * \return 0 (\p plan NULL when drover-migration-networks is not set), or
 *         DROVER_RC_CONFIG with \p reason naming the bad value
 */
int drover_netplan_load(const drover_cib_t *cib, const char *vm_order,
                        const char *source, const char *target,
                        bool local_source, drover_netplan_t **plan,
                        GString *reason);
void drover_netplan_free(drover_netplan_t *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_netplan_t, drover_netplan_free)

#endif /* DROVER_NETSEL__H */
