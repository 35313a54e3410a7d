/*
 * A process's TCP connections to one address, as the kernel's socket
 * diagnostics (sock_diag) see them: how many bytes the peer acknowledged,
 * and closing them from outside the process (SOCK_DESTROY, as `ss -K`).
 *
 * Why: QEMU sends a migration's last pages with the guest paused and its
 * big lock held.  When the network turns into a black hole then, its
 * send() blocks until TCP gives up (15 minutes), and so does every monitor
 * command: libvirt can neither report nor abort the migration.  Closing
 * the connection fails the send, QEMU fails the migration and libvirt
 * resumes the guest here.
 */
#ifndef DROVER_TCPCONN__H
#define DROVER_TCPCONN__H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

/*!
 * \brief Find process \p pid's TCP connections to \p address (a numeric
 *        IPv4 or IPv6 address) in the caller's network namespace
 *
 * \param[in]  pid          the process owning the sockets
 * \param[in]  address      the peer
 * \param[in]  destroy      close each one found (needs CAP_NET_ADMIN and a
 *                          kernel with CONFIG_INET_DIAG_DESTROY)
 * \param[out] bytes_acked  the bytes the peer acknowledged, summed over
 *                          the connections (may be NULL)
 *
 * Bounded: each netlink exchange gives up after 2 s.
 *
 * \return how many connections were found (and closed, with \p destroy),
 *         or a negative errno (EINVAL: \p address is not numeric)
 */
int drover_tcp_connections(pid_t pid, const char *address, bool destroy,
                           guint64 *bytes_acked);

/*!
 * \brief drover_tcp_connections() of those still connecting (SYN sent, no
 *        answer yet)
 */
int drover_tcp_connecting(pid_t pid, const char *address, bool destroy);

#endif /* DROVER_TCPCONN__H */
