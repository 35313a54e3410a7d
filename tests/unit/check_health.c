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
fake_of(const char *node, const char *check, const char *subject,
        drover_health_t status, const char *reason, gint64 ms)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->node = g_strdup(node);
    r->check = g_strdup(check);
    r->subject = g_strdup(subject);
    r->status = status;
    r->reason = g_strdup(reason);
    r->ms = ms;
    return r;
}

static drover_health_result_t *
fake(const char *check, const char *subject, drover_health_t status,
     const char *reason, gint64 ms)
{
    return fake_of("n\"3", check, subject, status, reason, ms);
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
    prometheus = drover_health_prometheus(results);
    ck_assert_msg(strstr(prometheus, "# TYPE drover_health_status gauge\n"
                                     "drover_health_status{node=\"n\\\"3\","
                                     "check=\"libvirt\",subject=\"qemu:///"
                                     "system\"} 0\n")
                      != NULL,
                  "%s", prometheus);
    ck_assert_msg(strstr(prometheus, "drover_health_check_seconds{node="
                                     "\"n\\\"3\",check=\"name\",subject="
                                     "\"n3\"} 0.012\n")
                      != NULL,
                  "%s", prometheus);
    ck_assert_str_eq(drover_health_color(DROVER_HEALTH_WARNING), "yellow");
    ck_assert_str_eq(drover_health_color(DROVER_HEALTH_CRITICAL), "red");
    ck_assert_str_eq(drover_health_color(DROVER_HEALTH_OK), "green");
}
END_TEST

/* Several nodes (--all), several checks of one kind: each line says whose,
 * perfdata labels are quoted and unique */
START_TEST(several_nodes_in_nagios)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autofree char *nagios = NULL;
    g_autofree char *problems = NULL;

    g_ptr_array_add(results,
                    fake_of("n1", "network", "lm1 n2", DROVER_HEALTH_CRITICAL,
                            "MTU mismatch: 1500 here, 9000 on n2", 1));
    g_ptr_array_add(results,
                    fake_of("n2", "network", "lm1 n1", DROVER_HEALTH_CRITICAL,
                            "MTU mismatch: 9000 here, 1500 on n1", 2));
    g_ptr_array_add(results, fake_of("n2", "libvirt", "qemu:///system",
                                     DROVER_HEALTH_OK, "answers", 3));
    nagios = drover_health_nagios(results);
    ck_assert_str_eq(nagios,
                     "DROVER CRITICAL - n1: network lm1 n2: MTU mismatch: "
                     "1500 here, 9000 on n2; n2: network lm1 n1: MTU mismatch: "
                     "9000 here, 1500 on n1 | 'n1 network lm1 n2'=1ms;;;0 "
                     "'n2 network lm1 n1'=2ms;;;0 libvirt=3ms;;;0\n"
                     "n1: network lm1 n2: critical: MTU mismatch: 1500 here, "
                     "9000 on n2\n"
                     "n2: network lm1 n1: critical: MTU mismatch: 9000 here, "
                     "1500 on n1\n"
                     "n2: libvirt qemu:///system: ok: answers\n");
    g_ptr_array_remove_index(results, 0);
    problems = drover_health_problems(results);
    ck_assert_str_eq(problems,
                     "network lm1 n1: MTU mismatch: 9000 here, 1500 on n1");
}
END_TEST

/* What NodeHealth publishes reads back the same; garbage is refused */
START_TEST(report_round_trip)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autoptr(GPtrArray) back = NULL;
    g_autofree char *text = NULL;
    const drover_health_result_t *r = NULL;
    gint64 at = 0;

    g_ptr_array_add(results,
                    fake_of("n2", "libvirt", "qemu:///system",
                            DROVER_HEALTH_CRITICAL,
                            "not answering within 1000 ms \"quoted\"", 1000));
    text = drover_health_report_format(results, "n2", 1790000000);
    ck_assert_int_eq(drover_health_report_parse(text, &back, &at), 0);
    ck_assert_int_eq(at, 1790000000);
    ck_assert_uint_eq(back->len, 1);
    r = g_ptr_array_index(back, 0);
    ck_assert_str_eq(r->node, "n2");
    ck_assert_str_eq(r->check, "libvirt");
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_str_eq(r->reason, "not answering within 1000 ms \"quoted\"");
    ck_assert_int_eq(r->ms, 1000);
    g_clear_pointer(&back, g_ptr_array_unref);
    ck_assert_int_ne(
        drover_health_report_parse("{\"node\":\"n2\"}", &back, &at), 0);
    ck_assert_ptr_null(back);
    ck_assert_int_ne(
        drover_health_report_parse("{\"node\":\"n2\",\"checks\":[{\"status\":"
                                   "\"fine\"}]}",
                                   &back, &at),
        0);
    ck_assert_int_ne(drover_health_report_parse("not json", &back, &at), 0);
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
    tcase_add_test(tc, several_nodes_in_nagios);
    tcase_add_test(tc, report_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
