/*
 * Checking drover's configuration against this node: the certificates and
 * the directory entry it needs (drover config check).  Apart from
 * lib/config.c, so that what the VM agent links (drover_config_check())
 * does not bring GnuTLS and libldap with it.
 */
#include <string.h>

#include <drover/config.h>
#include <drover/health.h>
#include <drover/netsel.h>

#include "config_private.h"

/* The certificates a tls transport needs, on this node */
static void
check_tls_here(const drover_cib_t *cib, const char *node, const char *subject,
               drover_deadline_t deadline, GPtrArray *problems)
{
    g_autofree char *networks = drover_tls_networks(cib);
    g_autoptr(GPtrArray) results = NULL;

    if (networks == NULL) {
        return; /* without a tls transport the certificates are health's */
    }
    results = g_ptr_array_new_with_free_func(drover_health_result_free);
    drover_health_tls_from_cib(cib, node, deadline, results);
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);
        g_autofree char *message = NULL;

        if (r->status != DROVER_HEALTH_CRITICAL
            && r->status != DROVER_HEALTH_UNKNOWN) {
            continue;
        }
        message = g_strdup_printf("%s: the tls transport of %s needs "
                                  "TLS certificates on every node "
                                  "(docs/admin-guide.md)",
                                  r->reason, networks);
        drover__problem_add(problems,
                            (r->status == DROVER_HEALTH_CRITICAL)
                                ? DROVER_PROBLEM_ERROR
                                : DROVER_PROBLEM_WARNING,
                            subject, "certificate", r->subject, message);
    }
}

/* The directory check, made from this node as NodeHealth will make it: a
 * directory it cannot reach or read is the configuration's to fix (health
 * only warns of it, on every node) */
static void
check_ldap_here(const drover_cib_t *cib, const char *node, const char *subject,
                drover_deadline_t deadline, GPtrArray *problems)
{
    g_autoptr(GPtrArray) results = NULL;

    if (drover_cib_property(cib, DROVER_HEALTH_LDAP_URI_PROPERTY) == NULL
        || drover_cib_property(cib, DROVER_HEALTH_LDAP_BASE_PROPERTY) == NULL) {
        return; /* drover_config_check() says what is missing */
    }
    results = g_ptr_array_new_with_free_func(drover_health_result_free);
    drover_health_ldap_from_cib(cib, node, deadline, results);
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (r->status == DROVER_HEALTH_OK) {
            continue;
        }
        drover__problem_addf(
            problems,
            (r->status == DROVER_HEALTH_UNKNOWN) ? DROVER_PROBLEM_WARNING
                                                 : DROVER_PROBLEM_ERROR,
            subject, DROVER_HEALTH_LDAP_URI_PROPERTY, r->subject,
            "The directory check fails here: %s", r->reason);
    }
}

void
drover_config_check_node(const drover_cib_t *cib, const char *node,
                         drover_deadline_t deadline, GPtrArray *problems)
{
    g_autofree char *subject = g_strdup_printf("node %s", node);

    drover_config_check_rdma_here(cib, subject, problems);
    check_tls_here(cib, node, subject, deadline, problems);
    check_ldap_here(cib, node, subject, deadline, problems);
}
