/*
 * Health checks: is this node fit to run and receive VMs?  Each check has
 * a deadline (a hung daemon is reported, never waited for) and gives
 * ok / warning / critical with a reason a person can act on.
 */
#ifndef DROVER_HEALTH__H
#define DROVER_HEALTH__H

#include <glib.h>

#include <drover/cib.h>
#include <drover/deadline.h>

/* Where NodeHealth publishes the results: Pacemaker's node health
 * attribute (green/yellow/red, for node-health-strategy), why it is not
 * green (both change only when the result does, as each change is a CIB
 * write), and the whole report as a private attribute (JSON) */
#define DROVER_HEALTH_ATTR        "#health-drover"
#define DROVER_HEALTH_REASON_ATTR "drover-health-reason"
#define DROVER_HEALTH_REPORT_ATTR "drover-health"

/* The values are a monitoring plugin's exit codes; in gravity, critical
 * comes before unknown (could not be checked) */
typedef enum {
    DROVER_HEALTH_OK,
    DROVER_HEALTH_WARNING,
    DROVER_HEALTH_CRITICAL,
    DROVER_HEALTH_UNKNOWN,
} drover_health_t;

typedef struct {
    char *node;    /* whose health */
    char *check;   /* "libvirt", "corosync", "cib", "controller", "attrd",
                      "name", "network" */
    char *subject; /* what it looked at: a URI, a node name */
    drover_health_t status;
    char *reason; /* what is wrong, or what was seen */
    gint64 ms;    /* how long it took */
} drover_health_result_t;

const char *drover_health_str(drover_health_t status);
void drover_health_result_free(gpointer result);

/* libvirt at \p uri answers a real call (a listing of domains) */
drover_health_result_t *drover_health_libvirt(const char *uri,
                                              drover_deadline_t deadline);

/* Corosync runs here and this node is in a quorate partition */
drover_health_result_t *drover_health_corosync(drover_deadline_t deadline);

/* Pacemaker's CIB manager answers a query */
drover_health_result_t *drover_health_cib(drover_deadline_t deadline);

/* Pacemaker's controller on \p node (this one) answers a ping */
drover_health_result_t *drover_health_controller(const char *node,
                                                 drover_deadline_t deadline);

/* Pacemaker's attribute manager answers a query */
drover_health_result_t *drover_health_attrd(drover_deadline_t deadline);

/*!
 * \brief \p node resolves, not to a loopback address, to an address of
 *        this host (when \p node is this host), and back to its name
 */
drover_health_result_t *drover_health_name(const char *node, bool local,
                                           drover_deadline_t deadline);

/*!
 * \brief For each migration network (\p cib) and each peer that published
 *        its facts there: this node's link, MTU agreement, and a
 *        don't-fragment probe of the full MTU; appended to \p results
 */
void drover_health_networks(const drover_cib_t *cib, const char *node,
                            drover_deadline_t deadline, GPtrArray *results);

/* Cluster properties of the TLS check (docs/health.md) */
#define DROVER_HEALTH_TLS_PROPERTY      "drover-health-tls"
#define DROVER_HEALTH_TLS_DIR_PROPERTY  "drover-health-tls-dir"
#define DROVER_HEALTH_TLS_WARN_PROPERTY "drover-health-tls-warn-days"

/*!
 * \brief libvirt's TLS certificates (server and client certificate, as
 *        libvirt finds them, or in \p dir as cacert.pem, servercert.pem,
 *        clientcert.pem): each exists, is valid now and for \p warn_days
 *        more, is issued for \p node, and chains to the CA certificate;
 *        appended to \p results
 *
 * Each file is read by \p deadline, 1 MiB at most (drover_file_read()): one
 * whose file system does not answer is unknown, never waited for.
 */
void drover_health_tls(const char *dir, const char *node, int warn_days,
                       drover_deadline_t deadline, GPtrArray *results);

/*!
 * \brief QEMU's migration certificates (a tls transport, VIR_MIGRATE_TLS):
 *        ca-cert.pem, server-cert.pem and client-cert.pem in \p dir,
 *        checked as drover_health_tls() checks libvirt's
 */
void drover_health_tls_migration(const char *dir, const char *node,
                                 int warn_days, drover_deadline_t deadline,
                                 GPtrArray *results);

/*!
 * \brief drover_health_tls() as the cluster properties say: on, off, or
 *        auto (the default: when a migration network uses tls); with a
 *        tls transport, QEMU's migration certificates too (in qemu.conf's
 *        migrate_tls_x509_cert_dir, default_tls_x509_cert_dir, or
 *        /etc/pki/qemu)
 */
void drover_health_tls_from_cib(const drover_cib_t *cib, const char *node,
                                drover_deadline_t deadline, GPtrArray *results);

/* Cluster properties of the SSH check (docs/health.md) */
#define DROVER_HEALTH_SSH_PROPERTY       "drover-health-ssh"
#define DROVER_HEALTH_SSH_KNOWN_PROPERTY "drover-health-ssh-known-hosts"

/*!
 * \brief Whether OpenSSH known_hosts \p text has a host key for \p host
 *        on the default port (plain or hashed names, patterns, negations)
 *
 * Lines whose host names are not UTF-8 are skipped (drover_health_ssh()
 * counts them).
 */
bool drover_known_hosts_has(const char *text, const char *host);

/*!
 * \brief For each of \p peers: its host key is in one of \p files
 *        (space-separated known_hosts files); appended to \p results
 *
 * Each file is read by \p deadline, 4 MiB at most (drover_file_read()); a
 * missing one is skipped, one that cannot be read is a result of its own
 * (unknown when its file system does not answer), and a peer found in
 * none of the others is then unknown.
 */
void drover_health_ssh(const char *files, const GPtrArray *peers,
                       drover_deadline_t deadline, GPtrArray *results);

/*!
 * \brief drover_health_ssh() as the cluster properties say: on, off, or
 *        auto (the default: when a drover VM resource migrates over ssh)
 */
void drover_health_ssh_from_cib(const drover_cib_t *cib, const char *node,
                                drover_deadline_t deadline, GPtrArray *results);

/* Cluster properties of the directory check (docs/health.md) */
/*!
 * \brief The first URI of \p uris (a list, as ldap_initialize() takes it)
 *        that is not ldaps:// (or not a URI at all), or NULL
 */
char *drover_ldap_uri_in_clear(const char *uris);

#define DROVER_HEALTH_LDAP_URI_PROPERTY    "drover-health-ldap-uri"
#define DROVER_HEALTH_LDAP_BASE_PROPERTY   "drover-health-ldap-base"
#define DROVER_HEALTH_LDAP_FILTER_PROPERTY "drover-health-ldap-filter"
#define DROVER_HEALTH_LDAP_EXPECT_PROPERTY "drover-health-ldap-expect"
#define DROVER_HEALTH_LDAP_BIND_PROPERTY   "drover-health-ldap-bind-dn"
#define DROVER_HEALTH_LDAP_SECRET_PROPERTY "drover-health-ldap-password-file"

typedef struct {
    const char *uri;
    const char *base;
    const char *filter;   /* %n: the node's name; NULL: (cn=%n) */
    const char *expect;   /* "attr attr=value ...", %n too; may be NULL */
    const char *bind_dn;  /* NULL: anonymous */
    const char *password; /* with bind_dn; only ever sent over ldaps:// */
} drover_ldap_check_t;

/*!
 * \brief \p node's entry in the directory: found under the base with the
 *        filter, with the expected attributes (critical if not); a
 *        directory that does not answer is a warning (it is not this
 *        node's fault)
 *
 * A simple bind sends the password as it is: with a password, a URI that
 * is not ldaps:// is refused (a warning saying so, nothing sent).
 */
drover_health_result_t *drover_health_ldap(const drover_ldap_check_t *check,
                                           const char *node,
                                           drover_deadline_t deadline);

/*!
 * \brief drover_health_ldap() as the cluster properties say (no URI: not
 *        checked), appended to \p results
 *
 * The password file is read by \p deadline, 4 KiB at most
 * (drover_file_read()); one that cannot be read is a result of its own
 * (unknown when its file system does not answer, else a warning) and the
 * directory is not checked.
 */
void drover_health_ldap_from_cib(const drover_cib_t *cib, const char *node,
                                 drover_deadline_t deadline,
                                 GPtrArray *results);

/*!
 * \brief Every local check of \p node (this host), run at once, each
 *        within \p deadline (the network probes in what is left of it);
 *        drover_health_result_t *, in a fixed order
 */
GPtrArray *drover_health_local(const char *node, const char *libvirt_uri,
                               drover_deadline_t deadline);

drover_health_t drover_health_worst(const GPtrArray *results);

/* How old another node's report may be to count (seconds) */
#define DROVER_HEALTH_PEER_MAX_AGE_S 120

/*!
 * \brief Red needs a cause of this node's own: demote to warning each
 *        critical result whose check no other node passes
 *
 * A critical check that passes on some other node (its report in
 * \p reports at most DROVER_HEALTH_PEER_MAX_AGE_S old) is this node's
 * fault and stays critical (red).  One that passes nowhere else -- all
 * nodes fail it, or no other node has reported yet -- may have a cause
 * the nodes share (the cluster's configuration: a transport whose
 * certificates no node has, a directory no node reaches), and turning
 * every node red for it would stop every VM: it becomes a warning
 * (yellow), its reason saying so.
 *
 * \param[in,out] results  this node's results
 * \param[in]     node     this node
 * \param[in]     reports  node name -> published report (JSON); may be NULL
 * \param[in]     now      seconds since the epoch
 *
 * \return how many results were demoted
 */
guint drover_health_demote_shared(GPtrArray *results, const char *node,
                                  GHashTable *reports, gint64 now);

/*!
 * \brief Pacemaker's node health of \p node: its worst #health-*
 *        attribute (red, yellow, green, or a score: -INFINITY is red,
 *        below 0 yellow)
 *
 * \param[out] why  for yellow and red, "#health-x=red", with drover's
 *                  reason after it for #health-drover; else NULL
 *
 * \return 0 green (or none), 1 yellow, 2 red
 */
int drover_node_health(const drover_cib_t *cib, const char *node, char **why);

/* Pacemaker's node health colour: green, yellow (warning, unknown), red */
const char *drover_health_color(drover_health_t status);

/* What is not ok, "check subject: reason; ...", or "" */
char *drover_health_problems(const GPtrArray *results);

/* The report NodeHealth publishes (JSON: node, at, checks) */
char *drover_health_report_format(const GPtrArray *results, const char *node,
                                  gint64 at);
/*!
 * \brief Parse a published report
 *
 * \param[out] results  drover_health_result_t *
 * \param[out] at       when it was made (seconds since the epoch)
 */
int drover_health_report_parse(const char *text, GPtrArray **results,
                               gint64 *at);

/*!
 * \brief A Nagios/Icinga plugin's output: one status line with the
 *        problems first, perfdata, then one line per check
 */
char *drover_health_nagios(const GPtrArray *results);

/*!
 * \brief Prometheus text exposition: drover_health_status{node,check,
 *        subject} (0 ok, 1 warning, 2 critical, 3 unknown) and
 *        drover_health_check_seconds{node,check,subject}
 */
char *drover_health_prometheus(const GPtrArray *results);

#endif /* DROVER_HEALTH__H */
