/*
 * drover's configuration in the CIB, checked as a whole: what `drover
 * config check` reports and what the agents' validate-all will use.
 */
#ifndef DROVER_CONFIG__H
#define DROVER_CONFIG__H

#include <glib.h>

#include <drover/cib.h>

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

#endif /* DROVER_CONFIG__H */
