/*
 * The unit test suites (one check_<module>.c each) and their helpers.
 */
#ifndef DROVER_UNIT__H
#define DROVER_UNIT__H

#include <check.h>
#include <glib.h>

Suite *rc_suite(void);
Suite *deadline_suite(void);
Suite *spawn_suite(void);
Suite *ocf_suite(void);
Suite *cib_suite(void);
Suite *output_suite(void);
Suite *log_suite(void);
Suite *netsel_suite(void);
Suite *record_suite(void);
Suite *slots_suite(void);
Suite *drain_suite(void);
Suite *probe_suite(void);
Suite *config_suite(void);
Suite *health_suite(void);
Suite *util_suite(void);
Suite *migwatch_suite(void);
Suite *virt_suite(void);
Suite *migopts_suite(void);
Suite *tcpconn_suite(void);
Suite *file_suite(void);
Suite *slot_group_suite(void);
Suite *platform_suite(void);
Suite *options_suite(void);
Suite *domxml_suite(void);

/* A file under tests/unit/data (DROVER_TEST_DATA) */
char *unit_data_path(const char *name);

/* An environment variable the test needs (set by make check-unit) */
const char *unit_env(const char *name);

/* A file system that stopped answering (tests/unit/hang_fs.c): every
 * access to path waits until the file system is stopped */
typedef struct {
    GPid pid;
    char *dir;
    char *path; /* a file in it, as this process reaches it */
} unit_hang_fs_t;

/* Mount one, or NULL (saying why on stderr) where this host cannot (no
 * FUSE, not root): the test then checks nothing more */
unit_hang_fs_t *unit_hang_fs_start(void);

/* Kill its daemon: whoever waits on it gets an error and goes on */
void unit_hang_fs_stop(unit_hang_fs_t *fs);

/* Corosync that answers until stopped (tests/unit/fake_corosync.c), in a
 * network namespace of its own */
typedef struct {
    GPid pid;
    int netns;      /* its network namespace */
    int host_netns; /* the one it was started from */
} unit_corosync_t;

/* Start one, or NULL (saying why on stderr) where this host cannot */
unit_corosync_t *unit_corosync_start(void);

/* This thread, and the threads it starts from now on, talk to it (enter
 * its network namespace); or again to the host's */
void unit_corosync_enter(unit_corosync_t *c);
void unit_corosync_leave(unit_corosync_t *c);

/* Stop it (SIGSTOP) to make it hang: kill(c->pid, SIGSTOP).  Kill it:
 * whoever waits on it gets an error and goes on */
void unit_corosync_stop(unit_corosync_t *c);

#endif /* DROVER_UNIT__H */
