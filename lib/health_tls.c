/*
 * Health check of libvirt's and QEMU's TLS certificates (GnuTLS).
 */
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/deadline.h>
#include <drover/file.h>
#include <drover/health.h>
#include <drover/netsel.h>
#include <drover/rc.h>
#include <drover/spawn.h>

#include "health_private.h"
#include "options.h"

/* ------------------------------------------------------------------ */
/* libvirt's TLS certificates                                         */
/* ------------------------------------------------------------------ */

/* libvirt's default places (libvirtd.conf: ca_file, cert_file) */
#define LIBVIRT_CA_FILE      "/etc/pki/CA/cacert.pem"
#define LIBVIRT_SERVER_CERT  "/etc/pki/libvirt/servercert.pem"
#define LIBVIRT_CLIENT_CERT  "/etc/pki/libvirt/clientcert.pem"
#define QEMU_CONF            "/etc/libvirt/qemu.conf"
#define QEMU_CONF_MAX_BYTES  (1024 * 1024)
#define QEMU_TLS_DIR         "/etc/pki/qemu"
#define QEMU_MIGRATE_TLS_DIR "/etc/pki/libvirt-migrate"

static char *
date_text(time_t t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

    return (d != NULL) ? g_date_time_format(d, "%Y-%m-%d %H:%M UTC")
                       : g_strdup("?");
}

/* The most a certificate file may hold: a certificate (a chain, even) is
 * a few KiB */
#define CERT_MAX_BYTES (1024 * 1024)

/* The first certificate of a PEM file, read by \p deadline; else why, and
 * DROVER_RC_TIMEOUT when its file system did not answer */
static int
load_cert(const char *path, drover_deadline_t deadline, gnutls_x509_crt_t *crt,
          char **why)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    gsize length = 0;
    gnutls_datum_t data = { NULL, 0 };
    int rc = drover_file_read(path, CERT_MAX_BYTES, deadline, &text, &length,
                              reason);

    *crt = NULL;
    if (rc != 0) {
        *why = (rc == ENOENT) ? g_strdup_printf("%s: missing", path)
                              : g_strdup(reason->str);
        return rc;
    }
    data.data = (unsigned char *) text;
    data.size = (unsigned int) length;
    rc = gnutls_x509_crt_init(crt);
    if (rc >= 0) {
        rc = gnutls_x509_crt_import(*crt, &data, GNUTLS_X509_FMT_PEM);
    }
    if (rc < 0) {
        *why = g_strdup_printf("%s: not a PEM certificate: %s", path,
                               gnutls_strerror(rc));
        if (*crt != NULL) {
            gnutls_x509_crt_deinit(*crt);
            *crt = NULL;
        }
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* Whom \p crt is for: its subject's CN, or its DN */
static char *
issued_for(gnutls_x509_crt_t crt)
{
    char buf[256];
    size_t size = sizeof(buf);

    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                      buf, &size)
        == 0) {
        return g_strdup(buf);
    }
    size = sizeof(buf);
    return (gnutls_x509_crt_get_dn(crt, buf, &size) == 0) ? g_strdup(buf)
                                                          : g_strdup("?");
}

/* The CA certificate, or why there is none */
typedef struct {
    const char *path;
    gnutls_x509_crt_t crt;
    int rc;
    char *why;
} ca_cert_t;

static drover_health_result_t *
check_cert(const char *path, const ca_cert_t *ca, const char *node,
           int warn_days, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autofree char *why = NULL;
    g_autofree char *until = NULL;
    gnutls_x509_crt_t crt = NULL;
    int rc = load_cert(path, deadline, &crt, &why);
    time_t now = time(NULL);
    time_t from = 0;
    time_t to = 0;
    drover_health_result_t *r = NULL;
    unsigned int status = 0;

    if (rc != 0) {
        /* a file system that does not answer says nothing of the file */
        return drover__health_result("tls", path, started,
                                     (rc == DROVER_RC_TIMEOUT)
                                         ? DROVER_HEALTH_UNKNOWN
                                         : DROVER_HEALTH_CRITICAL,
                                     g_steal_pointer(&why));
    }
    from = gnutls_x509_crt_get_activation_time(crt);
    to = gnutls_x509_crt_get_expiration_time(crt);
    until = date_text(to);
    if (from > now) {
        g_autofree char *start = date_text(from);

        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("not valid before %s", start));
    } else if (to < now) {
        r = drover__health_result("tls", path, started, DROVER_HEALTH_CRITICAL,
                                  g_strdup_printf("expired on %s", until));
    } else if (!gnutls_x509_crt_check_hostname(crt, node)) {
        g_autofree char *whom = issued_for(crt);

        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("issued for %s, not for %s", whom, node));
    } else if (ca->crt == NULL && ca->rc == DROVER_RC_TIMEOUT) {
        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_UNKNOWN,
            g_strdup_printf("not checked against the CA certificate: "
                            "%s",
                            ca->why));
    } else if (ca->crt == NULL) {
        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("no CA certificate to check it against (%s)",
                            ca->why));
    } else if (gnutls_x509_crt_verify(crt, &ca->crt, 1, 0, &status) < 0
               || status != 0) {
        gnutls_datum_t text = { NULL, 0 };

        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                     &text, 0);
        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("does not chain to %s: %s", ca->path,
                            (text.data != NULL) ? (char *) text.data : "?"));
        gnutls_free(text.data);
    } else if (to < now + (time_t) warn_days * 86400) {
        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_WARNING,
            g_strdup_printf("expires on %s, in %ld day(s)", until,
                            (long) ((to - now) / 86400)));
    } else {
        r = drover__health_result(
            "tls", path, started, DROVER_HEALTH_OK,
            g_strdup_printf("valid until %s, for %s, from %s", until, node,
                            ca->path));
    }
    gnutls_x509_crt_deinit(crt);
    return r;
}

/* The server and client certificate in \p server and \p client, checked
 * against the CA certificate in \p ca_path */
static void
check_cert_pair(const char *ca_path, const char *server, const char *client,
                const char *node, int warn_days, drover_deadline_t deadline,
                GPtrArray *results)
{
    ca_cert_t ca = { .path = ca_path };

    ca.rc = load_cert(ca_path, deadline, &ca.crt, &ca.why);
    g_ptr_array_add(results,
                    check_cert(server, &ca, node, warn_days, deadline));
    g_ptr_array_add(results,
                    check_cert(client, &ca, node, warn_days, deadline));
    if (ca.crt != NULL) {
        gnutls_x509_crt_deinit(ca.crt);
    }
    g_free(ca.why);
}

void
drover_health_tls(const char *dir, const char *node, int warn_days,
                  drover_deadline_t deadline, GPtrArray *results)
{
    g_autofree char *ca_path = (dir != NULL)
                                   ? g_build_filename(dir, "cacert.pem", NULL)
                                   : g_strdup(LIBVIRT_CA_FILE);
    g_autofree char *server =
        (dir != NULL) ? g_build_filename(dir, "servercert.pem", NULL)
                      : g_strdup(LIBVIRT_SERVER_CERT);
    g_autofree char *client =
        (dir != NULL) ? g_build_filename(dir, "clientcert.pem", NULL)
                      : g_strdup(LIBVIRT_CLIENT_CERT);

    check_cert_pair(ca_path, server, client, node, warn_days, deadline,
                    results);
}

void
drover_health_tls_migration(const char *dir, const char *node, int warn_days,
                            drover_deadline_t deadline, GPtrArray *results)
{
    g_autofree char *ca_path = g_build_filename(dir, "ca-cert.pem", NULL);
    g_autofree char *server = g_build_filename(dir, "server-cert.pem", NULL);
    g_autofree char *client = g_build_filename(dir, "client-cert.pem", NULL);

    check_cert_pair(ca_path, server, client, node, warn_days, deadline,
                    results);
}

/* Where QEMU finds its migration certificates: qemu.conf's
 * migrate_tls_x509_cert_dir, else /etc/pki/libvirt-migrate if it exists,
 * else default_tls_x509_cert_dir, else /etc/pki/qemu (libvirt's rules;
 * the file read by \p deadline) */
static char *
qemu_migration_cert_dir(drover_deadline_t deadline)
{
    g_autoptr(GString) why = g_string_new(NULL);
    g_autofree char *text = NULL;
    g_autofree char *migrate = NULL;
    g_autofree char *fallback = NULL;
    g_auto(GStrv) lines = NULL;
    gsize length = 0;

    if (drover_file_read(QEMU_CONF, QEMU_CONF_MAX_BYTES, deadline, &text,
                         &length, why)
        != 0) {
        text = g_strdup("");
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        g_auto(GStrv) kv = g_strsplit(*l, "=", 2);
        char *key = NULL;
        char *value = NULL;

        if (kv[0] == NULL || kv[1] == NULL) {
            continue;
        }
        key = g_strstrip(kv[0]);
        value = g_strstrip(kv[1]);
        if (*key == '#' || *value != '"' || strlen(value) < 2
            || value[strlen(value) - 1] != '"') {
            continue;
        }
        value[strlen(value) - 1] = '\0';
        value++;
        if (strcmp(key, "migrate_tls_x509_cert_dir") == 0) {
            g_free(migrate);
            migrate = g_strdup(value);
        } else if (strcmp(key, "default_tls_x509_cert_dir") == 0) {
            g_free(fallback);
            fallback = g_strdup(value);
        }
    }
    if (migrate != NULL) {
        return g_steal_pointer(&migrate);
    }
    if (g_file_test(QEMU_MIGRATE_TLS_DIR, G_FILE_TEST_IS_DIR)) {
        return g_strdup(QEMU_MIGRATE_TLS_DIR);
    }
    return (fallback != NULL) ? g_steal_pointer(&fallback)
                              : g_strdup(QEMU_TLS_DIR);
}

void
drover_health_tls_from_cib(const drover_cib_t *cib, const char *node,
                           drover_deadline_t deadline, GPtrArray *results)
{
    gint64 started = g_get_monotonic_time();
    const char *how = drover_cib_property(cib, DROVER_HEALTH_TLS_PROPERTY);
    const char *warn =
        drover_cib_property(cib, DROVER_HEALTH_TLS_WARN_PROPERTY);
    g_autofree char *tls_networks = NULL;
    const char *days =
        drover__option_or_default(DROVER_HEALTH_TLS_WARN_PROPERTY, warn);
    int warn_days = atoi(days); /* valid: 0 to 3650 */
    bool check = false;
    bool transport_tls = false;

    if (warn != NULL && days != warn) {
        g_ptr_array_add(
            results,
            drover__health_result(
                "tls", DROVER_HEALTH_TLS_WARN_PROPERTY, started,
                DROVER_HEALTH_WARNING,
                g_strdup_printf("'%s' is not a number of days from 0 to "
                                "3650; %s used",
                                warn, days)));
    }
    tls_networks = drover_tls_networks(cib);
    transport_tls = (tls_networks != NULL);
    if (how == NULL) {
        how = drover__option_default(DROVER_HEALTH_TLS_PROPERTY);
    }
    if (strcmp(how, "auto") == 0) {
        check = transport_tls;
    } else if (strcmp(how, "on") == 0) {
        check = true;
    } else if (strcmp(how, "off") != 0) {
        g_ptr_array_add(results,
                        drover__health_result(
                            "tls", DROVER_HEALTH_TLS_PROPERTY, started,
                            DROVER_HEALTH_WARNING,
                            g_strdup_printf("'%s' is not on, off or auto; "
                                            "not checked",
                                            how)));
    }
    if (check) {
        drover_health_tls(
            drover_cib_property(cib, DROVER_HEALTH_TLS_DIR_PROPERTY), node,
            warn_days, deadline, results);
    }
    if (check && transport_tls) {
        /* a tls transport is QEMU's own TLS (VIR_MIGRATE_TLS) */
        g_autofree char *dir = qemu_migration_cert_dir(deadline);

        drover_health_tls_migration(dir, node, warn_days, deadline, results);
    }
}
