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

#endif /* DROVER_PROBE__H */
