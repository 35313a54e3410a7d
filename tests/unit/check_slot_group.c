/*
 * The slot group's Corosync side against a Corosync that answers, then
 * stops (tests/unit/fake_corosync.c, SIGSTOPped): leaving is bounded.
 */
#include <signal.h>

#include <drover/rc.h>
#include <drover/slot_group.h>

#include "unit.h"

/* Joined to a fake Corosync that stops answering after \p answering_ms:
 * the dispatch thread then waits in quorum_getquorate(), which it calls
 * every tick, for ever */
static drover_slot_group_t *
join_then_stop(unit_corosync_t *c, gint64 answering_ms)
{
    drover_slot_group_t *group = NULL;

    unit_corosync_enter(c);
    ck_assert_int_eq(
        drover_slot_group_join(NULL, drover_deadline_in_ms(3000), &group), 0);
    g_usleep(answering_ms * 1000);
    if (answering_ms > 0) {
        ck_assert_int_eq(kill(c->pid, SIGSTOP), 0);
        g_usleep(500 * 1000); /* a tick or two: the question is asked */
    }
    return group;
}

/* The thread left behind gets an error once Corosync is gone, and frees
 * the group (valgrind) */
static void
finish(unit_corosync_t *c)
{
    unit_corosync_leave(c);
    unit_corosync_stop(c);
    g_usleep(300 * 1000);
}

START_TEST(leave)
{
    unit_corosync_t *c = unit_corosync_start();
    drover_slot_group_t *group = NULL;
    gint64 started;

    if (c == NULL) {
        return;
    }
    group = join_then_stop(c, 0);
    started = g_get_monotonic_time();
    ck_assert_int_eq(
        drover_slot_group_leave_by(group, drover_deadline_in_ms(3000)), 0);
    ck_assert_int_lt(g_get_monotonic_time() - started, G_USEC_PER_SEC);
    finish(c);
}
END_TEST

/* Leaving a stopped Corosync takes the deadline, not for ever */
START_TEST(leave_when_corosync_stops)
{
    unit_corosync_t *c = unit_corosync_start();
    drover_slot_group_t *group = NULL;
    gint64 started;
    gint64 took_ms;

    if (c == NULL) {
        return;
    }
    group = join_then_stop(c, 300);
    started = g_get_monotonic_time();
    ck_assert_int_eq(
        drover_slot_group_leave_by(group, drover_deadline_in_ms(500)),
        DROVER_RC_TIMEOUT);
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_ge(took_ms, 500);
    ck_assert_int_lt(took_ms, 1500);
    finish(c);
}
END_TEST

/* The cleanup of a g_autoptr too (the VM agent's, after a migration) */
START_TEST(autoptr_leave_when_corosync_stops)
{
    unit_corosync_t *c = unit_corosync_start();
    gint64 started;

    if (c == NULL) {
        return;
    }
    {
        g_autoptr(drover_slot_group_t) group = join_then_stop(c, 300);

        started = g_get_monotonic_time();
    }
    ck_assert_int_lt(g_get_monotonic_time() - started, 3 * G_USEC_PER_SEC);
    finish(c);
}
END_TEST

Suite *
slot_group_suite(void)
{
    Suite *s = suite_create("slot_group");
    TCase *tc = tcase_create("slot_group");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, leave);
    tcase_add_test(tc, leave_when_corosync_stops);
    tcase_add_test(tc, autoptr_leave_when_corosync_stops);
    suite_add_tcase(s, tc);
    return s;
}
