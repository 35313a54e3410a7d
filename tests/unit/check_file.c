/*
 * Bounded file reads: the contents, the size cap, files that are not
 * regular (a FIFO would block open() until a writer comes), and a file
 * system that does not answer (a hung NFS mount): the deadline.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include <drover/file.h>
#include <drover/rc.h>

#include "unit.h"

/* A file of \p size bytes in a new directory; free both with remove() */
static char *
make_file(gsize size)
{
    g_autofree char *dir = g_dir_make_tmp("drover-file-XXXXXX", NULL);
    char *path = g_build_filename(dir, "f", NULL);
    g_autofree char *text = g_malloc(size + 1);

    memset(text, 'x', size);
    ck_assert(g_file_set_contents(path, text, (gssize) size, NULL));
    return path;
}

static void
remove_file(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);

    g_unlink(path);
    g_rmdir(dir);
}

START_TEST(reads_the_contents)
{
    g_autofree char *path = make_file(0);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    gsize length = 99;

    ck_assert(g_file_set_contents(path, "a\nb\0c", 5, NULL));
    ck_assert_int_eq(drover_file_read(path, 5, drover_deadline_in_ms(5000),
                                      &text, &length, reason),
                     0);
    ck_assert_uint_eq(length, 5);
    ck_assert_mem_eq(text, "a\nb\0c", 6); /* NUL-terminated */
    g_clear_pointer(&text, g_free);
    /* an empty file, no length asked for */
    ck_assert(g_file_set_contents(path, "", 0, NULL));
    ck_assert_int_eq(drover_file_read(path, 0, drover_deadline_in_ms(5000),
                                      &text, NULL, NULL),
                     0);
    ck_assert_str_eq(text, "");
    remove_file(path);
}
END_TEST

START_TEST(larger_than_the_cap)
{
    g_autofree char *path = make_file(4097);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    g_autofree char *want = NULL;
    gsize length = 0;

    ck_assert_int_eq(drover_file_read(path, 4096, drover_deadline_in_ms(5000),
                                      &text, &length, reason),
                     EFBIG);
    ck_assert_ptr_null(text);
    want = g_strdup_printf("%s is larger than 4 KiB, the most it may be", path);
    ck_assert_str_eq(reason->str, want);
    ck_assert_int_eq(drover_file_read(path, 4097, drover_deadline_in_ms(5000),
                                      &text, &length, reason),
                     0);
    ck_assert_uint_eq(length, 4097);
    remove_file(path);
}
END_TEST

/* /proc files say they are empty: the cap holds while reading */
START_TEST(cap_while_reading)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;

    ck_assert_int_eq(drover_file_read("/proc/self/status", 16,
                                      drover_deadline_in_ms(5000), &text, NULL,
                                      reason),
                     EFBIG);
    ck_assert_int_eq(drover_file_read("/proc/self/status", 1 << 20,
                                      drover_deadline_in_ms(5000), &text, NULL,
                                      reason),
                     0);
    ck_assert(g_str_has_prefix(text, "Name:"));
}
END_TEST

/* A FIFO with no writer would block open() for ever: refused, at once */
START_TEST(not_a_regular_file)
{
    g_autofree char *dir = g_dir_make_tmp("drover-file-XXXXXX", NULL);
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    g_autofree char *want = NULL;
    gint64 started = g_get_monotonic_time();

    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(drover_file_read(fifo, 1024, drover_deadline_in_ms(5000),
                                      &text, NULL, reason),
                     DROVER_RC_CONFIG);
    ck_assert_int_lt(g_get_monotonic_time() - started, G_USEC_PER_SEC);
    want = g_strdup_printf("%s is a FIFO, not a regular file", fifo);
    ck_assert_str_eq(reason->str, want);
    ck_assert_ptr_null(text);

    ck_assert_int_eq(drover_file_read(dir, 1024, drover_deadline_in_ms(5000),
                                      &text, NULL, reason),
                     DROVER_RC_CONFIG);
    g_free(want);
    want = g_strdup_printf("%s is a directory, not a regular file", dir);
    ck_assert_str_eq(reason->str, want);

    /* endless, without the type check */
    ck_assert_int_eq(drover_file_read("/dev/zero", 1024,
                                      drover_deadline_in_ms(5000), &text, NULL,
                                      reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str,
                     "/dev/zero is a character device, not a regular file");
    g_unlink(fifo);
    g_rmdir(dir);
}
END_TEST

START_TEST(system_errors)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;

    ck_assert_int_eq(drover_file_read("/nonexistent/f", 1024,
                                      drover_deadline_in_ms(5000), &text, NULL,
                                      reason),
                     ENOENT);
    ck_assert_str_eq(reason->str, "/nonexistent/f: No such file or directory");
    ck_assert_ptr_null(text);
}
END_TEST

/* A file system that does not answer: the deadline, not a hang */
START_TEST(hung_file_system)
{
    unit_hang_fs_t *fs = unit_hang_fs_start();
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    gint64 started = g_get_monotonic_time();
    gint64 took_ms;

    if (fs == NULL) {
        return;
    }
    ck_assert_int_eq(drover_file_read(fs->path, 1024,
                                      drover_deadline_in_ms(300), &text, NULL,
                                      reason),
                     DROVER_RC_TIMEOUT);
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_ge(took_ms, 300);
    ck_assert_int_lt(took_ms, 1000);
    ck_assert_ptr_null(text);
    ck_assert_msg(g_str_has_prefix(reason->str, fs->path)
                      && strstr(reason->str, ": its file system did not "
                                             "answer within ")
                             != NULL,
                  "%s", reason->str);
    /* a deadline already passed: not even tried */
    ck_assert_int_eq(drover_file_read(fs->path, 1024, drover_deadline_in_ms(0),
                                      &text, NULL, reason),
                     DROVER_RC_TIMEOUT);
    /* the worker left behind gets an error and cleans up (valgrind) */
    unit_hang_fs_stop(fs);
}
END_TEST

Suite *
file_suite(void)
{
    Suite *s = suite_create("file");
    TCase *tc = tcase_create("file");

    tcase_add_test(tc, reads_the_contents);
    tcase_add_test(tc, larger_than_the_cap);
    tcase_add_test(tc, cap_while_reading);
    tcase_add_test(tc, not_a_regular_file);
    tcase_add_test(tc, system_errors);
    tcase_add_test(tc, hung_file_system);
    suite_add_tcase(s, tc);
    return s;
}
