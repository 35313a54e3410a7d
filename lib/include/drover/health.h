/*
 * Health checks: is this node fit to run and receive VMs?  Each check has
 * a deadline (a hung daemon is reported, never waited for) and gives
 * ok / warning / critical with a reason a person can act on.
 */
#ifndef DROVER_HEALTH__H
#define DROVER_HEALTH__H

#include <glib.h>

#include <drover/deadline.h>

/* In order of gravity (the worst wins); unknown: could not be checked */
typedef enum {
    DROVER_HEALTH_OK,
    DROVER_HEALTH_WARNING,
    DROVER_HEALTH_CRITICAL,
    DROVER_HEALTH_UNKNOWN,
} drover_health_t;

typedef struct {
    const char *check; /* "libvirt", "corosync", "cib", "name" */
    char *subject;     /* what it looked at: a URI, a node name */
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

/*!
 * \brief \p node resolves, not to a loopback address, to an address of
 *        this host (when \p node is this host), and back to its name
 */
drover_health_result_t *drover_health_name(const char *node, bool local,
                                           drover_deadline_t deadline);

/*!
 * \brief Every local check of \p node (this host), each within its share
 *        of \p deadline; drover_health_result_t *, in a fixed order
 */
GPtrArray *drover_health_local(const char *node, const char *libvirt_uri,
                               drover_deadline_t deadline);

drover_health_t drover_health_worst(const GPtrArray *results);

/*!
 * \brief A Nagios/Icinga plugin's output: one status line with the
 *        problems first, perfdata, then one line per check
 */
char *drover_health_nagios(const GPtrArray *results);

/*!
 * \brief Prometheus text exposition: drover_health_status{node,check}
 *        (0 ok, 1 warning, 2 critical, 3 unknown) and
 *        drover_health_check_seconds{node,check}
 */
char *drover_health_prometheus(const GPtrArray *results, const char *node);

#endif /* DROVER_HEALTH__H */
