/*
 * Probes of a migration network's path between two nodes.
 */
#ifndef DROVER_PROBE__H
#define DROVER_PROBE__H

#include <gio/gio.h>

#include <drover/deadline.h>

/*!
 * \brief Send a \p size-byte IP packet with don't-fragment from \p source to
 *        \p target and see whether it arrives, within \p deadline
 *
 * Needs no responder: the target's ICMP "port unreachable" for a closed UDP
 * port is the proof.  \p source must be a local address on the network.
 *
 * \return 0 if it arrived; EMSGSIZE if it is too big for a link (on our
 *         side or the next hop); DROVER_RC_UNREACHABLE if nothing came
 *         back; else a result.  \p reason says which, in words.
 */
int drover_probe_path(GInetAddress *source, GInetAddress *target, int size,
                      drover_deadline_t deadline, GString *reason);

/*!
 * \brief drover_probe_path() with a 1 s deadline, in the shape of the
 *        network choice's probe callback (drover_path_probe_fn; \p data
 *        is unused)
 */
int drover_probe_path_quick(void *data, GInetAddress *source,
                            GInetAddress *target, int size, GString *reason);

/*!
 * \brief Try a TCP connection from \p source to \p target's \p port
 *        within \p deadline
 *
 * A reset (nothing listens) or an accepted connection proves the path
 * carries TCP to that port; silence is a firewall dropping it.
 *
 * \return 0, or DROVER_RC_UNREACHABLE with \p reason saying why
 */
int drover_probe_tcp_port(GInetAddress *source, GInetAddress *target,
                          guint16 port, drover_deadline_t deadline,
                          GString *reason);

/*!
 * \brief The network choice's probe of a migration path: the MTU probe of
 *        drover_probe_path_quick(), then drover_probe_tcp_port() to the
 *        port \p data points to (a guint16; NULL: no TCP probe), 1 s each
 */
int drover_probe_migration_path(void *data, GInetAddress *source,
                                GInetAddress *target, int size,
                                GString *reason);

#endif /* DROVER_PROBE__H */
