/*
 * drover's configuration in the CIB, checked as a whole: what `drover
 * config check` reports and what the agents' validate-all will use.
 */
#ifndef DROVER_CONFIG__H
#define DROVER_CONFIG__H

#include <glib.h>

#include <drover/cib.h>
#include <drover/deadline.h>

#define DROVER_NETWORKS_PROPERTY "drover-migration-networks"
#define DROVER_INCOMING_ATTR     "drover-incoming"

typedef enum {
    DROVER_PROBLEM_ERROR,
    DROVER_PROBLEM_WARNING,
} drover_problem_severity_t;

typedef struct {
    drover_problem_severity_t severity;
    char *subject; /* "cluster", "node n2" */
    char *name;    /* the property or attribute */
    char *value;   /* as written (made fit to quote) */
    char *message; /* what is wrong and what would be valid */
} drover_problem_t;

void drover_problem_free(gpointer problem);

/*!
 * \brief Check drover's cluster properties and node attributes
 *
 * \return drover_problem_t *, empty when all is well
 */
GPtrArray *drover_config_check(const drover_cib_t *cib);

/*!
 * \brief Check what the configuration needs on node \p node that only
 *        that node can see: the certificates libvirt's TLS needs when a
 *        migration network's transport is tls (drover_health_tls_from_cib(),
 *        the health check's own reading); appended to \p problems
 */
void drover_config_check_node(const drover_cib_t *cib, const char *node,
                              drover_deadline_t deadline, GPtrArray *problems);

/*!
 * \brief The RDMA device each network of transport rdma needs here: on
 *        this host, the interface that carries it has one (an InfiniBand
 *        or RoCE adapter, or rdma_rxe); errors for \p subject appended to
 *        \p problems (drover_config_check_node() includes it)
 */
void drover_config_check_rdma_here(const drover_cib_t *cib, const char *subject,
                                   GPtrArray *problems);

#endif /* DROVER_CONFIG__H */
