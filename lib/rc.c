/*
 * Result codes and their conversion at the edges (errno, Pacemaker,
 * corosync, libvirt).  See drover/rc.h for the model.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include <drover/rc.h>

const char *
drover_rc_str(int rc)
{
    if (rc > 0) {
        return g_strerror(rc);
    }
    switch (rc) {
        case 0: return "OK";
        case DROVER_RC_ERROR: return "Error";
        case DROVER_RC_CONFIG: return "Invalid configuration";
        case DROVER_RC_INSTALLED: return "Required item missing on this node";
        case DROVER_RC_NOT_RUNNING: return "Not running";
        case DROVER_RC_TIMEOUT: return "Deadline reached";
        case DROVER_RC_UNREACHABLE: return "Service not answering";
        case DROVER_RC_NO_SUCH: return "No such object";
        case DROVER_RC_USAGE: return "Invalid arguments";
        case DROVER_RC_UNIMPLEMENTED: return "Not implemented";
        case DROVER_RC_PROTOCOL: return "Unexpected answer";
        case DROVER_RC_NO_QUORUM: return "No quorum";
        case DROVER_RC_BUSY: return "Busy, try again";
        case DROVER_RC_STATE: return "Not possible in the current state";
        default:
            /* Pacemaker's own codes are below -1000 */
            return (rc < -1000) ? pcmk_rc_str(rc) : "Unknown result";
    }
}

int
drover_rc_from_errno(int errnum)
{
    return (errnum > 0) ? errnum : DROVER_RC_ERROR;
}

int
drover_rc_from_pcmk(int pcmk_rc)
{
    if (pcmk_rc >= 0) {
        return pcmk_rc; /* pcmk_rc_ok or an errno */
    }
    switch (pcmk_rc) {
        case pcmk_rc_ipc_unresponsive:
        case pcmk_rc_ipc_pid_only: return DROVER_RC_UNREACHABLE;
        case pcmk_rc_ipc_unauthorized: return EACCES;
        case pcmk_rc_no_quorum: return DROVER_RC_NO_QUORUM;
        case pcmk_rc_node_unknown: return DROVER_RC_NO_SUCH;
        case pcmk_rc_schema_validation:
        case pcmk_rc_bad_nvpair:
        case pcmk_rc_unpack_error:
        case pcmk_rc_duplicate_id: return DROVER_RC_CONFIG;
        case pcmk_rc_unknown_format:
        case pcmk_rc_cib_corrupt: return DROVER_RC_PROTOCOL;
        default: return DROVER_RC_ERROR;
    }
}

int
drover_rc_from_pcmk_legacy(int legacy_rc)
{
    return drover_rc_from_pcmk(pcmk_legacy2rc(legacy_rc));
}

int
drover_rc_from_cs(cs_error_t cs_rc)
{
    switch (cs_rc) {
        case CS_OK: return 0;
        case CS_ERR_LIBRARY: return DROVER_RC_UNREACHABLE;
        case CS_ERR_TIMEOUT: return DROVER_RC_TIMEOUT;
        case CS_ERR_TRY_AGAIN: return DROVER_RC_BUSY;
        case CS_ERR_INVALID_PARAM: return EINVAL;
        case CS_ERR_NO_MEMORY: return ENOMEM;
        case CS_ERR_BAD_HANDLE: return EBADF;
        case CS_ERR_ACCESS: return EACCES;
        case CS_ERR_NOT_EXIST: return DROVER_RC_NO_SUCH;
        case CS_ERR_EXIST: return EEXIST;
        case CS_ERR_NO_SPACE: return ENOSPC;
        case CS_ERR_NOT_SUPPORTED: return DROVER_RC_UNIMPLEMENTED;
        default: return DROVER_RC_ERROR;
    }
}

int
drover_rc_from_virt(virErrorPtr err)
{
    if (err == NULL) {
        err = virGetLastError();
    }
    if (err == NULL) {
        return DROVER_RC_ERROR;
    }
    switch (err->code) {
        case VIR_ERR_OK:
            return DROVER_RC_ERROR; /* a failure was reported without one */
        case VIR_ERR_NO_DOMAIN:
        case VIR_ERR_NO_NETWORK: return DROVER_RC_NO_SUCH;
        case VIR_ERR_OPERATION_TIMEOUT: return DROVER_RC_TIMEOUT;
        case VIR_ERR_NO_CONNECT:
        case VIR_ERR_RPC:
        case VIR_ERR_AUTH_UNAVAILABLE: return DROVER_RC_UNREACHABLE;
        case VIR_ERR_SYSTEM_ERROR:
            /* connection refused, reset, socket missing... */
            return (err->int1 > 0) ? err->int1 : DROVER_RC_UNREACHABLE;
        case VIR_ERR_OPERATION_INVALID:
        case VIR_ERR_OPERATION_UNSUPPORTED: return DROVER_RC_STATE;
        case VIR_ERR_XML_ERROR:
        case VIR_ERR_XML_DETAIL:
        case VIR_ERR_CONFIG_UNSUPPORTED:
        case VIR_ERR_INVALID_ARG: return DROVER_RC_CONFIG;
        case VIR_ERR_NO_SUPPORT: return DROVER_RC_UNIMPLEMENTED;
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_ACCESS_DENIED: return EACCES;
        case VIR_ERR_NO_MEMORY: return ENOMEM;
        case VIR_ERR_OPERATION_ABORTED: return ECANCELED;
        default: return DROVER_RC_ERROR;
    }
}

crm_exit_t
drover_rc_to_exit(int rc)
{
    switch (rc) {
        case 0: return CRM_EX_OK;
        case DROVER_RC_CONFIG: return CRM_EX_CONFIG;
        case DROVER_RC_INSTALLED: return CRM_EX_NOT_INSTALLED;
        case DROVER_RC_NOT_RUNNING: return CRM_EX_NOT_RUNNING;
        case DROVER_RC_TIMEOUT:
        case ETIMEDOUT: return CRM_EX_TIMEOUT;
        case DROVER_RC_UNREACHABLE:
        case ECONNREFUSED:
        case ENOTCONN: return CRM_EX_UNAVAILABLE;
        case DROVER_RC_NO_SUCH:
        case ENXIO: return CRM_EX_NOSUCH;
        case DROVER_RC_USAGE:
        case EINVAL: return CRM_EX_USAGE;
        case DROVER_RC_UNIMPLEMENTED: return CRM_EX_UNIMPLEMENT_FEATURE;
        case DROVER_RC_PROTOCOL: return CRM_EX_PROTOCOL;
        case DROVER_RC_NO_QUORUM: return CRM_EX_QUORUM;
        case DROVER_RC_BUSY:
        case EAGAIN: return CRM_EX_TEMPFAIL;
        case EACCES:
        case EPERM: return CRM_EX_INSUFFICIENT_PRIV;
        case ENOENT: return CRM_EX_NOINPUT;
        default: return CRM_EX_ERROR;
    }
}
