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

#include <drover/rc.h>
#include <drover/virt.h>

#define KEEPALIVE_INTERVAL_S     1
#define KEEPALIVE_COUNT          5
#define PROGRESS_LOG_INTERVAL_US (3 * G_USEC_PER_SEC)
#define POLL_INTERVAL_US         (500 * G_TIME_SPAN_MILLISECOND)

static const char *state_names[] = {
    [DROVER_VM_ABSENT] = "absent",
    [DROVER_VM_SHUTOFF] = "shut off",
    [DROVER_VM_RUNNING] = "running",
    [DROVER_VM_PAUSED] = "paused",
    [DROVER_VM_PAUSED_BROKEN] = "paused by a failure",
    [DROVER_VM_INCOMING] = "incoming migration",
    [DROVER_VM_CRASHED] = "crashed",
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
        case VIR_DOMAIN_PAUSED_MIGRATION:
        case VIR_DOMAIN_PAUSED_POSTCOPY:
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
                         ? DROVER_VM_PAUSED_BROKEN
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

void
drover_migration_result_clear(drover_migration_result_t *result)
{
    g_clear_pointer(&result->error, g_free);
}

/* The blocking migration call runs in its own thread; this is its state */
typedef struct {
    virDomainPtr dom;
    const char *dest_uri;
    virTypedParameterPtr params;
    int nparams;
    unsigned int flags;
    GMutex lock;
    GCond done_cond;
    bool done;
    int rc;
    char *error;
    unsigned long speed; /* MiB/s the domain was set to before the start */
} migrate_call_t;

static gpointer
migrate_thread(gpointer data)
{
    migrate_call_t *call = data;
    int rc = 0;
    char *error = NULL;

    if (virDomainMigrateToURI3(call->dom, call->dest_uri, call->params,
                               call->nparams, call->flags)
        < 0) {
        rc = drover_rc_from_virt(NULL);
        error = g_strdup(drover_virt_error()); /* thread-local in libvirt */
    }
    g_mutex_lock(&call->lock);
    call->rc = rc;
    call->error = error;
    call->done = true;
    g_cond_signal(&call->done_cond);
    g_mutex_unlock(&call->lock);
    return NULL;
}

/* The speed for the network's current share of its budget (the lower of
 * the share and the VM's own limit) */
static unsigned long
shared_speed(const drover_migration_t *m)
{
    unsigned long share =
        (m->bandwidth_share != NULL)
            ? (unsigned long) g_atomic_int_get(m->bandwidth_share)
            : 0;

    if (share == 0) {
        return m->bandwidth_mib;
    }
    return (m->bandwidth_mib > 0) ? MIN(share, m->bandwidth_mib) : share;
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
    return 0;
}

typedef struct {
    guint64 processed;
    guint64 remaining;
    guint64 total;
    guint64 bps;
    bool active;
} job_progress_t;

static void
read_progress(virDomainPtr dom, job_progress_t *p)
{
    virTypedParameterPtr params = NULL;
    int nparams = 0;
    int type = VIR_DOMAIN_JOB_NONE;
    unsigned long long value = 0;

    p->active = false;
    if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0) {
        return;
    }
    p->active = (type != VIR_DOMAIN_JOB_NONE);
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_PROCESSED,
                                &value)
        > 0) {
        p->processed = value;
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_REMAINING,
                                &value)
        > 0) {
        p->remaining = value;
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_DATA_TOTAL,
                                &value)
        > 0) {
        p->total = value;
    }
    if (virTypedParamsGetULLong(params, nparams, VIR_DOMAIN_JOB_MEMORY_BPS,
                                &value)
        > 0) {
        p->bps = value;
    }
    virTypedParamsFree(params, nparams);
}

/* One step after a stall: next allowed downtime, then post-copy */
static bool
escalate(virDomainPtr dom, const drover_migration_t *m, size_t *step,
         drover_migration_result_t *result)
{
    if (*step < m->n_downtime_steps) {
        guint64 downtime = m->downtime_steps[(*step)++];

        qb_log(LOG_NOTICE,
               "Migration stalled: allowing %" G_GUINT64_FORMAT
               " ms of downtime",
               downtime);
        if (virDomainMigrateSetMaxDowntime(dom, downtime, 0) < 0) {
            qb_log(LOG_WARNING, "Cannot raise the allowed downtime: %s",
                   drover_virt_error());
        }
        result->escalations++;
        return true;
    }
    if (m->postcopy_after_stall && !result->postcopy) {
        qb_log(LOG_NOTICE, "Migration stalled: switching to post-copy");
        if (virDomainMigrateStartPostCopy(dom, 0) < 0) {
            qb_log(LOG_WARNING, "Cannot switch to post-copy: %s",
                   drover_virt_error());
        } else {
            result->postcopy = true;
        }
        result->escalations++;
        return true;
    }
    return false;
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

/* Keep the migration at the network's current share (\p speed: what was
 * set last) */
static void
apply_share(virDomainPtr dom, const drover_migration_t *m, unsigned long *speed)
{
    unsigned long want = shared_speed(m);

    if (want == *speed) {
        return;
    }
    if (set_max_speed(dom, want) < 0) {
        qb_log(LOG_WARNING, "Cannot set the migration speed to %lu MiB/s: %s",
               want, drover_virt_error());
        return;
    }
    qb_log(LOG_INFO, "Migration speed %lu MiB/s (the network's share)", want);
    *speed = want;
}

/* Watch the job until the migration call returns */
static void
watch_job(migrate_call_t *call, const drover_migration_t *m,
          drover_migration_result_t *result)
{
    gint64 start = g_get_monotonic_time();
    gint64 last_log = start;
    gint64 last_progress = start;
    gint64 last_moved = start;
    guint64 processed = 0;
    guint64 best_remaining = G_MAXUINT64;
    bool downtime_set = (m->downtime_ms == 0);
    size_t step = 0;
    /* what the domain runs at: the share may have changed since it was set
     * (a migration joined the network), and only a difference is applied */
    unsigned long speed = call->speed;

    g_mutex_lock(&call->lock);
    while (!call->done) {
        job_progress_t p = { 0 };
        gint64 now = 0;

        g_cond_wait_until(&call->done_cond, &call->lock,
                          g_get_monotonic_time() + POLL_INTERVAL_US);
        if (call->done) {
            break;
        }
        g_mutex_unlock(&call->lock);

        now = g_get_monotonic_time();
        if (!result->aborted && now >= m->abort_at) {
            qb_log(LOG_WARNING, "Migration not finished in time: aborting");
            if (virDomainAbortJob(call->dom) < 0) {
                qb_log(LOG_ERR, "Cannot abort the migration: %s",
                       drover_virt_error());
            }
            result->aborted = true;
        }
        if (m->bandwidth_share != NULL) {
            apply_share(call->dom, m, &speed);
        }
        read_progress(call->dom, &p);
        if (p.active && p.processed > processed) {
            processed = p.processed;
            last_moved = now;
        } else if (p.active && m->stall_s > 0 && !result->aborted
                   && now - last_moved
                          >= (gint64) m->stall_s * G_USEC_PER_SEC) {
            /* Not one byte moved: the network, not the guest */
            qb_log(LOG_WARNING, "No data moved for %u s: aborting", m->stall_s);
            if (virDomainAbortJob(call->dom) < 0) {
                qb_log(LOG_ERR, "Cannot abort the migration: %s",
                       drover_virt_error());
            }
            result->aborted = true;
            result->stalled = true;
        }
        if (p.active) {
            result->bytes = p.processed;
            if (!downtime_set) {
                downtime_set = true;
                if (virDomainMigrateSetMaxDowntime(call->dom, m->downtime_ms, 0)
                    < 0) {
                    qb_log(LOG_WARNING, "Cannot set the allowed downtime: %s",
                           drover_virt_error());
                }
            }
            if (p.remaining < best_remaining) {
                best_remaining = p.remaining;
                last_progress = now;
            } else if (m->stall_s > 0 && !result->aborted
                       && now - last_progress
                              >= (gint64) m->stall_s * G_USEC_PER_SEC) {
                escalate(call->dom, m, &step, result);
                last_progress = now;
                best_remaining = p.remaining;
            }
            if (m->on_progress != NULL) {
                m->on_progress(m->progress_data, p.processed, p.remaining,
                               p.bps);
            }
            if (now - last_log >= PROGRESS_LOG_INTERVAL_US) {
                qb_log(LOG_INFO,
                       "Migrating to %s: %.0f MiB sent, %.0f of %.0f MiB "
                       "left, %.0f MiB/s",
                       m->dest_uri, p.processed / MIB, p.remaining / MIB,
                       p.total / MIB, p.bps / MIB);
                last_log = now;
            }
        }
        g_mutex_lock(&call->lock);
    }
    g_mutex_unlock(&call->lock);
    result->duration_ms = (g_get_monotonic_time() - start) / 1000;
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

int
drover_virt_migrate(virDomainPtr dom, const drover_migration_t *m,
                    drover_migration_result_t *result)
{
    migrate_call_t call = {
        .dom = dom,
        .dest_uri = m->dest_uri,
        .flags = (unsigned int) (m->flags | VIR_MIGRATE_LIVE
                                 | VIR_MIGRATE_PEER2PEER),
    };
    GThread *thread = NULL;
    int rc;

    memset(result, 0, sizeof(*result));
    if (m->postcopy_after_stall) {
        call.flags |= VIR_MIGRATE_POSTCOPY;
    }
    if (m->parallel_connections > 0) {
        call.flags |= VIR_MIGRATE_PARALLEL;
    }
    if (m->compression != NULL) {
        call.flags |= VIR_MIGRATE_COMPRESSED;
    }
    rc = build_params(m, &call.params, &call.nparams);
    if (rc != 0) {
        virTypedParamsFree(call.params, call.nparams);
        return rc;
    }
    if (m->bandwidth_share != NULL) {
        unsigned long speed = shared_speed(m);

        /* libvirt starts the migration at the domain's speed */
        if (set_max_speed(dom, speed) < 0) {
            qb_log(LOG_WARNING, "Cannot set the migration speed: %s",
                   drover_virt_error());
        } else {
            call.speed = speed;
        }
    }
    qb_log(LOG_INFO, "Migrating %s to %s, memory over %s",
           virDomainGetName(dom), m->dest_uri,
           (m->migrate_uri != NULL) ? m->migrate_uri : "default");

    g_mutex_init(&call.lock);
    g_cond_init(&call.done_cond);
    thread = g_thread_new("drover-migrate", migrate_thread, &call);
    watch_job(&call, m, result);
    g_thread_join(thread);

    rc = call.rc;
    result->error = call.error;
    if (rc == 0) {
        completed_bytes(dom, result);
    }
    if (rc != 0 && result->stalled) {
        g_free(result->error);
        result->error = g_strdup_printf("no data moved for %u s", m->stall_s);
        rc = DROVER_RC_UNREACHABLE;
    } else if (rc == 0) {
        qb_log(LOG_INFO, "Migrated %s to %s in %" G_GINT64_FORMAT " ms",
               virDomainGetName(dom), m->dest_uri, result->duration_ms);
    } else if (result->aborted) {
        rc = DROVER_RC_TIMEOUT;
    }
    g_mutex_clear(&call.lock);
    g_cond_clear(&call.done_cond);
    virTypedParamsFree(call.params, call.nparams);
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
