/*
 * Shared by lib/networks.c and lib/netsel.c, not part of the public API.
 */
#ifndef DROVER_NETSEL_PRIVATE__H
#define DROVER_NETSEL_PRIVATE__H

#include <drover/netsel.h>

/*! \brief Whether \p address is in one of \p network's subnets */
bool drover__network_contains(const drover_network_t *network,
                              GInetAddress *address);

/*! \brief Whether \p name is valid for a network (or a group of them):
 *         1-32 of [a-z0-9_-], starting with a letter or digit, not any or
 *         none */
bool drover__network_name_valid(const char *name);

#endif /* DROVER_NETSEL_PRIVATE__H */
