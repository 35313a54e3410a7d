/*
 * Migration network lists, VM orders and incoming policies: what parses,
 * and the message for what does not.
 */
#include <string.h>

#include <drover/netsel.h>
#include <drover/rc.h>

#include "unit.h"

#define NETS                                                                   \
    "lm1=10.20.1.0/24 lm2=10.20.2.0/24,fd00:20:2::/64 mgmt=10.20.0.0/24"

static GPtrArray *
networks(void)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    GPtrArray *nets = NULL;

    ck_assert_int_eq(drover_networks_parse(NETS, &nets, reason), 0);
    return nets;
}

static drover_network_t *
net(GPtrArray *nets, guint i)
{
    return g_ptr_array_index(nets, i);
}

START_TEST(parses_in_order)
{
    g_autoptr(GPtrArray) nets = networks();
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string("10.20.2.12");
    g_autoptr(GInetAddress) a6 =
        g_inet_address_new_from_string("fd00:20:2::12");
    g_autoptr(GInetAddress) other = g_inet_address_new_from_string("10.9.9.9");

    ck_assert_int_eq(nets->len, 3);
    ck_assert_str_eq(net(nets, 0)->name, "lm1");
    ck_assert_str_eq(net(nets, 1)->name, "lm2");
    ck_assert_int_eq(net(nets, 1)->subnets->len, 2);
    ck_assert_str_eq(net(nets, 2)->name, "mgmt");
    ck_assert_str_eq(drover_networks_find_address(nets, a)->name, "lm2");
    ck_assert_str_eq(drover_networks_find_address(nets, a6)->name, "lm2");
    ck_assert_ptr_null(drover_networks_find_address(nets, other));
}
END_TEST

/* \p text is rejected with a reason containing \p part */
static void
assert_rejected(const char *text, const char *part)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    GPtrArray *nets = NULL;

    ck_assert_int_eq(drover_networks_parse(text, &nets, reason),
                     DROVER_RC_CONFIG);
    ck_assert_ptr_null(nets);
    ck_assert_msg(strstr(reason->str, part) != NULL, "'%s' not in '%s'", part,
                  reason->str);
}

START_TEST(rejects_bad_lists)
{
    assert_rejected("", "The network list is empty");
    assert_rejected(NULL, "not set");
    assert_rejected("lm1", "'lm1' is not NAME=SUBNET");
    assert_rejected("lm1=", "'lm1=' is not NAME=SUBNET");
    assert_rejected("LM1=10.0.0.0/8", "'LM1' is not a valid network name");
    assert_rejected("-x=10.0.0.0/8", "'-x' is not a valid network name");
    assert_rejected("lm1=10.20.1.0", "'10.20.1.0' is not a subnet");
    assert_rejected("lm1=10.20.1.5/24", "'10.20.1.5/24' is not a valid subnet");
    assert_rejected("lm1=300.1.1.0/24", "'300.1.1.0/24' is not a valid subnet");
    assert_rejected("lm1=10.20.1.0/33", "is not a valid subnet");
    assert_rejected("lm1=10.20.1.0/24 lm1=10.20.2.0/24",
                    "Network 'lm1' is listed twice");
    assert_rejected("lm1=10.20.0.0/16 lm2=10.20.2.0/24",
                    "Subnet 10.20.2.0/24 of network 'lm2' overlaps network "
                    "'lm1'");
    assert_rejected("lm1=10.20.1.0/24,10.20.1.128/25",
                    "overlaps network 'lm1'");
    assert_rejected("lm1=10.20.1.0/24 \xff=1.0.0.0/8", "not valid UTF-8");
}
END_TEST

START_TEST(vm_order)
{
    g_autoptr(GPtrArray) nets = networks();
    g_autoptr(GString) reason = g_string_new(NULL);
    GPtrArray *order = NULL;

    ck_assert_int_eq(drover_networks_order(nets, "lm2, lm1", &order, reason),
                     0);
    ck_assert_int_eq(order->len, 2);
    ck_assert_str_eq(net(order, 0)->name, "lm2");
    ck_assert_str_eq(net(order, 1)->name, "lm1");
    g_ptr_array_unref(order);

    ck_assert_int_eq(drover_networks_order(nets, "lm3", &order, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str, "Unknown migration network 'lm3'; the "
                                  "cluster has: lm1, lm2, mgmt");
    ck_assert_int_eq(drover_networks_order(nets, "lm1 lm1", &order, reason),
                     DROVER_RC_CONFIG);
    ck_assert_ptr_nonnull(strstr(reason->str, "listed twice"));
    ck_assert_int_eq(drover_networks_order(nets, " ", &order, reason),
                     DROVER_RC_CONFIG);
}
END_TEST

START_TEST(incoming_policies)
{
    g_autoptr(GPtrArray) nets = networks();
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GInetAddress) lm2_addr =
        g_inet_address_new_from_string("10.20.2.12");
    g_autoptr(GInetAddress) lm1_addr =
        g_inet_address_new_from_string("10.20.1.12");
    drover_incoming_t *p = NULL;

    ck_assert_int_eq(drover_incoming_parse(nets, NULL, &p, reason), 0);
    ck_assert_int_eq(p->mode, DROVER_INCOMING_ANY);
    ck_assert(drover_incoming_allows(p, net(nets, 0), NULL));
    drover_incoming_free(p);

    ck_assert_int_eq(drover_incoming_parse(nets, "none", &p, reason), 0);
    ck_assert(!drover_incoming_allows(p, net(nets, 0), lm1_addr));
    drover_incoming_free(p);

    ck_assert_int_eq(drover_incoming_parse(nets, "lm2", &p, reason), 0);
    ck_assert(!drover_incoming_allows(p, net(nets, 0), lm1_addr));
    ck_assert(drover_incoming_allows(p, net(nets, 1), lm2_addr));
    drover_incoming_free(p);

    /* by the node's own address */
    ck_assert_int_eq(drover_incoming_parse(nets, "10.20.2.12", &p, reason), 0);
    ck_assert(!drover_incoming_allows(p, net(nets, 0), lm1_addr));
    ck_assert(drover_incoming_allows(p, net(nets, 1), lm2_addr));
    drover_incoming_free(p);

    ck_assert_int_eq(drover_incoming_parse(nets, "lm3", &p, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str, "Incoming policy: 'lm3' is neither any, "
                                  "none, a migration network (lm1, lm2, "
                                  "mgmt) nor an IP address");
    ck_assert_int_eq(drover_incoming_parse(nets, "none lm1", &p, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str, "Incoming policy: 'none' stands alone; do "
                                  "not combine it with other words");
}
END_TEST

Suite *
netsel_suite(void)
{
    Suite *s = suite_create("netsel");
    TCase *tc = tcase_create("netsel");

    tcase_add_test(tc, parses_in_order);
    tcase_add_test(tc, rejects_bad_lists);
    tcase_add_test(tc, vm_order);
    tcase_add_test(tc, incoming_policies);
    suite_add_tcase(s, tc);
    return s;
}
