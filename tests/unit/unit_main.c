/*
 * Runs every unit suite; check prints the totals.
 */
#define _GNU_SOURCE /* setns() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
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

/* Run a helper that says "ready" when it is; else say why not (what it
 * printed) and return false */
static bool
start_helper(const char *const *argv, const char *what, GPid *pid)
{
    char line[256] = "";
    ssize_t n = 0;
    int out = -1;
    struct pollfd pfd;

    ck_assert(g_spawn_async_with_pipes(NULL, (char **) argv, NULL,
                                       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                       pid, NULL, &out, NULL, NULL));
    pfd = (struct pollfd){ .fd = out, .events = POLLIN };
    if (poll(&pfd, 1, 5000) == 1) {
        n = read(out, line, sizeof(line) - 1);
    }
    close(out);
    line[MAX(n, 0)] = '\0';
    if (strcmp(line, "ready\n") != 0) {
        fprintf(stderr, "no %s here (%s): not tested\n", what,
                g_strstrip(line));
        return false;
    }
    return true;
}

static void
stop_helper(GPid pid)
{
    kill(pid, SIGCONT); /* if stopped */
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    g_spawn_close_pid(pid);
}

unit_hang_fs_t *
unit_hang_fs_start(void)
{
    unit_hang_fs_t *fs = g_new0(unit_hang_fs_t, 1);
    const char *argv[] = { unit_env("DROVER_TEST_HANG_FS"), NULL, NULL };

    fs->dir = g_dir_make_tmp("drover-hang-fs-XXXXXX", NULL);
    ck_assert_ptr_nonnull(fs->dir);
    argv[1] = fs->dir;
    if (!start_helper(argv, "hung file system", &fs->pid)) {
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
    stop_helper(fs->pid);
    g_rmdir(fs->dir);
    g_free(fs->dir);
    g_free(fs->path);
    g_free(fs);
}

unit_corosync_t *
unit_corosync_start(void)
{
    unit_corosync_t *c = g_new0(unit_corosync_t, 1);
    const char *argv[] = { unit_env("DROVER_TEST_FAKE_COROSYNC"), NULL };
    g_autofree char *ns = NULL;

    c->netns = -1;
    c->host_netns = -1;
    if (!start_helper(argv, "fake Corosync", &c->pid)) {
        unit_corosync_stop(c);
        return NULL;
    }
    ns = g_strdup_printf("/proc/%d/ns/net", (int) c->pid);
    c->netns = open(ns, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(c->netns, 0);
    c->host_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(c->host_netns, 0);
    return c;
}

void
unit_corosync_enter(unit_corosync_t *c)
{
    ck_assert_int_eq(setns(c->netns, CLONE_NEWNET), 0);
}

void
unit_corosync_leave(unit_corosync_t *c)
{
    ck_assert_int_eq(setns(c->host_netns, CLONE_NEWNET), 0);
}

void
unit_corosync_stop(unit_corosync_t *c)
{
    if (c == NULL) {
        return;
    }
    stop_helper(c->pid);
    if (c->netns >= 0) {
        close(c->netns);
    }
    if (c->host_netns >= 0) {
        close(c->host_netns);
    }
    g_free(c);
}

int
main(void)
{
    SRunner *runner = srunner_create(rc_suite());
    int failed;

    srunner_add_suite(runner, deadline_suite());
    srunner_add_suite(runner, file_suite());
    srunner_add_suite(runner, slot_group_suite());
    srunner_add_suite(runner, spawn_suite());
    srunner_add_suite(runner, log_suite());
    srunner_add_suite(runner, ocf_suite());
    srunner_add_suite(runner, cib_suite());
    srunner_add_suite(runner, output_suite());
    srunner_add_suite(runner, netsel_suite());
    srunner_add_suite(runner, record_suite());
    srunner_add_suite(runner, slots_suite());
    srunner_add_suite(runner, drain_suite());
    srunner_add_suite(runner, platform_suite());
    srunner_add_suite(runner, options_suite());
    srunner_add_suite(runner, domxml_suite());
    srunner_add_suite(runner, probe_suite());
    srunner_add_suite(runner, config_suite());
    srunner_add_suite(runner, health_suite());
    srunner_add_suite(runner, util_suite());
    srunner_add_suite(runner, migwatch_suite());
    srunner_add_suite(runner, virt_suite());
    srunner_add_suite(runner, migopts_suite());
    srunner_add_suite(runner, tcpconn_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return (failed == 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
