/*
 * The rules of a running migration: each scenario is a migration's
 * settings and a series of job samples, with what the rules must decide
 * after each sample.
 */
#include <drover/migwatch.h>

#include "unit.h"

#define S  G_USEC_PER_SEC
#define MB (1024 * 1024)

/* One sample: at t_ms, what libvirt reports; and the expected decision */
typedef struct {
    gint64 t_ms;
    bool active;
    guint64 processed_mb;
    guint64 remaining_mb;
    guint64 bps_mb; /* 0: libvirt gave no rate */
    unsigned int expect;
    guint64 expect_downtime_ms;
    bool preparing;   /* the target has not opened the stream yet */
    guint64 pass;     /* libvirt's memory_iteration; 0: not given */
    guint64 dirty_mb; /* MiB/s the guest dirtied, QEMU's measure; 0: none */
    bool setting_up;  /* the stream is connected, QEMU here sets up */
} sample_row_t;

typedef struct {
    const char *name;
    unsigned int stall_s;
    guint64 downtime_ms;
    guint64 steps[3];
    size_t n_steps;
    bool postcopy_after_stall;
    gint64 abort_at_s;  /* from the start */
    gint64 finish_by_s; /* from the start; 0: none */
    sample_row_t samples[16];
} scenario_t;

#define ABORT    DROVER_MIGWATCH_ABORT
#define DOWNTIME DROVER_MIGWATCH_SET_DOWNTIME
#define POSTCOPY DROVER_MIGWATCH_POSTCOPY
#define LEAVE    DROVER_MIGWATCH_LEAVE
#define END                                                                    \
    {                                                                          \
        -1                                                                     \
    }

static const scenario_t scenarios[] = {
    { .name = "converges: nothing to do",
      .stall_s = 4,
      .abort_at_s = 100,
      .samples = { { 500, true, 10, 90, 20, 0 },
                   { 1000, true, 20, 80, 20, 0 },
                   { 1500, true, 30, 70, 20, 0 },
                   END } },
    { .name = "initial downtime set on the first active sample only",
      .stall_s = 4,
      .downtime_ms = 300,
      .abort_at_s = 100,
      .samples = { { 500, false, 0, 0, 0, 0 },
                   { 1000, true, 10, 90, 20, DOWNTIME, 300 },
                   { 1500, true, 20, 80, 20, 0 },
                   END } },
    { .name = "aborted at abort_at, once",
      .stall_s = 0,
      .abort_at_s = 2,
      .samples = { { 1500, true, 10, 90, 20, 0 },
                   { 2000, true, 20, 80, 20, ABORT },
                   { 2500, true, 30, 70, 20, 0 },
                   END } },
    { .name = "no byte moved for stall_s: aborted (a dead network)",
      .stall_s = 2,
      .abort_at_s = 100,
      .samples = { { 500, true, 5, 95, 0, 0 },
                   { 1000, true, 5, 95, 0, 0 },
                   { 2000, true, 5, 95, 0, 0 },
                   { 2500, true, 5, 95, 0, ABORT },
                   { 3000, true, 5, 95, 0, 0 },
                   END } },
    { .name = "still connecting, nothing sent: aborted after stall_s",
      .stall_s = 2,
      .abort_at_s = 100,
      .samples = { { 500, true, 0, 0, 0, 0 },
                   { 1500, true, 0, 0, 0, 0 },
                   { 2000, true, 0, 0, 0, ABORT },
                   END } },
    { .name = "a target still preparing (its QEMU starts): no stall",
      .stall_s = 2,
      .n_steps = 1,
      .steps = { 100 },
      .abort_at_s = 100,
      .samples = { { 500, true, 0, 0, 0, 0, 0, true },
                   { 3000, true, 0, 0, 0, 0, 0, true },
                   { 6000, true, 0, 0, 0, 0, 0, true },
                   /* the stream opens at 6 s: the clock starts there */
                   { 7000, true, 0, 0, 0, 0 },
                   { 7900, true, 0, 0, 0, 0 },
                   { 8000, true, 0, 0, 0, ABORT },
                   END } },
    { .name = "connected, QEMU here still setting up (a loaded node): no "
              "stall; its first bytes start the clock",
      .stall_s = 2,
      .abort_at_s = 100,
      .samples = { { 500, true, 0, 0, 0, 0, 0, false, 0, 0, true },
                   { 4000, true, 0, 0, 0, 0, 0, false, 0, 0, true },
                   { 9000, true, 0, 0, 0, 0, 0, false, 0, 0, true },
                   /* the first pass begins at 9.5 s */
                   { 9500, true, 4, 96, 0, 0 },
                   { 11000, true, 4, 96, 0, 0 },
                   { 11500, true, 4, 96, 0, ABORT },
                   END } },
    { .name = "setting up past abort_at: aborted",
      .stall_s = 2,
      .abort_at_s = 5,
      .samples = { { 500, true, 0, 0, 0, 0, 0, false, 0, 0, true },
                   { 5000, true, 0, 0, 0, ABORT, 0, false, 0, 0, true },
                   END } },
    { .name = "a target preparing past abort_at: aborted",
      .stall_s = 2,
      .abort_at_s = 5,
      .samples = { { 500, true, 0, 0, 0, 0, 0, true },
                   { 5000, true, 0, 0, 0, ABORT, 0, true },
                   END } },
    { .name = "stall_s 0: never aborted for a stall",
      .stall_s = 0,
      .abort_at_s = 100,
      .samples = { { 500, true, 5, 95, 0, 0 },
                   { 9000, true, 5, 95, 0, 0 },
                   END } },
    { .name = "remaining does not shrink: downtime steps, one per stall",
      .stall_s = 2,
      .n_steps = 2,
      .steps = { 100, 400 },
      .abort_at_s = 100,
      .samples = { { 500, true, 10, 50, 10, 0 },
                   { 1500, true, 20, 50, 10, 0 },
                   { 2500, true, 30, 50, 10, DOWNTIME, 100 },
                   { 3500, true, 40, 50, 10, 0 },
                   { 4500, true, 50, 51, 10, DOWNTIME, 400 },
                   { 6500, true, 60, 51, 10, 0 }, /* steps spent */
                   END } },
    /* Per memory pass: QEMU's dirty rate against the rate sent, from the
     * second pass on (processed grows all along: data moves) */
    { .name = "the network sends over twice what the guest dirties: no "
              "step, though no sample beats the first pass' low (a new low "
              "alone would step at 3.5 s)",
      .stall_s = 2,
      .n_steps = 1,
      .steps = { 100 },
      .abort_at_s = 100,
      .samples = { { 500, true, 10, 90, 20, 0, 0, false, 1, 0 },
                   { 1000, true, 90, 10, 20, 0, 0, false, 1, 0 },
                   { 1500, true, 100, 50, 20, 0, 0, false, 2, 4 },
                   { 2500, true, 110, 40, 20, 0, 0, false, 2, 4 },
                   { 3500, true, 120, 30, 20, 0, 0, false, 3, 4 },
                   { 4500, true, 130, 20, 20, 0, 0, false, 3, 4 },
                   { 5500, true, 140, 15, 20, 0, 0, false, 4, 4 },
                   END } },
    { .name = "a guest dirtying 64 MiB/s at 8 MiB/s: a stall after the first "
              "pass, one step per stall_s",
      .stall_s = 2,
      .n_steps = 2,
      .steps = { 30, 60 },
      .abort_at_s = 100,
      .samples = { { 500, true, 10, 128, 8, 0, 0, false, 1, 0 },
                   { 1500, true, 100, 20, 8, 0, 0, false, 1, 0 },
                   { 2000, true, 110, 96, 8, 0, 0, false, 2, 64 },
                   { 3000, true, 120, 88, 8, 0, 0, false, 2, 64 },
                   { 3500, true, 130, 80, 8, DOWNTIME, 30, false, 2, 64 },
                   { 4500, true, 140, 96, 8, 0, 0, false, 3, 64 },
                   { 5500, true, 150, 90, 8, DOWNTIME, 60, false, 3, 64 },
                   END } },
    { .name = "passes shorter than the samples: a sample's new low is no "
              "progress while the guest dirties more than half of what is "
              "sent",
      .stall_s = 2,
      .n_steps = 1,
      .steps = { 100 },
      .abort_at_s = 100,
      .samples = { { 500, true, 10, 100, 20, 0, 0, false, 1, 0 },
                   { 1000, true, 100, 20, 20, 0, 0, false, 1, 0 },
                   { 1500, true, 110, 3, 20, 0, 0, false, 4, 12 },
                   { 2000, true, 120, 15, 20, 0, 0, false, 8, 12 },
                   { 2500, true, 130, 1, 20, 0, 0, false, 11, 12 },
                   { 3000, true, 140, 8, 20, DOWNTIME, 100, false, 15, 12 },
                   END } },
    { .name = "no dirty rate from libvirt: a new low of remaining counts",
      .stall_s = 2,
      .n_steps = 1,
      .steps = { 100 },
      .abort_at_s = 100,
      .samples = { { 500, true, 10, 90, 20, 0, 0, false, 1, 0 },
                   { 1500, true, 50, 10, 20, 0, 0, false, 1, 0 },
                   { 2000, true, 60, 40, 20, 0, 0, false, 2, 0 },
                   { 3000, true, 70, 30, 20, 0, 0, false, 2, 0 },
                   { 3500, true, 80, 20, 20, DOWNTIME, 100, false, 3, 0 },
                   END } },
    { .name = "post-copy after the steps, when it can finish in time",
      .stall_s = 2,
      .n_steps = 1,
      .steps = { 100 },
      .postcopy_after_stall = true,
      .abort_at_s = 50,
      .finish_by_s = 60,
      /* 50 MiB left at 10 MiB/s: 2 x 5 s + 2 s fits in 60 s */
      .samples = { { 500, true, 10, 50, 10, 0 },
                   { 2500, true, 30, 50, 10, DOWNTIME, 100 },
                   { 4500, true, 50, 50, 10, POSTCOPY },
                   { 5000, true, 55, 45, 10, 0 },
                   END } },
    { .name = "no post-copy when it cannot finish before the deadline",
      .stall_s = 2,
      .postcopy_after_stall = true,
      .abort_at_s = 20,
      .finish_by_s = 22,
      /* 100 MiB left at 10 MiB/s: 2.5 s + 2 x 10 s + 2 s > 22 s */
      .samples = { { 500, true, 10, 100, 10, 0 },
                   { 2500, true, 30, 100, 10, 0 },
                   { 4500, true, 50, 100, 10, 0 },
                   { 19500, true, 200, 100, 10, 0 },
                   { 20000, true, 205, 100, 10, ABORT },
                   END } },
    { .name = "nothing sent (no rate to judge by): aborted, no post-copy",
      .stall_s = 2,
      .postcopy_after_stall = true,
      .abort_at_s = 50,
      .finish_by_s = 60,
      .samples = { { 500, true, 0, 50, 0, 0 },
                   { 1000, true, 0, 50, 0, 0 },
                   { 2500, true, 0, 50, 0, ABORT }, /* and nothing moved */
                   END } },
    { .name = "no post-copy without a deadline (finish_by 0)",
      .stall_s = 2,
      .postcopy_after_stall = true,
      .abort_at_s = 50,
      .samples = { { 500, true, 10, 50, 10, 0 },
                   { 2500, true, 30, 50, 10, 0 },
                   { 4500, true, 50, 50, 10, 0 },
                   END } },
    { .name = "in post-copy: never aborted, left at the operation's end",
      .stall_s = 2,
      .postcopy_after_stall = true,
      .abort_at_s = 8,
      .finish_by_s = 12,
      /* 10 MiB left at 10 MiB/s: 2 x 1 s + 2 s fits in 12 s */
      .samples = { { 500, true, 10, 10, 10, 0 },
                   { 2500, true, 20, 10, 10, POSTCOPY },
                   { 5000, true, 20, 10, 10, 0 }, /* no stall abort */
                   { 8000, true, 20, 10, 10, 0 }, /* no abort_at */
                   { 10900, true, 21, 9, 10, 0 },
                   { 11000, true, 21, 9, 10, LEAVE },
                   END } },
};

static void
run_scenario(const scenario_t *sc)
{
    gint64 start = 1000 * S;
    drover_migration_t m = {
        .downtime_ms = sc->downtime_ms,
        .downtime_steps = sc->steps,
        .n_downtime_steps = sc->n_steps,
        .postcopy_after_stall = sc->postcopy_after_stall,
        .stall_s = sc->stall_s,
        .abort_at = start + sc->abort_at_s * S,
        .finish_by = (sc->finish_by_s > 0) ? start + sc->finish_by_s * S : 0,
    };
    drover_migwatch_t w;

    drover_migwatch_init(&w, start, 0);
    for (const sample_row_t *r = sc->samples; r->t_ms >= 0; r++) {
        drover_job_sample_t s = {
            .active = r->active,
            .processed = r->processed_mb * MB,
            .remaining = r->remaining_mb * MB,
            .bps = r->bps_mb * MB,
            .target_preparing = r->preparing,
            .source_setting_up = r->setting_up,
            .pass = r->pass,
            .dirty_bps = r->dirty_mb * MB,
        };
        drover_migwatch_action_t a;

        drover_migwatch_step(&w, &m, &s, start + r->t_ms * 1000, &a);
        ck_assert_msg(a.what == r->expect,
                      "%s: at %" G_GINT64_FORMAT " ms: actions 0x%x, "
                      "expected 0x%x (%s)",
                      sc->name, r->t_ms, a.what, r->expect,
                      (a.why != NULL) ? a.why : "no reason");
        if (r->expect & DROVER_MIGWATCH_SET_DOWNTIME) {
            ck_assert_msg(a.downtime_ms == r->expect_downtime_ms,
                          "%s: at %" G_GINT64_FORMAT
                          " ms: downtime %" G_GUINT64_FORMAT,
                          sc->name, r->t_ms, a.downtime_ms);
        }
    }
}

START_TEST(rules)
{
    run_scenario(&scenarios[_i]);
}
END_TEST

/* The switch is refused once, said once */
START_TEST(postcopy_refusal_is_said_once)
{
    gint64 start = 0;
    drover_migration_t m = {
        .postcopy_after_stall = true,
        .stall_s = 1,
        .abort_at = 100 * S,
        .finish_by = 5 * S,
    };
    drover_job_sample_t s = { .active = true,
                              .remaining = 100 * MB,
                              .bps = 1 * MB };
    drover_migwatch_t w;
    drover_migwatch_action_t a;
    int said = 0;

    drover_migwatch_init(&w, start, 0);
    for (gint64 t = 0; t < 4 * S; t += S / 2) {
        s.processed += MB;
        drover_migwatch_step(&w, &m, &s, t, &a);
        ck_assert_uint_eq(a.what & DROVER_MIGWATCH_POSTCOPY, 0);
        said += (a.why != NULL);
    }
    ck_assert_int_eq(said, 1);
    ck_assert(w.postcopy_refused);
    ck_assert(!w.postcopy);
}
END_TEST

START_TEST(shared_speed)
{
    gint share = 0;
    drover_migration_t m = { .bandwidth_mib = 0, .bandwidth_share = &share };

    ck_assert_uint_eq(drover_migwatch_shared_speed(&m), 0);
    share = 30;
    ck_assert_uint_eq(drover_migwatch_shared_speed(&m), 30);
    m.bandwidth_mib = 20;
    ck_assert_uint_eq(drover_migwatch_shared_speed(&m), 20);
    share = 0;
    ck_assert_uint_eq(drover_migwatch_shared_speed(&m), 20);
}
END_TEST

/* A share that changes is applied once, not on every sample */
START_TEST(speed_follows_the_share)
{
    gint share = 30;
    drover_migration_t m = { .bandwidth_share = &share, .abort_at = 100 * S };
    drover_job_sample_t s = { .active = true, .remaining = 100 * MB };
    drover_migwatch_t w;
    drover_migwatch_action_t a;

    drover_migwatch_init(&w, 0, 30);
    s.processed = MB;
    drover_migwatch_step(&w, &m, &s, S / 2, &a);
    ck_assert_uint_eq(a.what, 0);
    share = 15;
    s.processed = 2 * MB;
    drover_migwatch_step(&w, &m, &s, S, &a);
    ck_assert_uint_eq(a.what, DROVER_MIGWATCH_SET_SPEED);
    ck_assert_uint_eq(a.speed_mib, 15);
    s.processed = 3 * MB;
    drover_migwatch_step(&w, &m, &s, 3 * S / 2, &a);
    ck_assert_uint_eq(a.what, 0);
}
END_TEST

Suite *
migwatch_suite(void)
{
    Suite *s = suite_create("migwatch");
    TCase *tc = tcase_create("rules");

    tcase_add_loop_test(tc, rules, 0, G_N_ELEMENTS(scenarios));
    tcase_add_test(tc, postcopy_refusal_is_said_once);
    tcase_add_test(tc, shared_speed);
    tcase_add_test(tc, speed_follows_the_share);
    suite_add_tcase(s, tc);
    return s;
}
