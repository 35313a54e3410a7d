/*
 * A process's TCP connections to one address, through the kernel's socket
 * diagnostics (drover/tcpconn.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drover/tcpconn.h>

/* The kernel's TCP_SYN_SENT (include/net/tcp_states.h), which no uapi
 * header beside glibc's netinet/tcp.h gives, and that one clashes with
 * linux/tcp.h */
#define STATE_SYN_SENT 2

/* Each netlink exchange gives up after this long */
#define NETLINK_TIMEOUT_S 2

/* The inodes of the sockets \p pid has open (a set of GUINT_TO_POINTER) */
static GHashTable *
socket_inodes(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int) pid);
    GHashTable *inodes = g_hash_table_new(g_direct_hash, g_direct_equal);
    DIR *dir = opendir(path);
    struct dirent *entry = NULL;

    if (dir == NULL) {
        return inodes;
    }
    while ((entry = readdir(dir)) != NULL) {
        char link[64];
        ssize_t n =
            readlinkat(dirfd(dir), entry->d_name, link, sizeof(link) - 1);
        unsigned int inode = 0;

        if (n <= 0) {
            continue;
        }
        link[n] = '\0';
        if (sscanf(link, "socket:[%u]", &inode) == 1 && inode != 0) {
            g_hash_table_add(inodes, GUINT_TO_POINTER(inode));
        }
    }
    closedir(dir);
    return inodes;
}

typedef struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 request;
} diag_request_t;

static int
netlink_send(int fd, guint16 type, guint16 flags, guint32 seq,
             const struct inet_diag_req_v2 *request)
{
    diag_request_t message = {
        .header = { .nlmsg_len = sizeof(message),
                    .nlmsg_type = type,
                    .nlmsg_flags = NLM_F_REQUEST | flags,
                    .nlmsg_seq = seq },
        .request = *request,
    };
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

    if (sendto(fd, &message, sizeof(message), 0, (struct sockaddr *) &kernel,
               sizeof(kernel))
        < 0) {
        return -errno;
    }
    return 0;
}

/* Whether \p id's peer is \p address (\p len bytes of \p family) */
static bool
peer_is(const struct inet_diag_sockid *id, const void *address, size_t len)
{
    return memcmp(id->idiag_dst, address, len) == 0;
}

static guint64
acked_bytes(const struct nlmsghdr *header, const struct inet_diag_msg *msg)
{
    int len = (int) header->nlmsg_len - (int) NLMSG_LENGTH(sizeof(*msg));

    for (const struct rtattr *attr = (const struct rtattr *) (msg + 1);
         RTA_OK(attr, len); attr = RTA_NEXT(attr, len)) {
        if (attr->rta_type == INET_DIAG_INFO) {
            struct tcp_info info;

            memset(&info, 0, sizeof(info));
            memcpy(&info, RTA_DATA(attr), MIN(RTA_PAYLOAD(attr), sizeof(info)));
            return info.tcpi_bytes_acked;
        }
    }
    return 0;
}

/* Dump the TCP sockets of \p family; keep those of \p inodes to
 * \p address in \p found; sum their acknowledged bytes */
static int
find(int fd, int family, const void *address, size_t len, guint32 states,
     GHashTable *inodes, GArray *found, guint64 *bytes_acked)
{
    struct inet_diag_req_v2 request = {
        .sdiag_family = (guint8) family,
        .sdiag_protocol = IPPROTO_TCP,
        .idiag_states = states,
        .idiag_ext = 1 << (INET_DIAG_INFO - 1),
    };
    int rc = netlink_send(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, 1, &request);
    g_autofree char *buf = g_malloc(32768);

    if (rc != 0) {
        return rc;
    }
    for (;;) {
        ssize_t n = recv(fd, buf, 32768, 0);

        if (n < 0) {
            return (errno == EAGAIN) ? -ETIMEDOUT : -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, n);
             h = NLMSG_NEXT(h, n)) {
            const struct inet_diag_msg *msg = NLMSG_DATA(h);

            if (h->nlmsg_type == NLMSG_DONE) {
                return 0;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *err = NLMSG_DATA(h);

                return (err->error != 0) ? err->error : -EPROTO;
            }
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*msg))
                || !g_hash_table_contains(inodes,
                                          GUINT_TO_POINTER(msg->idiag_inode))
                || !peer_is(&msg->id, address, len)) {
                continue;
            }
            g_array_append_val(found, msg->id);
            *bytes_acked += acked_bytes(h, msg);
        }
    }
}

static int
destroy(int fd, int family, const struct inet_diag_sockid *id, guint32 seq)
{
    struct inet_diag_req_v2 request = {
        .sdiag_family = (guint8) family,
        .sdiag_protocol = IPPROTO_TCP,
        .idiag_states = ~0U,
        .id = *id,
    };
    char buf[1024];
    ssize_t n = 0;
    int rc = netlink_send(fd, SOCK_DESTROY, NLM_F_ACK, seq, &request);

    if (rc != 0) {
        return rc;
    }
    n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
        return (errno == EAGAIN) ? -ETIMEDOUT : -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, n);
         h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *err = NLMSG_DATA(h);

            return err->error; /* 0: the acknowledgement */
        }
    }
    return -EPROTO;
}

/* drover_tcp_connections() of the TCP states \p states (bits 1 << TCP_*) */
static int
connections_in(pid_t pid, const char *address, guint32 states,
               bool destroy_them, guint64 *bytes_acked)
{
    struct in6_addr peer;
    int family = AF_INET;
    size_t len = sizeof(struct in_addr);
    struct timeval timeout = { .tv_sec = NETLINK_TIMEOUT_S };
    g_autoptr(GHashTable) inodes = NULL;
    g_autoptr(GArray) found = NULL;
    guint64 acked = 0;
    int fd = -1;
    int rc = 0;

    if (bytes_acked != NULL) {
        *bytes_acked = 0;
    }
    memset(&peer, 0, sizeof(peer));
    if (address == NULL || pid <= 0) {
        return -EINVAL;
    }
    if (inet_pton(AF_INET6, address, &peer) == 1) {
        family = AF_INET6;
        len = sizeof(struct in6_addr);
    } else if (inet_pton(AF_INET, address, &peer) != 1) {
        return -EINVAL;
    }
    inodes = socket_inodes(pid);
    found = g_array_new(FALSE, FALSE, sizeof(struct inet_diag_sockid));
    if (g_hash_table_size(inodes) == 0) {
        return 0;
    }
    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        return -errno;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout))
        < 0) {
        rc = -errno;
        goto out;
    }
    rc = find(fd, family, &peer, len, states, inodes, found, &acked);
    if (rc != 0) {
        goto out;
    }
    for (guint i = 0; destroy_them && i < found->len; i++) {
        rc = destroy(fd, family,
                     &g_array_index(found, struct inet_diag_sockid, i), 2 + i);
        if (rc != 0 && rc != -ENOENT) { /* ENOENT: closed meanwhile */
            goto out;
        }
    }
    rc = (int) found->len;
    if (bytes_acked != NULL) {
        *bytes_acked = acked;
    }
out:
    close(fd);
    return rc;
}

int
drover_tcp_connections(pid_t pid, const char *address, bool destroy_them,
                       guint64 *bytes_acked)
{
    return connections_in(pid, address, ~0U, destroy_them, bytes_acked);
}

int
drover_tcp_connecting(pid_t pid, const char *address, bool destroy_them)
{
    return connections_in(pid, address, 1U << STATE_SYN_SENT, destroy_them,
                          NULL);
}
