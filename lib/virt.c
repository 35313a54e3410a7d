/*
 * libvirt: set-up, domain state as Pacemaker sees it, the migration engine
 * (watch, escalate, abort) and the last-resort QEMU kill.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <qb/qblog.h>

#include <drover/migwatch.h>
#include <drover/rc.h>
#include <drover/tcpconn.h>
#include <drover/virt.h>

#define KEEPALIVE_INTERVAL_S     1
#define KEEPALIVE_COUNT          5
#define PROGRESS_LOG_INTERVAL_US (3 * G_USEC_PER_SEC)
#define POLL_INTERVAL_US         (500 * G_TIME_SPAN_MILLISECOND)
/* The black-hole guard: how often it looks, how long libvirt's silence and
 * the target's must last without stall_s, and once the abort is due */
#define GUARD_INTERVAL_US        G_USEC_PER_SEC
#define GUARD_WINDOW_DEFAULT_US  (30 * G_USEC_PER_SEC)
#define GUARD_WINDOW_PAST_DUE_US (2 * G_USEC_PER_SEC)

static const char *state_names[] = {
    [DROVER_VM_ABSENT] = "absent",
    [DROVER_VM_SHUTOFF] = "shut off",
    [DROVER_VM_RUNNING] = "running",
    [DROVER_VM_PAUSED] = "paused",
    [DROVER_VM_PAUSED_BROKEN] = "paused by a failure",
    [DROVER_VM_INCOMING] = "incoming migration",
    [DROVER_VM_CRASHED] = "crashed",
    [DROVER_VM_POSTCOPY_SOURCE] = "post-copy source (the guest runs on the "
                                  "target)",
    [DROVER_VM_POSTCOPY_FAILED] = "paused by a failed post-copy",
};

const char *
drover_vm_state_str(drover_vm_state_t state)
{
    return ((size_t) state < G_N_ELEMENTS(state_names)) ? state_names[state]
                                                        : "unknown";
}

static void
log_virt_error(void *user_data, virErrorPtr err)
{
    (void) user_data;
    /* Callers report what matters with drover_virt_error() */
    qb_log(LOG_DEBUG, "libvirt: %s (code %d, domain %d)",
           (err->message != NULL) ? err->message : "unknown error", err->code,
           err->domain);
}

static gpointer
event_loop(gpointer data)
{
    (void) data;
    for (;;) {
        if (virEventRunDefaultImpl() < 0) {
            g_usleep(G_USEC_PER_SEC / 10);
        }
    }
    return NULL;
}

int
drover_virt_init(void)
{
    static gsize ready = 0;

    if (g_once_init_enter(&ready)) {
        int rc = 0;

        if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
            rc = drover_rc_from_virt(NULL);
        } else {
            virSetErrorFunc(NULL, log_virt_error);
            g_thread_unref(
                g_thread_new("drover-virt-events", event_loop, NULL));
        }
        g_once_init_leave(&ready, (rc == 0) ? 1 : 2);
    }
    return (ready == 1) ? 0 : DROVER_RC_ERROR;
}

const char *
drover_virt_error(void)
{
    const char *message = virGetLastErrorMessage();

    return (message != NULL) ? message : "unknown libvirt error";
}

int
drover_virt_open(const char *uri, virConnectPtr *conn)
{
    int rc = drover_virt_init();

    *conn = NULL;
    if (rc != 0) {
        return rc;
    }
    *conn = virConnectOpen(uri);
    if (*conn == NULL) {
        rc = drover_rc_from_virt(NULL);
        qb_log(LOG_DEBUG, "Cannot connect to %s: %s", uri, drover_virt_error());
        return rc;
    }
    if (virConnectSetKeepAlive(*conn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT)
        < 0) {
        qb_log(LOG_DEBUG, "No keepalive on %s: %s", uri, drover_virt_error());
    }
    return 0;
}

/* The operation of the domain's current job, or -1 if there is none */
static int
job_operation(virDomainPtr dom)
{
    virTypedParameterPtr params = NULL;
    int nparams = 0;
    int type = VIR_DOMAIN_JOB_NONE;
    int operation = -1;

    if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0) {
        return -1;
    }
    if (type != VIR_DOMAIN_JOB_NONE
        && virTypedParamsGetInt(params, nparams, VIR_DOMAIN_JOB_OPERATION,
                                &operation)
               <= 0) {
        operation = VIR_DOMAIN_JOB_OPERATION_UNKNOWN;
    }
    virTypedParamsFree(params, nparams);
    return (type == VIR_DOMAIN_JOB_NONE) ? -1 : operation;
}

static drover_vm_state_t
paused_state(virDomainPtr dom, int reason)
{
    switch (reason) {
        case VIR_DOMAIN_PAUSED_USER:
        case VIR_DOMAIN_PAUSED_SAVE:
        case VIR_DOMAIN_PAUSED_DUMP:
        case VIR_DOMAIN_PAUSED_SNAPSHOT:
        case VIR_DOMAIN_PAUSED_FROM_SNAPSHOT: return DROVER_VM_PAUSED;
        case VIR_DOMAIN_PAUSED_POSTCOPY:
            /* The guest's vCPUs have moved: this is the page server */
            return (job_operation(dom) == VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN)
                       ? DROVER_VM_INCOMING
                       : DROVER_VM_POSTCOPY_SOURCE;
        case VIR_DOMAIN_PAUSED_POSTCOPY_FAILED:
            return DROVER_VM_POSTCOPY_FAILED;
        case VIR_DOMAIN_PAUSED_MIGRATION:
        case VIR_DOMAIN_PAUSED_STARTING_UP:
            /* Part of a migration still going on, or left over by one */
            switch (job_operation(dom)) {
                case VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN:
                    return DROVER_VM_INCOMING;
                case VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT:
                    return DROVER_VM_RUNNING; /* switching over */
                default: return DROVER_VM_PAUSED_BROKEN;
            }
        default: return DROVER_VM_PAUSED_BROKEN;
    }
}

int
drover_virt_state(virConnectPtr conn, const char *name,
                  drover_vm_state_t *state, char **detail)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(conn, name);
    int vir_state = 0;
    int reason = 0;

    if (detail != NULL) {
        *detail = NULL;
    }
    if (dom == NULL) {
        int rc = drover_rc_from_virt(NULL);

        if (rc == DROVER_RC_NO_SUCH) {
            *state = DROVER_VM_ABSENT;
            return 0;
        }
        return rc;
    }
    if (virDomainGetState(dom, &vir_state, &reason, 0) < 0) {
        return drover_rc_from_virt(NULL);
    }
    switch (vir_state) {
        case VIR_DOMAIN_RUNNING:
            *state = (reason == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED)
                         ? DROVER_VM_POSTCOPY_FAILED
                         : DROVER_VM_RUNNING;
            break;
        case VIR_DOMAIN_BLOCKED:
        case VIR_DOMAIN_SHUTDOWN: /* still running while shutting down */
            *state = DROVER_VM_RUNNING;
            break;
        case VIR_DOMAIN_PAUSED: *state = paused_state(dom, reason); break;
        case VIR_DOMAIN_PMSUSPENDED: *state = DROVER_VM_PAUSED; break;
        case VIR_DOMAIN_CRASHED: *state = DROVER_VM_CRASHED; break;
        default: *state = DROVER_VM_SHUTOFF; break;
    }
    if (detail != NULL) {
        *detail =
            g_strdup_printf("libvirt state %d, reason %d", vir_state, reason);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Migration                                                          */
/* ------------------------------------------------------------------ */

/* Whether the domain has a job: 1, 0, or -1 when libvirtd did not say (a
 * driver without jobs, libvirt's test driver, has none) */
static int
has_job(virDomainPtr dom)
{
    virTypedParameterPtr params = NULL;
    int nparams = 0;
    int type = VIR_DOMAIN_JOB_NONE;

    if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0) {
        virErrorPtr error = virGetLastError();

        return (error != NULL && error->code == VIR_ERR_NO_SUPPORT) ? 0 : -1;
    }
    virTypedParamsFree(params, nparams);
    return type != VIR_DOMAIN_JOB_NONE;
}

int
drover_virt_migration_outcome(const char *uri, const char *name,
                              drover_deadline_t deadline, virConnectPtr *conn)
{
    drover_deadline_t until = deadline + 3 * G_TIME_SPAN_SECOND;
    bool aborted = false;

    *conn = NULL;
    for (;;) {
        g_autoptr(virConnect) fresh = NULL;
        g_autoptr(virDomain) dom = NULL;
        int state = 0;
        int reason = 0;

        if (drover_virt_open(uri, &fresh) == 0) {
            dom = virDomainLookupByName(fresh, name);
        }
        if (fresh != NULL && dom == NULL
            && drover_rc_from_virt(NULL) == DROVER_RC_NO_SUCH) {
            return 0;
        }
        if (dom != NULL && virDomainGetState(dom, &state, &reason, 0) == 0) {
            int job = has_job(dom);

            if (state == VIR_DOMAIN_SHUTOFF
                && reason == VIR_DOMAIN_SHUTOFF_MIGRATED) {
                return 0;
            }
            if (job == 0) {
                *conn = g_steal_pointer(&fresh);
                return DROVER_RC_STATE;
            }
            if (job == 1 && !aborted && drover_deadline_passed(deadline)) {
                qb_log(LOG_WARNING,
                       "Aborting the migration of %s: not done in time", name);
                if (virDomainAbortJob(dom) < 0) {
                    qb_log(LOG_WARNING, "Cannot abort it: %s",
                           drover_virt_error());
                }
                aborted = true;
            }
        }
        if (drover_deadline_passed(until)) {
            return DROVER_RC_TIMEOUT;
        }
        g_usleep(500 * 1000);
    }
}

bool
drover_virt_error_is_rpc(const virError *err)
{
    if (err == NULL
        || (err->domain != VIR_FROM_RPC && err->domain != VIR_FROM_REMOTE)) {
        return false;
    }
    switch (err->code) {
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_AUTH_CANCELLED:
        case VIR_ERR_AUTH_UNAVAILABLE: return false;
        default: return true;
    }
}

void
drover_migration_result_clear(drover_migration_result_t *result)
{
    g_clear_pointer(&result->error, g_free);
}

/*
 * The blocking migration call runs in its own thread; this is its state,
 * shared by that thread and the watcher (two references): the watcher may
 * leave a post-copy migration running, and the thread then ends alone.
 *
 * The call has a connection of its own: libvirt 9.0's client crashes when
 * one thread's call fails on a connection the keepalive closed while
 * another thread waits to make a call on it (the loop leaves a socket
 * watch pointing into the failed call's stack; the next call dispatches
 * it).  The watcher polls the job on the caller's connection.
 */
typedef struct {
    gint refs;
    virConnectPtr conn; /* the call's own */
    virDomainPtr dom;   /* the domain, on conn */
    char *dest_uri;
    virTypedParameterPtr params;
    int nparams;
    unsigned int flags;
    GMutex lock;
    GCond done_cond;
    bool done;
    int rc;
    bool rpc_error;       /* drover_virt_error_is_rpc() */
    bool connection_lost; /* conn died with the call */
    char *error;
    unsigned long speed;   /* MiB/s the domain was set to before the start */
    gint64 libvirt_since;  /* the watcher waits for libvirt since (monotonic
                             us); 0: it does not */
    bool postcopy_asked;   /* a switch to post-copy was asked for */
    gint64 abort_asked_at; /* the watcher aborted the job then (monotonic
                              us); 0: it did not */
    bool watched;          /* the watcher is done: the guard ends too */
    bool guarded;          /* a guard watches the memory stream's sockets */
    bool stream_opening;   /* ...and saw it connecting or connected */
    bool stream_connected; /* ...and saw QEMU hold it, connected */
    bool cut;              /* the guard closed the memory stream */
    bool cut_connecting;   /* ...while libvirtd was still connecting it */
} migrate_call_t;

static void
migrate_call_unref(migrate_call_t *call)
{
    if (!g_atomic_int_dec_and_test(&call->refs)) {
        return;
    }
    if (call->dom != NULL) {
        virDomainFree(call->dom);
    }
    if (call->conn != NULL) {
        virConnectClose(call->conn);
    }
    g_free(call->dest_uri);
    virTypedParamsFree(call->params, call->nparams);
    g_free(call->error);
    g_mutex_clear(&call->lock);
    g_cond_clear(&call->done_cond);
    g_free(call);
}

static gpointer
migrate_thread(gpointer data)
{
    migrate_call_t *call = data;
    int rc = 0;
    bool rpc_error = false;
    bool lost = false;
    char *error = NULL;

    if (virDomainMigrateToURI3(call->dom, call->dest_uri, call->params,
                               call->nparams, call->flags)
        < 0) {
        virErrorPtr err = virGetLastError(); /* thread-local in libvirt */
        int code = (err != NULL) ? err->code : -1;
        int domain = (err != NULL) ? err->domain : -1;

        rc = drover_rc_from_virt(NULL);
        rpc_error = drover_virt_error_is_rpc(err);
        error = g_strdup(drover_virt_error());
        lost = virConnectIsAlive(call->conn) != 1; /* resets the error */
        qb_log(LOG_INFO,
               "Migration failed: %s (libvirt error %d of domain %d%s)", error,
               code, domain,
               lost ? ": the connection to this node's libvirtd" : "");
    }
    g_mutex_lock(&call->lock);
    call->rc = rc;
    call->rpc_error = rpc_error && !lost;
    call->connection_lost = lost;
    call->error = error;
    call->done = true;
    g_cond_broadcast(&call->done_cond); /* the watcher and the guard */
    g_mutex_unlock(&call->lock);
    migrate_call_unref(call);
    return NULL;
}

static int
build_params(const drover_migration_t *m, virTypedParameterPtr *params,
             int *nparams)
{
    int max = 0;

    if (m->migrate_uri != NULL
        && virTypedParamsAddString(params, nparams, &max, VIR_MIGRATE_PARAM_URI,
                                   m->migrate_uri)
               < 0) {
        return DROVER_RC_ERROR;
    }
    if (m->listen_address != NULL
        && virTypedParamsAddString(params, nparams, &max,
                                   VIR_MIGRATE_PARAM_LISTEN_ADDRESS,
                                   m->listen_address)
               < 0) {
        return DROVER_RC_ERROR;
    }
    /* With a network share the speed is the domain's (set before the call,
     * changed while it runs): a bandwidth parameter would override later
     * changes when libvirt applies it */
    if (m->bandwidth_share == NULL && m->bandwidth_mib > 0
        && virTypedParamsAddULLong(params, nparams, &max,
                                   VIR_MIGRATE_PARAM_BANDWIDTH,
                                   m->bandwidth_mib)
               < 0) {
        return DROVER_RC_ERROR;
    }
    if (m->parallel_connections > 0
        && virTypedParamsAddInt(params, nparams, &max,
                                VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
                                m->parallel_connections)
               < 0) {
        return DROVER_RC_ERROR;
    }
    for (const char *const *c = m->compression; c != NULL && *c != NULL; c++) {
        if (virTypedParamsAddString(params, nparams, &max,
                                    VIR_MIGRATE_PARAM_COMPRESSION, *c)
            < 0) {
            return DROVER_RC_ERROR;
        }
    }
    for (size_t i = 0; i < m->n_params; i++) {
        const drover_migparam_t *p = &m->params[i];

        if (virTypedParamsAddFromString(params, nparams, &max, p->name, p->type,
                                        p->value)
            < 0) {
            return DROVER_RC_ERROR;
        }
    }
    return 0;
}

typedef struct {
    drover_job_sample_t sample;
    guint64 total;
} job_progress_t;

static void
read_progress(virDomainPtr dom, job_progress_t *p)
{
    virTypedParameterPtr params = NULL;
    int nparams = 0;
    int type = VIR_DOMAIN_JOB_NONE;
    unsigned long long value = 0;

    p->sample.active = false;
    if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0) {
        return;
    }
    p->sample.active = (type != VIR_DOMAIN_JOB_NONE);
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_PROCESSED,
                                &value)
        > 0) {
        p->sample.processed = value;
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_REMAINING,
                                &value)
        > 0) {
        p->sample.remaining = value;
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_TOTAL,
                                &value)
        > 0) {
        p->total = value;
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_MEMORY_BPS,
                                &value)
        > 0) {
        p->sample.bps = value;
    }
    if (virTypedParamsGetULLong(params, nparams,
                                VIR_DOMAIN_JOB_MEMORY_ITERATION, &value)
        > 0) {
        p->sample.pass = value;
    }
    if (virTypedParamsGetULLong(params, nparams,
                                VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &value)
        > 0) {
        unsigned long long page = 4096; /* libvirt before 3.9 gives none */

        (void) virTypedParamsGetULLong(params, nparams,
                                       VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, &page);
        p->sample.dirty_bps = value * page;
    }
    virTypedParamsFree(params, nparams);
}

#define MIB (1024.0 * 1024.0)

/* Set the domain's migration speed; 0: as fast as it goes (libvirt's
 * largest value) */
static int
set_max_speed(virDomainPtr dom, unsigned long mib)
{
    return virDomainMigrateSetMaxSpeed(dom, (mib > 0) ? mib : 8796093022207UL,
                                       0);
}

/* Carry out what the rules decided; undo in \p w what libvirt refused */
static void
apply(virDomainPtr dom, drover_migwatch_t *w, unsigned long old_speed,
      const drover_migwatch_action_t *a)
{
    if (a->why != NULL && !(a->what & DROVER_MIGWATCH_SET_DOWNTIME)) {
        qb_log((a->what & DROVER_MIGWATCH_ABORT) ? LOG_WARNING : LOG_NOTICE,
               "Migration %s", a->why);
    }
    if (a->what & DROVER_MIGWATCH_ABORT) {
        if (virDomainAbortJob(dom) < 0) {
            qb_log(LOG_ERR, "Cannot abort the migration: %s",
                   drover_virt_error());
        }
    }
    if (a->what & DROVER_MIGWATCH_SET_SPEED) {
        if (set_max_speed(dom, a->speed_mib) < 0) {
            qb_log(LOG_WARNING,
                   "Cannot set the migration speed to %lu MiB/s: %s",
                   a->speed_mib, drover_virt_error());
            w->speed = old_speed;
        } else {
            qb_log(LOG_INFO, "Migration speed %lu MiB/s (the network's share)",
                   a->speed_mib);
        }
    }
    if (a->what & DROVER_MIGWATCH_SET_DOWNTIME) {
        qb_log((a->why != NULL) ? LOG_NOTICE : LOG_INFO,
               "Migration %s: allowing %" G_GUINT64_FORMAT " ms of downtime",
               (a->why != NULL) ? a->why : "started", a->downtime_ms);
        if (virDomainMigrateSetMaxDowntime(dom, a->downtime_ms, 0) < 0) {
            qb_log(LOG_WARNING, "Cannot set the allowed downtime: %s",
                   drover_virt_error());
        }
    }
    if (a->what & DROVER_MIGWATCH_POSTCOPY) {
        if (virDomainMigrateStartPostCopy(dom, 0) < 0) {
            qb_log(LOG_WARNING, "Cannot switch to post-copy: %s",
                   drover_virt_error());
            w->postcopy = false;
        }
    }
}

/* What the black-hole guard needs; its own reference to the call */
typedef struct {
    migrate_call_t *call;
    pid_t qemu_pid;
    pid_t libvirtd_pid; /* 0: not found */
    char *address;
    gint64 window_us;
    drover_deadline_t abort_at;
} guard_t;

/*
 * The black-hole guard.  QEMU sends the last pages with its big lock held:
 * when the network swallows them, send() blocks for TCP's 15 minutes and
 * so does every query and abort libvirt sends QEMU.  Libvirt not answering
 * while the target acknowledges nothing of the stream is that case:
 * closing QEMU's connections fails the send, QEMU fails the migration and
 * libvirt resumes the guest here.  A stream still acknowledged is never
 * cut, nor one that may be in post-copy (the guest would be lost).
 */
static gpointer
guard_thread(gpointer data)
{
    guard_t *g = data;
    migrate_call_t *call = g->call;
    gint64 acked_at = g_get_monotonic_time();
    guint64 acked_last = 0;
    gint64 connecting_at = 0;
    bool seen = false;

    g_mutex_lock(&call->lock);
    while (!call->done && !call->watched) {
        int connecting = 0;
        gint64 since = 0;
        gint64 now = 0;
        gint64 window = g->window_us;
        gint64 aborted_at = 0;
        guint64 acked = 0;
        bool postcopy = false;
        bool hung = false;
        int n = 0;

        g_cond_wait_until(&call->done_cond, &call->lock,
                          g_get_monotonic_time() + GUARD_INTERVAL_US);
        if (call->done || call->watched) {
            break;
        }
        since = call->libvirt_since;
        postcopy = call->postcopy_asked;
        aborted_at = call->abort_asked_at;
        g_mutex_unlock(&call->lock);

        n = drover_tcp_connections(g->qemu_pid, g->address, false, &acked);
        now = g_get_monotonic_time();
        if (n > 0 && (!seen || acked != acked_last)) {
            seen = true;
            acked_last = acked;
            acked_at = now;
        }
        if ((g->abort_at != 0 && now >= g->abort_at) || aborted_at != 0) {
            window = MIN(window, GUARD_WINDOW_PAST_DUE_US);
        }
        /* An aborted job waits for QEMU, and QEMU for a send() or a
         * connect() into the black hole (a target's port down: SYN after
         * SYN for two minutes) though libvirt answers */
        hung = (since != 0 && now - since >= window)
               || (aborted_at != 0 && now - aborted_at >= window);
        /* libvirt connects the stream itself (and hands QEMU the socket):
         * a connect() that gets no answer for the window is the same
         * black hole, before QEMU has a socket to cut */
        connecting =
            (g->libvirtd_pid > 0 && !postcopy)
                ? drover_tcp_connecting(g->libvirtd_pid, g->address, false)
                : 0;
        /* Opening or open; or the guard cannot tell (a socket it cannot
         * read): then no wait for the target */
        if (n != 0 || connecting != 0) {
            g_mutex_lock(&call->lock);
            call->stream_opening = true;
            call->stream_connected = call->stream_connected || n > 0;
            g_mutex_unlock(&call->lock);
        }
        connecting_at = (connecting <= 0)      ? 0
                        : (connecting_at == 0) ? now
                                               : connecting_at;
        if (connecting_at != 0 && now - connecting_at >= window) {
            qb_log(LOG_WARNING,
                   "Migration: libvirtd has been connecting to %s for "
                   "%" G_GINT64_FORMAT " s with no answer (a black hole on "
                   "the network): closing that connection",
                   g->address, (now - connecting_at) / G_USEC_PER_SEC);
            connecting =
                drover_tcp_connecting(g->libvirtd_pid, g->address, true);
            if (connecting < 0) {
                qb_log(LOG_ERR, "Cannot close libvirtd's connection to %s: %s",
                       g->address, g_strerror(-connecting));
            }
            g_mutex_lock(&call->lock);
            call->cut = (connecting > 0);
            call->cut_connecting = call->cut;
            break;
        }
        if (n > 0 && !postcopy && hung && now - acked_at >= window) {
            qb_log(LOG_WARNING,
                   "Migration: %s for %" G_GINT64_FORMAT " s and %s "
                   "acknowledged no byte of the memory stream for "
                   "%" G_GINT64_FORMAT " s (a black hole on the network): "
                   "closing QEMU's %d connection(s) to it",
                   (aborted_at != 0) ? "aborted, not ended"
                                     : "libvirt has not answered",
                   (now - ((aborted_at != 0) ? aborted_at : since))
                       / G_USEC_PER_SEC,
                   g->address, (now - acked_at) / G_USEC_PER_SEC, n);
            n = drover_tcp_connections(g->qemu_pid, g->address, true, NULL);
            if (n < 0) {
                qb_log(LOG_ERR, "Cannot close QEMU's connections to %s: %s",
                       g->address, g_strerror(-n));
            }
            g_mutex_lock(&call->lock);
            call->cut = (n > 0);
            break;
        }
        g_mutex_lock(&call->lock);
    }
    g_mutex_unlock(&call->lock);
    migrate_call_unref(call);
    g_free(g->address);
    g_free(g);
    return NULL;
}

/* This node's libvirt daemon for QEMU: the monolithic libvirtd, or the
 * modular virtqemud; 0 if neither runs */
static pid_t
libvirtd_pid(void)
{
    static const char *const daemons[] = { "libvirtd", "virtqemud" };

    for (guint i = 0; i < G_N_ELEMENTS(daemons); i++) {
        g_autofree char *pidfile = g_strdup_printf("/run/%s.pid", daemons[i]);
        g_autofree char *text = NULL;
        g_autofree char *comm_path = NULL;
        g_autofree char *comm = NULL;
        gint64 pid = 0;

        if (!g_file_get_contents(pidfile, &text, NULL, NULL)
            || !g_ascii_string_to_signed(g_strstrip(text), 10, 2, G_MAXINT32,
                                         &pid, NULL)) {
            continue;
        }
        comm_path = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/comm", pid);
        if (g_file_get_contents(comm_path, &comm, NULL, NULL)
            && strcmp(g_strstrip(comm), daemons[i]) == 0) {
            return (pid_t) pid;
        }
    }
    return 0;
}

static GThread *
guard_start(migrate_call_t *call, const drover_migration_t *m)
{
    guard_t *g = NULL;

    if (m->qemu_pid <= 0 || m->stream_address == NULL) {
        return NULL;
    }
    g = g_new0(guard_t, 1);
    g->call = call;
    g_atomic_int_inc(&call->refs);
    g->qemu_pid = m->qemu_pid;
    g->libvirtd_pid = libvirtd_pid();
    g->address = g_strdup(m->stream_address);
    g->window_us = (m->stall_s > 0) ? m->stall_s * G_USEC_PER_SEC
                                    : GUARD_WINDOW_DEFAULT_US;
    g->abort_at = m->abort_at;
    /* Without libvirtd's sockets a connect() into a firewall looks like a
     * target still preparing, and a tunnelled stream has no socket of its
     * own: the stall counts from the start then */
    call->guarded = g->libvirtd_pid > 0 && !(m->flags & VIR_MIGRATE_TUNNELLED);
    return g_thread_new("drover-guard", guard_thread, g);
}

/* End the guard (it looks at most once more) */
static void
guard_stop(migrate_call_t *call, GThread *guard)
{
    if (guard == NULL) {
        return;
    }
    g_mutex_lock(&call->lock);
    call->watched = true;
    g_cond_broadcast(&call->done_cond);
    g_mutex_unlock(&call->lock);
    g_thread_join(guard);
}

/* Watch the job until the migration call returns, or until a post-copy
 * still running must be left to libvirtd (false) */
static bool
watch_job(migrate_call_t *call, virDomainPtr dom, const drover_migration_t *m,
          drover_migration_result_t *result)
{
    gint64 start = g_get_monotonic_time();
    gint64 last_log = start;
    drover_migwatch_t w;
    bool left = false;

    /* what the domain runs at: the share may have changed since it was set
     * (a migration joined the network), and only a difference is applied */
    drover_migwatch_init(&w, start, call->speed);
    g_mutex_lock(&call->lock);
    while (!call->done) {
        job_progress_t p = { 0 };
        drover_migwatch_action_t a;
        unsigned long old_speed = w.speed;
        gint64 now = 0;
        bool preparing = false;
        bool connected = false;

        g_cond_wait_until(&call->done_cond, &call->lock,
                          g_get_monotonic_time() + POLL_INTERVAL_US);
        if (call->done) {
            break;
        }
        call->libvirt_since = g_get_monotonic_time();
        preparing = call->guarded && !call->stream_opening;
        connected = call->stream_connected;
        g_mutex_unlock(&call->lock);

        read_progress(dom, &p);
        p.sample.target_preparing = preparing;
        /* QEMU holds the connected stream and libvirt has no totals yet:
         * QEMU here still sets the migration up */
        p.sample.source_setting_up =
            connected && p.sample.active && p.total == 0;
        now = g_get_monotonic_time();
        drover_migwatch_step(&w, m, &p.sample, now, &a);
        if (a.what & (DROVER_MIGWATCH_POSTCOPY | DROVER_MIGWATCH_ABORT)) {
            g_mutex_lock(&call->lock);
            /* before: the guard never cuts a post-copy */
            call->postcopy_asked |= (a.what & DROVER_MIGWATCH_POSTCOPY) != 0;
            if ((a.what & DROVER_MIGWATCH_ABORT) && call->abort_asked_at == 0) {
                call->abort_asked_at = now;
            }
            g_mutex_unlock(&call->lock);
        }
        apply(dom, &w, old_speed, &a);
        if (p.sample.active) {
            result->bytes = MAX(result->bytes, p.sample.processed);
            if (m->on_progress != NULL) {
                m->on_progress(m->progress_data, p.sample.processed,
                               p.sample.remaining, p.sample.bps);
            }
            if (now - last_log >= PROGRESS_LOG_INTERVAL_US) {
                qb_log(LOG_INFO,
                       "Migrating to %s: %.0f MiB sent, %.0f of %.0f MiB "
                       "left, %.0f MiB/s%s",
                       m->dest_uri, p.sample.processed / MIB,
                       p.sample.remaining / MIB, p.total / MIB,
                       p.sample.bps / MIB, w.postcopy ? " (post-copy)" : "");
                last_log = now;
            }
        }
        g_mutex_lock(&call->lock);
        call->libvirt_since = 0;
        if (a.what & DROVER_MIGWATCH_LEAVE && !call->done) {
            left = true;
            break;
        }
    }
    g_mutex_unlock(&call->lock);
    result->escalations = w.escalations;
    result->aborted = w.aborted;
    result->stalled = w.stalled;
    result->postcopy = w.postcopy;
    result->postcopy_running = left;
    result->duration_ms = (g_get_monotonic_time() - start) / 1000;
    return !left;
}

/* A migration too short to be sampled: its bytes from the finished job */
static void
completed_bytes(virDomainPtr dom, drover_migration_result_t *result)
{
    virTypedParameterPtr params = NULL;
    int nparams = 0;
    int type = VIR_DOMAIN_JOB_NONE;
    unsigned long long value = 0;

    if (virDomainGetJobStats(dom, &type, &params, &nparams,
                             VIR_DOMAIN_JOB_STATS_COMPLETED)
        < 0) {
        return; /* the domain may be gone from here already */
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_PROCESSED,
                                &value)
            > 0
        && value > result->bytes) {
        result->bytes = value;
    }
    virTypedParamsFree(params, nparams);
}

/* \p dom on a new connection to the same libvirtd */
static int
own_domain(virDomainPtr dom, virConnectPtr *conn, virDomainPtr *own)
{
    unsigned char uuid[VIR_UUID_BUFLEN];
    char *uri = virConnectGetURI(virDomainGetConnect(dom));
    int rc =
        (uri != NULL) ? drover_virt_open(uri, conn) : drover_rc_from_virt(NULL);

    free(uri);
    if (rc != 0) {
        qb_log(LOG_WARNING, "Cannot connect to libvirt for the migration: %s",
               drover_virt_error());
        return rc;
    }
    if (virDomainGetUUID(dom, uuid) < 0
        || (*own = virDomainLookupByUUID(*conn, uuid)) == NULL) {
        rc = drover_rc_from_virt(NULL);
        qb_log(LOG_WARNING, "Cannot look %s up for the migration: %s",
               virDomainGetName(dom), drover_virt_error());
    }
    return rc;
}

int
drover_virt_migrate(virDomainPtr dom, const drover_migration_t *m,
                    drover_migration_result_t *result)
{
    migrate_call_t *call = g_new0(migrate_call_t, 1);
    GThread *thread = NULL;
    GThread *guard = NULL;
    bool call_cut_connecting = false;
    int rc;

    memset(result, 0, sizeof(*result));
    call->refs = 1;
    g_mutex_init(&call->lock);
    g_cond_init(&call->done_cond);
    rc = own_domain(dom, &call->conn, &call->dom);
    if (rc != 0) {
        migrate_call_unref(call);
        return rc;
    }
    call->dest_uri = g_strdup(m->dest_uri);
    call->flags =
        (unsigned int) (m->flags | VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
    if (m->postcopy_after_stall) {
        call->flags |= VIR_MIGRATE_POSTCOPY;
    }
    if (m->parallel_connections > 0) {
        call->flags |= VIR_MIGRATE_PARALLEL;
    }
    if (m->compression != NULL) {
        call->flags |= VIR_MIGRATE_COMPRESSED;
    }
    rc = build_params(m, &call->params, &call->nparams);
    if (rc != 0) {
        migrate_call_unref(call);
        return rc;
    }
    if (m->bandwidth_share != NULL) {
        unsigned long speed = drover_migwatch_shared_speed(m);

        /* libvirt starts the migration at the domain's speed */
        if (set_max_speed(dom, speed) < 0) {
            qb_log(LOG_WARNING, "Cannot set the migration speed: %s",
                   drover_virt_error());
        } else {
            call->speed = speed;
        }
    }
    qb_log(LOG_INFO, "Migrating %s to %s, memory over %s",
           virDomainGetName(dom), m->dest_uri,
           (m->migrate_uri != NULL) ? m->migrate_uri : "default");

    g_atomic_int_inc(&call->refs); /* the thread's */
    thread = g_thread_new("drover-migrate", migrate_thread, call);
    guard = guard_start(call, m);
    if (!watch_job(call, dom, m, result)) {
        /* Post-copy goes on in libvirtd; the thread ends on its own */
        guard_stop(call, guard);
        g_thread_unref(thread);
        migrate_call_unref(call);
        qb_log(LOG_NOTICE,
               "%s runs on %s in post-copy; its memory is still being "
               "copied (%.0f MiB so far)",
               virDomainGetName(dom), m->dest_uri, result->bytes / MIB);
        return 0;
    }
    guard_stop(call, guard);
    g_thread_join(thread);

    rc = call->rc;
    result->black_hole = call->cut;
    call_cut_connecting = call->cut_connecting;
    /* "unable to connect to server at 'ADDRESS:PORT'": libvirt connecting
     * the memory stream, on the network, not to the target's libvirtd */
    result->target_rpc =
        call->rpc_error && !call->cut
        && !(m->listen_address != NULL && call->error != NULL
             && strstr(call->error, m->listen_address) != NULL);
    result->connection_lost = call->connection_lost;
    result->error = g_steal_pointer(&call->error);
    migrate_call_unref(call);
    if (rc == 0) {
        completed_bytes(dom, result);
    }
    if (rc != 0 && result->black_hole) {
        g_free(result->error);
        result->error = g_strdup_printf(
            call_cut_connecting
                ? "a black hole: %s answered no connection; drover closed it"
                : "a black hole: %s acknowledged nothing while libvirt did "
                  "not answer; drover closed the memory stream",
            m->stream_address);
        rc = DROVER_RC_UNREACHABLE;
    } else if (rc != 0 && result->stalled) {
        g_free(result->error);
        result->error = g_strdup_printf("no data moved for %u s", m->stall_s);
        rc = DROVER_RC_UNREACHABLE;
    } else if (rc == 0) {
        qb_log(LOG_INFO, "Migrated %s to %s in %" G_GINT64_FORMAT " ms%s",
               virDomainGetName(dom), m->dest_uri, result->duration_ms,
               result->postcopy ? " (post-copy)" : "");
    } else if (result->aborted && !result->postcopy) {
        rc = DROVER_RC_TIMEOUT;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* QEMU without libvirt                                               */
/* ------------------------------------------------------------------ */

/* The QEMU pid from libvirt's pidfile, if that process is a live QEMU */
bool
drover_virt_qemu_alive(const char *run_dir, const char *name, pid_t *pid)
{
    g_autofree char *pidfile = NULL;
    g_autofree char *text = NULL;
    g_autofree char *proc_stat = NULL;
    g_autofree char *stat = NULL;
    gint64 value = 0;
    const char *state = NULL;

    if (strchr(name, '/') != NULL) {
        return false; /* not a domain name libvirt accepts */
    }
    pidfile = g_strdup_printf("%s/%s.pid", run_dir, name);
    if (!g_file_get_contents(pidfile, &text, NULL, NULL)
        || !g_ascii_string_to_signed(g_strstrip(text), 10, 2, G_MAXINT32,
                                     &value, NULL)) {
        return false;
    }
    proc_stat = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/stat", value);
    if (!g_file_get_contents(proc_stat, &stat, NULL, NULL)) {
        return false;
    }
    /* "pid (comm) S ...": a zombie is gone; another program is not ours */
    state = strrchr(stat, ')');
    if (strstr(stat, "(qemu") == NULL || state == NULL || state[1] == '\0'
        || state[2] == 'Z') {
        return false;
    }
    if (pid != NULL) {
        *pid = (pid_t) value;
    }
    return true;
}

int
drover_virt_kill_qemu(const char *run_dir, const char *name,
                      drover_deadline_t deadline)
{
    pid_t pid = 0;
    gint64 term_until = 0;

    if (!drover_virt_qemu_alive(run_dir, name, &pid)) {
        return DROVER_RC_NOT_RUNNING;
    }
    qb_log(LOG_WARNING, "Killing QEMU of %s (pid %d) without libvirt", name,
           (int) pid);
    kill(pid, SIGTERM);
    term_until = MIN(deadline, g_get_monotonic_time() + 3 * G_USEC_PER_SEC);
    while (drover_virt_qemu_alive(run_dir, name, NULL)) {
        if (g_get_monotonic_time() >= term_until) {
            kill(pid, SIGKILL);
            if (drover_deadline_passed(deadline)) {
                return DROVER_RC_TIMEOUT;
            }
        }
        g_usleep(G_USEC_PER_SEC / 20);
    }
    return 0;
}

char *
drover_virt_expand_node(const char *pattern, const char *target)
{
    g_autoptr(GString) s = g_string_new(pattern);

    g_string_replace(s, "%n", target, 0);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

char *
drover_virt_dest_uri(const char *hypervisor, const char *remoteuri,
                     const char *transport, const char *user,
                     const char *target)
{
    g_autoptr(GUri) local = NULL;
    g_autofree char *scheme = NULL;

    if (remoteuri != NULL) {
        return drover_virt_expand_node(remoteuri, target);
    }
    local = g_uri_parse((hypervisor != NULL) ? hypervisor
                                             : DROVER_DEFAULT_HYPERVISOR,
                        G_URI_FLAGS_NONE, NULL);
    if (local == NULL) {
        return NULL;
    }
    scheme = (transport != NULL)
                 ? g_strdup_printf("%s+%s", g_uri_get_scheme(local), transport)
                 : g_strdup(g_uri_get_scheme(local));
    return g_strdup_printf("%s://%s%s%s%s", scheme, (user != NULL) ? user : "",
                           (user != NULL) ? "@" : "", target,
                           g_uri_get_path(local));
}
