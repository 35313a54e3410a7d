/*
 * The rules of a running migration (see drover/migwatch.h): a pure
 * function of the watcher's memory, one job sample and the time.
 */
#include <drover/migwatch.h>

void
drover_migwatch_init(drover_migwatch_t *w, gint64 now, unsigned long speed)
{
    *w = (drover_migwatch_t){
        .started = now,
        .last_moved = now,
        .last_progress = now,
        .best_remaining = G_MAXUINT64,
        .speed = speed,
    };
}

unsigned long
drover_migwatch_shared_speed(const drover_migration_t *m)
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

/* Bytes per second the migration moves: libvirt's figure, else the
 * average since it started; 0 when nothing is known */
static double
rate(const drover_migwatch_t *w, const drover_job_sample_t *s, gint64 now)
{
    if (s->bps > 0) {
        return (double) s->bps;
    }
    if (now > w->started && w->processed > 0) {
        return (double) w->processed * G_USEC_PER_SEC
               / (double) (now - w->started);
    }
    return 0.0;
}

bool
drover_migwatch_postcopy_fits(const drover_migwatch_t *w,
                              const drover_migration_t *m,
                              const drover_job_sample_t *s, gint64 now)
{
    double bytes_per_s = rate(w, s, now);
    double needed_us = 0.0;

    if (m->finish_by <= 0 || bytes_per_s <= 0.0) {
        return false; /* no deadline to check against, or no rate yet */
    }
    /* Post-copy pulls the pages the guest touches on demand: twice the
     * plain transfer time covers that and a rate that drops a little */
    needed_us = 2.0 * (double) s->remaining / bytes_per_s * G_USEC_PER_SEC;
    return (double) now + needed_us + DROVER_MIGWATCH_POSTCOPY_MARGIN_US
           <= (double) m->finish_by;
}

static void
abort_job(drover_migwatch_t *w, drover_migwatch_action_t *a, const char *why)
{
    a->what |= DROVER_MIGWATCH_ABORT;
    a->why = why;
    w->aborted = true;
}

/* Whether \p s comes nearer the end (drover/migwatch.h) */
static bool
progressed(drover_migwatch_t *w, const drover_job_sample_t *s)
{
    if (s->pass > 1 && s->dirty_bps > 0 && s->bps > 0) {
        return s->dirty_bps <= s->bps / 2;
    }
    if (s->remaining < w->best_remaining) {
        w->best_remaining = s->remaining;
        return true;
    }
    return false;
}

/* No progress for stall_s: the next step */
static void
escalate(drover_migwatch_t *w, const drover_migration_t *m,
         const drover_job_sample_t *s, gint64 now, drover_migwatch_action_t *a)
{
    if (w->step < m->n_downtime_steps) {
        a->what |= DROVER_MIGWATCH_SET_DOWNTIME;
        a->downtime_ms = m->downtime_steps[w->step++];
        a->why = "stalled";
        w->escalations++;
    } else if (m->postcopy_after_stall && !w->postcopy) {
        if (drover_migwatch_postcopy_fits(w, m, s, now)) {
            a->what |= DROVER_MIGWATCH_POSTCOPY;
            a->why = "stalled: switching to post-copy";
            w->postcopy = true;
            w->escalations++;
        } else if (!w->postcopy_refused) {
            /* Post-copy cannot be aborted: started without the time to
             * finish, Pacemaker would kill the agent mid-way and stop the
             * guest on both nodes */
            a->why = "stalled: no post-copy, it would not finish in time";
            w->postcopy_refused = true;
        }
    }
}

void
drover_migwatch_step(drover_migwatch_t *w, const drover_migration_t *m,
                     const drover_job_sample_t *s, gint64 now,
                     drover_migwatch_action_t *a)
{
    gint64 stall_us = (gint64) m->stall_s * G_USEC_PER_SEC;
    unsigned long want = drover_migwatch_shared_speed(m);

    *a = (drover_migwatch_action_t){ 0 };

    if (w->postcopy) {
        /* The guest runs on the target now: nothing may abort it, the
         * outcome there is the truth.  Leave before the operation ends
         * (the migration goes on in libvirtd). */
        if (m->finish_by > 0
            && now >= m->finish_by - DROVER_MIGWATCH_POSTCOPY_MARGIN_US / 2) {
            a->what |= DROVER_MIGWATCH_LEAVE;
            a->why = "post-copy still running at the operation's end";
        }
        if (s->active) {
            w->processed = MAX(w->processed, s->processed);
        }
        return;
    }
    if (!w->aborted && now >= m->abort_at) {
        abort_job(w, a, "not finished in time: aborting");
        return;
    }
    if (m->bandwidth_share != NULL && want != w->speed) {
        a->what |= DROVER_MIGWATCH_SET_SPEED;
        a->speed_mib = want;
        w->speed = want;
    }
    if (!s->active || w->aborted) {
        return;
    }
    if (s->target_preparing || s->source_setting_up) {
        /* A target starting its QEMU slowly, or QEMU here setting up
         * slowly (a loaded node, a libvirtd just restarted), is not a
         * network that moves nothing: abort_at still bounds them */
        w->last_moved = now;
        w->last_progress = now;
        return;
    }
    if (s->processed > w->processed) {
        w->processed = s->processed;
        w->last_moved = now;
    } else if (stall_us > 0 && now - w->last_moved >= stall_us) {
        /* Not one byte moved (or still connecting): the network, not the
         * guest */
        abort_job(w, a, "moves no data: aborting");
        w->stalled = true;
        return;
    }
    if (!w->downtime_set) {
        w->downtime_set = true;
        if (m->downtime_ms > 0) {
            a->what |= DROVER_MIGWATCH_SET_DOWNTIME;
            a->downtime_ms = m->downtime_ms;
        }
    }
    if (progressed(w, s)) {
        w->last_progress = now;
    } else if (stall_us > 0 && now - w->last_progress >= stall_us) {
        /* the step gets stall_s to show: what is left now is the mark */
        escalate(w, m, s, now, a);
        w->last_progress = now;
        w->best_remaining = s->remaining;
    }
}
