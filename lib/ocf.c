/*
 * The OCF action dispatcher: meta-data from the parameter table, parameter
 * validation, probes, per-action exit codes, one exit reason per failure,
 * and each action's deadline.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/log.h>
#include <drover/ocf.h>
#include <drover/rc.h>

#include "drover_private.h"

struct drover_ocf_s {
    const drover_ocf_agent_t *agent;
    const drover_ocf_action_t *action;
    const char *resource;
    bool probe;
    int check_level;
    drover_deadline_t deadline;
    GHashTable *values; /* parameter name -> value, with defaults */
    char *exit_reason;
};

/* OCF parameters are OCF_RESKEY_<name>; an empty value counts as unset */
static const char *
reskey(const char *name)
{
    g_autofree char *var = g_strconcat("OCF_RESKEY_", name, NULL);
    const char *value = getenv(var);

    return (value != NULL && value[0] != '\0') ? value : NULL;
}

/* ------------------------------------------------------------------ */
/* Meta-data                                                          */
/* ------------------------------------------------------------------ */

static const char *
type_name(drover_param_type_t type)
{
    switch (type) {
        case DROVER_PARAM_INTEGER: return "integer";
        case DROVER_PARAM_BOOLEAN: return "boolean";
        default: return "string";
    }
}

static void
add_descriptions(xmlNode *node, const char *longdesc, const char *shortdesc)
{
    xmlNode *child = NULL;

    child = xmlNewTextChild(node, NULL, BAD_CAST "longdesc", BAD_CAST longdesc);
    xmlNewProp(child, BAD_CAST "lang", BAD_CAST "en");
    child =
        xmlNewTextChild(node, NULL, BAD_CAST "shortdesc", BAD_CAST shortdesc);
    xmlNewProp(child, BAD_CAST "lang", BAD_CAST "en");
}

static bool
has_range(const drover_ocf_param_t *param)
{
    return param->type == DROVER_PARAM_INTEGER
           && (param->min != 0 || param->max != 0);
}

/* The longdesc, with an integer's range (the table says it once) */
static char *
param_longdesc(const drover_ocf_param_t *param)
{
    if (!has_range(param)) {
        return g_strdup(param->longdesc);
    }
    return g_strdup_printf("%s  Valid values: %" G_GINT64_FORMAT
                           " to %" G_GINT64_FORMAT ".",
                           param->longdesc, param->min, param->max);
}

static void
add_parameter(xmlNode *parent, const drover_ocf_param_t *param)
{
    xmlNode *node = xmlNewChild(parent, NULL, BAD_CAST "parameter", NULL);
    xmlNode *content = NULL;
    g_autofree char *longdesc = param_longdesc(param);

    xmlNewProp(node, BAD_CAST "name", BAD_CAST param->name);
    xmlNewProp(node, BAD_CAST "unique", BAD_CAST(param->unique ? "1" : "0"));
    xmlNewProp(node, BAD_CAST "required",
               BAD_CAST(param->required ? "1" : "0"));
    if (param->reloadable) {
        xmlNewProp(node, BAD_CAST "reloadable", BAD_CAST "1");
    }
    add_descriptions(node, longdesc, param->shortdesc);
    content = xmlNewChild(node, NULL, BAD_CAST "content", NULL);
    xmlNewProp(content, BAD_CAST "type", BAD_CAST type_name(param->type));
    if (param->default_value != NULL) {
        xmlNewProp(content, BAD_CAST "default", BAD_CAST param->default_value);
    }
}

static void
add_action(xmlNode *parent, const drover_ocf_action_t *action)
{
    xmlNode *node = xmlNewChild(parent, NULL, BAD_CAST "action", NULL);
    char buf[32];

    xmlNewProp(node, BAD_CAST "name", BAD_CAST action->name);
    g_snprintf(buf, sizeof(buf), "%us", action->timeout_s);
    xmlNewProp(node, BAD_CAST "timeout", BAD_CAST buf);
    if (action->interval_s > 0) {
        g_snprintf(buf, sizeof(buf), "%us", action->interval_s);
        xmlNewProp(node, BAD_CAST "interval", BAD_CAST buf);
    }
    if (strcmp(action->name, "monitor") == 0) {
        g_snprintf(buf, sizeof(buf), "%u", action->depth);
        xmlNewProp(node, BAD_CAST "depth", BAD_CAST buf);
    }
    if (action->role != NULL) {
        xmlNewProp(node, BAD_CAST "role", BAD_CAST action->role);
    }
}

/* (0|1): the values of OCF 1.1's reloadable (the DTD takes it over) */
static xmlEnumeration *
reloadable_values(void)
{
    xmlEnumeration *values = xmlCreateEnumeration(BAD_CAST "0");

    values->next = xmlCreateEnumeration(BAD_CAST "1");
    return values;
}

int
drover_ocf_print_metadata(const drover_ocf_agent_t *agent, FILE *out)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "resource-agent");
    xmlNode *list = NULL;
    xmlDtd *dtd = NULL;

    xmlDocSetRootElement(doc, root);
    dtd = xmlCreateIntSubset(doc, BAD_CAST "resource-agent", NULL,
                             BAD_CAST "ra-api-1.dtd");
    /* OCF 1.1's additions to resource-agents' ra-api-1.dtd (OCF 1.0), in
     * the internal subset: a parameter's reloadable, and action names
     * beyond 1.0's list (reload-agent).  A validating parser reads these
     * first, so ocf-tester's `xmllint --valid` holds the meta-data to
     * the 1.0 DTD and to them. */
    xmlAddAttributeDecl(NULL, dtd, BAD_CAST "parameter", BAD_CAST "reloadable",
                        NULL, XML_ATTRIBUTE_ENUMERATION, XML_ATTRIBUTE_IMPLIED,
                        NULL, reloadable_values());
    xmlAddAttributeDecl(NULL, dtd, BAD_CAST "action", BAD_CAST "name", NULL,
                        XML_ATTRIBUTE_CDATA, XML_ATTRIBUTE_REQUIRED, NULL,
                        NULL);
    xmlNewProp(root, BAD_CAST "name", BAD_CAST agent->name);
    xmlNewProp(root, BAD_CAST "version", BAD_CAST agent->version);
    xmlNewTextChild(root, NULL, BAD_CAST "version", BAD_CAST "1.1");
    add_descriptions(root, agent->longdesc, agent->shortdesc);

    list = xmlNewChild(root, NULL, BAD_CAST "parameters", NULL);
    for (const drover_ocf_param_t *p = agent->params; p->name != NULL; p++) {
        add_parameter(list, p);
    }
    list = xmlNewChild(root, NULL, BAD_CAST "actions", NULL);
    for (const drover_ocf_action_t *a = agent->actions; a->name != NULL; a++) {
        add_action(list, a);
    }
    return (xmlDocFormatDump(out, doc, 1) < 0) ? EIO : 0;
}

int
drover_ocf_print_man(const drover_ocf_agent_t *agent, FILE *out)
{
    g_autoptr(GString) man = g_string_new(NULL);
    g_autofree char *upper = g_ascii_strup(agent->name, -1);

    g_string_append_printf(man,
                           ".TH DROVER\\-%s 7 \"\" \"drover %s\" "
                           "\"drover\"\n.SH NAME\ndrover\\-%s \\- ",
                           upper, agent->version, agent->name);
    drover__roff_text(man, agent->shortdesc);
    g_string_append_printf(man,
                           "\n.SH SYNOPSIS\n.B ocf:drover:%s\n"
                           ".RI [ parameter = value ...]\n.PP\n"
                           "pcs resource create \\fIID\\fR "
                           "ocf:drover:%s \\fIparameter\\fR=\\fIvalue\\fR "
                           "...\n.SH DESCRIPTION\n",
                           agent->name, agent->name);
    drover__roff_text(man, agent->longdesc);
    g_string_append(man, "\n.SH PARAMETERS\n");
    for (const drover_ocf_param_t *p = agent->params; p->name != NULL; p++) {
        g_autofree char *longdesc = param_longdesc(p);

        g_string_append_printf(
            man, ".TP\n.BR %s \" (%s%s%s%s%s)\"\n", p->name, type_name(p->type),
            p->required ? ", required" : "", p->unique ? ", unique" : "",
            (p->default_value != NULL) ? ", default " : "",
            (p->default_value != NULL) ? p->default_value : "");
        drover__roff_text(man, longdesc);
        g_string_append_c(man, '\n');
    }
    g_string_append(man, ".SH ACTIONS\n");
    for (const drover_ocf_action_t *a = agent->actions; a->name != NULL; a++) {
        g_string_append_printf(man, ".TP\n.B %s\ntimeout %us", a->name,
                               a->timeout_s);
        if (a->interval_s > 0) {
            g_string_append_printf(man, ", interval %us", a->interval_s);
        }
        if (a->role != NULL) {
            g_string_append_printf(man, ", role %s", a->role);
        }
        g_string_append_c(man, '\n');
    }
    g_string_append(man,
                    ".SH EXIT STATUS\n"
                    "OCF exit codes: 0 success, 1 generic error, 2 invalid "
                    "argument, 3 unimplemented, 5 not installed, 6 not "
                    "configured, 7 not running.  A failure prints the reason "
                    "as an \n.B ocf\\-exit\\-reason:\nline, which Pacemaker "
                    "shows in \n.BR crm_mon (8).\n"
                    ".SH SEE ALSO\n.BR drover (8),\n.BR crm_resource (8),\n"
                    ".BR crm_mon (8),\n.BR pcs (8)\n");
    return (fputs(man->str, out) < 0) ? EIO : 0;
}

/* ------------------------------------------------------------------ */
/* Exit codes and deadlines                                           */
/* ------------------------------------------------------------------ */

enum ocf_exitcode
drover_ocf_exit_code(int rc, const char *action, bool probe)
{
    bool stop = (strcmp(action, "stop") == 0);
    bool monitor = (strcmp(action, "monitor") == 0);

    switch (rc) {
        case 0: return PCMK_OCF_OK;
        case DROVER_RC_NOT_RUNNING:
            if (stop) {
                return PCMK_OCF_OK;
            }
            return monitor ? PCMK_OCF_NOT_RUNNING : PCMK_OCF_UNKNOWN_ERROR;
        case DROVER_RC_INSTALLED:
            /* A probe on a node that lacks the resource's configuration
             * (shared storage not mounted, say) finds it not running there */
            return probe ? PCMK_OCF_NOT_RUNNING : PCMK_OCF_NOT_INSTALLED;
        case DROVER_RC_CONFIG: return PCMK_OCF_NOT_CONFIGURED;
        case DROVER_RC_USAGE: return PCMK_OCF_INVALID_PARAM;
        case DROVER_RC_UNIMPLEMENTED: return PCMK_OCF_UNIMPLEMENT_FEATURE;
        case EACCES:
        case EPERM: return PCMK_OCF_INSUFFICIENT_PRIV;
        default: return PCMK_OCF_UNKNOWN_ERROR;
    }
}

gint64
drover_ocf_budget_ms(gint64 timeout_ms)
{
    gint64 reserve = CLAMP(timeout_ms / 10, 1000, 10000);

    if (timeout_ms <= 0) {
        return 0;
    }
    if (timeout_ms < 2000) {
        reserve = timeout_ms / 2;
    }
    return timeout_ms - reserve;
}

static drover_deadline_t
action_deadline(const drover_ocf_action_t *action, gint64 start_us)
{
    const char *text = reskey("CRM_meta_timeout");
    gint64 timeout_ms = (gint64) action->timeout_s * 1000;
    gint64 value = 0;

    if (text != NULL) {
        if (g_ascii_string_to_signed(text, 10, 1, G_MAXINT32, &value, NULL)) {
            timeout_ms = value;
        } else {
            qb_log(LOG_WARNING,
                   "Ignoring invalid operation timeout '%s' ms; "
                   "using %" G_GINT64_FORMAT " ms",
                   text, timeout_ms);
        }
    }
    return start_us + drover_ocf_budget_ms(timeout_ms) * 1000;
}

/* ------------------------------------------------------------------ */
/* Parameters                                                         */
/* ------------------------------------------------------------------ */

int
drover_ocf_check_absolute_path(const drover_ocf_param_t *param,
                               const char *value, GString *reason)
{
    if (!g_path_is_absolute(value)) {
        g_string_printf(reason,
                        "Parameter '%s' must be an absolute path, not '%s'",
                        param->name, value);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

int
drover_ocf_check_uri(const drover_ocf_param_t *param, const char *value,
                     GString *reason)
{
    g_autofree char *problem = drover__uri_problem(value);

    if (problem != NULL) {
        g_autofree char *shown = drover__shown(value);

        g_string_printf(reason,
                        "Parameter '%s' must be a URI like %s, not "
                        "'%s': %s",
                        param->name,
                        (param->default_value != NULL) ? param->default_value
                                                       : "scheme://host/path",
                        shown, problem);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* For integer parameters (the type check has run) */
int
drover_ocf_check_non_negative(const drover_ocf_param_t *param,
                              const char *value, GString *reason)
{
    if (value[0] == '-') {
        g_string_printf(reason, "Parameter '%s' must be 0 or more, not '%s'",
                        param->name, value);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

static int
check_value(const drover_ocf_param_t *param, const char *value, GString *reason)
{
    g_autofree char *shown = NULL;

    if (!g_utf8_validate(value, -1, NULL)) {
        g_string_printf(reason, "Parameter '%s' is not valid UTF-8",
                        param->name);
        return DROVER_RC_CONFIG;
    }
    shown = drover__shown(value);
    switch (param->type) {
        case DROVER_PARAM_INTEGER: {
            gint64 n = 0;

            if (!g_ascii_string_to_signed(value, 10, G_MININT64, G_MAXINT64, &n,
                                          NULL)) {
                g_string_printf(reason,
                                "Parameter '%s' must be an integer, "
                                "not '%s'",
                                param->name, shown);
                return DROVER_RC_CONFIG;
            }
            /* out of range would be cut short where it is used (a
             * seconds count is an unsigned int): refuse it here */
            if (has_range(param) && (n < param->min || n > param->max)) {
                g_string_printf(reason,
                                "Parameter '%s' must be from %" G_GINT64_FORMAT
                                " to %" G_GINT64_FORMAT ", not '%s'",
                                param->name, param->min, param->max, shown);
                return DROVER_RC_CONFIG;
            }
            break;
        }
        case DROVER_PARAM_BOOLEAN: {
            bool b = false;

            if (!drover_cib_boolean(value, &b)) {
                g_string_printf(reason,
                                "Parameter '%s' must be true or "
                                "false (yes/no, on/off, 1/0), not '%s'",
                                param->name, shown);
                return DROVER_RC_CONFIG;
            }
            break;
        }
        default: break;
    }
    if (param->check != NULL) {
        int rc = param->check(param, value, reason);

        if (rc != 0 && reason->len == 0) {
            g_string_printf(reason,
                            "Parameter '%s' has an invalid value "
                            "'%s'",
                            param->name, shown);
        } else if (rc != 0 && strcmp(value, shown) != 0) {
            /* checks quote the raw value; keep the reason one short line */
            g_string_replace(reason, value, shown, 0);
        }
        return rc;
    }
    return 0;
}

/* Read every parameter, fill in defaults, report the first bad one */
static int
load_params(drover_ocf_t *ocf)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    int first_rc = 0;

    for (const drover_ocf_param_t *p = ocf->agent->params; p->name != NULL;
         p++) {
        const char *value = reskey(p->name);
        int rc = 0;

        if (value == NULL) {
            if (p->required) {
                g_string_printf(reason, "Required parameter '%s' is not set",
                                p->name);
                rc = DROVER_RC_CONFIG;
            }
            value = p->default_value;
        } else {
            rc = check_value(p, value, reason);
        }
        if (rc != 0) {
            qb_log(LOG_ERR, "%s", reason->str);
            if (first_rc == 0) {
                first_rc = rc;
                drover_ocf_exit_reason(ocf, "%s", reason->str);
            }
            g_string_truncate(reason, 0);
            continue;
        }
        if (value != NULL) {
            g_hash_table_insert(ocf->values, (gpointer) p->name,
                                (gpointer) value);
        }
    }
    return first_rc;
}

const char *
drover_ocf_param(const drover_ocf_t *ocf, const char *name)
{
    return g_hash_table_lookup(ocf->values, name);
}

gint64
drover_ocf_param_int(const drover_ocf_t *ocf, const char *name)
{
    const char *value = drover_ocf_param(ocf, name);
    gint64 n = 0;

    if (value != NULL) {
        g_ascii_string_to_signed(value, 10, G_MININT64, G_MAXINT64, &n, NULL);
    }
    return n;
}

bool
drover_ocf_param_bool(const drover_ocf_t *ocf, const char *name)
{
    return drover_cib_is_true(drover_ocf_param(ocf, name));
}

const char *
drover_ocf_meta(const drover_ocf_t *ocf, const char *name)
{
    g_autofree char *key = g_strconcat("CRM_meta_", name, NULL);

    (void) ocf;
    return reskey(key);
}

char *
drover_ocf_state_path(const drover_ocf_t *ocf, const char *suffix)
{
    const char *dir = getenv("HA_RSCTMP");

    return g_strdup_printf("%s/drover-%s-%s.%s",
                           (dir != NULL) ? dir : "/run/resource-agents",
                           ocf->agent->name, ocf->resource, suffix);
}

const char *
drover_ocf_action(const drover_ocf_t *ocf)
{
    return ocf->action->name;
}

const char *
drover_ocf_resource(const drover_ocf_t *ocf)
{
    return ocf->resource;
}

bool
drover_ocf_is_probe(const drover_ocf_t *ocf)
{
    return ocf->probe;
}

int
drover_ocf_check_level(const drover_ocf_t *ocf)
{
    return ocf->check_level;
}

drover_deadline_t
drover_ocf_deadline(const drover_ocf_t *ocf)
{
    return ocf->deadline;
}

void
drover_ocf_exit_reason(drover_ocf_t *ocf, const char *format, ...)
{
    va_list ap;

    g_free(ocf->exit_reason);
    va_start(ap, format);
    ocf->exit_reason = g_strdup_vprintf(format, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */
/* ------------------------------------------------------------------ */

static void
print_usage(const drover_ocf_agent_t *agent, FILE *out)
{
    fprintf(out, "usage: %s {", agent->name);
    for (const drover_ocf_action_t *a = agent->actions; a->name != NULL; a++) {
        fprintf(out, "%s%s", (a == agent->actions) ? "" : "|", a->name);
    }
    fprintf(out, "}\n");
}

static const drover_ocf_action_t *
find_action(const drover_ocf_agent_t *agent, const char *name)
{
    for (const drover_ocf_action_t *a = agent->actions; a->name != NULL; a++) {
        if (strcmp(a->name, name) == 0) {
            return a;
        }
    }
    return NULL;
}

/* Exactly one line, valid UTF-8, so that Pacemaker records it whole */
const char *
drover_ocf_exit_reason_text(const drover_ocf_t *ocf)
{
    return ocf->exit_reason;
}

static void
print_exit_reason(const char *reason)
{
    g_autofree char *valid = g_utf8_make_valid(reason, -1);

    g_strdelimit(valid, "\r\n", ' ');
    fprintf(stderr, "ocf-exit-reason:%s\n", valid);
}

static int
check_level_from_env(void)
{
    const char *text = getenv("OCF_CHECK_LEVEL");
    gint64 level = 0;

    if (text != NULL
        && !g_ascii_string_to_signed(text, 10, 0, G_MAXINT32, &level, NULL)) {
        qb_log(LOG_WARNING, "Ignoring invalid OCF_CHECK_LEVEL '%s'", text);
    }
    return (int) level;
}

static int
run_action(drover_ocf_t *ocf)
{
    bool validate_all = (strcmp(ocf->action->name, "validate-all") == 0);
    bool stop = (strcmp(ocf->action->name, "stop") == 0);
    int rc = load_params(ocf);

    if (rc == 0 && ocf->agent->validate != NULL) {
        rc = ocf->agent->validate(ocf, validate_all ? ocf->check_level : 10);
    }
    if (validate_all || ocf->action->fn == NULL) {
        return rc;
    }
    if (rc != 0) {
        if (!stop) {
            return rc;
        }
        /* A stop must still stop whatever it can find: a failed stop gets
         * the node fenced.  The stop action copes with what is missing. */
        qb_log(LOG_WARNING, "Stopping despite invalid configuration: %s",
               ocf->exit_reason ? ocf->exit_reason : drover_rc_str(rc));
        g_clear_pointer(&ocf->exit_reason, g_free);
    }
    return ocf->action->fn(ocf);
}

int
drover_ocf_main(const drover_ocf_agent_t *agent, int argc, char **argv)
{
    gint64 start_us = g_get_monotonic_time();
    const char *resource = getenv("OCF_RESOURCE_INSTANCE");
    g_autofree char *log_name = NULL;
    drover_ocf_t ocf = { .agent = agent };
    enum ocf_exitcode code;
    const char *interval = reskey("CRM_meta_interval");
    int rc;

    /* A daemon that drops its end of a connection (libvirtd, say) must
     * give an error, not kill the agent mid-action: libvirt's client
     * writes to its socket without MSG_NOSIGNAL.  Children (GSubprocess)
     * get the default back. */
    signal(SIGPIPE, SIG_IGN);
    log_name = g_strdup_printf("%s(%s)", agent->name,
                               (resource != NULL) ? resource : "-");
    drover_log_init(log_name, DROVER_LOG_AGENT);

    if (argc != 2) {
        print_usage(agent, stderr);
        print_exit_reason("Exactly one action argument is required");
        return PCMK_OCF_INVALID_PARAM;
    }
    if (strcmp(argv[1], "meta-data") == 0) {
        return (drover_ocf_print_metadata(agent, stdout) == 0)
                   ? PCMK_OCF_OK
                   : PCMK_OCF_UNKNOWN_ERROR;
    }
    if (strcmp(argv[1], "man") == 0) { /* for the build, not Pacemaker */
        return (drover_ocf_print_man(agent, stdout) == 0)
                   ? PCMK_OCF_OK
                   : PCMK_OCF_UNKNOWN_ERROR;
    }
    if (strcmp(argv[1], "usage") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(agent, stdout);
        return PCMK_OCF_OK;
    }
    ocf.action = find_action(agent, argv[1]);
    if (ocf.action == NULL) {
        g_autofree char *shown = drover__shown(argv[1]);
        g_autofree char *reason = NULL;

        print_usage(agent, stderr);
        reason = g_strdup_printf("Action '%s' is not implemented by %s", shown,
                                 agent->name);
        print_exit_reason(reason);
        return PCMK_OCF_UNIMPLEMENT_FEATURE;
    }

    ocf.resource = (resource != NULL) ? resource : "";
    ocf.probe = (strcmp(ocf.action->name, "monitor") == 0)
                && (interval == NULL || strcmp(interval, "0") == 0);
    ocf.check_level = check_level_from_env();
    ocf.deadline = action_deadline(ocf.action, start_us);
    ocf.values = g_hash_table_new(g_str_hash, g_str_equal);

    qb_log(LOG_DEBUG, "%s%s: %" G_GINT64_FORMAT " ms to go",
           ocf.probe ? "probe " : "", ocf.action->name,
           drover_deadline_remaining_ms(ocf.deadline));
    rc = run_action(&ocf);
    code = drover_ocf_exit_code(rc, ocf.action->name, ocf.probe);

    if (code == PCMK_OCF_OK
        || (code == PCMK_OCF_NOT_RUNNING
            && strcmp(ocf.action->name, "monitor") == 0)) {
        if (ocf.exit_reason != NULL) {
            qb_log(LOG_INFO, "%s", ocf.exit_reason);
        }
    } else {
        print_exit_reason(ocf.exit_reason ? ocf.exit_reason
                                          : drover_rc_str(rc));
    }
    qb_log(LOG_DEBUG, "%s: exit %d (%s)", ocf.action->name, code,
           drover_rc_str(rc));

    g_hash_table_destroy(ocf.values);
    g_free(ocf.exit_reason);
    drover_log_fini();
    return code;
}
