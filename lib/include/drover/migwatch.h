/*
 * The rules of a running migration, as a pure function.
 *
 * lib/virt.c samples libvirt's job statistics about twice a second and asks
 * drover_migwatch_step() what to do; the step decides (abort at the
 * deadline, abort when no data moves, set the allowed downtime, step it up
 * on a stall, switch to post-copy, follow the network's speed share, stop
 * watching a post-copy that runs on) and the loop only applies.  Every rule
 * has a table test (tests/unit/check_migwatch.c).
 *
 * A stall is judged per memory pass.  The remaining bytes fall within a
 * pass and jump at the next (what the guest dirtied meanwhile), and a
 * sample lands anywhere in a pass (passes can be shorter than the 0.5 s
 * between samples), so neither a new low nor the remaining bytes at a
 * pass' first sample tell whether the passes shrink.  QEMU measures, at
 * each pass, the rate the guest dirtied memory during it: from the second
 * pass on, the migration progresses while the network sends at least
 * twice that rate (QEMU's auto-converge draws the same line), and a
 * guest dirtying more than half of what is sent is a stall, however low
 * a sample of the remaining bytes happens to be.  During the first pass
 * (all memory once), or when libvirt gives no pass, rate or dirty rate, a
 * new low of the remaining bytes counts.  A migration whose passes shrink
 * by less than half is taken as stalled: it gets the next downtime step
 * early, and post-copy if the admin allowed it (postcopy=after-stall);
 * judging the other way would let a migration that does not converge run
 * into the deadline's abort, a failed migrate_to that Pacemaker recovers
 * by restarting the VM.
 */
#ifndef DROVER_MIGWATCH__H
#define DROVER_MIGWATCH__H

#include <stdbool.h>

#include <glib.h>

#include <drover/virt.h>

/* One sample of libvirt's job statistics */
typedef struct {
    bool active;       /* a job runs */
    guint64 processed; /* bytes sent so far */
    guint64 remaining; /* bytes still to send */
    guint64 bps;       /* libvirt's measured memory rate, 0: unknown */
    guint64 pass;      /* the memory pass (libvirt's memory_iteration, QEMU's
                          dirty-sync-count): 1 sends all memory, each next
                          one what the guest dirtied meanwhile; 0: unknown */
    guint64 dirty_bps; /* the rate the guest dirtied memory, as QEMU measured
                          it at the last pass (bytes/s); 0: unknown */
    /* The memory stream is not open yet and nothing tries to open it: the
     * target still prepares (starts its QEMU), the network is not in
     * question and no stall is counted */
    bool target_preparing;
    /* The stream is connected (the network answered) and QEMU here has
     * not begun its first pass (libvirt gives no totals yet): slow to set
     * up on a loaded node, not a network that moves nothing; no stall is
     * counted either */
    bool source_setting_up;
} drover_job_sample_t;

/* What the watcher remembers between samples */
typedef struct {
    gint64 started;       /* monotonic µs */
    gint64 last_moved;    /* last sample in which processed grew */
    gint64 last_progress; /* last sample in which remaining shrank */
    guint64 processed;
    guint64 best_remaining; /* the lowest remaining (first pass, no rates) */
    size_t step;            /* next of downtime_steps */
    unsigned long speed;    /* MiB/s the domain runs at (0: unlimited) */
    unsigned int escalations;
    bool downtime_set;
    bool aborted;
    bool stalled;          /* aborted because no data moved */
    bool postcopy;         /* switched to post-copy */
    bool postcopy_refused; /* a stall when post-copy could not finish */
} drover_migwatch_t;

/* What to do after a sample (bits of drover_migwatch_action_t.what) */
enum {
    DROVER_MIGWATCH_SET_SPEED = 1 << 0,    /* to speed_mib */
    DROVER_MIGWATCH_SET_DOWNTIME = 1 << 1, /* to downtime_ms */
    DROVER_MIGWATCH_POSTCOPY = 1 << 2,     /* switch to post-copy */
    DROVER_MIGWATCH_ABORT = 1 << 3,        /* abort the job */
    DROVER_MIGWATCH_LEAVE = 1 << 4,        /* stop watching: post-copy runs
                                              on and the time is up */
};

typedef struct {
    unsigned int what;
    guint64 downtime_ms;
    unsigned long speed_mib;
    const char *why; /* for the log; static text */
} drover_migwatch_action_t;

/* Margin a post-copy must have left when it should finish (µs) */
#define DROVER_MIGWATCH_POSTCOPY_MARGIN_US (2 * G_USEC_PER_SEC)

/*!
 * \brief Start watching a migration that began at \p now at \p speed MiB/s
 */
void drover_migwatch_init(drover_migwatch_t *w, gint64 now,
                          unsigned long speed);

/*!
 * \brief The speed for the network's current share of its budget (the
 *        lower of the share and the VM's own limit; 0: unlimited)
 */
unsigned long drover_migwatch_shared_speed(const drover_migration_t *m);

/*!
 * \brief Decide what to do after one sample \p s taken at \p now
 *
 * Updates \p w as if every action succeeds; the caller undoes what failed
 * (e.g. w->postcopy = false when libvirt refused the switch).
 */
void drover_migwatch_step(drover_migwatch_t *w, const drover_migration_t *m,
                          const drover_job_sample_t *s, gint64 now,
                          drover_migwatch_action_t *a);

/*!
 * \brief Whether what is left of a migration can be sent by post-copy
 *        before \p m->finish_by: twice the time remaining ÷ rate, plus
 *        DROVER_MIGWATCH_POSTCOPY_MARGIN_US
 */
bool drover_migwatch_postcopy_fits(const drover_migwatch_t *w,
                                   const drover_migration_t *m,
                                   const drover_job_sample_t *s, gint64 now);

#endif /* DROVER_MIGWATCH__H */
