/*
 * Migration network lists, VM orders and incoming policies: what parses,
 * and the message for what does not.
 */
#include <string.h>

#include <glib/gstdio.h>

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
    assert_rejected("none=10.0.0.0/8", "other than any and none");
    assert_rejected("lm1=a\rb/24", "'a b/24' is not a valid subnet; write");
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

/* A VM's order alone (the agent's parameter check): names only */
START_TEST(vm_order_syntax)
{
    static const struct {
        const char *text;
        const char *reason; /* NULL: valid */
    } rows[] = {
        { "lm2 lm1", NULL },
        { "lm2,lm1", NULL },
        { " lm9, x_1\t", NULL }, /* whether the cluster has them: later */
        { "lm1 lm1", "Migration network 'lm1' is listed twice" },
        { "LM1", "'LM1' is not a valid network name: use 1-32 of a-z, 0-9, "
                 "'-' and '_', starting with a letter or digit, other than "
                 "any and none" },
        { "lm1;reboot", "'lm1;reboot' is not a valid network name" },
        { "lm1 $(x)", "'$(x)' is not a valid network name" },
        { "-lm1", "'-lm1' is not a valid network name" },
        { "any", "'any' is not a valid network name" },
        { "lm1 a\rb", "'a b' is not a valid network name" },
        { ", ", "The network order is empty" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GString) reason = g_string_new(NULL);
        int rc = drover_networks_order_check(rows[i].text, reason);

        if (rows[i].reason == NULL) {
            ck_assert_msg(rc == 0, "%s: %s", rows[i].text, reason->str);
            continue;
        }
        ck_assert_int_eq(rc, DROVER_RC_CONFIG);
        ck_assert_msg(strstr(reason->str, rows[i].reason) != NULL,
                      "'%s' not in '%s'", rows[i].reason, reason->str);
    }
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

/* ---- choosing ---- */

static GHashTable *
facts_of(const char *lm1, const char *lm2, const char *mgmt)
{
    GHashTable *facts =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    const char *texts[] = { lm1, lm2, mgmt };
    const char *names[] = { "lm1", "lm2", "mgmt" };

    for (int i = 0; i < 3; i++) {
        g_autoptr(GString) reason = g_string_new(NULL);
        drover_net_facts_t *f = NULL;

        if (texts[i] == NULL) {
            continue;
        }
        f = g_new0(drover_net_facts_t, 1);
        ck_assert_int_eq(drover_net_facts_parse(texts[i], f, reason), 0);
        g_hash_table_insert(facts, (gpointer) names[i], f);
    }
    return facts;
}

static void
free_facts(GHashTable *facts)
{
    GHashTableIter iter;
    gpointer value = NULL;

    g_hash_table_iter_init(&iter, facts);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        drover_net_facts_clear(value);
    }
    g_hash_table_destroy(facts);
}

/* A fake network: probes to 10.20.1.12 at more than 1500 bytes are lost */
static int
fake_probe(void *data, GInetAddress *source, GInetAddress *target, int size,
           GString *reason)
{
    g_autofree char *to = g_inet_address_to_string(target);

    (void) source;
    *(int *) data += 1;
    if (strcmp(to, "10.20.1.12") == 0 && size > 1500) {
        g_string_printf(reason,
                        "a %d-byte don't-fragment probe to %s was "
                        "lost",
                        size, to);
        return DROVER_RC_UNREACHABLE;
    }
    return 0;
}

/* Choose for n1 -> n2 with the networks in \p groups ("lm1=fast
 * mgmt=fast") and describe: "lm1:skipped:why|lm2:chosen:..." */
static char *
choose_in_groups(const char *groups, const char *order_text,
                 const char *policy_text, GHashTable *src, GHashTable *dst,
                 int *probes)
{
    g_autoptr(GPtrArray) nets = networks();
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GPtrArray) order = NULL;
    g_autoptr(GPtrArray) choices = NULL;
    g_autoptr(drover_incoming_t) policy = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    static const char *verdicts[] = { "chosen", "skipped", "not tried",
                                      "equal" };
    g_auto(GStrv) memberships = g_strsplit(groups, " ", -1);
    drover_netsel_t sel = { 0 };
    int chosen;

    for (char **m = memberships; *m != NULL; m++) {
        g_auto(GStrv) pair = g_strsplit(*m, "=", 2);

        for (guint i = 0; i < nets->len; i++) {
            if (strcmp(net(nets, i)->name, pair[0]) == 0) {
                net(nets, i)->group = g_strdup(pair[1]);
            }
        }
    }

    ck_assert_int_eq(drover_networks_order(nets, order_text, &order, reason),
                     0);
    ck_assert_int_eq(drover_incoming_parse(nets, policy_text, &policy, reason),
                     0);
    sel.order = order;
    sel.policy = policy;
    sel.source_node = "n1";
    sel.target_node = "n2";
    sel.source_facts = src;
    sel.target_facts = dst;
    sel.probe = fake_probe;
    sel.probe_data = probes;
    chosen = drover_netsel_choose(&sel, &choices);
    for (guint i = 0; i < choices->len; i++) {
        drover_net_choice_t *c = g_ptr_array_index(choices, i);

        g_string_append_printf(out, "%s%s: %s (%s)", (i > 0) ? " | " : "",
                               c->network->name, verdicts[c->verdict],
                               c->reason);
        ck_assert((c->verdict == DROVER_NET_CHOSEN) == ((int) i == chosen));
    }
    free_facts(src);
    free_facts(dst);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *
choose(const char *order_text, const char *policy_text, GHashTable *src,
       GHashTable *dst, int *probes)
{
    return choose_in_groups("", order_text, policy_text, src, dst, probes);
}

#define N1_LM1  "address=10.20.1.11 mtu=1500 link=up"
#define N1_LM2  "address=10.20.2.11 mtu=1500 link=up"
#define N1_MGMT "address=10.20.0.11 mtu=1500 link=up"
#define N2_LM1  "address=10.20.1.12 mtu=1500 link=up"
#define N2_LM2  "address=10.20.2.12 mtu=1500 link=up"
#define N2_MGMT "address=10.20.0.12 mtu=1500 link=up"

START_TEST(first_usable_network)
{
    int probes = 0;
    g_autofree char *got =
        choose("lm1 lm2 mgmt", NULL, facts_of(N1_LM1, N1_LM2, N1_MGMT),
               facts_of(N2_LM1, N2_LM2, N2_MGMT), &probes);

    ck_assert_str_eq(got, "lm1: chosen (first usable network in the order) | "
                          "lm2: not tried (an earlier network was chosen) | "
                          "mgmt: not tried (an earlier network was chosen)");
    ck_assert_int_eq(probes, 1);
}
END_TEST

/* A group in its first network's place; leaving out that network (it
 * failed) after tiering keeps the rest of the group there */
START_TEST(group_keeps_its_place)
{
    g_autoptr(GPtrArray) nets = networks();
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    g_autoptr(GPtrArray) tiered = NULL;

    net(nets, 0)->group = g_strdup("fast"); /* lm1 */
    net(nets, 1)->group = g_strdup("fast"); /* lm2 */
    g_ptr_array_add(order, net(nets, 0));
    g_ptr_array_add(order, net(nets, 2)); /* mgmt */
    g_ptr_array_add(order, net(nets, 1));
    tiered = drover_netsel_tiered(order);
    ck_assert_uint_eq(tiered->len, 3);
    ck_assert_str_eq(net(tiered, 0)->name, "lm1");
    ck_assert_str_eq(net(tiered, 1)->name, "lm2");
    ck_assert_str_eq(net(tiered, 2)->name, "mgmt");
}
END_TEST

/* Networks of one group are of equal preference: all usable ones are
 * named, the group takes its first network's place in the order */
START_TEST(group_of_equal_networks)
{
    int probes = 0;
    g_autofree char *both =
        choose_in_groups("lm1=fast lm2=fast", "lm1 lm2 mgmt", NULL,
                         facts_of(N1_LM1, N1_LM2, N1_MGMT),
                         facts_of(N2_LM1, N2_LM2, N2_MGMT), &probes);
    g_autofree char *placed = NULL;
    g_autofree char *one_down = NULL;
    g_autofree char *first_down = NULL;

    ck_assert_str_eq(both, "lm1: chosen (first usable network in the order "
                           "(group fast)) | lm2: equal (usable, of equal "
                           "preference (group fast): migrations spread over "
                           "the group) | mgmt: not tried (an earlier network "
                           "was chosen)");
    ck_assert_int_eq(probes, 2);

    /* lm1 and mgmt are one group: mgmt comes before lm2 */
    probes = 0;
    placed = choose_in_groups("lm1=fast mgmt=fast", "lm1 lm2 mgmt", NULL,
                              facts_of(N1_LM1, N1_LM2, N1_MGMT),
                              facts_of(N2_LM1, N2_LM2, N2_MGMT), &probes);
    ck_assert_str_eq(placed, "lm1: chosen (first usable network in the order "
                             "(group fast)) | mgmt: equal (usable, of equal "
                             "preference (group fast): migrations spread "
                             "over the group) | lm2: not tried (an earlier "
                             "network was chosen)");

    /* a member that is down is skipped; the others still spread */
    one_down = choose_in_groups(
        "lm1=fast lm2=fast", "lm1 lm2 mgmt", NULL,
        facts_of(N1_LM1, N1_LM2, N1_MGMT),
        facts_of(N2_LM1, "address=10.20.2.12 mtu=1500 link=down", N2_MGMT),
        &probes);
    ck_assert_str_eq(one_down, "lm1: chosen (first usable network in the "
                               "order (group fast)) | lm2: skipped (n2's "
                               "link is down) | mgmt: not tried (an earlier "
                               "network was chosen)");

    /* the first member down: the second is chosen, the group still first */
    first_down = choose_in_groups(
        "lm1=fast lm2=fast", "lm1 mgmt lm2", NULL,
        facts_of(N1_LM1, N1_LM2, N1_MGMT),
        facts_of("address=10.20.1.12 mtu=1500 link=down", N2_LM2, N2_MGMT),
        &probes);
    ck_assert_str_eq(first_down, "lm1: skipped (n2's link is down) | lm2: "
                                 "chosen (first usable network in the order "
                                 "(group fast)) | mgmt: not tried (an earlier "
                                 "network was chosen)");
}
END_TEST

START_TEST(falls_back_on_link_down)
{
    int probes = 0;
    g_autofree char *got =
        choose("lm1 lm2", NULL, facts_of(N1_LM1, N1_LM2, NULL),
               facts_of("address=10.20.1.12 mtu=1500 link=down", N2_LM2, NULL),
               &probes);

    ck_assert_str_eq(got, "lm1: skipped (n2's link is down) | "
                          "lm2: chosen (first usable network in the order)");
}
END_TEST

START_TEST(falls_back_on_mtu_mismatch)
{
    int probes = 0;
    g_autofree char *got =
        choose("lm1 lm2", NULL,
               facts_of("address=10.20.1.11 mtu=9000 link=up", N1_LM2, NULL),
               facts_of(N2_LM1, N2_LM2, NULL), &probes);

    ck_assert_str_eq(got, "lm1: skipped (MTU mismatch: n1 has 9000, n2 has "
                          "1500) | lm2: chosen (first usable network in the "
                          "order)");
    ck_assert_int_eq(probes, 1); /* no probe where the facts already say no */
}
END_TEST

START_TEST(falls_back_on_a_lost_probe)
{
    int probes = 0;
    g_autofree char *got = choose(
        "lm1 lm2", NULL,
        facts_of("address=10.20.1.11 mtu=9000 link=up", N1_LM2, NULL),
        facts_of("address=10.20.1.12 mtu=9000 link=up", N2_LM2, NULL), &probes);

    ck_assert_str_eq(got, "lm1: skipped (a 9000-byte don't-fragment probe to "
                          "10.20.1.12 was lost) | lm2: chosen (first usable "
                          "network in the order)");
}
END_TEST

START_TEST(target_policy_wins_over_the_order)
{
    int probes = 0;
    g_autofree char *by_name =
        choose("lm1 lm2", "lm2", facts_of(N1_LM1, N1_LM2, NULL),
               facts_of(N2_LM1, N2_LM2, NULL), &probes);
    g_autofree char *by_address =
        choose("lm1 lm2", "10.20.2.12", facts_of(N1_LM1, N1_LM2, NULL),
               facts_of(N2_LM1, N2_LM2, NULL), &probes);
    g_autofree char *none =
        choose("lm1 lm2", "none", facts_of(N1_LM1, N1_LM2, NULL),
               facts_of(N2_LM1, N2_LM2, NULL), &probes);

    ck_assert_str_eq(by_name, "lm1: skipped (n2 does not accept migrations "
                              "on it (drover-incoming)) | lm2: chosen (first "
                              "usable network in the order)");
    ck_assert_str_eq(by_address, by_name);
    ck_assert_str_eq(none, "lm1: skipped (n2 does not accept migrations on "
                           "it (drover-incoming)) | lm2: skipped (n2 does "
                           "not accept migrations on it (drover-incoming))");
}
END_TEST

START_TEST(vm_order_overrides)
{
    int probes = 0;
    g_autofree char *got =
        choose("lm2 lm1", NULL, facts_of(N1_LM1, N1_LM2, NULL),
               facts_of(N2_LM1, N2_LM2, NULL), &probes);

    ck_assert_str_eq(got, "lm2: chosen (first usable network in the order) | "
                          "lm1: not tried (an earlier network was chosen)");
}
END_TEST

START_TEST(missing_address)
{
    int probes = 0;
    g_autofree char *got =
        choose("lm1 mgmt", NULL, facts_of(NULL, NULL, N1_MGMT),
               facts_of(N2_LM1, NULL, N2_MGMT), &probes);

    ck_assert_str_eq(got, "lm1: skipped (n1 has no address on it) | mgmt: "
                          "chosen (first usable network in the order)");
}
END_TEST

/* A published address outside the network's own subnets is never a
 * migration target (nor source), whatever else says yes */
START_TEST(address_outside_subnets)
{
    static const struct {
        const char *order;
        const char *policy;
        const char *src[3]; /* lm1, lm2, mgmt */
        const char *dst[3];
        const char *want;
    } rows[] = {
        /* n2 publishes its lm2 address as lm1's */
        { "lm1 lm2",
          NULL,
          { N1_LM1, N1_LM2, NULL },
          { "address=10.20.2.12 mtu=1500 link=up", N2_LM2, NULL },
          "lm1: skipped (n2's address 10.20.2.12 is outside lm1's subnets "
          "(10.20.1.0/24)) | lm2: chosen (first usable network in the "
          "order)" },
        /* the source's word counts as little */
        { "lm1 lm2",
          NULL,
          { "address=192.168.1.11 mtu=1500 link=up", N1_LM2, NULL },
          { N2_LM1, N2_LM2, NULL },
          "lm1: skipped (n1's address 192.168.1.11 is outside lm1's subnets "
          "(10.20.1.0/24)) | lm2: chosen (first usable network in the "
          "order)" },
        /* every subnet of the network is named */
        { "lm2 mgmt",
          NULL,
          { NULL, N1_LM2, N1_MGMT },
          { NULL, "address=10.99.0.12 mtu=1500 link=up", N2_MGMT },
          "lm2: skipped (n2's address 10.99.0.12 is outside lm2's subnets "
          "(10.20.2.0/24, fd00:20:2::/64)) | mgmt: chosen (first usable "
          "network in the order)" },
        /* an incoming policy naming the address does not make it fit */
        { "lm1",
          "10.9.9.12",
          { N1_LM1, NULL, NULL },
          { "address=10.9.9.12 mtu=1500 link=up", NULL, NULL },
          "lm1: skipped (n2's address 10.9.9.12 is outside lm1's subnets "
          "(10.20.1.0/24))" },
        /* inside the network's second subnet: fine */
        { "lm2",
          NULL,
          { NULL, "address=fd00:20:2::11 mtu=1500 link=up", NULL },
          { NULL, "address=fd00:20:2::12 mtu=1500 link=up", NULL },
          "lm2: chosen (first usable network in the order)" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        int probes = 0;
        g_autofree char *got = choose(
            rows[i].order, rows[i].policy,
            facts_of(rows[i].src[0], rows[i].src[1], rows[i].src[2]),
            facts_of(rows[i].dst[0], rows[i].dst[1], rows[i].dst[2]), &probes);

        ck_assert_msg(strcmp(got, rows[i].want) == 0, "row %zu:\n%s\nnot\n%s",
                      i, got, rows[i].want);
    }
}
END_TEST

START_TEST(facts_round_trip)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_net_facts_t f = { 0 };
    g_autofree char *text = NULL;

    ck_assert_int_eq(drover_net_facts_parse("address=fd00:20:2::12 mtu=9000 "
                                            "link=up",
                                            &f, reason),
                     0);
    text = drover_net_facts_format(&f);
    ck_assert_str_eq(text, "address=fd00:20:2::12 mtu=9000 link=up");
    drover_net_facts_clear(&f);
    ck_assert_int_eq(drover_net_facts_parse("mtu=9", &f, reason),
                     DROVER_RC_PROTOCOL);
    ck_assert_str_eq(reason->str, "'mtu=9' is not address=IP, mtu=68..65536 "
                                  "or link=up|down");
    ck_assert_int_eq(drover_net_facts_parse("address=10.1.1", &f, reason),
                     DROVER_RC_PROTOCOL);
}
END_TEST

START_TEST(local_facts_from_interfaces)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GPtrArray) nets = NULL;
    g_autoptr(GHashTable) facts = NULL;
    drover_net_facts_t *lo = NULL;
    g_autofree char *text = NULL;

    ck_assert_int_eq(drover_networks_parse("loop=127.0.0.0/8 nowhere=0.0.0.0/8",
                                           &nets, reason),
                     0);
    facts = drover_net_facts_local(nets);
    lo = g_hash_table_lookup(facts, "loop");
    ck_assert_ptr_nonnull(lo);
    text = drover_net_facts_format(lo);
    ck_assert_str_eq(text, "address=127.0.0.1 mtu=65536 link=up");
    ck_assert(!g_hash_table_contains(facts, "nowhere"));
}
END_TEST

START_TEST(migrate_uris_per_transport)
{
    g_autoptr(GPtrArray) nets = networks();
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string("10.20.1.12");
    g_autoptr(GInetAddress) v6 =
        g_inet_address_new_from_string("fd00:20:2::12");
    g_autofree char *tcp = NULL;
    g_autofree char *rdma = NULL;
    drover_transport_t t;

    tcp = drover_net_migrate_uri(net(nets, 0), v4, NULL);
    ck_assert_str_eq(tcp, "tcp://10.20.1.12");
    ck_assert_int_eq(drover_transport_parse("rdma", &t, reason), 0);
    net(nets, 1)->transport = t;
    rdma = drover_net_migrate_uri(net(nets, 1), v6, "49152");
    ck_assert_str_eq(rdma, "rdma://[fd00:20:2::12]:49152");
    ck_assert_int_eq(drover_transport_parse(NULL, &t, reason), 0);
    ck_assert_int_eq(t, DROVER_TRANSPORT_TCP);
    ck_assert_int_eq(drover_transport_parse("TLS", &t, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str,
                     "Unknown transport 'TLS' (valid: tcp, tls, rdma)");
}
END_TEST

static void
put(const char *root, const char *path, const char *content)
{
    g_autofree char *full = g_build_filename(root, path, NULL);
    g_autofree char *dir = g_path_get_dirname(full);

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
    if (content != NULL) {
        ck_assert(g_file_set_contents(full, content, -1, NULL));
    } else {
        ck_assert_int_eq(g_mkdir(full, 0755), 0);
    }
}

/* What sysfs shows of RDMA devices: an InfiniBand port under the
 * interface's own device (IPoIB, a RoCE adapter), or GIDs bound to the
 * interface (rdma_rxe); nothing for an interface without either */
START_TEST(rdma_device_of_an_interface)
{
    g_autofree char *root = g_dir_make_tmp("drover-sysfs-XXXXXX", NULL);
    g_autofree char *none = NULL;
    g_autofree char *ipoib = NULL;
    g_autofree char *rxe = NULL;
    g_autofree char *other = NULL;
    g_autofree char *bad = NULL;
    const char *argv[] = { "rm", "-rf", NULL, NULL };

    ck_assert_ptr_nonnull(root);
    put(root, "class/net/eth1/mtu", "1500\n");
    put(root, "class/net/ib0/device/infiniband/mlx5_0", NULL);
    put(root, "class/infiniband/rxe0/ports/1/gid_attrs/ndevs/0", "eth2\n");
    put(root, "class/infiniband/rxe0/ports/1/gid_attrs/ndevs/1", "\n");
    none = drover_net_rdma_device(root, "eth1");
    ipoib = drover_net_rdma_device(root, "ib0");
    rxe = drover_net_rdma_device(root, "eth2");
    other = drover_net_rdma_device(root, "eth3");
    bad = drover_net_rdma_device(root, "../ib0");
    ck_assert_ptr_null(none);
    ck_assert_str_eq(ipoib, "mlx5_0");
    ck_assert_str_eq(rxe, "rxe0");
    ck_assert_ptr_null(other);
    ck_assert_ptr_null(bad);
    argv[2] = root;
    ck_assert(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
                           NULL, NULL, NULL, NULL, NULL, NULL));
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
    tcase_add_test(tc, vm_order_syntax);
    tcase_add_test(tc, incoming_policies);
    tcase_add_test(tc, first_usable_network);
    tcase_add_test(tc, group_of_equal_networks);
    tcase_add_test(tc, group_keeps_its_place);
    tcase_add_test(tc, falls_back_on_link_down);
    tcase_add_test(tc, falls_back_on_mtu_mismatch);
    tcase_add_test(tc, falls_back_on_a_lost_probe);
    tcase_add_test(tc, target_policy_wins_over_the_order);
    tcase_add_test(tc, vm_order_overrides);
    tcase_add_test(tc, missing_address);
    tcase_add_test(tc, address_outside_subnets);
    tcase_add_test(tc, facts_round_trip);
    tcase_add_test(tc, local_facts_from_interfaces);
    tcase_add_test(tc, migrate_uris_per_transport);
    tcase_add_test(tc, rdma_device_of_an_interface);
    suite_add_tcase(s, tc);
    return s;
}
