/*
 * Runs every unit suite; check prints the totals.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

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

unit_hang_fs_t *
unit_hang_fs_start(void)
{
    unit_hang_fs_t *fs = g_new0(unit_hang_fs_t, 1);
    const char *argv[] = { unit_env("DROVER_TEST_HANG_FS"), NULL, NULL };
    char line[256] = "";
    ssize_t n = 0;
    int out = -1;
    struct pollfd pfd;

    fs->dir = g_dir_make_tmp("drover-hang-fs-XXXXXX", NULL);
    ck_assert_ptr_nonnull(fs->dir);
    argv[1] = fs->dir;
    ck_assert(g_spawn_async_with_pipes(NULL, (char **) argv, NULL,
                                       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                       &fs->pid, NULL, &out, NULL, NULL));
    /* "ready" once mounted, or why not */
    pfd = (struct pollfd){ .fd = out, .events = POLLIN };
    if (poll(&pfd, 1, 5000) == 1) {
        n = read(out, line, sizeof(line) - 1);
    }
    close(out);
    line[MAX(n, 0)] = '\0';
    if (strcmp(line, "ready\n") != 0) {
        fprintf(stderr, "no hung file system here (%s): not tested\n",
                g_strstrip(line));
        unit_hang_fs_stop(fs);
        return NULL;
    }
    fs->path = g_strdup_printf("/proc/%d/root%s/file", (int) fs->pid, fs->dir);
    return fs;
}

void
unit_hang_fs_stop(unit_hang_fs_t *fs)
{
    if (fs == NULL) {
        return;
    }
    kill(fs->pid, SIGKILL);
    while (waitpid(fs->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    g_spawn_close_pid(fs->pid);
    g_rmdir(fs->dir);
    g_free(fs->dir);
    g_free(fs->path);
    g_free(fs);
}

int
main(void)
{
    SRunner *runner = srunner_create(rc_suite());
    int failed;

    srunner_add_suite(runner, deadline_suite());
    srunner_add_suite(runner, file_suite());
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
