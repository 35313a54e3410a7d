/*
 * Logging through libqb.  Code logs with qb_log() directly; this only sets
 * up the targets the way Pacemaker expects for the kind of program.
 */
#ifndef DROVER_LOG__H
#define DROVER_LOG__H

#include <stdbool.h>

#include <qb/qblog.h>

enum drover_log_mode {
    DROVER_LOG_TOOL, /* stderr, warnings and worse unless more verbose */
    /* stderr (the executor keeps it), HA_LOGFILE, HA_DEBUGLOG, and syslog
     * when HA_LOGFACILITY is set */
    DROVER_LOG_AGENT,
};

/*!
 * \brief Set up logging for this process
 *
 * \param[in] name  Tag of every message, e.g. "drover" or "VirtualDomain(vm1)"
 * \param[in] mode  Which targets to use
 */
void drover_log_init(const char *name, enum drover_log_mode mode);

/*!
 * \brief Pacemaker's library set up (its XML and schemas): once per process,
 *        by drover_log_init() or before the first CIB access
 */
void drover_pacemaker_init(const char *name);

/*!
 * \brief Log more on stderr: each step lowers the threshold by one priority
 */
void drover_log_more_verbose(int steps);

/*!
 * \brief Flush and close every target
 */
void drover_log_fini(void);

#endif /* DROVER_LOG__H */
