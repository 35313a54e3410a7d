/*
 * Shared by lib/networks.c and lib/netsel.c, not part of the public API.
 */
#ifndef DROVER_NETSEL_PRIVATE__H
#define DROVER_NETSEL_PRIVATE__H

#include <drover/netsel.h>

/*! \brief Whether \p address is in one of \p network's subnets */
bool drover__network_contains(const drover_network_t *network,
                              GInetAddress *address);

#endif /* DROVER_NETSEL_PRIVATE__H */
