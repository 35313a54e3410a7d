#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <drover/log.h>

#include "unit.h"

static char *
log_to_file(const char *debug)
{
    g_autofree char *dir = g_dir_make_tmp("drover-log-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "agent.log", NULL);
    char *contents = NULL;

    g_setenv("HA_LOGFILE", path, TRUE);
    g_unsetenv("HA_LOGFACILITY");
    if (debug != NULL) {
        g_setenv("HA_debug", debug, TRUE);
    } else {
        g_unsetenv("HA_debug");
    }
    drover_log_init("TestAgent(r1)", DROVER_LOG_AGENT);
    qb_log(LOG_INFO, "an info message");
    qb_log(LOG_DEBUG, "a debug message");
    drover_log_fini();
    ck_assert(g_file_get_contents(path, &contents, NULL, NULL));
    g_unlink(path);
    g_rmdir(dir);
    return contents;
}

START_TEST(agent_logs_to_ha_logfile)
{
    g_autofree char *contents = log_to_file(NULL);

    ck_assert_ptr_nonnull(strstr(contents, "TestAgent(r1)"));
    ck_assert_ptr_nonnull(strstr(contents, "an info message"));
    ck_assert_ptr_null(strstr(contents, "a debug message"));
}
END_TEST

START_TEST(ha_debug_adds_debug_messages)
{
    g_autofree char *contents = log_to_file("1");

    ck_assert_ptr_nonnull(strstr(contents, "a debug message"));
}
END_TEST

/* pacemakerd exports PCMK_debug=0 to every agent */
START_TEST(pcmk_debug_zero_is_off)
{
    g_autofree char *contents = NULL;

    g_setenv("PCMK_debug", "0", TRUE);
    contents = log_to_file("0");
    g_unsetenv("PCMK_debug");
    ck_assert_msg(strstr(contents, "a debug message") == NULL, "%s", contents);
}
END_TEST

Suite *
log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");

    tcase_add_test(tc, agent_logs_to_ha_logfile);
    tcase_add_test(tc, ha_debug_adds_debug_messages);
    tcase_add_test(tc, pcmk_debug_zero_is_off);
    suite_add_tcase(s, tc);
    return s;
}
