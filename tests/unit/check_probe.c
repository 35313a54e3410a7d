/*
 * The don't-fragment path probe, on loopback (MTU 65536).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drover/probe.h>
#include <drover/rc.h>

#include "unit.h"

static int
probe(const char *from, const char *to, int size, GString *reason)
{
    g_autoptr(GInetAddress) src = g_inet_address_new_from_string(from);
    g_autoptr(GInetAddress) dst = g_inet_address_new_from_string(to);

    return drover_probe_path(src, dst, size, drover_deadline_in_ms(2000),
                             reason);
}

START_TEST(full_size_arrives)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    ck_assert_int_eq(probe("127.0.0.1", "127.0.0.1", 1500, reason), 0);
    ck_assert_int_eq(probe("127.0.0.1", "127.0.0.1", 9000, reason), 0);
    ck_assert_int_eq(probe("::1", "::1", 9000, reason), 0);
}
END_TEST

START_TEST(too_big_for_the_link)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    /* over loopback's 65536 needs IPv6 jumbograms: refused locally */
    ck_assert_int_ne(probe("::1", "::1", 65535 + 1, reason), 0);
    ck_assert_str_eq(reason->str, "probe size 65536 is out of range");
}
END_TEST

START_TEST(foreign_source_address)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    /* not an address of this host: cannot send from it */
    ck_assert_int_eq(probe("0.0.0.1", "127.0.0.1", 1500, reason),
                     EADDRNOTAVAIL);
    ck_assert_ptr_nonnull(strstr(reason->str, "cannot probe 127.0.0.1"));
}
END_TEST

static int
tcp_probe(guint16 port, gint64 ms, GString *reason)
{
    g_autoptr(GInetAddress) lo =
        g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);

    return drover_probe_tcp_port(lo, lo, port, drover_deadline_in_ms(ms),
                                 reason);
}

/* A listening socket on loopback, with its port */
static int
listener(int backlog, guint16 *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

START_TEST(tcp_reset_or_answer_is_a_path)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    guint16 port = 0;
    int fd = listener(8, &port);

    ck_assert_int_eq(tcp_probe(port, 2000, reason), 0); /* answered */
    close(fd);
    ck_assert_int_eq(tcp_probe(port, 2000, reason), 0); /* reset */
}
END_TEST

/* SYNs to a listener whose queue is full are dropped without a word, as a
 * firewall that drops them does */
START_TEST(tcp_silence_is_a_filter)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GString) first = g_string_new(NULL);
    g_autofree char *expected = NULL;
    guint16 port = 0;
    int fd = listener(0, &port);
    gint64 started = g_get_monotonic_time();
    int rc;

    /* fill the accept queue (one connection for backlog 0) */
    ck_assert_int_eq(tcp_probe(port, 2000, first), 0);
    rc = tcp_probe(port, 700, reason);
    close(fd);
    ck_assert_int_eq(rc, DROVER_RC_UNREACHABLE);
    expected = g_strdup_printf("TCP to 127.0.0.1 port %u gets no answer (a "
                               "firewall dropping the migration ports?)",
                               (unsigned int) port);
    ck_assert_str_eq(reason->str, expected);
    ck_assert_int_lt(g_get_monotonic_time() - started, 4 * G_USEC_PER_SEC);
}
END_TEST

Suite *
probe_suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("loopback");

    tcase_add_test(tc, full_size_arrives);
    tcase_add_test(tc, too_big_for_the_link);
    tcase_add_test(tc, foreign_source_address);
    tcase_add_test(tc, tcp_reset_or_answer_is_a_path);
    tcase_add_test(tc, tcp_silence_is_a_filter);
    suite_add_tcase(s, tc);
    return s;
}
