/*
 * libFuzzer target: the cluster's network list (drover_networks_parse) and
 * a VM's order against it (drover_networks_order).
 *
 * Input: "LIST\nORDER" (split at the first newline or NUL).  A parsed list
 * must keep its documented promises and survive a round trip through its
 * canonical text; every rejection must come with a one-line reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/netsel.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME_MAX_CHARS 32

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_networks: %s (input '%s')\n", what,
            (text != NULL) ? text : "(none)");
    abort();
}

/* The reason given for a rejection: set, valid UTF-8, one line */
static void
check_reason(const GString *reason, const char *text)
{
    if (reason->len == 0 || !g_utf8_validate(reason->str, -1, NULL)
        || strchr(reason->str, '\n') != NULL) {
        fail("rejected without a usable reason", text);
    }
}

/* The documented rule, written independently of valid_name() */
static bool
name_ok(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > NAME_MAX_CHARS || name[0] == '-' || name[0] == '_') {
        return false;
    }
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") == len;
}

static bool
overlap(GInetAddressMask *a, GInetAddressMask *b)
{
    return g_inet_address_mask_get_family(a)
               == g_inet_address_mask_get_family(b)
           && (g_inet_address_mask_matches(a,
                                           g_inet_address_mask_get_address(b))
               || g_inet_address_mask_matches(
                   b, g_inet_address_mask_get_address(a)));
}

static void
check_networks(const GPtrArray *nets, const char *text)
{
    if (nets == NULL || nets->len == 0) {
        fail("accepted an empty list", text);
    }
    for (guint i = 0; i < nets->len; i++) {
        const drover_network_t *n = g_ptr_array_index(nets, i);

        if (!name_ok(n->name)) {
            fail("accepted a bad network name", text);
        }
        if (n->subnets->len == 0) {
            fail("accepted a network without subnets", text);
        }
        for (guint s = 0; s < n->subnets->len; s++) {
            GInetAddressMask *mask = g_ptr_array_index(n->subnets, s);
            GInetAddress *base = g_inet_address_mask_get_address(mask);

            /* no host bits: the subnet holds its own base address, and
             * that address leads back to this network */
            if (!g_inet_address_mask_matches(mask, base)
                || drover_networks_find_address(nets, base) != n) {
                fail("a subnet's address is not found in its network", text);
            }
        }
        for (guint j = 0; j < i; j++) {
            const drover_network_t *m = g_ptr_array_index(nets, j);

            if (strcmp(m->name, n->name) == 0) {
                fail("accepted a network listed twice", text);
            }
            for (guint s = 0; s < n->subnets->len; s++) {
                for (guint t = 0; t < m->subnets->len; t++) {
                    if (overlap(g_ptr_array_index(n->subnets, s),
                                g_ptr_array_index(m->subnets, t))) {
                        fail("accepted overlapping networks", text);
                    }
                }
            }
        }
    }
}

/* "name=subnet,subnet name=subnet" from parsed networks (not with
 * g_inet_address_mask_to_string(): it leaves out a /32 or /128) */
static char *
canonical(const GPtrArray *nets)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < nets->len; i++) {
        const drover_network_t *n = g_ptr_array_index(nets, i);

        g_string_append_printf(text, "%s%s=", (i > 0) ? " " : "", n->name);
        for (guint s = 0; s < n->subnets->len; s++) {
            GInetAddressMask *mask = g_ptr_array_index(n->subnets, s);
            g_autofree char *address =
                g_inet_address_to_string(g_inet_address_mask_get_address(mask));

            g_string_append_printf(text, "%s%s/%u", (s > 0) ? "," : "", address,
                                   g_inet_address_mask_get_length(mask));
        }
    }
    return g_string_free(text, FALSE);
}

static void
check_round_trip(const GPtrArray *nets, const char *text)
{
    g_autofree char *again = canonical(nets);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GPtrArray) reparsed = NULL;

    if (drover_networks_parse(again, &reparsed, reason) != 0
        || reparsed->len != nets->len) {
        fail("canonical text of a parsed list does not parse again", text);
    }
    for (guint i = 0; i < nets->len; i++) {
        const drover_network_t *a = g_ptr_array_index(nets, i);
        const drover_network_t *b = g_ptr_array_index(reparsed, i);

        if (strcmp(a->name, b->name) != 0
            || a->subnets->len != b->subnets->len) {
            fail("round trip changed the networks", text);
        }
        for (guint s = 0; s < a->subnets->len; s++) {
            if (!g_inet_address_mask_equal(g_ptr_array_index(a->subnets, s),
                                           g_ptr_array_index(b->subnets, s))) {
                fail("round trip changed a subnet", text);
            }
        }
    }
}

static void
check_order(const GPtrArray *nets, const char *text)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GPtrArray) order = NULL;
    int rc = drover_networks_order(nets, text, &order, reason);

    if (rc != 0) {
        if (order != NULL) {
            fail("rejected order returned anyway", text);
        }
        check_reason(reason, text);
        return;
    }
    if (order == NULL || order->len == 0 || order->len > nets->len) {
        fail("accepted order has a wrong length", text);
    }
    for (guint i = 0; i < order->len; i++) {
        gpointer n = g_ptr_array_index(order, i);

        if (!g_ptr_array_find((GPtrArray *) nets, n, NULL)) {
            fail("order names a network not in the list", text);
        }
        for (guint j = 0; j < i; j++) {
            if (g_ptr_array_index(order, j) == n) {
                fail("order names a network twice", text);
            }
        }
    }
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *order = NULL;
    g_autofree char *list = split_input(data, size, &order);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GPtrArray) nets = NULL;

    if (drover_networks_parse(list, &nets, reason) != 0) {
        if (nets != NULL) {
            fail("rejected list returned anyway", list);
        }
        check_reason(reason, list);
        return 0;
    }
    check_networks(nets, list);
    check_round_trip(nets, list);
    check_order(nets, order);
    return 0;
}
