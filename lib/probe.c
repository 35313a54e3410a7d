/*
 * Path probes on a migration network, without a responder on the far side.
 * MTU:
 * a full-size UDP datagram with don't-fragment set, sent to a closed port.
 * The target's "port unreachable" proves it arrived whole; EMSGSIZE or
 * ENOBUFS on sending means a link on our side cannot carry it; silence
 * means it was lost on the way (a switch with a smaller MTU drops it).
 * Firewalls: a TCP connection attempt to the target's migration port; a
 * reset (nothing listens) or an answer proves TCP gets there, silence is a
 * filter that drops it (ping and the UDP probe still pass one).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/errqueue.h>

#include <drover/probe.h>
#include <drover/rc.h>

/* traceroute's first port: closed almost everywhere */
#define PROBE_PORT    33434
#define PROBE_TRIES   3
#define IPV4_OVERHEAD (20 + 8)
#define IPV6_OVERHEAD (40 + 8)

static int
set_dont_fragment(int fd, int family)
{
    int on = 1;

    if (family == AF_INET) {
        int pmtu = IP_PMTUDISC_PROBE; /* DF, and ignore any cached PMTU */

        return (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu))
                    < 0
                || setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) < 0)
                   ? errno
                   : 0;
    }
    {
        int pmtu = IPV6_PMTUDISC_PROBE;

        return (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu,
                           sizeof(pmtu))
                    < 0
                || setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on))
                       < 0)
                   ? errno
                   : 0;
    }
}

/* The error the network sent back: ECONNREFUSED (port unreachable: it
 * arrived), EMSGSIZE (too big somewhere), or another */
static int
read_error(int fd)
{
    char payload[64];
    char control[512];
    struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control,
        .msg_controllen = sizeof(control),
    };

    if (recvmsg(fd, &msg, MSG_ERRQUEUE) < 0) {
        return errno;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL;
         c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)
            || (c->cmsg_level == IPPROTO_IPV6
                && c->cmsg_type == IPV6_RECVERR)) {
            struct sock_extended_err *ee = (void *) CMSG_DATA(c);

            return (int) ee->ee_errno;
        }
    }
    return EPROTO;
}

static int
probe_once(int fd, const char *buf, size_t len, gint64 wait_ms)
{
    struct pollfd pfd = { .fd = fd, .events = 0 };
    int n;

    if (send(fd, buf, len, 0) < 0) {
        return errno;
    }
    n = poll(&pfd, 1, (int) wait_ms);
    if (n < 0) {
        return errno;
    }
    if (n == 0) {
        return ETIMEDOUT;
    }
    return read_error(fd);
}

int
drover_probe_path(GInetAddress *source, GInetAddress *target, int size,
                  drover_deadline_t deadline, GString *reason)
{
    g_autoptr(GSocketAddress) src = g_inet_socket_address_new(source, 0);
    g_autoptr(GSocketAddress) dst =
        g_inet_socket_address_new(target, PROBE_PORT);
    g_autofree char *to = g_inet_address_to_string(target);
    int family = (g_inet_address_get_family(target) == G_SOCKET_FAMILY_IPV6)
                     ? AF_INET6
                     : AF_INET;
    size_t overhead = (family == AF_INET6) ? IPV6_OVERHEAD : IPV4_OVERHEAD;
    struct sockaddr_storage ss_src;
    struct sockaddr_storage ss_dst;
    g_autofree char *buf = NULL;
    int fd = -1;
    int rc = 0;

    if (size <= (int) overhead || size > 65535) {
        g_string_printf(reason, "probe size %d is out of range", size);
        return EINVAL;
    }
    if (!g_socket_address_to_native(src, &ss_src, sizeof(ss_src), NULL)
        || !g_socket_address_to_native(dst, &ss_dst, sizeof(ss_dst), NULL)) {
        g_string_printf(reason, "cannot probe %s: bad address", to);
        return EINVAL;
    }
    fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = errno;
        g_string_printf(reason, "cannot probe %s: %s", to, g_strerror(rc));
        return rc;
    }
    rc = set_dont_fragment(fd, family);
    if (rc == 0
        && bind(fd, (struct sockaddr *) &ss_src,
                g_socket_address_get_native_size(src))
               < 0) {
        rc = errno; /* the source address is not ours */
    }
    if (rc == 0
        && connect(fd, (struct sockaddr *) &ss_dst,
                   g_socket_address_get_native_size(dst))
               < 0) {
        rc = errno;
    }
    if (rc != 0) {
        g_string_printf(reason, "cannot probe %s: %s", to, g_strerror(rc));
        close(fd);
        return rc;
    }

    buf = g_malloc0(size - overhead);
    /* ICMP errors are rate-limited: a lost answer gets another try */
    for (int i = 0; i < PROBE_TRIES; i++) {
        gint64 left = drover_deadline_remaining_ms(deadline);

        rc = probe_once(fd, buf, size - overhead,
                        MAX(left / (PROBE_TRIES - i), 1));
        if (rc != ETIMEDOUT || left <= 1) {
            break;
        }
    }
    close(fd);

    switch (rc) {
        case ECONNREFUSED: return 0; /* port unreachable: it arrived whole */
        case EMSGSIZE:
            g_string_printf(reason,
                            "a %d-byte don't-fragment probe to %s is larger "
                            "than the path allows (MTU)",
                            size, to);
            return EMSGSIZE;
        case ENOBUFS:
            g_string_printf(reason,
                            "a %d-byte don't-fragment probe to %s was dropped "
                            "by the next hop (MTU mismatch)",
                            size, to);
            return EMSGSIZE;
        case ETIMEDOUT:
            g_string_printf(reason,
                            "a %d-byte don't-fragment probe to %s got no "
                            "answer (lost on the path: MTU, link or filter)",
                            size, to);
            return DROVER_RC_UNREACHABLE;
        default:
            g_string_printf(reason, "a %d-byte probe to %s failed: %s", size,
                            to, g_strerror(rc));
            return rc;
    }
}

int
drover_probe_path_quick(void *data, GInetAddress *source, GInetAddress *target,
                        int size, GString *reason)
{
    (void) data;
    return drover_probe_path(source, target, size, drover_deadline_in_ms(1000),
                             reason);
}

int
drover_probe_tcp_port(GInetAddress *source, GInetAddress *target, guint16 port,
                      drover_deadline_t deadline, GString *reason)
{
    g_autoptr(GSocketAddress) src = g_inet_socket_address_new(source, 0);
    g_autoptr(GSocketAddress) dst = g_inet_socket_address_new(target, port);
    g_autofree char *to = g_inet_address_to_string(target);
    int family = (g_inet_address_get_family(target) == G_SOCKET_FAMILY_IPV6)
                     ? AF_INET6
                     : AF_INET;
    struct sockaddr_storage ss_src;
    struct sockaddr_storage ss_dst;
    struct pollfd pfd = { .events = POLLOUT };
    socklen_t len = sizeof(int);
    int rc = 0;
    int n = 0;

    if (!g_socket_address_to_native(src, &ss_src, sizeof(ss_src), NULL)
        || !g_socket_address_to_native(dst, &ss_dst, sizeof(ss_dst), NULL)) {
        g_string_printf(reason, "cannot probe %s: bad address", to);
        return EINVAL;
    }
    pfd.fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (pfd.fd < 0) {
        rc = errno;
        g_string_printf(reason, "cannot probe %s: %s", to, g_strerror(rc));
        return rc;
    }
    if (bind(pfd.fd, (struct sockaddr *) &ss_src,
             g_socket_address_get_native_size(src))
        < 0) {
        rc = errno; /* the source address is not ours */
    } else if (connect(pfd.fd, (struct sockaddr *) &ss_dst,
                       g_socket_address_get_native_size(dst))
               < 0) {
        rc = errno;
    }
    if (rc == EINPROGRESS) {
        n = poll(&pfd, 1, (int) MAX(drover_deadline_remaining_ms(deadline), 1));
        rc = (n < 0)    ? errno
             : (n == 0) ? ETIMEDOUT
             : (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &rc, &len) < 0) ? errno
                                                                         : rc;
    }
    close(pfd.fd);

    switch (rc) {
        case 0:            /* something listens there */
        case ECONNREFUSED: /* a reset: the path carries TCP to the port */
            return 0;
        case ETIMEDOUT:
            g_string_printf(reason,
                            "TCP to %s port %u gets no answer (a firewall "
                            "dropping the migration ports?)",
                            to, (unsigned int) port);
            return DROVER_RC_UNREACHABLE;
        default:
            g_string_printf(reason, "TCP to %s port %u: %s", to,
                            (unsigned int) port, g_strerror(rc));
            return DROVER_RC_UNREACHABLE;
    }
}

int
drover_probe_migration_path(void *data, GInetAddress *source,
                            GInetAddress *target, int size, GString *reason)
{
    const guint16 *port = data;
    int rc = drover_probe_path_quick(NULL, source, target, size, reason);

    if (rc != 0 || port == NULL) {
        return rc;
    }
    return drover_probe_tcp_port(source, target, *port,
                                 drover_deadline_in_ms(1000), reason);
}
