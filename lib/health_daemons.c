/*
 * Health checks of the daemons a migration needs: libvirt, Corosync,
 * Pacemaker's CIB, controller and attribute manager.
 */
#include <string.h>

#include <corosync/quorum.h>
#include <libvirt/libvirt.h>
#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/deadline.h>
#include <drover/drain.h>
#include <drover/record.h>
#include <drover/health.h>
#include <drover/rc.h>
#include <drover/spawn.h>
#include <drover/virt.h>

#include "health_private.h"

/* ------------------------------------------------------------------ */
/* libvirt                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    char *uri;
    char *error;
    int domains;
} libvirt_call_t;

static void
libvirt_call_free(gpointer data)
{
    libvirt_call_t *c = data;

    g_free(c->uri);
    g_free(c->error);
    g_free(c);
}

static int
libvirt_call(void *data)
{
    libvirt_call_t *c = data;
    virConnectPtr conn = NULL;
    virDomainPtr *domains = NULL;
    int rc = drover_virt_open(c->uri, &conn);

    if (rc != 0) {
        c->error = g_strdup(drover_virt_error());
        return rc;
    }
    c->domains = virConnectListAllDomains(conn, &domains, 0);
    if (c->domains < 0) {
        c->error = g_strdup(drover_virt_error());
        rc = DROVER_RC_ERROR;
    }
    for (int i = 0; i < c->domains; i++) {
        virDomainFree(domains[i]);
    }
    free(domains);
    virConnectClose(conn);
    return rc;
}

drover_health_result_t *
drover_health_libvirt(const char *uri, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    libvirt_call_t *c = g_new0(libvirt_call_t, 1);
    drover_health_result_t *r = NULL;
    int rc;

    /* a libvirtd that is down may be restarting (a package upgrade): it is
     * asked again for half the check's time before it counts as down,
     * else one restart would turn the node red and send its VMs away */
    drover_deadline_t retry_until =
        drover_deadline_in_ms(drover_deadline_remaining_ms(deadline) / 2);
    bool down = false;

    drover_virt_init();
    for (;;) {
        const char *error = NULL;

        c->uri = g_strdup(uri);
        rc = drover_deadline_run(deadline, libvirt_call, c, libvirt_call_free);
        if (rc == DROVER_RC_TIMEOUT) {
            return drover__health_result(
                "libvirt", uri, started, DROVER_HEALTH_CRITICAL,
                drover__health_not_answering(started)); /* the worker owns c */
        }
        error = (rc != 0 && c->error != NULL) ? c->error : "?";
        /* no socket, or nobody behind it */
        down = (rc != 0
                && (strstr(error, "No such file or directory") != NULL
                    || strstr(error, "Connection refused") != NULL));
        if (!down || drover_deadline_remaining_ms(retry_until) < 500) {
            break;
        }
        libvirt_call_free(c);
        c = g_new0(libvirt_call_t, 1);
        g_usleep(500 * 1000);
    }
    if (rc != 0) {
        const char *error = (c->error != NULL) ? c->error : "?";

        r = drover__health_result(
            "libvirt", uri, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("%s: %s", down ? "not running" : "cannot connect",
                            error));
    } else {
        r = drover__health_result(
            "libvirt", uri, started, DROVER_HEALTH_OK,
            g_strdup_printf("answers (%d domain(s))", c->domains));
    }
    libvirt_call_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* Corosync                                                           */
/* ------------------------------------------------------------------ */

typedef struct {
    cs_error_t error;
    int quorate;
} quorum_call_t;

static int
quorum_call(void *data)
{
    quorum_call_t *c = data;
    quorum_handle_t handle = 0;
    uint32_t type = 0;

    c->error = quorum_initialize(&handle, NULL, &type);
    if (c->error != CS_OK) {
        return drover_rc_from_cs(c->error);
    }
    c->error = quorum_getquorate(handle, &c->quorate);
    quorum_finalize(handle);
    return (c->error == CS_OK) ? 0 : drover_rc_from_cs(c->error);
}

drover_health_result_t *
drover_health_corosync(drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    quorum_call_t *c = g_new0(quorum_call_t, 1);
    drover_health_result_t *r = NULL;
    int rc = drover_deadline_run(deadline, quorum_call, c, g_free);

    if (rc == DROVER_RC_TIMEOUT) {
        return drover__health_result("corosync", "quorum", started,
                                     DROVER_HEALTH_CRITICAL,
                                     drover__health_not_answering(started));
    }
    if (rc != 0) {
        r = drover__health_result(
            "corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("not running: %s", cs_strerror(c->error)));
    } else if (!c->quorate) {
        r = drover__health_result(
            "corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
            g_strdup("this node's partition has no quorum"));
    } else {
        r = drover__health_result("corosync", "quorum", started,
                                  DROVER_HEALTH_OK,
                                  g_strdup("member of a quorate partition"));
    }
    g_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* Pacemaker's CIB                                                    */
/* ------------------------------------------------------------------ */

/* The CIB check, keeping what it read (\p cib may be NULL) */
drover_health_result_t *
drover__health_check_cib(drover_deadline_t deadline, drover_cib_t **cib)
{
    gint64 started = g_get_monotonic_time();
    drover_cib_t *read = NULL;
    int rc = drover_cib_query(deadline, &read);

    if (cib != NULL) {
        *cib = read;
    } else {
        drover_cib_free(read);
    }

    if (rc == DROVER_RC_TIMEOUT) {
        return drover__health_result("cib", "pacemaker-based", started,
                                     DROVER_HEALTH_CRITICAL,
                                     drover__health_not_answering(started));
    }
    if (rc != 0) {
        return drover__health_result(
            "cib", "pacemaker-based", started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("cannot query: %s", drover_rc_str(rc)));
    }
    return drover__health_result("cib", "pacemaker-based", started,
                                 DROVER_HEALTH_OK, g_strdup("answers"));
}

drover_health_result_t *
drover_health_cib(drover_deadline_t deadline)
{
    return drover__health_check_cib(deadline, NULL);
}

/* ------------------------------------------------------------------ */
/* Pacemaker's controller and attribute manager                       */
/* ------------------------------------------------------------------ */

drover_health_result_t *
drover_health_controller(const char *node, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    /* crmadmin pings this node's controller (with no node, the DC's: one
     * hung DC would make every node red) and waits for the real reply,
     * not the first acknowledgement; a process of its own also keeps
     * Pacemaker's IPC client library out of this one's threads */
    const char *argv[] = { "crmadmin", "--status", node, NULL };
    int status = -1;
    int rc = drover_spawn(argv, deadline, &out, &err, &status);
    const char *state = (out != NULL) ? strstr(out, " in state ") : NULL;

    if (rc == DROVER_RC_TIMEOUT) {
        return drover__health_result("controller", "pacemaker-controld",
                                     started, DROVER_HEALTH_CRITICAL,
                                     drover__health_not_answering(started));
    }
    if (rc != 0 || status != 0 || state == NULL) {
        const char *why =
            (err != NULL && *g_strstrip(err) != '\0') ? err : drover_rc_str(rc);

        return drover__health_result(
            "controller", "pacemaker-controld", started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("cannot ping: %.*s", (int) strcspn(why, "\n"),
                            why));
    }
    return drover__health_result(
        "controller", "pacemaker-controld", started, DROVER_HEALTH_OK,
        g_strdup_printf("answers (%.*s)", (int) strcspn(state + 10, ": \n"),
                        state + 10));
}

drover_health_result_t *
drover_health_attrd(drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autoptr(GHashTable) values = NULL;
    /* a real query, through attrd_updater (no public client API) */
    int rc = drover_private_attr_read(DROVER_HOST_ATTR, deadline, &values);

    if (rc == DROVER_RC_TIMEOUT) {
        return drover__health_result("attrd", "pacemaker-attrd", started,
                                     DROVER_HEALTH_CRITICAL,
                                     drover__health_not_answering(started));
    }
    if (rc != 0 && rc != DROVER_RC_NO_SUCH) {
        return drover__health_result(
            "attrd", "pacemaker-attrd", started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("cannot query: %s", drover_rc_str(rc)));
    }
    return drover__health_result("attrd", "pacemaker-attrd", started,
                                 DROVER_HEALTH_OK, g_strdup("answers"));
}
