/*
 * drover result codes.
 *
 * Every library function returns an int: 0 for success, a positive errno
 * value for a system error, or a negative enum drover_rc value.  Pacemaker
 * leaves -1..-1000 to its callers (see crm/common/results.h), so our own
 * codes live there and never collide with pcmk_rc_*.
 */
#ifndef DROVER_RC__H
#define DROVER_RC__H

#include <crm/common/results.h> /* crm_exit_t */
#include <corosync/corotypes.h> /* cs_error_t */
#include <libvirt/virterror.h>  /* virErrorPtr */

enum drover_rc {
    DROVER_RC_ERROR = -1,         /* unspecified failure */
    DROVER_RC_CONFIG = -2,        /* invalid parameter or configuration */
    DROVER_RC_INSTALLED = -3,     /* something required is missing locally */
    DROVER_RC_NOT_RUNNING = -4,   /* the managed thing is cleanly stopped */
    DROVER_RC_TIMEOUT = -5,       /* the deadline passed */
    DROVER_RC_UNREACHABLE = -6,   /* a service does not answer */
    DROVER_RC_NO_SUCH = -7,       /* no such node, resource, domain... */
    DROVER_RC_USAGE = -8,         /* invalid arguments */
    DROVER_RC_UNIMPLEMENTED = -9, /* action or feature not supported */
    DROVER_RC_PROTOCOL = -10,     /* a peer or tool answered nonsense */
    DROVER_RC_NO_QUORUM = -11,    /* the local partition lacks quorum */
    DROVER_RC_BUSY = -12,         /* temporarily unavailable, try again */
    DROVER_RC_STATE = -13,        /* not possible in the current state */
};

/*!
 * \brief Describe any drover result: 0, errno or enum drover_rc
 */
const char *drover_rc_str(int rc);

/*!
 * \brief Turn an errno value into a result, never 0 (for "failed, errno unset")
 */
int drover_rc_from_errno(int errnum);

/*!
 * \brief Convert a standard Pacemaker return code (pcmk_rc_*, errno)
 */
int drover_rc_from_pcmk(int pcmk_rc);

/*!
 * \brief Convert a legacy Pacemaker return code (pcmk_ok, -errno, pcmk_err_*)
 */
int drover_rc_from_pcmk_legacy(int legacy_rc);

/*!
 * \brief Convert a corosync result (note: CS_OK is 1)
 */
int drover_rc_from_cs(cs_error_t cs_rc);

/*!
 * \brief Convert a libvirt error (NULL: the thread's last error)
 */
int drover_rc_from_virt(virErrorPtr err);

/*!
 * \brief Map a result to the exit status of a command-line tool
 */
crm_exit_t drover_rc_to_exit(int rc);

#endif /* DROVER_RC__H */
