/*
 * libFuzzer target: a node's incoming policy (drover_incoming_parse) and
 * what it lets in (drover_incoming_allows).
 *
 * Input: "LIST\nPOLICY" (split at the first newline or NUL).  When LIST
 * does not parse, a fixed list stands in, so that the policy parser always
 * runs against valid networks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/netsel.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FALLBACK_NETS                                                          \
    "lm1=10.20.1.0/24 lm2=10.20.2.0/24,fd00:20:2::/64 mgmt=10.20.0.0/24"

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_incoming: %s (policy '%s')\n", what,
            (text != NULL) ? text : "(none)");
    abort();
}

/* Split \p data at the first newline or NUL into two strings (the second
 * NULL if there is no separator; it ends at its own first NUL) */
static char *
split_input(const uint8_t *data, size_t size, char **rest)
{
    const uint8_t *nl = memchr(data, '\n', size);
    const uint8_t *nul = memchr(data, '\0', size);
    const uint8_t *sep = (nl == NULL || (nul != NULL && nul < nl)) ? nul : nl;

    if (sep == NULL) {
        *rest = NULL;
        return g_strndup((const char *) data, size);
    }
    *rest = g_strndup((const char *) sep + 1, size - (sep - data) - 1);
    return g_strndup((const char *) data, sep - data);
}

static bool
listed_name(const drover_incoming_t *policy, const char *name)
{
    for (guint i = 0; i < policy->networks->len; i++) {
        if (strcmp(g_ptr_array_index(policy->networks, i), name) == 0) {
            return true;
        }
    }
    return false;
}

static bool
listed_address(const drover_incoming_t *policy, GInetAddress *address)
{
    for (guint i = 0; i < policy->addresses->len; i++) {
        if (g_inet_address_equal(g_ptr_array_index(policy->addresses, i),
                                 address)) {
            return true;
        }
    }
    return false;
}

/* What allows() must say for \p network at \p address (may be NULL) */
static void
check_allows(const drover_incoming_t *policy, const drover_network_t *network,
             GInetAddress *address, const char *text)
{
    bool expected = false;

    switch (policy->mode) {
        case DROVER_INCOMING_ANY: expected = true; break;
        case DROVER_INCOMING_NONE: expected = false; break;
        case DROVER_INCOMING_LISTED:
            expected = listed_name(policy, network->name)
                       || (address != NULL && listed_address(policy, address));
            break;
    }
    if (drover_incoming_allows(policy, network, address) != expected) {
        fail("allows() disagrees with the parsed policy", text);
    }
}

static void
check_policy(const GPtrArray *nets, const drover_incoming_t *policy,
             const char *text)
{
    guint listed = policy->networks->len + policy->addresses->len;

    switch (policy->mode) {
        case DROVER_INCOMING_ANY:
        case DROVER_INCOMING_NONE:
            if (listed > 0) {
                fail("any/none combined with other words", text);
            }
            break;
        case DROVER_INCOMING_LISTED:
            if (listed == 0) {
                fail("a listed policy lists nothing", text);
            }
            break;
        default: fail("unknown mode", text);
    }
    for (guint i = 0; i < policy->networks->len; i++) {
        const char *name = g_ptr_array_index(policy->networks, i);
        bool known = false;

        for (guint j = 0; j < nets->len && !known; j++) {
            const drover_network_t *n = g_ptr_array_index(nets, j);

            known = (strcmp(n->name, name) == 0);
        }
        if (!known) {
            fail("policy lists an unknown network", text);
        }
    }
    for (guint i = 0; i < nets->len; i++) {
        const drover_network_t *n = g_ptr_array_index(nets, i);

        check_allows(policy, n, NULL, text);
        for (guint s = 0; s < n->subnets->len; s++) {
            check_allows(policy, n,
                         g_inet_address_mask_get_address(
                             g_ptr_array_index(n->subnets, s)),
                         text);
        }
        for (guint a = 0; a < policy->addresses->len; a++) {
            check_allows(policy, n, g_ptr_array_index(policy->addresses, a),
                         text);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autofree char *list = split_input(data, size, &text);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GPtrArray) nets = NULL;
    g_autoptr(drover_incoming_t) policy = NULL;

    if (drover_networks_parse(list, &nets, reason) != 0
        && drover_networks_parse(FALLBACK_NETS, &nets, reason) != 0) {
        fail("the fallback list does not parse", FALLBACK_NETS);
    }
    g_string_truncate(reason, 0);
    if (drover_incoming_parse(nets, text, &policy, reason) != 0) {
        if (policy != NULL) {
            fail("rejected policy returned anyway", text);
        }
        if (reason->len == 0 || !g_utf8_validate(reason->str, -1, NULL)
            || strchr(reason->str, '\n') != NULL) {
            fail("rejected without a usable reason", text);
        }
        return 0;
    }
    if (policy == NULL) {
        fail("accepted policy not returned", text);
    }
    check_policy(nets, policy, text);
    return 0;
}
