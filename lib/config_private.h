/*
 * Shared by the configuration checks (lib/config*.c), not part of the
 * public API.
 */
#ifndef DROVER_CONFIG_PRIVATE__H
#define DROVER_CONFIG_PRIVATE__H

#include <glib.h>

#include <drover/config.h>

/*! \brief Add a problem to \p problems (the value is shown as
 *         drover__shown() makes it) */
void drover__problem_add(GPtrArray *problems,
                         drover_problem_severity_t severity,
                         const char *subject, const char *name,
                         const char *value, const char *message);

void drover__problem_addf(GPtrArray *problems,
                          drover_problem_severity_t severity,
                          const char *subject, const char *name,
                          const char *value, const char *format, ...)
    G_GNUC_PRINTF(6, 7);

#endif /* DROVER_CONFIG_PRIVATE__H */
