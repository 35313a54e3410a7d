/*
 * A connection over loopback in this process stands for QEMU's migration
 * stream: found by peer address, its acknowledged bytes counted, and
 * closed from outside so that a send on it fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drover/tcpconn.h>

#include "unit.h"

/* A connected pair over 127.0.0.1: *client and *server */
static void
loopback_pair(int *client, int *server)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(addr);
    int listener = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(listener, 0);
    ck_assert_int_eq(bind(listener, (struct sockaddr *) &addr, sizeof(addr)),
                     0);
    ck_assert_int_eq(listen(listener, 1), 0);
    ck_assert_int_eq(getsockname(listener, (struct sockaddr *) &addr, &len), 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(*client, (struct sockaddr *) &addr, sizeof(addr)),
                     0);
    *server = accept(listener, NULL, NULL);
    ck_assert_int_ge(*server, 0);
    close(listener);
}

START_TEST(found_and_counted)
{
    int client = -1;
    int server = -1;
    char buf[4096] = { 0 };
    guint64 before = 0;
    guint64 after = 0;

    loopback_pair(&client, &server);
    /* both ends have 127.0.0.1 for their peer */
    ck_assert_int_eq(
        drover_tcp_connections(getpid(), "127.0.0.1", false, &before), 2);
    ck_assert_int_eq(write(client, buf, sizeof(buf)), (ssize_t) sizeof(buf));
    ck_assert_int_eq(read(server, buf, sizeof(buf)), (ssize_t) sizeof(buf));
    for (int i = 0; i < 100 && after < before + sizeof(buf); i++) {
        g_usleep(10000); /* until the acknowledgement is in */
        drover_tcp_connections(getpid(), "127.0.0.1", false, &after);
    }
    ck_assert_uint_ge(after, before + sizeof(buf));
    ck_assert_int_eq(drover_tcp_connections(getpid(), "127.0.0.2", false, NULL),
                     0);
    ck_assert_int_eq(drover_tcp_connections(getpid(), "n1-lm1", false, NULL),
                     -EINVAL);
    close(client);
    close(server);
}
END_TEST

START_TEST(destroyed_send_fails)
{
    int client = -1;
    int server = -1;
    char byte = 0;
    int rc = 0;

    if (geteuid() != 0) {
        return; /* SOCK_DESTROY needs CAP_NET_ADMIN */
    }
    loopback_pair(&client, &server);
    rc = drover_tcp_connections(getpid(), "127.0.0.1", true, NULL);
    if (rc == -EOPNOTSUPP) {
        return; /* a kernel without CONFIG_INET_DIAG_DESTROY */
    }
    ck_assert_int_eq(rc, 2);
    ck_assert_int_eq(send(client, &byte, 1, MSG_NOSIGNAL), -1);
    ck_assert_int_eq(drover_tcp_connections(getpid(), "127.0.0.1", false, NULL),
                     0);
    close(client);
    close(server);
}
END_TEST

Suite *
tcpconn_suite(void)
{
    Suite *s = suite_create("tcpconn");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, found_and_counted);
    tcase_add_test(tc, destroyed_send_fails);
    suite_add_tcase(s, tc);
    return s;
}
