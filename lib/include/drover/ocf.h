/*
 * The OCF action dispatcher (resource-agents' ocf-rarun, in C).
 *
 * An agent is a parameter table plus one function per action.  The table
 * validates the input, prints the meta-data and (later) the man page; the
 * dispatcher handles meta-data, validate-all, probes, exit codes, exit
 * reasons and the action's deadline.
 */
#ifndef DROVER_OCF__H
#define DROVER_OCF__H

#include <stdbool.h>

#include <glib.h>
#include <crm/common/results.h> /* enum ocf_exitcode */

#include <drover/deadline.h>

typedef enum {
    DROVER_PARAM_STRING,
    DROVER_PARAM_INTEGER,
    DROVER_PARAM_BOOLEAN,
} drover_param_type_t;

typedef struct drover_ocf_param_s drover_ocf_param_t;

/*!
 * \brief Check one parameter value beyond its type
 *
 * \param[in]  param   The parameter's table entry
 * \param[in]  value   The value (valid UTF-8, type already checked)
 * \param[out] reason  On failure: what is wrong and what would be valid
 *
 * \return 0 if valid, else DROVER_RC_CONFIG (or another result)
 */
typedef int (*drover_param_check_fn)(const drover_ocf_param_t *param,
                                     const char *value, GString *reason);

struct drover_ocf_param_s {
    const char *name;
    drover_param_type_t type;
    const char *default_value; /* NULL: no default */
    bool required;
    bool unique;
    bool reloadable; /* OCF 1.1; only with reload-agent */
    const char *shortdesc;
    const char *longdesc;
    drover_param_check_fn check; /* NULL: the type check is enough */
    /* Integers: the valid range, inclusive; both 0 means any 64-bit
     * integer.  Checked before .check, and added to the longdesc of the
     * meta-data and the man page. */
    gint64 min;
    gint64 max;
};

typedef struct drover_ocf_s drover_ocf_t;

/*!
 * \brief An action: 0 for success, else a result (see drover/rc.h)
 *
 * Failures should call drover_ocf_exit_reason() first.
 */
typedef int (*drover_ocf_action_fn)(drover_ocf_t *ocf);

typedef struct {
    const char *name;
    drover_ocf_action_fn fn; /* NULL for meta-data and validate-all */
    /* advised timeout, and the deadline's base when Pacemaker passes none */
    unsigned int timeout_s;
    unsigned int interval_s; /* 0: not shown */
    unsigned int depth;      /* OCF_CHECK_LEVEL of a monitor */
    const char *role;        /* NULL: any */
} drover_ocf_action_t;

typedef struct {
    const char *name;    /* e.g. "VirtualDomain" */
    const char *version; /* agent version */
    const char *shortdesc;
    const char *longdesc;
    const drover_ocf_param_t *params;   /* ends with { NULL } */
    const drover_ocf_action_t *actions; /* ends with { NULL } */

    /*!
     * Checks beyond the table (may be NULL).  \p level is OCF_CHECK_LEVEL
     * for validate-all, and 10 before any other action: 0 means "check the
     * parameters only", 10 and up "also check this node can run it".
     */
    int (*validate)(drover_ocf_t *ocf, int level);
} drover_ocf_agent_t;

/*!
 * \brief Run the action named by argv[1] and return the OCF exit code
 */
int drover_ocf_main(const drover_ocf_agent_t *agent, int argc, char **argv);

/*!
 * \brief Print the agent's meta-data (OCF 1.1, ra-api-1.dtd compatible)
 */
int drover_ocf_print_metadata(const drover_ocf_agent_t *agent, FILE *out);

/*!
 * \brief The agent's manual page, drover-NAME(7), from the same tables as
 *        its meta-data (the hidden action "man" prints it)
 */
int drover_ocf_print_man(const drover_ocf_agent_t *agent, FILE *out);

/*!
 * \brief Map an action's result to its OCF exit code
 *
 * Stop of something not running is success; a probe that finds the
 * resource's configuration missing on this node says "not running"; an
 * invalid parameter is OCF_ERR_CONFIGURED.
 */
enum ocf_exitcode drover_ocf_exit_code(int rc, const char *action, bool probe);

/*!
 * \brief The part of an operation's timeout an action may use (ms)
 *
 * Pacemaker SIGKILLs an agent at its timeout; we stop early enough to
 * abort cleanly: a tenth of the timeout, between 1 s and 10 s, is kept back
 * (half of it for timeouts under 2 s).
 */
gint64 drover_ocf_budget_ms(gint64 timeout_ms);

/* Checks many agents need, for their parameter tables */
int drover_ocf_check_absolute_path(const drover_ocf_param_t *param,
                                   const char *value, GString *reason);
int drover_ocf_check_non_negative(const drover_ocf_param_t *param,
                                  const char *value, GString *reason);
/* A URI for libvirt: parses, printable ASCII, no shell metacharacters */
int drover_ocf_check_uri(const drover_ocf_param_t *param, const char *value,
                         GString *reason);

/* What an action sees */
const char *drover_ocf_action(const drover_ocf_t *ocf);
const char *drover_ocf_resource(const drover_ocf_t *ocf);
bool drover_ocf_is_probe(const drover_ocf_t *ocf);
int drover_ocf_check_level(const drover_ocf_t *ocf);
drover_deadline_t drover_ocf_deadline(const drover_ocf_t *ocf);

/*!
 * \brief A parameter's value, its default if unset, or NULL
 *
 * Values were checked before the action ran: an integer is within its
 * table range (a parameter that failed its check reads as unset).
 */
const char *drover_ocf_param(const drover_ocf_t *ocf, const char *name);
gint64 drover_ocf_param_int(const drover_ocf_t *ocf, const char *name);
bool drover_ocf_param_bool(const drover_ocf_t *ocf, const char *name);

/*!
 * \brief A file of this agent for this resource, under HA_RSCTMP (default
 *        /run/resource-agents): <dir>/drover-<agent>-<resource>.<suffix>
 */
char *drover_ocf_state_path(const drover_ocf_t *ocf, const char *suffix);

/*!
 * \brief A meta attribute Pacemaker passed (OCF_RESKEY_CRM_meta_<name>)
 */
const char *drover_ocf_meta(const drover_ocf_t *ocf, const char *name);

/*!
 * \brief Say why the action failed (printed once, as ocf-exit-reason:)
 */
void drover_ocf_exit_reason(drover_ocf_t *ocf, const char *format, ...)
    G_GNUC_PRINTF(2, 3);

/*!
 * \brief The reason given so far, or NULL
 */
const char *drover_ocf_exit_reason_text(const drover_ocf_t *ocf);

#endif /* DROVER_OCF__H */
