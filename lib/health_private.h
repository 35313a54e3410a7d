/*
 * Shared by the health checks (lib/health*.c), not part of the public API.
 */
#ifndef DROVER_HEALTH_PRIVATE__H
#define DROVER_HEALTH_PRIVATE__H

#include <drover/cib.h>
#include <drover/deadline.h>
#include <drover/health.h>

/*!
 * \brief A result of \p check about \p subject, timed from \p started
 *        (g_get_monotonic_time()); takes \p reason
 */
drover_health_result_t *
drover__health_result(const char *check, const char *subject, gint64 started,
                      drover_health_t status, char *reason);

/*! \brief "not answering within 2500 ms", for a call cut short at its
 *         deadline */
char *drover__health_not_answering(gint64 started);

/*! \brief The CIB check, keeping what it read in \p cib (may be NULL) */
drover_health_result_t *drover__health_check_cib(drover_deadline_t deadline,
                                                 drover_cib_t **cib);

#endif /* DROVER_HEALTH_PRIVATE__H */
