/*
 * Deadlines.  Every call that can block gets one: an absolute point on the
 * monotonic clock (g_get_monotonic_time(), microseconds).
 */
#ifndef DROVER_DEADLINE__H
#define DROVER_DEADLINE__H

#include <stdbool.h>
#include <glib.h>

typedef gint64 drover_deadline_t;

#define DROVER_DEADLINE_NEVER G_MAXINT64

/*!
 * \brief The deadline \p ms milliseconds from now
 */
drover_deadline_t drover_deadline_in_ms(gint64 ms);

/*!
 * \brief Milliseconds left before \p deadline (0 once it has passed)
 */
gint64 drover_deadline_remaining_ms(drover_deadline_t deadline);

/*!
 * \brief Whether \p deadline has passed
 */
bool drover_deadline_passed(drover_deadline_t deadline);

/*!
 * \brief Run a blocking function in a worker thread, waiting at most until
 *        \p deadline
 *
 * Library calls that offer no timeout of their own (a connect to a stopped
 * daemon blocks forever) are bounded this way.  If \p fn returns in time,
 * its result is returned and the caller still owns \p data.  Otherwise
 * DROVER_RC_TIMEOUT is returned, the thread is left behind, and it frees
 * \p data with \p free_data when (if ever) \p fn returns: \p data must hold
 * everything \p fn touches.
 */
int drover_deadline_run(drover_deadline_t deadline, int (*fn)(void *data),
                        void *data, GDestroyNotify free_data);

#endif /* DROVER_DEADLINE__H */
