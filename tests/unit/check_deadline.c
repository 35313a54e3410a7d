#include <unistd.h>

#include <drover/deadline.h>
#include <drover/rc.h>

#include "unit.h"

START_TEST(remaining_time)
{
    drover_deadline_t d = drover_deadline_in_ms(5000);
    gint64 left = drover_deadline_remaining_ms(d);

    ck_assert_int_le(left, 5000);
    ck_assert_int_gt(left, 4000);
    ck_assert(!drover_deadline_passed(d));
    d = drover_deadline_in_ms(-10);
    ck_assert_int_eq(drover_deadline_remaining_ms(d), 0);
    ck_assert(drover_deadline_passed(d));
    ck_assert(drover_deadline_in_ms(G_MAXINT64) == DROVER_DEADLINE_NEVER);
    ck_assert(!drover_deadline_passed(DROVER_DEADLINE_NEVER));
}
END_TEST

static int
answer(void *data)
{
    return GPOINTER_TO_INT(data);
}

START_TEST(run_returns_the_result)
{
    ck_assert_int_eq(drover_deadline_run(drover_deadline_in_ms(5000), answer,
                                         GINT_TO_POINTER(42), NULL),
                     42);
    ck_assert_int_eq(drover_deadline_run(DROVER_DEADLINE_NEVER, answer,
                                         GINT_TO_POINTER(7), NULL),
                     7);
}
END_TEST

/* A call that blocks longer than the deadline */
typedef struct {
    GMutex lock;
    GCond cond;
    bool release;
} blocker_t;

static blocker_t blocker;
static volatile int freed = 0;

static int
block(void *data)
{
    (void) data;
    g_mutex_lock(&blocker.lock);
    while (!blocker.release) {
        g_cond_wait(&blocker.cond, &blocker.lock);
    }
    g_mutex_unlock(&blocker.lock);
    return 0;
}

static void
mark_freed(gpointer data)
{
    g_free(data);
    g_atomic_int_set(&freed, 1);
}

START_TEST(run_gives_up_at_the_deadline)
{
    gint64 start = g_get_monotonic_time();
    gint64 elapsed_ms;
    int rc;

    rc = drover_deadline_run(drover_deadline_in_ms(200), block, g_malloc(16),
                             mark_freed);
    elapsed_ms = (g_get_monotonic_time() - start) / 1000;
    ck_assert_int_eq(rc, DROVER_RC_TIMEOUT);
    ck_assert_int_ge(elapsed_ms, 190);
    ck_assert_int_lt(elapsed_ms, 2000);
    ck_assert_int_eq(g_atomic_int_get(&freed), 0);

    /* When the call finally returns, the worker frees the data */
    g_mutex_lock(&blocker.lock);
    blocker.release = true;
    g_cond_signal(&blocker.cond);
    g_mutex_unlock(&blocker.lock);
    for (int i = 0; i < 500 && !g_atomic_int_get(&freed); i++) {
        g_usleep(10000);
    }
    ck_assert_int_eq(g_atomic_int_get(&freed), 1);
}
END_TEST

Suite *
deadline_suite(void)
{
    Suite *s = suite_create("deadline");
    TCase *tc = tcase_create("deadline");

    tcase_add_test(tc, remaining_time);
    tcase_add_test(tc, run_returns_the_result);
    tcase_add_test(tc, run_gives_up_at_the_deadline);
    suite_add_tcase(s, tc);
    return s;
}
