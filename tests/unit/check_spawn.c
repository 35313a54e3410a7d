/*
 * Running a program with a deadline: output, status, argv words, a kill
 * at the deadline, a program that does not die of it, variables taken out
 * of its environment.
 */
#include <drover/rc.h>
#include <drover/spawn.h>

#include "unit.h"

START_TEST(collects_output_and_status)
{
    const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = -1;

    ck_assert_int_eq(
        drover_spawn(argv, drover_deadline_in_ms(5000), &out, &err, &status),
        0);
    ck_assert_int_eq(status, 3);
    ck_assert_str_eq(out, "out\n");
    ck_assert_str_eq(err, "err\n");
}
END_TEST

START_TEST(arguments_are_not_shell_words)
{
    const char *argv[] = { "printf", "%s|", "a b", "$(id)", ";true", NULL };
    g_autofree char *out = NULL;
    int status = -1;

    ck_assert_int_eq(
        drover_spawn(argv, drover_deadline_in_ms(5000), &out, NULL, &status),
        0);
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out, "a b|$(id)|;true|");
}
END_TEST

START_TEST(killed_at_the_deadline)
{
    const char *argv[] = { "sleep", "30", NULL };
    gint64 start = g_get_monotonic_time();
    int status = 0;

    ck_assert_int_eq(
        drover_spawn(argv, drover_deadline_in_ms(300), NULL, NULL, &status),
        DROVER_RC_TIMEOUT);
    ck_assert_int_eq(status, -1);
    ck_assert_int_lt((g_get_monotonic_time() - start) / 1000, 3000);
}
END_TEST

/* A program killed while it waits on a file system that does not answer
 * sleeps on uninterruptibly (state D) and does not die: it is left behind,
 * not waited for */
START_TEST(unkillable_left_behind)
{
    unit_hang_fs_t *fs = unit_hang_fs_start();
    const char *argv[] = { "cat", NULL, NULL };
    gint64 start = g_get_monotonic_time();
    gint64 took_ms;
    int status = 0;

    if (fs == NULL) {
        return;
    }
    argv[1] = fs->path;
    ck_assert_int_eq(
        drover_spawn(argv, drover_deadline_in_ms(300), NULL, NULL, &status),
        DROVER_RC_TIMEOUT);
    took_ms = (g_get_monotonic_time() - start) / 1000;
    ck_assert_int_eq(status, -1);
    ck_assert_int_ge(took_ms, 300 + 500); /* it was given a moment to die */
    ck_assert_int_lt(took_ms, 300 + 500 + 1000);
    unit_hang_fs_stop(fs); /* now it dies, and GLib reaps it */
}
END_TEST

START_TEST(missing_program)
{
    const char *argv[] = { "drover-no-such-program", NULL };
    int status = 0;

    ck_assert_int_eq(
        drover_spawn(argv, drover_deadline_in_ms(1000), NULL, NULL, &status),
        DROVER_RC_INSTALLED);
}
END_TEST

START_TEST(variables_unset)
{
    const char *argv[] = { "sh", "-c", "echo \"${DROVER_A-unset} ${DROVER_B}\"",
                           NULL };
    const char *unset[] = { "DROVER_A", NULL };
    g_autofree char *out = NULL;
    int status = -1;

    g_setenv("DROVER_A", "a", TRUE);
    g_setenv("DROVER_B", "b", TRUE);
    ck_assert_int_eq(drover_spawn_env(argv, unset, drover_deadline_in_ms(5000),
                                      &out, NULL, &status),
                     0);
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out, "unset b\n");
    ck_assert_str_eq(g_getenv("DROVER_A"), "a"); /* ours, untouched */
    g_unsetenv("DROVER_A");
    g_unsetenv("DROVER_B");
}
END_TEST

Suite *
spawn_suite(void)
{
    Suite *s = suite_create("spawn");
    TCase *tc = tcase_create("spawn");

    tcase_add_test(tc, collects_output_and_status);
    tcase_add_test(tc, arguments_are_not_shell_words);
    tcase_add_test(tc, killed_at_the_deadline);
    tcase_add_test(tc, unkillable_left_behind);
    tcase_add_test(tc, missing_program);
    tcase_add_test(tc, variables_unset);
    suite_add_tcase(s, tc);
    return s;
}
