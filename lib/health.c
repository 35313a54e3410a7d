/*
 * Health checks (drover/health.h): results, and the gate before a
 * migration (drover_node_health).  The checks are by subject in
 * health_*.c; drover_health_local() runs them all (health_run.c).  Every
 * call that can block runs in a bounded worker (drover_deadline_run): a
 * SIGSTOPped daemon makes a check critical at its deadline, it never
 * hangs the caller.
 */
#include <string.h>

#include <glib.h>

#include <drover/cib.h>
#include <drover/health.h>
#include <drover/rc.h>

#include "health_private.h"

const char *
drover_health_str(drover_health_t status)
{
    static const char *const names[] = {
        [DROVER_HEALTH_OK] = "ok",
        [DROVER_HEALTH_WARNING] = "warning",
        [DROVER_HEALTH_CRITICAL] = "critical",
        [DROVER_HEALTH_UNKNOWN] = "unknown",
    };

    return names[status];
}

void
drover_health_result_free(gpointer data)
{
    drover_health_result_t *r = data;

    if (r != NULL) {
        g_free(r->node);
        g_free(r->check);
        g_free(r->subject);
        g_free(r->reason);
        g_free(r);
    }
}

drover_health_result_t *
drover__health_result(const char *check, const char *subject, gint64 started,
                      drover_health_t status, char *reason)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->check = g_strdup(check);
    r->subject = g_strdup(subject);
    r->status = status;
    r->reason = reason;
    r->ms = (g_get_monotonic_time() - started) / 1000;
    return r;
}

/* "not answering within 2500 ms" for a call cut short at its deadline */
char *
drover__health_not_answering(gint64 started)
{
    return g_strdup_printf("not answering within %" G_GINT64_FORMAT " ms",
                           (g_get_monotonic_time() - started) / 1000);
}

/* critical outranks unknown: one node's stale report must not hide
 * another's critical result (the enum's values are the plugin's exit codes) */
static int
gravity(drover_health_t status)
{
    return (status == DROVER_HEALTH_CRITICAL)  ? 3
           : (status == DROVER_HEALTH_UNKNOWN) ? 2
                                               : (int) status;
}

drover_health_t
drover_health_worst(const GPtrArray *results)
{
    drover_health_t worst = DROVER_HEALTH_OK;

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (gravity(r->status) > gravity(worst)) {
            worst = r->status;
        }
    }
    return worst;
}

/* Whether \p report (another node's, published) is fresh and has \p check
 * passing: at least one result of it, every one OK.  A warning is not a
 * pass: it may be a critical result that node demoted for want of a node
 * passing (counting it would turn both red on the next round, and back) */
static bool
passes_there(const char *report, const char *check, gint64 now)
{
    g_autoptr(GPtrArray) results = NULL;
    gint64 at = 0;
    bool seen = false;

    if (drover_health_report_parse(report, &results, &at) != 0
        || now - at > DROVER_HEALTH_PEER_MAX_AGE_S) {
        return false;
    }
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (strcmp(r->check, check) != 0) {
            continue;
        }
        if (r->status != DROVER_HEALTH_OK) {
            return false;
        }
        seen = true;
    }
    return seen;
}

guint
drover_health_demote_shared(GPtrArray *results, const char *node,
                            GHashTable *reports, gint64 now)
{
    guint demoted = 0;

    for (guint i = 0; i < results->len; i++) {
        drover_health_result_t *r = g_ptr_array_index(results, i);
        GHashTableIter iter;
        gpointer peer = NULL;
        gpointer report = NULL;
        bool elsewhere = false;
        char *reason = NULL;

        if (r->status != DROVER_HEALTH_CRITICAL) {
            continue;
        }
        if (reports != NULL) {
            g_hash_table_iter_init(&iter, reports);
            while (!elsewhere
                   && g_hash_table_iter_next(&iter, &peer, &report)) {
                elsewhere = (g_strcmp0(peer, node) != 0)
                            && passes_there(report, r->check, now);
            }
        }
        if (elsewhere) {
            continue;
        }
        reason = g_strdup_printf("%s (not red: no other node passes the %s "
                                 "check, so the cause may be one they "
                                 "share, such as the cluster's "
                                 "configuration; drover config check)",
                                 r->reason, r->check);
        g_free(r->reason);
        r->reason = reason;
        r->status = DROVER_HEALTH_WARNING;
        demoted++;
    }
    return demoted;
}

int
drover_node_health(const drover_cib_t *cib, const char *node, char **why)
{
    g_autoptr(GHashTable) attrs =
        drover_cib_node_attrs(cib, node, "#health", DROVER_ATTR_TRANSIENT);
    GHashTableIter iter;
    gpointer key;
    gpointer value;
    int worst = 0;

    *why = NULL;
    g_hash_table_iter_init(&iter, attrs);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        bool named = (strcmp(value, "red") == 0 || strcmp(value, "yellow") == 0
                      || strcmp(value, "green") == 0);
        int score = named ? 0 : drover_cib_score(value);
        int level = (strcmp(value, "red") == 0
                     || (!named && score <= -DROVER_SCORE_INFINITY))
                        ? 2
                    : (strcmp(value, "yellow") == 0 || (!named && score < 0))
                        ? 1
                        : 0;

        if (level > worst) {
            /* drover's own says why */
            const char *reason =
                (strcmp(key, DROVER_HEALTH_ATTR) == 0) ? drover_cib_node_attr(
                    cib, node, DROVER_HEALTH_REASON_ATTR, DROVER_ATTR_TRANSIENT)
                                                       : NULL;

            worst = level;
            g_free(*why);
            *why = g_strdup_printf("%s=%s%s%s", (char *) key, (char *) value,
                                   (reason != NULL) ? ": " : "",
                                   (reason != NULL) ? reason : "");
        }
    }
    return worst;
}

const char *
drover_health_color(drover_health_t status)
{
    return (status == DROVER_HEALTH_OK)         ? "green"
           : (status == DROVER_HEALTH_CRITICAL) ? "red"
                                                : "yellow";
}
