/*
 * Health check of the node's entry in an LDAP directory (libldap).
 */
#include <string.h>

#include <ldap.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/deadline.h>
#include <drover/file.h>
#include <drover/health.h>
#include <drover/rc.h>

#include "health_private.h"
#include "options.h"

/* The most a password file may hold: one line */
#define PASSWORD_MAX_BYTES (4 * 1024)

/* ------------------------------------------------------------------ */
/* The node's entry in an LDAP directory                              */
/* ------------------------------------------------------------------ */

typedef struct {
    char *uri;
    char *base;
    char *filter; /* %n replaced */
    char **expect;
    char *bind_dn;
    char *password;
    gint64 timeout_ms;
    /* what it found */
    drover_health_t status;
    char *reason;
} ldap_call_t;

static void
ldap_call_free(gpointer data)
{
    ldap_call_t *c = data;

    g_free(c->uri);
    g_free(c->base);
    g_free(c->filter);
    g_strfreev(c->expect);
    g_free(c->bind_dn);
    if (c->password != NULL) {
        memset(c->password, 0, strlen(c->password));
        g_free(c->password);
    }
    g_free(c->reason);
    g_free(c);
}

/* \p text with %n as \p node (escaped as a filter value with \p escape);
 * NULL if it cannot be escaped */
static char *
expand_node_name(const char *text, const char *node, bool escape)
{
    g_autofree char *value = NULL;
    struct berval in = { strlen(node), (char *) node };
    struct berval out = { 0, NULL };
    g_auto(GStrv) parts = g_strsplit(text, "%n", -1);

    if (!escape) {
        value = g_strdup(node);
    } else if (ldap_bv2escaped_filter_value(&in, &out) == 0) {
        value = g_strndup(out.bv_val, out.bv_len);
        ber_memfree(out.bv_val);
    } else {
        return NULL; /* never the name unescaped in a filter */
    }
    return g_strjoinv(value, parts);
}

/* The entry has every "attr" and "attr=value" of \p c->expect; else the
 * first that is missing */
static const char *
missing_expected(LDAP *ld, LDAPMessage *entry, char **expect)
{
    for (char **e = expect; e != NULL && *e != NULL; e++) {
        g_autofree char *attr = g_strndup(*e, strcspn(*e, "="));
        const char *value = strchr(*e, '=');
        struct berval **values = NULL;
        bool found = false;

        if (**e == '\0') {
            continue;
        }
        values = ldap_get_values_len(ld, entry, attr);
        for (int i = 0; values != NULL && values[i] != NULL && !found; i++) {
            found = (value == NULL)
                    || (values[i]->bv_len == strlen(value + 1)
                        && g_ascii_strncasecmp(values[i]->bv_val, value + 1,
                                               values[i]->bv_len)
                               == 0);
        }
        ldap_value_free_len(values);
        if (!found) {
            return *e;
        }
    }
    return NULL;
}

static int
ldap_call(void *data)
{
    ldap_call_t *c = data;
    LDAP *ld = NULL;
    LDAPMessage *res = NULL;
    LDAPMessage *entry = NULL;
    int version = LDAP_VERSION3;
    struct timeval timeout = { c->timeout_ms / 1000,
                               (c->timeout_ms % 1000) * 1000 };
    struct berval secret = { 0, NULL };
    int rc = ldap_initialize(&ld, c->uri);

    c->status = DROVER_HEALTH_WARNING; /* the directory's trouble */
    if (rc != LDAP_SUCCESS) {
        c->reason = g_strdup_printf("%s: %s", c->uri, ldap_err2string(rc));
        return 0;
    }
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout);
    if (c->password != NULL) {
        secret.bv_val = c->password;
        secret.bv_len = strlen(c->password);
    }
    rc = ldap_sasl_bind_s(ld, c->bind_dn, LDAP_SASL_SIMPLE, &secret, NULL, NULL,
                          NULL);
    if (rc != LDAP_SUCCESS) {
        c->reason = g_strdup_printf("cannot bind to %s%s%s: %s", c->uri,
                                    (c->bind_dn != NULL) ? " as " : "",
                                    (c->bind_dn != NULL) ? c->bind_dn : "",
                                    ldap_err2string(rc));
        ldap_unbind_ext_s(ld, NULL, NULL);
        return 0;
    }
    rc = ldap_search_ext_s(ld, c->base, LDAP_SCOPE_SUBTREE, c->filter, NULL, 0,
                           NULL, NULL, &timeout, 2, &res);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        /* no such base, say: the directory's set-up, not this node's */
        c->status = DROVER_HEALTH_WARNING;
        c->reason = g_strdup_printf("search %s under %s at %s: %s", c->filter,
                                    c->base, c->uri, ldap_err2string(rc));
    } else if ((entry = ldap_first_entry(ld, res)) == NULL) {
        c->status = DROVER_HEALTH_CRITICAL;
        c->reason = g_strdup_printf("no entry %s under %s at %s", c->filter,
                                    c->base, c->uri);
    } else {
        char *dn = ldap_get_dn(ld, entry);
        const char *missing = missing_expected(ld, entry, c->expect);

        if (missing != NULL) {
            c->status = DROVER_HEALTH_CRITICAL;
            c->reason = g_strdup_printf("entry %s lacks %s", dn, missing);
        } else {
            c->status = DROVER_HEALTH_OK;
            c->reason = g_strdup_printf("entry %s at %s", dn, c->uri);
        }
        ldap_memfree(dn);
    }
    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return 0;
}

drover_health_result_t *
drover_health_ldap(const drover_ldap_check_t *check, const char *node,
                   drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autofree char *clear = NULL;
    ldap_call_t *c = NULL;
    g_autofree char *expect = NULL;
    drover_health_result_t *r = NULL;
    int rc;

    /* a simple bind sends the password as it is: over TLS only (drover
     * does not use StartTLS) */
    if (check->password != NULL && *check->password != '\0'
        && (clear = drover_ldap_uri_in_clear(check->uri)) != NULL) {
        return drover__health_result(
            "ldap", check->uri, started, DROVER_HEALTH_WARNING,
            g_strdup_printf("not checked: a simple bind would send the "
                            "password (" DROVER_HEALTH_LDAP_SECRET_PROPERTY
                            ") in clear to %s; give an ldaps:// URI "
                            "in " DROVER_HEALTH_LDAP_URI_PROPERTY
                            " (StartTLS is "
                            "not supported), or no password to bind "
                            "anonymously",
                            clear));
    }
    c = g_new0(ldap_call_t, 1);
    c->uri = g_strdup(check->uri);
    c->base = g_strdup((check->base != NULL) ? check->base : "");
    c->filter =
        expand_node_name(drover__option_or_default(
                             DROVER_HEALTH_LDAP_FILTER_PROPERTY, check->filter),
                         node, true);
    expect = (check->expect != NULL)
                 ? expand_node_name(check->expect, node, false)
                 : NULL;
    c->expect = (expect != NULL) ? g_strsplit_set(expect, " ", -1) : NULL;
    c->bind_dn = g_strdup(check->bind_dn);
    c->password = g_strdup(check->password);
    c->timeout_ms = MAX(drover_deadline_remaining_ms(deadline), 1);
    if (c->filter == NULL) {
        ldap_call_free(c);
        return drover__health_result(
            "ldap", check->uri, started, DROVER_HEALTH_WARNING,
            g_strdup("cannot escape the node's name for the "
                     "filter"));
    }
    rc = drover_deadline_run(deadline, ldap_call, c, ldap_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        return drover__health_result("ldap", check->uri, started,
                                     DROVER_HEALTH_WARNING,
                                     drover__health_not_answering(started));
    }
    r = drover__health_result("ldap", check->uri, started, c->status,
                              g_steal_pointer(&c->reason));
    ldap_call_free(c);
    return r;
}

void
drover_health_ldap_from_cib(const drover_cib_t *cib, const char *node,
                            drover_deadline_t deadline, GPtrArray *results)
{
    const char *file =
        drover_cib_property(cib, DROVER_HEALTH_LDAP_SECRET_PROPERTY);
    drover_ldap_check_t check = {
        .uri = drover_cib_property(cib, DROVER_HEALTH_LDAP_URI_PROPERTY),
        .base = drover_cib_property(cib, DROVER_HEALTH_LDAP_BASE_PROPERTY),
        .filter = drover_cib_property(cib, DROVER_HEALTH_LDAP_FILTER_PROPERTY),
        .expect = drover_cib_property(cib, DROVER_HEALTH_LDAP_EXPECT_PROPERTY),
        .bind_dn = drover_cib_property(cib, DROVER_HEALTH_LDAP_BIND_PROPERTY),
    };
    gint64 started = g_get_monotonic_time();
    g_autoptr(GString) why = g_string_new(NULL);
    char *password = NULL;
    gsize length = 0;
    int rc;

    if (check.uri == NULL) {
        return;
    }
    if (file != NULL) {
        rc = drover_file_read(file, PASSWORD_MAX_BYTES, deadline, &password,
                              &length, why);
        if (rc != 0) {
            g_ptr_array_add(
                results,
                drover__health_result(
                    "ldap", DROVER_HEALTH_LDAP_SECRET_PROPERTY, started,
                    (rc == DROVER_RC_TIMEOUT) ? DROVER_HEALTH_UNKNOWN
                                              : DROVER_HEALTH_WARNING,
                    g_strdup_printf("cannot read the password: %s; the "
                                    "directory is not checked",
                                    why->str)));
            return;
        }
        check.password = g_strchomp(password);
    }
    g_ptr_array_add(results, drover_health_ldap(&check, node, deadline));
    if (password != NULL) {
        memset(password, 0, length);
        g_free(password);
    }
}
