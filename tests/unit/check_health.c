/*
 * Health checks: libvirt answering (its test driver), a daemon that
 * accepts and never answers (reported at the deadline, not waited for),
 * name resolution, and the monitoring formats.
 */
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <drover/health.h>

#include "unit.h"

START_TEST(libvirt_answers)
{
    drover_health_result_t *r =
        drover_health_libvirt("test:///default", drover_deadline_in_ms(5000));

    ck_assert_int_eq(r->status, DROVER_HEALTH_OK);
    ck_assert_str_eq(r->reason, "answers (1 domain(s))");
    drover_health_result_free(r);
}
END_TEST

/* A socket that takes connections and never says a word: a SIGSTOPped
 * libvirtd looks like this */
START_TEST(hung_daemon_is_critical_at_the_deadline)
{
    g_autofree char *dir = g_dir_make_tmp("drover-health-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sock", NULL);
    g_autofree char *uri =
        g_strdup_printf("qemu+unix:///system?socket=%s", path);
    g_autoptr(GSocket) sock =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                     G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    gint64 started = g_get_monotonic_time();
    drover_health_result_t *r = NULL;
    gint64 took_ms;

    ck_assert(g_socket_bind(sock, addr, TRUE, NULL));
    ck_assert(g_socket_listen(sock, NULL));
    r = drover_health_libvirt(uri, drover_deadline_in_ms(500));
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(g_str_has_prefix(r->reason, "not answering within "),
                  "reason: %s", r->reason);
    ck_assert_int_ge(took_ms, 500);
    ck_assert_int_lt(took_ms, 550 + 200); /* the deadline, +10 %, + slack */
    drover_health_result_free(r);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

START_TEST(names)
{
    drover_health_result_t *r =
        drover_health_name("localhost", false, drover_deadline_in_ms(3000));

    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(strstr(r->reason, "loopback address") != NULL, "reason: %s",
                  r->reason);
    drover_health_result_free(r);
    /* .invalid never resolves (RFC 2606) */
    r = drover_health_name("drover-test.invalid", false,
                           drover_deadline_in_ms(3000));
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    drover_health_result_free(r);
}
END_TEST

static drover_health_result_t *
fake(const char *check, const char *subject, drover_health_t status,
     const char *reason, gint64 ms)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->check = check;
    r->subject = g_strdup(subject);
    r->status = status;
    r->reason = g_strdup(reason);
    r->ms = ms;
    return r;
}

START_TEST(monitoring_formats)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autofree char *nagios = NULL;
    g_autofree char *prometheus = NULL;

    g_ptr_array_add(results, fake("libvirt", "qemu:///system", DROVER_HEALTH_OK,
                                  "answers", 3));
    g_ptr_array_add(results, fake("name", "n3", DROVER_HEALTH_WARNING,
                                  "resolves to 10.0.0.3 | odd", 12));
    nagios = drover_health_nagios(results);
    ck_assert_str_eq(nagios,
                     "DROVER WARNING - name n3: resolves to 10.0.0.3 / odd "
                     "| libvirt=3ms;;;0 name=12ms;;;0\n"
                     "libvirt qemu:///system: ok: answers\n"
                     "name n3: warning: resolves to 10.0.0.3 / odd\n");
    ck_assert_int_eq(drover_health_worst(results), DROVER_HEALTH_WARNING);
    prometheus = drover_health_prometheus(results, "n\"3");
    ck_assert_msg(strstr(prometheus, "# TYPE drover_health_status gauge\n"
                                     "drover_health_status{node=\"n\\\"3\","
                                     "check=\"libvirt\"} 0\n")
                      != NULL,
                  "%s", prometheus);
    ck_assert_msg(strstr(prometheus, "drover_health_check_seconds{node="
                                     "\"n\\\"3\",check=\"name\"} 0.012\n")
                      != NULL,
                  "%s", prometheus);
}
END_TEST

Suite *
health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("health");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, libvirt_answers);
    tcase_add_test(tc, hung_daemon_is_critical_at_the_deadline);
    tcase_add_test(tc, names);
    tcase_add_test(tc, monitoring_formats);
    suite_add_tcase(s, tc);
    return s;
}
