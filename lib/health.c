/*
 * Health checks (drover/health.h).  Every call that can block runs in a
 * bounded worker (drover_deadline_run): a SIGSTOPped daemon makes a check
 * critical at its deadline, it never hangs the caller.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include <corosync/quorum.h>
#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>
#include <ldap.h>
#include <libvirt/libvirt.h>
#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/drain.h>
#include <drover/file.h>
#include <drover/health.h>
#include <drover/netsel.h>
#include <drover/probe.h>
#include <drover/rc.h>
#include <drover/record.h>
#include <drover/spawn.h>
#include <drover/virt.h>

#include "options.h"

const char *
drover_health_str(drover_health_t status)
{
    static const char *const names[] = {
        [DROVER_HEALTH_OK] = "ok",
        [DROVER_HEALTH_WARNING] = "warning",
        [DROVER_HEALTH_CRITICAL] = "critical",
        [DROVER_HEALTH_UNKNOWN] = "unknown",
    };

    return names[status];
}

void
drover_health_result_free(gpointer data)
{
    drover_health_result_t *r = data;

    if (r != NULL) {
        g_free(r->node);
        g_free(r->check);
        g_free(r->subject);
        g_free(r->reason);
        g_free(r);
    }
}

static drover_health_result_t *
result(const char *check, const char *subject, gint64 started,
       drover_health_t status, char *reason)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->check = g_strdup(check);
    r->subject = g_strdup(subject);
    r->status = status;
    r->reason = reason;
    r->ms = (g_get_monotonic_time() - started) / 1000;
    return r;
}

/* "not answering within 2500 ms" for a call cut short at its deadline */
static char *
not_answering(gint64 started)
{
    return g_strdup_printf("not answering within %" G_GINT64_FORMAT " ms",
                           (g_get_monotonic_time() - started) / 1000);
}

/* ------------------------------------------------------------------ */
/* libvirt                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    char *uri;
    char *error;
    int domains;
} libvirt_call_t;

static void
libvirt_call_free(gpointer data)
{
    libvirt_call_t *c = data;

    g_free(c->uri);
    g_free(c->error);
    g_free(c);
}

static int
libvirt_call(void *data)
{
    libvirt_call_t *c = data;
    virConnectPtr conn = NULL;
    virDomainPtr *domains = NULL;
    int rc = drover_virt_open(c->uri, &conn);

    if (rc != 0) {
        c->error = g_strdup(drover_virt_error());
        return rc;
    }
    c->domains = virConnectListAllDomains(conn, &domains, 0);
    if (c->domains < 0) {
        c->error = g_strdup(drover_virt_error());
        rc = DROVER_RC_ERROR;
    }
    for (int i = 0; i < c->domains; i++) {
        virDomainFree(domains[i]);
    }
    free(domains);
    virConnectClose(conn);
    return rc;
}

drover_health_result_t *
drover_health_libvirt(const char *uri, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    libvirt_call_t *c = g_new0(libvirt_call_t, 1);
    drover_health_result_t *r = NULL;
    int rc;

    /* a libvirtd that is down may be restarting (a package upgrade): it is
     * asked again for half the check's time before it counts as down,
     * else one restart would turn the node red and send its VMs away */
    drover_deadline_t retry_until =
        drover_deadline_in_ms(drover_deadline_remaining_ms(deadline) / 2);
    bool down = false;

    drover_virt_init();
    for (;;) {
        const char *error = NULL;

        c->uri = g_strdup(uri);
        rc = drover_deadline_run(deadline, libvirt_call, c, libvirt_call_free);
        if (rc == DROVER_RC_TIMEOUT) {
            return result("libvirt", uri, started, DROVER_HEALTH_CRITICAL,
                          not_answering(started)); /* the worker owns c */
        }
        error = (rc != 0 && c->error != NULL) ? c->error : "?";
        /* no socket, or nobody behind it */
        down = (rc != 0
                && (strstr(error, "No such file or directory") != NULL
                    || strstr(error, "Connection refused") != NULL));
        if (!down || drover_deadline_remaining_ms(retry_until) < 500) {
            break;
        }
        libvirt_call_free(c);
        c = g_new0(libvirt_call_t, 1);
        g_usleep(500 * 1000);
    }
    if (rc != 0) {
        const char *error = (c->error != NULL) ? c->error : "?";

        r = result("libvirt", uri, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("%s: %s",
                                   down ? "not running" : "cannot connect",
                                   error));
    } else {
        r = result("libvirt", uri, started, DROVER_HEALTH_OK,
                   g_strdup_printf("answers (%d domain(s))", c->domains));
    }
    libvirt_call_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* Corosync                                                           */
/* ------------------------------------------------------------------ */

typedef struct {
    cs_error_t error;
    int quorate;
} quorum_call_t;

static int
quorum_call(void *data)
{
    quorum_call_t *c = data;
    quorum_handle_t handle = 0;
    uint32_t type = 0;

    c->error = quorum_initialize(&handle, NULL, &type);
    if (c->error != CS_OK) {
        return drover_rc_from_cs(c->error);
    }
    c->error = quorum_getquorate(handle, &c->quorate);
    quorum_finalize(handle);
    return (c->error == CS_OK) ? 0 : drover_rc_from_cs(c->error);
}

drover_health_result_t *
drover_health_corosync(drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    quorum_call_t *c = g_new0(quorum_call_t, 1);
    drover_health_result_t *r = NULL;
    int rc = drover_deadline_run(deadline, quorum_call, c, g_free);

    if (rc == DROVER_RC_TIMEOUT) {
        return result("corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
                      not_answering(started));
    }
    if (rc != 0) {
        r = result("corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("not running: %s", cs_strerror(c->error)));
    } else if (!c->quorate) {
        r = result("corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
                   g_strdup("this node's partition has no quorum"));
    } else {
        r = result("corosync", "quorum", started, DROVER_HEALTH_OK,
                   g_strdup("member of a quorate partition"));
    }
    g_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* Pacemaker's CIB                                                    */
/* ------------------------------------------------------------------ */

/* The CIB check, keeping what it read (\p cib may be NULL) */
static drover_health_result_t *
check_cib(drover_deadline_t deadline, drover_cib_t **cib)
{
    gint64 started = g_get_monotonic_time();
    drover_cib_t *read = NULL;
    int rc = drover_cib_query(deadline, &read);

    if (cib != NULL) {
        *cib = read;
    } else {
        drover_cib_free(read);
    }

    if (rc == DROVER_RC_TIMEOUT) {
        return result("cib", "pacemaker-based", started, DROVER_HEALTH_CRITICAL,
                      not_answering(started));
    }
    if (rc != 0) {
        return result("cib", "pacemaker-based", started, DROVER_HEALTH_CRITICAL,
                      g_strdup_printf("cannot query: %s", drover_rc_str(rc)));
    }
    return result("cib", "pacemaker-based", started, DROVER_HEALTH_OK,
                  g_strdup("answers"));
}

drover_health_result_t *
drover_health_cib(drover_deadline_t deadline)
{
    return check_cib(deadline, NULL);
}

/* ------------------------------------------------------------------ */
/* Pacemaker's controller and attribute manager                       */
/* ------------------------------------------------------------------ */

drover_health_result_t *
drover_health_controller(const char *node, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    /* crmadmin pings this node's controller (with no node, the DC's: one
     * hung DC would make every node red) and waits for the real reply,
     * not the first acknowledgement; a process of its own also keeps
     * Pacemaker's IPC client library out of this one's threads */
    const char *argv[] = { "crmadmin", "--status", node, NULL };
    int status = -1;
    int rc = drover_spawn(argv, deadline, &out, &err, &status);
    const char *state = (out != NULL) ? strstr(out, " in state ") : NULL;

    if (rc == DROVER_RC_TIMEOUT) {
        return result("controller", "pacemaker-controld", started,
                      DROVER_HEALTH_CRITICAL, not_answering(started));
    }
    if (rc != 0 || status != 0 || state == NULL) {
        const char *why =
            (err != NULL && *g_strstrip(err) != '\0') ? err : drover_rc_str(rc);

        return result("controller", "pacemaker-controld", started,
                      DROVER_HEALTH_CRITICAL,
                      g_strdup_printf("cannot ping: %.*s",
                                      (int) strcspn(why, "\n"), why));
    }
    return result("controller", "pacemaker-controld", started, DROVER_HEALTH_OK,
                  g_strdup_printf("answers (%.*s)",
                                  (int) strcspn(state + 10, ": \n"),
                                  state + 10));
}

drover_health_result_t *
drover_health_attrd(drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autoptr(GHashTable) values = NULL;
    /* a real query, through attrd_updater (no public client API) */
    int rc = drover_private_attr_read(DROVER_HOST_ATTR, deadline, &values);

    if (rc == DROVER_RC_TIMEOUT) {
        return result("attrd", "pacemaker-attrd", started,
                      DROVER_HEALTH_CRITICAL, not_answering(started));
    }
    if (rc != 0 && rc != DROVER_RC_NO_SUCH) {
        return result("attrd", "pacemaker-attrd", started,
                      DROVER_HEALTH_CRITICAL,
                      g_strdup_printf("cannot query: %s", drover_rc_str(rc)));
    }
    return result("attrd", "pacemaker-attrd", started, DROVER_HEALTH_OK,
                  g_strdup("answers"));
}

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
        return result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("resolving it took longer than "
                            "%" G_GINT64_FORMAT " ms",
                            (g_get_monotonic_time() - started) / 1000));
    }
    first = (c->address->len > 0) ? g_ptr_array_index(c->address, 0) : NULL;
    if (rc != 0 || first == NULL) {
        r = result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("does not resolve: %s",
                            (rc != 0) ? gai_strerror(c->error) : "no address"));
    } else if (is_loopback(first)) {
        r = result("name", node, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("resolves to the loopback address %s "
                                   "(peers cannot reach it by name)",
                                   first));
    } else if (local && !is_local(first)) {
        r = result("name", node, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("resolves to %s, which is not an address "
                                   "of this host",
                                   first));
    } else if (c->reverse == NULL) {
        r = result("name", node, started, DROVER_HEALTH_WARNING,
                   g_strdup_printf("resolves to %s, which has no name "
                                   "(reverse lookup)",
                                   first));
    } else if (!same_host(c->reverse, node)) {
        r = result("name", node, started, DROVER_HEALTH_WARNING,
                   g_strdup_printf("resolves to %s, whose name is %s", first,
                                   c->reverse));
    } else {
        r = result("name", node, started, DROVER_HEALTH_OK,
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

    g_ptr_array_add(results,
                    result("network", subject, started, status, reason));
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

/* ------------------------------------------------------------------ */
/* libvirt's TLS certificates                                         */
/* ------------------------------------------------------------------ */

/* libvirt's default places (libvirtd.conf: ca_file, cert_file) */
#define LIBVIRT_CA_FILE      "/etc/pki/CA/cacert.pem"
#define LIBVIRT_SERVER_CERT  "/etc/pki/libvirt/servercert.pem"
#define LIBVIRT_CLIENT_CERT  "/etc/pki/libvirt/clientcert.pem"
#define QEMU_CONF            "/etc/libvirt/qemu.conf"
#define QEMU_CONF_MAX_BYTES  (1024 * 1024)
#define QEMU_TLS_DIR         "/etc/pki/qemu"
#define QEMU_MIGRATE_TLS_DIR "/etc/pki/libvirt-migrate"

static char *
date_text(time_t t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

    return (d != NULL) ? g_date_time_format(d, "%Y-%m-%d %H:%M UTC")
                       : g_strdup("?");
}

/* The most a file named in the CIB may hold: a certificate (a chain, even)
 * is a few KiB, known_hosts a line per host, a password one line */
#define CERT_MAX_BYTES        (1024 * 1024)
#define KNOWN_HOSTS_MAX_BYTES (4 * 1024 * 1024)
#define PASSWORD_MAX_BYTES    (4 * 1024)

/* The first certificate of a PEM file, read by \p deadline; else why, and
 * DROVER_RC_TIMEOUT when its file system did not answer */
static int
load_cert(const char *path, drover_deadline_t deadline, gnutls_x509_crt_t *crt,
          char **why)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    gsize length = 0;
    gnutls_datum_t data = { NULL, 0 };
    int rc = drover_file_read(path, CERT_MAX_BYTES, deadline, &text, &length,
                              reason);

    *crt = NULL;
    if (rc != 0) {
        *why = (rc == ENOENT) ? g_strdup_printf("%s: missing", path)
                              : g_strdup(reason->str);
        return rc;
    }
    data.data = (unsigned char *) text;
    data.size = (unsigned int) length;
    rc = gnutls_x509_crt_init(crt);
    if (rc >= 0) {
        rc = gnutls_x509_crt_import(*crt, &data, GNUTLS_X509_FMT_PEM);
    }
    if (rc < 0) {
        *why = g_strdup_printf("%s: not a PEM certificate: %s", path,
                               gnutls_strerror(rc));
        if (*crt != NULL) {
            gnutls_x509_crt_deinit(*crt);
            *crt = NULL;
        }
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* Whom \p crt is for: its subject's CN, or its DN */
static char *
issued_for(gnutls_x509_crt_t crt)
{
    char buf[256];
    size_t size = sizeof(buf);

    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                      buf, &size)
        == 0) {
        return g_strdup(buf);
    }
    size = sizeof(buf);
    return (gnutls_x509_crt_get_dn(crt, buf, &size) == 0) ? g_strdup(buf)
                                                          : g_strdup("?");
}

/* The CA certificate, or why there is none */
typedef struct {
    const char *path;
    gnutls_x509_crt_t crt;
    int rc;
    char *why;
} ca_cert_t;

static drover_health_result_t *
check_cert(const char *path, const ca_cert_t *ca, const char *node,
           int warn_days, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autofree char *why = NULL;
    g_autofree char *until = NULL;
    gnutls_x509_crt_t crt = NULL;
    int rc = load_cert(path, deadline, &crt, &why);
    time_t now = time(NULL);
    time_t from = 0;
    time_t to = 0;
    drover_health_result_t *r = NULL;
    unsigned int status = 0;

    if (rc != 0) {
        /* a file system that does not answer says nothing of the file */
        return result("tls", path, started,
                      (rc == DROVER_RC_TIMEOUT) ? DROVER_HEALTH_UNKNOWN
                                                : DROVER_HEALTH_CRITICAL,
                      g_steal_pointer(&why));
    }
    from = gnutls_x509_crt_get_activation_time(crt);
    to = gnutls_x509_crt_get_expiration_time(crt);
    until = date_text(to);
    if (from > now) {
        g_autofree char *start = date_text(from);

        r = result("tls", path, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("not valid before %s", start));
    } else if (to < now) {
        r = result("tls", path, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("expired on %s", until));
    } else if (!gnutls_x509_crt_check_hostname(crt, node)) {
        g_autofree char *whom = issued_for(crt);

        r = result("tls", path, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("issued for %s, not for %s", whom, node));
    } else if (ca->crt == NULL && ca->rc == DROVER_RC_TIMEOUT) {
        r = result("tls", path, started, DROVER_HEALTH_UNKNOWN,
                   g_strdup_printf("not checked against the CA certificate: "
                                   "%s",
                                   ca->why));
    } else if (ca->crt == NULL) {
        r = result("tls", path, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("no CA certificate to check it against (%s)",
                                   ca->why));
    } else if (gnutls_x509_crt_verify(crt, &ca->crt, 1, 0, &status) < 0
               || status != 0) {
        gnutls_datum_t text = { NULL, 0 };

        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                     &text, 0);
        r = result(
            "tls", path, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("does not chain to %s: %s", ca->path,
                            (text.data != NULL) ? (char *) text.data : "?"));
        gnutls_free(text.data);
    } else if (to < now + (time_t) warn_days * 86400) {
        r = result("tls", path, started, DROVER_HEALTH_WARNING,
                   g_strdup_printf("expires on %s, in %ld day(s)", until,
                                   (long) ((to - now) / 86400)));
    } else {
        r = result("tls", path, started, DROVER_HEALTH_OK,
                   g_strdup_printf("valid until %s, for %s, from %s", until,
                                   node, ca->path));
    }
    gnutls_x509_crt_deinit(crt);
    return r;
}

/* The server and client certificate in \p server and \p client, checked
 * against the CA certificate in \p ca_path */
static void
check_cert_pair(const char *ca_path, const char *server, const char *client,
                const char *node, int warn_days, drover_deadline_t deadline,
                GPtrArray *results)
{
    ca_cert_t ca = { .path = ca_path };

    ca.rc = load_cert(ca_path, deadline, &ca.crt, &ca.why);
    g_ptr_array_add(results,
                    check_cert(server, &ca, node, warn_days, deadline));
    g_ptr_array_add(results,
                    check_cert(client, &ca, node, warn_days, deadline));
    if (ca.crt != NULL) {
        gnutls_x509_crt_deinit(ca.crt);
    }
    g_free(ca.why);
}

void
drover_health_tls(const char *dir, const char *node, int warn_days,
                  drover_deadline_t deadline, GPtrArray *results)
{
    g_autofree char *ca_path = (dir != NULL)
                                   ? g_build_filename(dir, "cacert.pem", NULL)
                                   : g_strdup(LIBVIRT_CA_FILE);
    g_autofree char *server =
        (dir != NULL) ? g_build_filename(dir, "servercert.pem", NULL)
                      : g_strdup(LIBVIRT_SERVER_CERT);
    g_autofree char *client =
        (dir != NULL) ? g_build_filename(dir, "clientcert.pem", NULL)
                      : g_strdup(LIBVIRT_CLIENT_CERT);

    check_cert_pair(ca_path, server, client, node, warn_days, deadline,
                    results);
}

void
drover_health_tls_migration(const char *dir, const char *node, int warn_days,
                            drover_deadline_t deadline, GPtrArray *results)
{
    g_autofree char *ca_path = g_build_filename(dir, "ca-cert.pem", NULL);
    g_autofree char *server = g_build_filename(dir, "server-cert.pem", NULL);
    g_autofree char *client = g_build_filename(dir, "client-cert.pem", NULL);

    check_cert_pair(ca_path, server, client, node, warn_days, deadline,
                    results);
}

/* Where QEMU finds its migration certificates: qemu.conf's
 * migrate_tls_x509_cert_dir, else /etc/pki/libvirt-migrate if it exists,
 * else default_tls_x509_cert_dir, else /etc/pki/qemu (libvirt's rules;
 * the file read by \p deadline) */
static char *
qemu_migration_cert_dir(drover_deadline_t deadline)
{
    g_autoptr(GString) why = g_string_new(NULL);
    g_autofree char *text = NULL;
    g_autofree char *migrate = NULL;
    g_autofree char *fallback = NULL;
    g_auto(GStrv) lines = NULL;
    gsize length = 0;

    if (drover_file_read(QEMU_CONF, QEMU_CONF_MAX_BYTES, deadline, &text,
                         &length, why)
        != 0) {
        text = g_strdup("");
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        g_auto(GStrv) kv = g_strsplit(*l, "=", 2);
        char *key = NULL;
        char *value = NULL;

        if (kv[0] == NULL || kv[1] == NULL) {
            continue;
        }
        key = g_strstrip(kv[0]);
        value = g_strstrip(kv[1]);
        if (*key == '#' || *value != '"' || strlen(value) < 2
            || value[strlen(value) - 1] != '"') {
            continue;
        }
        value[strlen(value) - 1] = '\0';
        value++;
        if (strcmp(key, "migrate_tls_x509_cert_dir") == 0) {
            g_free(migrate);
            migrate = g_strdup(value);
        } else if (strcmp(key, "default_tls_x509_cert_dir") == 0) {
            g_free(fallback);
            fallback = g_strdup(value);
        }
    }
    if (migrate != NULL) {
        return g_steal_pointer(&migrate);
    }
    if (g_file_test(QEMU_MIGRATE_TLS_DIR, G_FILE_TEST_IS_DIR)) {
        return g_strdup(QEMU_MIGRATE_TLS_DIR);
    }
    return (fallback != NULL) ? g_steal_pointer(&fallback)
                              : g_strdup(QEMU_TLS_DIR);
}

void
drover_health_tls_from_cib(const drover_cib_t *cib, const char *node,
                           drover_deadline_t deadline, GPtrArray *results)
{
    gint64 started = g_get_monotonic_time();
    const char *how = drover_cib_property(cib, DROVER_HEALTH_TLS_PROPERTY);
    const char *warn =
        drover_cib_property(cib, DROVER_HEALTH_TLS_WARN_PROPERTY);
    g_autofree char *tls_networks = NULL;
    const char *days =
        drover__option_or_default(DROVER_HEALTH_TLS_WARN_PROPERTY, warn);
    int warn_days = atoi(days); /* valid: 0 to 3650 */
    bool check = false;
    bool transport_tls = false;

    if (warn != NULL && days != warn) {
        g_ptr_array_add(
            results,
            result("tls", DROVER_HEALTH_TLS_WARN_PROPERTY, started,
                   DROVER_HEALTH_WARNING,
                   g_strdup_printf("'%s' is not a number of days from 0 to "
                                   "3650; %s used",
                                   warn, days)));
    }
    tls_networks = drover_tls_networks(cib);
    transport_tls = (tls_networks != NULL);
    if (how == NULL) {
        how = drover__option_or_default(DROVER_HEALTH_TLS_PROPERTY, NULL);
    }
    if (strcmp(how, "auto") == 0) {
        check = transport_tls;
    } else if (strcmp(how, "on") == 0) {
        check = true;
    } else if (strcmp(how, "off") != 0) {
        g_ptr_array_add(results,
                        result("tls", DROVER_HEALTH_TLS_PROPERTY, started,
                               DROVER_HEALTH_WARNING,
                               g_strdup_printf("'%s' is not on, off or auto; "
                                               "not checked",
                                               how)));
    }
    if (check) {
        drover_health_tls(
            drover_cib_property(cib, DROVER_HEALTH_TLS_DIR_PROPERTY), node,
            warn_days, deadline, results);
    }
    if (check && transport_tls) {
        /* a tls transport is QEMU's own TLS (VIR_MIGRATE_TLS) */
        g_autofree char *dir = qemu_migration_cert_dir(deadline);

        drover_health_tls_migration(dir, node, warn_days, deadline, results);
    }
}

/* ------------------------------------------------------------------ */
/* The peers' SSH host keys                                           */
/* ------------------------------------------------------------------ */

/* A hashed name, "|1|base64(salt)|base64(HMAC-SHA1(salt, host))" */
static bool
hashed_name_is(const char *field, const char *host)
{
    g_auto(GStrv) parts = g_strsplit(field + 3, "|", 2);
    g_autofree guchar *salt = NULL;
    g_autofree guchar *want = NULL;
    guint8 digest[20];
    gsize digest_len = sizeof(digest);
    gsize salt_len = 0;
    gsize want_len = 0;
    g_autoptr(GHmac) hmac = NULL;

    if (parts[0] == NULL || parts[1] == NULL) {
        return false;
    }
    salt = g_base64_decode(parts[0], &salt_len);
    want = g_base64_decode(parts[1], &want_len);
    if (salt_len == 0 || want_len != sizeof(digest)) {
        return false;
    }
    hmac = g_hmac_new(G_CHECKSUM_SHA1, salt, salt_len);
    g_hmac_update(hmac, (const guchar *) host, (gssize) strlen(host));
    g_hmac_get_digest(hmac, digest, &digest_len);
    return memcmp(digest, want, sizeof(digest)) == 0;
}

/* Whether the hosts field of a known_hosts line (comma-separated
 * patterns, "!" negates) matches \p host */
static bool
hosts_field_matches(const char *field, const char *host)
{
    g_auto(GStrv) patterns = NULL;
    g_autofree char *lower = g_ascii_strdown(host, -1);
    bool matched = false;

    if (g_str_has_prefix(field, "|1|")) {
        return hashed_name_is(field, lower); /* ssh hashes it lowercased */
    }
    patterns = g_strsplit(field, ",", -1);
    for (char **p = patterns; *p != NULL; p++) {
        bool negated = (**p == '!');
        g_autofree char *pattern = g_ascii_strdown(*p + negated, -1);

        if (g_pattern_match_simple(pattern, lower)) {
            if (negated) {
                return false;
            }
            matched = true;
        }
    }
    return matched;
}

/* The hosts fields of known_hosts \p text's lines that give a host key
 * (not comments, not @revoked); \p skipped counts the lines whose hosts
 * field is not UTF-8: GLib's pattern matching aborts the process on such
 * text (g_utf8_strreverse asserts) */
static GPtrArray *
known_hosts_fields(const char *text, guint *skipped)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);

    *skipped = 0;
    for (char **l = lines; *l != NULL; l++) {
        g_auto(GStrv) words = NULL;
        char **w = NULL;

        g_strstrip(*l);
        if (**l == '\0' || **l == '#') {
            continue;
        }
        words = g_strsplit_set(*l, " \t", -1);
        w = words;
        if (**w == '@') { /* @cert-authority, @revoked */
            if (strcmp(*w, "@revoked") == 0) {
                continue;
            }
            w++;
        }
        /* hosts, key type, key */
        if (*w == NULL || w[1] == NULL || w[2] == NULL) {
            continue;
        }
        if (!g_utf8_validate(*w, -1, NULL)) {
            (*skipped)++;
            continue;
        }
        g_ptr_array_add(fields, g_strdup(*w));
    }
    return fields;
}

static bool
fields_match(const GPtrArray *fields, const char *host)
{
    if (!g_utf8_validate(host, -1, NULL)) {
        return false; /* no host has such a name, and GLib would abort */
    }
    for (guint i = 0; i < fields->len; i++) {
        if (hosts_field_matches(g_ptr_array_index(fields, i), host)) {
            return true;
        }
    }
    return false;
}

bool
drover_known_hosts_has(const char *text, const char *host)
{
    guint skipped = 0;
    g_autoptr(GPtrArray) fields = known_hosts_fields(text, &skipped);

    return fields_match(fields, host);
}

void
drover_health_ssh(const char *files, const GPtrArray *peers,
                  drover_deadline_t deadline, GPtrArray *results)
{
    g_auto(GStrv) paths = g_strsplit_set(files, " ,", -1);
    g_autoptr(GString) read = g_string_new(NULL);
    g_autoptr(GString) skipped = g_string_new(NULL); /* "; 2 lines of ..." */
    g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
    bool all_read = true; /* every file there is */

    for (char **p = paths; *p != NULL; p++) {
        gint64 started = g_get_monotonic_time();
        g_autoptr(GString) why = g_string_new(NULL);
        g_autofree char *content = NULL;
        g_autoptr(GPtrArray) found = NULL;
        guint bad = 0;
        int rc;

        if (**p == '\0') {
            continue;
        }
        rc = drover_file_read(*p, KNOWN_HOSTS_MAX_BYTES, deadline, &content,
                              NULL, why);
        if (rc == ENOENT) {
            continue; /* one of the list missing is usual */
        }
        if (rc != 0) {
            all_read = false;
            g_ptr_array_add(results, result("ssh", *p, started,
                                            (rc == DROVER_RC_TIMEOUT)
                                                ? DROVER_HEALTH_UNKNOWN
                                                : DROVER_HEALTH_WARNING,
                                            g_strdup(why->str)));
            continue;
        }
        g_string_append_printf(read, "%s%s", (read->len > 0) ? ", " : "", *p);
        found = known_hosts_fields(content, &bad);
        for (guint i = 0; i < found->len; i++) {
            g_ptr_array_add(fields, g_strdup(g_ptr_array_index(found, i)));
        }
        if (bad > 0) {
            qb_log(LOG_WARNING,
                   "%s: %u line(s) skipped: their host names are not UTF-8", *p,
                   bad);
            g_string_append_printf(skipped,
                                   "; %u line(s) of %s skipped: host names "
                                   "not UTF-8",
                                   bad, *p);
        }
    }
    for (guint i = 0; i < peers->len; i++) {
        const char *peer = g_ptr_array_index(peers, i);
        gint64 started = g_get_monotonic_time();

        if (fields_match(fields, peer)) {
            g_ptr_array_add(results,
                            result("ssh", peer, started, DROVER_HEALTH_OK,
                                   g_strdup_printf("host key known (%s)%s",
                                                   read->str, skipped->str)));
        } else if (!all_read) {
            /* it may be in a file that could not be read */
            g_ptr_array_add(
                results,
                result("ssh", peer, started, DROVER_HEALTH_UNKNOWN,
                       g_strdup_printf("no host key in %s; not every "
                                       "known_hosts file could be read%s",
                                       (read->len > 0) ? read->str : "any",
                                       skipped->str)));
        } else {
            /* a warning: it breaks migrations from here, not to here */
            g_ptr_array_add(
                results,
                result("ssh", peer, started, DROVER_HEALTH_WARNING,
                       g_strdup_printf("no host key in %s: migrations over "
                                       "ssh to %s fail%s",
                                       (read->len > 0) ? read->str : files,
                                       peer, skipped->str)));
        }
    }
}

/* Whether a drover VM resource connects to its targets over ssh */
static bool
any_vm_uses_ssh(const drover_cib_t *cib)
{
    g_autoptr(GPtrArray) vms =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "VirtualDomain");

    for (guint i = 0; i < vms->len; i++) {
        const char *transport = drover_cib_resource_param(
            cib, g_ptr_array_index(vms, i), "migration_transport");

        if (transport != NULL && strstr(transport, "ssh") != NULL) {
            return true;
        }
    }
    return false;
}

void
drover_health_ssh_from_cib(const drover_cib_t *cib, const char *node,
                           drover_deadline_t deadline, GPtrArray *results)
{
    const char *how = drover_cib_property(cib, DROVER_HEALTH_SSH_PROPERTY);
    const char *files =
        drover_cib_property(cib, DROVER_HEALTH_SSH_KNOWN_PROPERTY);
    g_autoptr(GPtrArray) peers = NULL;
    bool check = false;

    if (how == NULL) {
        how = drover__option_or_default(DROVER_HEALTH_SSH_PROPERTY, NULL);
    }
    if (strcmp(how, "auto") == 0) {
        check = any_vm_uses_ssh(cib);
    } else if (strcmp(how, "on") == 0) {
        check = true;
    } else if (strcmp(how, "off") != 0) {
        g_ptr_array_add(results,
                        result("ssh", DROVER_HEALTH_SSH_PROPERTY,
                               g_get_monotonic_time(), DROVER_HEALTH_WARNING,
                               g_strdup_printf("'%s' is not on, off or auto; "
                                               "not checked",
                                               how)));
    }
    if (!check) {
        return;
    }
    peers = drover_cib_node_names(cib);
    for (guint i = 0; i < peers->len; i++) {
        if (strcmp(g_ptr_array_index(peers, i), node) == 0) {
            g_ptr_array_remove_index(peers, i);
            break;
        }
    }
    drover_health_ssh(
        drover__option_or_default(DROVER_HEALTH_SSH_KNOWN_PROPERTY, files),
        peers, deadline, results);
}

/* ------------------------------------------------------------------ */
/* The node's entry in an LDAP directory                              */
/* ------------------------------------------------------------------ */

typedef struct {
    char *uri;
    char *base;
    char *filter; /* %n replaced */
    char **expect;
    char *bind_dn;
    char *password;
    gint64 timeout_ms;
    /* what it found */
    drover_health_t status;
    char *reason;
} ldap_call_t;

static void
ldap_call_free(gpointer data)
{
    ldap_call_t *c = data;

    g_free(c->uri);
    g_free(c->base);
    g_free(c->filter);
    g_strfreev(c->expect);
    g_free(c->bind_dn);
    if (c->password != NULL) {
        memset(c->password, 0, strlen(c->password));
        g_free(c->password);
    }
    g_free(c->reason);
    g_free(c);
}

/* \p text with %n as \p node (escaped as a filter value with \p escape);
 * NULL if it cannot be escaped */
static char *
expand_node_name(const char *text, const char *node, bool escape)
{
    g_autofree char *value = NULL;
    struct berval in = { strlen(node), (char *) node };
    struct berval out = { 0, NULL };
    g_auto(GStrv) parts = g_strsplit(text, "%n", -1);

    if (!escape) {
        value = g_strdup(node);
    } else if (ldap_bv2escaped_filter_value(&in, &out) == 0) {
        value = g_strndup(out.bv_val, out.bv_len);
        ber_memfree(out.bv_val);
    } else {
        return NULL; /* never the name unescaped in a filter */
    }
    return g_strjoinv(value, parts);
}

/* The entry has every "attr" and "attr=value" of \p c->expect; else the
 * first that is missing */
static const char *
missing_expected(LDAP *ld, LDAPMessage *entry, char **expect)
{
    for (char **e = expect; e != NULL && *e != NULL; e++) {
        g_autofree char *attr = g_strndup(*e, strcspn(*e, "="));
        const char *value = strchr(*e, '=');
        struct berval **values = NULL;
        bool found = false;

        if (**e == '\0') {
            continue;
        }
        values = ldap_get_values_len(ld, entry, attr);
        for (int i = 0; values != NULL && values[i] != NULL && !found; i++) {
            found = (value == NULL)
                    || (values[i]->bv_len == strlen(value + 1)
                        && g_ascii_strncasecmp(values[i]->bv_val, value + 1,
                                               values[i]->bv_len)
                               == 0);
        }
        ldap_value_free_len(values);
        if (!found) {
            return *e;
        }
    }
    return NULL;
}

static int
ldap_call(void *data)
{
    ldap_call_t *c = data;
    LDAP *ld = NULL;
    LDAPMessage *res = NULL;
    LDAPMessage *entry = NULL;
    int version = LDAP_VERSION3;
    struct timeval timeout = { c->timeout_ms / 1000,
                               (c->timeout_ms % 1000) * 1000 };
    struct berval secret = { 0, NULL };
    int rc = ldap_initialize(&ld, c->uri);

    c->status = DROVER_HEALTH_WARNING; /* the directory's trouble */
    if (rc != LDAP_SUCCESS) {
        c->reason = g_strdup_printf("%s: %s", c->uri, ldap_err2string(rc));
        return 0;
    }
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout);
    if (c->password != NULL) {
        secret.bv_val = c->password;
        secret.bv_len = strlen(c->password);
    }
    rc = ldap_sasl_bind_s(ld, c->bind_dn, LDAP_SASL_SIMPLE, &secret, NULL, NULL,
                          NULL);
    if (rc != LDAP_SUCCESS) {
        c->reason = g_strdup_printf("cannot bind to %s%s%s: %s", c->uri,
                                    (c->bind_dn != NULL) ? " as " : "",
                                    (c->bind_dn != NULL) ? c->bind_dn : "",
                                    ldap_err2string(rc));
        ldap_unbind_ext_s(ld, NULL, NULL);
        return 0;
    }
    rc = ldap_search_ext_s(ld, c->base, LDAP_SCOPE_SUBTREE, c->filter, NULL, 0,
                           NULL, NULL, &timeout, 2, &res);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        /* no such base, say: the directory's set-up, not this node's */
        c->status = DROVER_HEALTH_WARNING;
        c->reason = g_strdup_printf("search %s under %s at %s: %s", c->filter,
                                    c->base, c->uri, ldap_err2string(rc));
    } else if ((entry = ldap_first_entry(ld, res)) == NULL) {
        c->status = DROVER_HEALTH_CRITICAL;
        c->reason = g_strdup_printf("no entry %s under %s at %s", c->filter,
                                    c->base, c->uri);
    } else {
        char *dn = ldap_get_dn(ld, entry);
        const char *missing = missing_expected(ld, entry, c->expect);

        if (missing != NULL) {
            c->status = DROVER_HEALTH_CRITICAL;
            c->reason = g_strdup_printf("entry %s lacks %s", dn, missing);
        } else {
            c->status = DROVER_HEALTH_OK;
            c->reason = g_strdup_printf("entry %s at %s", dn, c->uri);
        }
        ldap_memfree(dn);
    }
    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return 0;
}

char *
drover_ldap_uri_in_clear(const char *uris)
{
    g_auto(GStrv) list = g_strsplit_set(uris, " \t,", -1);

    for (char **u = list; *u != NULL; u++) {
        LDAPURLDesc *desc = NULL;
        bool tls = false;

        if (**u == '\0') {
            continue;
        }
        if (ldap_url_parse(*u, &desc) == LDAP_URL_SUCCESS) {
            tls = (g_ascii_strcasecmp(desc->lud_scheme, "ldaps") == 0);
            ldap_free_urldesc(desc);
        }
        if (!tls) {
            return g_strdup(*u);
        }
    }
    return NULL;
}

drover_health_result_t *
drover_health_ldap(const drover_ldap_check_t *check, const char *node,
                   drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autofree char *clear = NULL;
    ldap_call_t *c = NULL;
    g_autofree char *expect = NULL;
    drover_health_result_t *r = NULL;
    int rc;

    /* a simple bind sends the password as it is: over TLS only (drover
     * does not use StartTLS) */
    if (check->password != NULL && *check->password != '\0'
        && (clear = drover_ldap_uri_in_clear(check->uri)) != NULL) {
        return result("ldap", check->uri, started, DROVER_HEALTH_WARNING,
                      g_strdup_printf(
                          "not checked: a simple bind would send the "
                          "password (" DROVER_HEALTH_LDAP_SECRET_PROPERTY
                          ") in clear to %s; give an ldaps:// URI "
                          "in " DROVER_HEALTH_LDAP_URI_PROPERTY " (StartTLS is "
                          "not supported), or no password to bind "
                          "anonymously",
                          clear));
    }
    c = g_new0(ldap_call_t, 1);
    c->uri = g_strdup(check->uri);
    c->base = g_strdup((check->base != NULL) ? check->base : "");
    c->filter =
        expand_node_name(drover__option_or_default(
                             DROVER_HEALTH_LDAP_FILTER_PROPERTY, check->filter),
                         node, true);
    expect = (check->expect != NULL)
                 ? expand_node_name(check->expect, node, false)
                 : NULL;
    c->expect = (expect != NULL) ? g_strsplit_set(expect, " ", -1) : NULL;
    c->bind_dn = g_strdup(check->bind_dn);
    c->password = g_strdup(check->password);
    c->timeout_ms = MAX(drover_deadline_remaining_ms(deadline), 1);
    if (c->filter == NULL) {
        ldap_call_free(c);
        return result("ldap", check->uri, started, DROVER_HEALTH_WARNING,
                      g_strdup("cannot escape the node's name for the "
                               "filter"));
    }
    rc = drover_deadline_run(deadline, ldap_call, c, ldap_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        return result("ldap", check->uri, started, DROVER_HEALTH_WARNING,
                      not_answering(started));
    }
    r = result("ldap", check->uri, started, c->status,
               g_steal_pointer(&c->reason));
    ldap_call_free(c);
    return r;
}

void
drover_health_ldap_from_cib(const drover_cib_t *cib, const char *node,
                            drover_deadline_t deadline, GPtrArray *results)
{
    const char *file =
        drover_cib_property(cib, DROVER_HEALTH_LDAP_SECRET_PROPERTY);
    drover_ldap_check_t check = {
        .uri = drover_cib_property(cib, DROVER_HEALTH_LDAP_URI_PROPERTY),
        .base = drover_cib_property(cib, DROVER_HEALTH_LDAP_BASE_PROPERTY),
        .filter = drover_cib_property(cib, DROVER_HEALTH_LDAP_FILTER_PROPERTY),
        .expect = drover_cib_property(cib, DROVER_HEALTH_LDAP_EXPECT_PROPERTY),
        .bind_dn = drover_cib_property(cib, DROVER_HEALTH_LDAP_BIND_PROPERTY),
    };
    gint64 started = g_get_monotonic_time();
    g_autoptr(GString) why = g_string_new(NULL);
    char *password = NULL;
    gsize length = 0;
    int rc;

    if (check.uri == NULL) {
        return;
    }
    if (file != NULL) {
        rc = drover_file_read(file, PASSWORD_MAX_BYTES, deadline, &password,
                              &length, why);
        if (rc != 0) {
            g_ptr_array_add(
                results,
                result("ldap", DROVER_HEALTH_LDAP_SECRET_PROPERTY, started,
                       (rc == DROVER_RC_TIMEOUT) ? DROVER_HEALTH_UNKNOWN
                                                 : DROVER_HEALTH_WARNING,
                       g_strdup_printf("cannot read the password: %s; the "
                                       "directory is not checked",
                                       why->str)));
            return;
        }
        check.password = g_strchomp(password);
    }
    g_ptr_array_add(results, drover_health_ldap(&check, node, deadline));
    if (password != NULL) {
        memset(password, 0, length);
        g_free(password);
    }
}

/* The checks that read files named in the CIB or talk to the directory,
 * each in a thread of its own beside the probes: a hung NFS mount or
 * directory server costs them their deadline, not the others' */
typedef struct {
    const drover_cib_t *cib;
    const char *node;
    drover_deadline_t deadline;
    GPtrArray *results;
} cib_lane_t;

/* Move what \p from has to the end of \p to */
static void
move_results(GPtrArray *to, GPtrArray *from)
{
    for (guint i = 0; i < from->len; i++) {
        g_ptr_array_add(to, g_ptr_array_index(from, i));
    }
    g_ptr_array_set_free_func(from, NULL);
    g_ptr_array_set_size(from, 0);
}

static gpointer
run_files_lane(gpointer data)
{
    cib_lane_t *l = data;

    drover_health_tls_from_cib(l->cib, l->node, l->deadline, l->results);
    drover_health_ssh_from_cib(l->cib, l->node, l->deadline, l->results);
    return NULL;
}

static gpointer
run_ldap_lane(gpointer data)
{
    cib_lane_t *l = data;

    drover_health_ldap_from_cib(l->cib, l->node, l->deadline, l->results);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* All of them, and how they are shown                                */
/* ------------------------------------------------------------------ */

/* One check in a thread of its own: they run at once, each bounded */
typedef struct {
    const char *node;
    const char *libvirt_uri;
    drover_deadline_t deadline;
    drover_cib_t *cib; /* what the CIB check read */
    drover_health_result_t *(*fn)(void *lane);
    drover_health_result_t *result;
} lane_t;

static drover_health_result_t *
lane_libvirt(void *data)
{
    lane_t *l = data;

    return drover_health_libvirt(l->libvirt_uri, l->deadline);
}

static drover_health_result_t *
lane_corosync(void *data)
{
    return drover_health_corosync(((lane_t *) data)->deadline);
}

static drover_health_result_t *
lane_cib(void *data)
{
    lane_t *l = data;

    return check_cib(l->deadline, &l->cib);
}

static drover_health_result_t *
lane_controller(void *data)
{
    lane_t *l = data;

    return drover_health_controller(l->node, l->deadline);
}

static drover_health_result_t *
lane_attrd(void *data)
{
    return drover_health_attrd(((lane_t *) data)->deadline);
}

static drover_health_result_t *
lane_name(void *data)
{
    lane_t *l = data;

    return drover_health_name(l->node, true, l->deadline);
}

static gpointer
run_lane(gpointer data)
{
    lane_t *l = data;

    l->result = l->fn(l);
    return NULL;
}

GPtrArray *
drover_health_local(const char *node, const char *libvirt_uri,
                    drover_deadline_t deadline)
{
    drover_health_result_t *(*const fns[])(void *) = {
        lane_libvirt,    lane_corosync, lane_cib,
        lane_controller, lane_attrd,    lane_name,
    };
    lane_t lanes[G_N_ELEMENTS(fns)];
    GThread *threads[G_N_ELEMENTS(fns)];
    drover_cib_t *cib = NULL;
    GPtrArray *results =
        g_ptr_array_new_with_free_func(drover_health_result_free);

    /* the probes, the files named in the CIB and the directory get what
     * the others leave, a fifth at least */
    drover_deadline_t first =
        drover_deadline_in_ms(drover_deadline_remaining_ms(deadline) * 4 / 5);

    drover_cib_init(); /* libxml2 set up before the threads parse XML */

    for (guint i = 0; i < G_N_ELEMENTS(fns); i++) {
        lanes[i] = (lane_t){ .node = node,
                             .libvirt_uri = libvirt_uri,
                             .deadline = first,
                             .fn = fns[i] };
        threads[i] = g_thread_new("health", run_lane, &lanes[i]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(fns); i++) {
        g_thread_join(threads[i]); /* each check is bounded by first */
        g_ptr_array_add(results, lanes[i].result);
        if (lanes[i].cib != NULL) {
            cib = lanes[i].cib;
        }
    }
    if (cib != NULL) {
        /* the files and the directory in threads of their own, the probes
         * here: all within what the others left */
        gpointer (*const cib_fns[])(gpointer) = { run_files_lane,
                                                  run_ldap_lane };
        cib_lane_t cib_lanes[G_N_ELEMENTS(cib_fns)];
        GThread *cib_threads[G_N_ELEMENTS(cib_fns)];
        g_autoptr(GPtrArray) networks =
            g_ptr_array_new_with_free_func(drover_health_result_free);

        for (guint i = 0; i < G_N_ELEMENTS(cib_fns); i++) {
            cib_lanes[i] = (cib_lane_t){
                .cib = cib,
                .node = node,
                .deadline = deadline,
                .results =
                    g_ptr_array_new_with_free_func(drover_health_result_free),
            };
            cib_threads[i] = g_thread_new("health", cib_fns[i], &cib_lanes[i]);
        }
        drover_health_networks(cib, node, deadline, networks);
        /* in a fixed order: TLS, SSH, the networks, the directory */
        for (guint i = 0; i < G_N_ELEMENTS(cib_fns); i++) {
            g_thread_join(cib_threads[i]); /* bounded by deadline */
            move_results(results, cib_lanes[i].results);
            g_ptr_array_unref(cib_lanes[i].results);
            if (i == 0) {
                move_results(results, networks);
            }
        }
        drover_cib_free(cib);
    }
    for (guint i = 0; i < results->len; i++) {
        drover_health_result_t *r = g_ptr_array_index(results, i);

        r->node = g_strdup(node);
    }
    return results;
}

/* critical outranks unknown: one node's stale report must not hide
 * another's critical result (the enum's values are the plugin's exit codes) */
static int
gravity(drover_health_t status)
{
    return (status == DROVER_HEALTH_CRITICAL)  ? 3
           : (status == DROVER_HEALTH_UNKNOWN) ? 2
                                               : (int) status;
}

drover_health_t
drover_health_worst(const GPtrArray *results)
{
    drover_health_t worst = DROVER_HEALTH_OK;

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (gravity(r->status) > gravity(worst)) {
            worst = r->status;
        }
    }
    return worst;
}

/* Whether \p report (another node's, published) is fresh and has \p check
 * passing: at least one result of it, every one OK.  A warning is not a
 * pass: it may be a critical result that node demoted for want of a node
 * passing (counting it would turn both red on the next round, and back) */
static bool
passes_there(const char *report, const char *check, gint64 now)
{
    g_autoptr(GPtrArray) results = NULL;
    gint64 at = 0;
    bool seen = false;

    if (drover_health_report_parse(report, &results, &at) != 0
        || now - at > DROVER_HEALTH_PEER_MAX_AGE_S) {
        return false;
    }
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (strcmp(r->check, check) != 0) {
            continue;
        }
        if (r->status != DROVER_HEALTH_OK) {
            return false;
        }
        seen = true;
    }
    return seen;
}

guint
drover_health_demote_shared(GPtrArray *results, const char *node,
                            GHashTable *reports, gint64 now)
{
    guint demoted = 0;

    for (guint i = 0; i < results->len; i++) {
        drover_health_result_t *r = g_ptr_array_index(results, i);
        GHashTableIter iter;
        gpointer peer = NULL;
        gpointer report = NULL;
        bool elsewhere = false;
        char *reason = NULL;

        if (r->status != DROVER_HEALTH_CRITICAL) {
            continue;
        }
        if (reports != NULL) {
            g_hash_table_iter_init(&iter, reports);
            while (!elsewhere
                   && g_hash_table_iter_next(&iter, &peer, &report)) {
                elsewhere = (g_strcmp0(peer, node) != 0)
                            && passes_there(report, r->check, now);
            }
        }
        if (elsewhere) {
            continue;
        }
        reason = g_strdup_printf("%s (not red: no other node passes the %s "
                                 "check, so the cause may be one they "
                                 "share, such as the cluster's "
                                 "configuration; drover config check)",
                                 r->reason, r->check);
        g_free(r->reason);
        r->reason = reason;
        r->status = DROVER_HEALTH_WARNING;
        demoted++;
    }
    return demoted;
}

int
drover_node_health(const drover_cib_t *cib, const char *node, char **why)
{
    g_autoptr(GHashTable) attrs =
        drover_cib_node_attrs(cib, node, "#health", DROVER_ATTR_TRANSIENT);
    GHashTableIter iter;
    gpointer key;
    gpointer value;
    int worst = 0;

    *why = NULL;
    g_hash_table_iter_init(&iter, attrs);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        bool named = (strcmp(value, "red") == 0 || strcmp(value, "yellow") == 0
                      || strcmp(value, "green") == 0);
        int score = named ? 0 : drover_cib_score(value);
        int level = (strcmp(value, "red") == 0
                     || (!named && score <= -DROVER_SCORE_INFINITY))
                        ? 2
                    : (strcmp(value, "yellow") == 0 || (!named && score < 0))
                        ? 1
                        : 0;

        if (level > worst) {
            /* drover's own says why */
            const char *reason =
                (strcmp(key, DROVER_HEALTH_ATTR) == 0) ? drover_cib_node_attr(
                    cib, node, DROVER_HEALTH_REASON_ATTR, DROVER_ATTR_TRANSIENT)
                                                       : NULL;

            worst = level;
            g_free(*why);
            *why = g_strdup_printf("%s=%s%s%s", (char *) key, (char *) value,
                                   (reason != NULL) ? ": " : "",
                                   (reason != NULL) ? reason : "");
        }
    }
    return worst;
}

const char *
drover_health_color(drover_health_t status)
{
    return (status == DROVER_HEALTH_OK)         ? "green"
           : (status == DROVER_HEALTH_CRITICAL) ? "red"
                                                : "yellow";
}

/* Whether \p results are of more than one node (then each says whose) */
static bool
several_nodes(const GPtrArray *results)
{
    for (guint i = 1; i < results->len; i++) {
        const drover_health_result_t *a = g_ptr_array_index(results, 0);
        const drover_health_result_t *b = g_ptr_array_index(results, i);

        if (g_strcmp0(a->node, b->node) != 0) {
            return true;
        }
    }
    return false;
}

/* "check subject: status: reason", "node: " first with \p whose */
static void
append_result(GString *out, const drover_health_result_t *r, bool whose,
              bool status)
{
    if (whose) {
        g_string_append_printf(out, "%s: ", r->node);
    }
    g_string_append_printf(out, "%s %s: ", r->check, r->subject);
    if (status) {
        g_string_append_printf(out, "%s: ", drover_health_str(r->status));
    }
    g_string_append(out, r->reason);
}

char *
drover_health_problems(const GPtrArray *results)
{
    GString *problems = g_string_new(NULL);
    bool whose = several_nodes(results);

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (r->status != DROVER_HEALTH_OK) {
            if (problems->len > 0) {
                g_string_append(problems, "; ");
            }
            append_result(problems, r, whose, false);
        }
    }
    return g_string_free(problems, FALSE);
}

/* A perfdata label: the check, and the subject when there are several of
 * its kind ("network lm1 n2" -> 'network lm1 n2') */
static void
append_perf_label(GString *perf, const drover_health_result_t *r,
                  const GPtrArray *results)
{
    g_autofree char *label = NULL;
    guint same = 0;

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *o = g_ptr_array_index(results, i);

        same += (strcmp(o->check, r->check) == 0);
    }
    if (same <= 1) {
        g_string_append(perf, r->check);
        return;
    }
    /* quoted: a label with spaces; no quote or '=' inside it */
    label = several_nodes(results)
                ? g_strdup_printf("%s %s %s", r->node, r->check, r->subject)
                : g_strdup_printf("%s %s", r->check, r->subject);
    g_strdelimit(label, "'=", '_');
    g_string_append_printf(perf, "'%s'", label);
}

char *
drover_health_nagios(const GPtrArray *results)
{
    drover_health_t worst = drover_health_worst(results);
    g_autofree char *problems = drover_health_problems(results);
    g_autoptr(GString) perf = g_string_new(NULL);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        g_string_append_c(perf, ' ');
        append_perf_label(perf, r, results);
        g_string_append_printf(perf, "=%" G_GINT64_FORMAT "ms;;;0", r->ms);
    }
    g_string_append_printf(out, "DROVER %s - ",
                           (worst == DROVER_HEALTH_OK)         ? "OK"
                           : (worst == DROVER_HEALTH_WARNING)  ? "WARNING"
                           : (worst == DROVER_HEALTH_CRITICAL) ? "CRITICAL"
                                                               : "UNKNOWN");
    if (*problems != '\0') {
        g_string_append(out, problems);
    } else {
        g_string_append_printf(out, "%u checks ok", results->len);
    }
    /* '|' separates perfdata: none in the text */
    g_strdelimit(out->str, "|", '/');
    g_string_append_printf(out, " |%s\n", perf->str);
    for (guint i = 0; i < results->len; i++) {
        g_autoptr(GString) line = g_string_new(NULL);

        append_result(line, g_ptr_array_index(results, i),
                      several_nodes(results), true);
        g_strdelimit(line->str, "|", '/');
        g_string_append_printf(out, "%s\n", line->str);
    }
    return g_string_free(out, FALSE);
}

/* A label value: backslash, double quote and newline escaped */
static void
append_label(GString *out, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, *p);
        } else if (*p == '\n') {
            g_string_append(out, "\\n");
        } else {
            g_string_append_c(out, *p);
        }
    }
}

char *
drover_health_prometheus(const GPtrArray *results)
{
    GString *out = g_string_new(NULL);
    static const char *const metrics[][2] = {
        { "drover_health_status",
          "Result of a drover health check: 0 ok, 1 warning, 2 critical, 3 "
          "unknown" },
        { "drover_health_check_seconds", "How long a drover health check "
                                         "took" },
    };

    for (guint m = 0; m < G_N_ELEMENTS(metrics); m++) {
        g_string_append_printf(out, "# HELP %s %s\n# TYPE %s gauge\n",
                               metrics[m][0], metrics[m][1], metrics[m][0]);
        for (guint i = 0; i < results->len; i++) {
            const drover_health_result_t *r = g_ptr_array_index(results, i);

            g_string_append_printf(out, "%s{node=\"", metrics[m][0]);
            append_label(out, (r->node != NULL) ? r->node : "");
            g_string_append(out, "\",check=\"");
            append_label(out, r->check);
            g_string_append(out, "\",subject=\"");
            append_label(out, r->subject);
            if (m == 0) {
                g_string_append_printf(out, "\"} %d\n", (int) r->status);
            } else {
                g_string_append_printf(out, "\"} %.3f\n", r->ms / 1000.0);
            }
        }
    }
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ */
/* The published report                                               */
/* ------------------------------------------------------------------ */

char *
drover_health_report_format(const GPtrArray *results, const char *node,
                            gint64 at)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "node");
    json_builder_add_string_value(b, node);
    json_builder_set_member_name(b, "at");
    json_builder_add_int_value(b, at);
    json_builder_set_member_name(b, "checks");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "check");
        json_builder_add_string_value(b, r->check);
        json_builder_set_member_name(b, "subject");
        json_builder_add_string_value(b, r->subject);
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, drover_health_str(r->status));
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, r->reason);
        json_builder_set_member_name(b, "ms");
        json_builder_add_int_value(b, r->ms);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static bool
status_parse(const char *text, drover_health_t *status)
{
    for (drover_health_t s = DROVER_HEALTH_OK; s <= DROVER_HEALTH_UNKNOWN;
         s++) {
        if (g_strcmp0(text, drover_health_str(s)) == 0) {
            *status = s;
            return true;
        }
    }
    return false;
}

/* Member \p key of \p o when it is a string, else \p fallback (json-glib's
 * _with_default() getters assert on a member of another type, and give
 * NULL for a number), made valid UTF-8: json-glib 1.6 takes an octal
 * escape ("\200") for a byte; free it */
static char *
member_string(JsonObject *o, const char *key, const char *fallback)
{
    JsonNode *n = json_object_get_member(o, key);

    return (n != NULL && JSON_NODE_HOLDS_VALUE(n)
            && json_node_get_value_type(n) == G_TYPE_STRING)
               ? g_utf8_make_valid(json_node_get_string(n), -1)
               : g_strdup(fallback);
}

/* Member \p key of \p o when it is an integer, else 0 */
static gint64
member_int(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);

    return (n != NULL && JSON_NODE_HOLDS_VALUE(n)
            && json_node_get_value_type(n) == G_TYPE_INT64)
               ? json_node_get_int(n)
               : 0;
}

int
drover_health_report_parse(const char *text, GPtrArray **results, gint64 *at)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *top = NULL;
    JsonObject *root = NULL;
    JsonNode *checks_node = NULL;
    JsonArray *checks = NULL;
    g_autofree char *node = NULL;

    *results = NULL;
    if (text == NULL || !json_parser_load_from_data(parser, text, -1, NULL)) {
        return DROVER_RC_PROTOCOL;
    }
    top = json_parser_get_root(parser); /* NULL for a blank text */
    if (top == NULL || !JSON_NODE_HOLDS_OBJECT(top)) {
        return DROVER_RC_PROTOCOL;
    }
    root = json_node_get_object(top);
    node = member_string(root, "node", NULL);
    checks_node = json_object_get_member(root, "checks");
    if (checks_node != NULL && JSON_NODE_HOLDS_ARRAY(checks_node)) {
        checks = json_node_get_array(checks_node);
    }
    if (node == NULL || checks == NULL) {
        return DROVER_RC_PROTOCOL;
    }
    *at = member_int(root, "at");
    *results = g_ptr_array_new_with_free_func(drover_health_result_free);
    for (guint i = 0; i < json_array_get_length(checks); i++) {
        JsonNode *item = json_array_get_element(checks, i);
        JsonObject *o =
            JSON_NODE_HOLDS_OBJECT(item) ? json_node_get_object(item) : NULL;
        g_autofree char *status_text =
            (o != NULL) ? member_string(o, "status", NULL) : NULL;
        drover_health_result_t *r = NULL;
        drover_health_t status;

        if (o == NULL || !status_parse(status_text, &status)) {
            g_clear_pointer(results, g_ptr_array_unref);
            return DROVER_RC_PROTOCOL;
        }
        r = g_new0(drover_health_result_t, 1);
        r->node = g_strdup(node);
        r->check = member_string(o, "check", "?");
        r->subject = member_string(o, "subject", "");
        r->status = status;
        r->reason = member_string(o, "reason", "");
        r->ms = member_int(o, "ms");
        g_ptr_array_add(*results, r);
    }
    return 0;
}
