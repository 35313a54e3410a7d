/*
 * Runs every unit suite; check prints the totals.
 */
#include <stdlib.h>

#include "unit.h"

const char *
unit_env(const char *name)
{
    const char *value = getenv(name);

    ck_assert_msg(value != NULL, "%s is not set (run 'make check-unit')", name);
    return value;
}

char *
unit_data_path(const char *name)
{
    g_autofree char *dir =
        g_canonicalize_filename(unit_env("DROVER_TEST_DATA"), NULL);

    return g_build_filename(dir, name, NULL);
}

int
main(void)
{
    SRunner *runner = srunner_create(rc_suite());
    int failed;

    srunner_add_suite(runner, deadline_suite());
    srunner_add_suite(runner, spawn_suite());
    srunner_add_suite(runner, log_suite());
    srunner_add_suite(runner, ocf_suite());
    srunner_add_suite(runner, cib_suite());
    srunner_add_suite(runner, output_suite());
    srunner_add_suite(runner, netsel_suite());
    srunner_add_suite(runner, record_suite());
    srunner_add_suite(runner, slots_suite());
    srunner_add_suite(runner, drain_suite());
    srunner_add_suite(runner, probe_suite());
    srunner_add_suite(runner, config_suite());
    srunner_add_suite(runner, health_suite());
    srunner_add_suite(runner, migwatch_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return (failed == 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
