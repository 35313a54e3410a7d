/*
 * drover's configuration checked as a whole.
 */
#include <string.h>

#include <drover/config.h>

#include "unit.h"

/* A CIB with node n1: its policy \p incoming (NULL: unset), the facts it
 * published (\p facts: nvpairs, NULL: none) and \p resources (XML) */
static GPtrArray *
check_cib(const char *networks, const char *incoming, const char *facts,
          const char *resources)
{
    g_autoptr(GString) xml = g_string_new(
        "<cib><configuration><crm_config><cluster_property_set id='o'>");
    g_autoptr(drover_cib_t) cib = NULL;

    if (networks != NULL) {
        g_string_append_printf(xml,
                               "<nvpair id='n' name='drover-migration-networks'"
                               " value='%s'/>",
                               networks);
    }
    g_string_append(xml, "</cluster_property_set></crm_config><nodes>"
                         "<node id='1' uname='n1'>");
    if (incoming != NULL) {
        g_string_append_printf(xml,
                               "<instance_attributes id='a'><nvpair id='b' "
                               "name='drover-incoming' value='%s'/>"
                               "</instance_attributes>",
                               incoming);
    }
    g_string_append_printf(xml,
                           "</node></nodes><resources>%s</resources>"
                           "</configuration><status><node_state id='1' "
                           "uname='n1'><transient_attributes id='1'>"
                           "<instance_attributes id='s'>%s"
                           "</instance_attributes></transient_attributes>"
                           "</node_state></status></cib>",
                           (resources != NULL) ? resources : "",
                           (facts != NULL) ? facts : "");
    ck_assert_int_eq(drover_cib_from_xml(xml->str, &cib), 0);
    return drover_config_check(cib);
}

static GPtrArray *
check(const char *networks, const char *incoming)
{
    return check_cib(networks, incoming, NULL, NULL);
}

/* n1's published facts on lm1 */
#define LM1_FACTS(f) "<nvpair id='f' name='drover-net-lm1' value='" f "'/>"

#define LM1  "lm1=10.20.1.0/24"
#define LM12 "lm1=10.20.1.0/24 lm2=10.20.2.0/24"

static drover_problem_t *
problem(GPtrArray *problems, guint i)
{
    return g_ptr_array_index(problems, i);
}

START_TEST(valid_configuration)
{
    g_autoptr(GPtrArray) p = check("lm1=10.20.1.0/24 lm2=10.20.2.0/24", "lm2");

    ck_assert_int_eq(p->len, 0);
}
END_TEST

START_TEST(bad_network_list_reported_once)
{
    g_autoptr(GPtrArray) p =
        check("lm1=10.20.1.0/24 lm1=10.20.2.0/24", "bogus");

    ck_assert_int_eq(p->len, 1);
    ck_assert_int_eq(problem(p, 0)->severity, DROVER_PROBLEM_ERROR);
    ck_assert_str_eq(problem(p, 0)->subject, "cluster");
    ck_assert_str_eq(problem(p, 0)->message, "Network 'lm1' is listed twice");
}
END_TEST

START_TEST(bad_incoming_policy)
{
    g_autoptr(GPtrArray) p = check("lm1=10.20.1.0/24", "lm2");

    ck_assert_int_eq(p->len, 1);
    ck_assert_str_eq(problem(p, 0)->subject, "node n1");
    ck_assert_str_eq(problem(p, 0)->name, "drover-incoming");
    ck_assert_str_eq(problem(p, 0)->value, "lm2");
    ck_assert_ptr_nonnull(strstr(problem(p, 0)->message, "(lm1)"));
}
END_TEST

START_TEST(policy_without_networks)
{
    g_autoptr(GPtrArray) by_address = check(NULL, "10.20.2.12");
    g_autoptr(GPtrArray) by_name = check(NULL, "lm2");
    g_autoptr(GPtrArray) any = check(NULL, "any");

    ck_assert_int_eq(by_address->len, 1);
    ck_assert_int_eq(problem(by_address, 0)->severity, DROVER_PROBLEM_WARNING);
    ck_assert_int_eq(by_name->len, 1);
    ck_assert_int_eq(problem(by_name, 0)->severity, DROVER_PROBLEM_ERROR);
    ck_assert_ptr_nonnull(
        strstr(problem(by_name, 0)->message, "(none defined)"));
    ck_assert_int_eq(any->len, 0);
}
END_TEST

START_TEST(policy_address_on_no_network)
{
    g_autoptr(GPtrArray) p = check(LM12, "10.20.1.11 10.20.9.5");

    ck_assert_int_eq(p->len, 1);
    ck_assert_int_eq(problem(p, 0)->severity, DROVER_PROBLEM_ERROR);
    ck_assert_str_eq(problem(p, 0)->value, "10.20.1.11 10.20.9.5");
    ck_assert_str_eq(problem(p, 0)->message,
                     "10.20.9.5 is on none of the migration networks (lm1 "
                     "10.20.1.0/24, lm2 10.20.2.0/24); list n1's own address "
                     "on one of them");
}
END_TEST

START_TEST(policy_address_not_the_nodes)
{
    const char *facts = LM1_FACTS("address=10.20.1.11 mtu=1500 link=up");
    g_autoptr(GPtrArray) other = check_cib(LM1, "10.20.1.99", facts, NULL);
    g_autoptr(GPtrArray) own = check_cib(LM1, "10.20.1.11", facts, NULL);
    g_autoptr(GPtrArray) unpublished = check(LM1, "10.20.1.99");
    g_autoptr(GPtrArray) v6 =
        check_cib("lm1=fd00:20:1::/64", "fd00:20:1:0:0::11",
                  LM1_FACTS("address=fd00:20:1::11 link=up"), NULL);

    ck_assert_int_eq(other->len, 1);
    ck_assert_int_eq(problem(other, 0)->severity, DROVER_PROBLEM_ERROR);
    ck_assert_str_eq(problem(other, 0)->subject, "node n1");
    ck_assert_str_eq(problem(other, 0)->message,
                     "10.20.1.99 is not n1's address on lm1 (it has "
                     "10.20.1.11)");
    ck_assert_int_eq(own->len, 0);
    ck_assert_int_eq(unpublished->len, 0); /* nothing known to compare */
    ck_assert_int_eq(v6->len, 0);          /* addresses, not strings */
}
END_TEST

START_TEST(node_unreachable)
{
    const char *down = LM1_FACTS("address=10.20.1.11 mtu=1500 link=down");
    const char *up = LM1_FACTS("address=10.20.1.11 mtu=1500 link=up");
    g_autoptr(GPtrArray) any = check_cib(LM12, NULL, down, NULL);
    g_autoptr(GPtrArray) lm2 = check_cib(LM12, "lm2", up, NULL);
    g_autoptr(GPtrArray) by_address = check_cib(LM12, "10.20.2.11", up, NULL);
    g_autoptr(GPtrArray) none = check_cib(LM12, "none", down, NULL);
    g_autoptr(GPtrArray) lm1 = check_cib(LM12, "lm2 lm1", up, NULL);
    g_autoptr(GPtrArray) bad_facts =
        check_cib(LM12, "lm2", LM1_FACTS("address=bogus link=up"), NULL);

    ck_assert_int_eq(any->len, 1);
    ck_assert_int_eq(problem(any, 0)->severity, DROVER_PROBLEM_WARNING);
    ck_assert_ptr_null(problem(any, 0)->value);
    ck_assert_str_eq(problem(any, 0)->message,
                     "n1 accepts any network but has published no address "
                     "with link up on lm1, lm2: no live migration can reach "
                     "it (it has published lm1 address=10.20.1.11 mtu=1500 "
                     "link=down)");
    ck_assert_int_eq(lm2->len, 1);
    ck_assert_str_eq(problem(lm2, 0)->message,
                     "n1 accepts lm2 only but has published no address with "
                     "link up on lm2: no live migration can reach it (it has "
                     "published lm1 address=10.20.1.11 mtu=1500 link=up)");
    ck_assert_int_eq(by_address->len, 1);
    ck_assert_ptr_nonnull(strstr(problem(by_address, 0)->message,
                                 "accepts 10.20.2.11 only but has published "
                                 "no address with link up on lm2:"));
    ck_assert_int_eq(none->len, 0);      /* refusing all is its purpose */
    ck_assert_int_eq(lm1->len, 0);       /* lm1 reaches it */
    ck_assert_int_eq(bad_facts->len, 0); /* nothing valid published */
}
END_TEST

static const char *const vms =
    "<primitive id='vm1' class='ocf' provider='heartbeat' "
    "type='VirtualDomain'><instance_attributes id='i1'>"
    "<nvpair id='p1' name='migration_networks' value='lm9'/>"
    "</instance_attributes></primitive>"
    "<group id='g'><primitive id='vm2' class='ocf' provider='drover' "
    "type='VirtualDomain'><instance_attributes id='i2'>"
    "<nvpair id='p2' name='migration_networks' value='lm2 lm9'/>"
    "</instance_attributes></primitive></group>"
    "<clone id='c'><primitive id='vm3' class='ocf' provider='drover' "
    "type='VirtualDomain'><instance_attributes id='i3'>"
    "<nvpair id='p3' name='migration_networks' value='lm1'/>"
    "</instance_attributes></primitive></clone>"
    "<primitive id='vm4' class='ocf' provider='drover' type='VirtualDomain'>"
    "<instance_attributes id='i4'>"
    "<nvpair id='p4' name='migration_networks' value=''/>"
    "</instance_attributes></primitive>";

START_TEST(vm_network_orders)
{
    g_autoptr(GPtrArray) p = check_cib(LM12, NULL, NULL, vms);
    g_autoptr(GPtrArray) unset = check_cib(NULL, NULL, NULL, vms);
    g_autoptr(GPtrArray) bad_list = check_cib("lm1=bogus", NULL, NULL, vms);

    /* vm1 is not drover's; vm4's empty value is unset, as for the agent;
     * last, Pacemaker's migration-limit is not set */
    ck_assert_int_eq(p->len, 2);
    ck_assert_str_eq(problem(p, 1)->name, "migration-limit");
    ck_assert_int_eq(problem(p, 1)->severity, DROVER_PROBLEM_WARNING);
    ck_assert_int_eq(problem(p, 0)->severity, DROVER_PROBLEM_ERROR);
    ck_assert_str_eq(problem(p, 0)->subject, "resource vm2");
    ck_assert_str_eq(problem(p, 0)->name, "migration_networks");
    ck_assert_str_eq(problem(p, 0)->value, "lm2 lm9");
    ck_assert_str_eq(problem(p, 0)->message,
                     "Unknown migration network 'lm9'; the cluster has: lm1, "
                     "lm2");
    ck_assert_int_eq(unset->len, 3);
    ck_assert_int_eq(problem(unset, 0)->severity, DROVER_PROBLEM_WARNING);
    ck_assert_str_eq(problem(unset, 0)->subject, "resource vm2");
    ck_assert_ptr_nonnull(
        strstr(problem(unset, 0)->message, "this order is ignored"));
    ck_assert_str_eq(problem(unset, 1)->subject, "resource vm3");
    /* reported once, for the cluster (then migration-limit) */
    ck_assert_int_eq(bad_list->len, 2);
    ck_assert_str_eq(problem(bad_list, 0)->subject, "cluster");
    ck_assert_str_eq(problem(bad_list, 0)->name, "drover-migration-networks");
}
END_TEST

/* The fixture with one of each problem, as `drover config check` shows it */
START_TEST(fixture_problems)
{
    g_autofree char *path = unit_data_path("cib-check.xml");
    g_autofree char *xml = NULL;
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) p = NULL;
    const char *expected[][3] = {
        { "error", "node n1", "10.20.1.11 10.20.9.5" },
        { "error", "node n2", "10.20.2.99" },
        { "warning", "node n3", "lm2" },
        { "warning", "node n4", NULL },
        { "error", "resource vm3", "lm2 lm9" },
        { "error", "resource vm5", "lm1,lm1" },
        { "warning", "node n1", "3" },     /* a transient max-incoming */
        { "warning", "cluster", "unset" }, /* migration-limit */
    };

    ck_assert(g_file_get_contents(path, &xml, NULL, NULL));
    ck_assert_int_eq(drover_cib_from_xml(xml, &cib), 0);
    p = drover_config_check(cib);
    ck_assert_int_eq(p->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < p->len; i++) {
        ck_assert_str_eq(problem(p, i)->severity == DROVER_PROBLEM_ERROR
                             ? "error"
                             : "warning",
                         expected[i][0]);
        ck_assert_str_eq(problem(p, i)->subject, expected[i][1]);
        ck_assert_pstr_eq(problem(p, i)->value, expected[i][2]);
    }
}
END_TEST

/* A NodeHealth must keep running on a red node: allow-unhealthy-nodes,
 * on the primitive or (inherited) on its clone */
START_TEST(health_agent_on_red_nodes)
{
    static const struct {
        const char *clone_meta;     /* NULL: none */
        const char *primitive_meta; /* NULL: none */
        bool flagged;
    } rows[] = {
        { NULL, NULL, true },      { "false", NULL, true },
        { "true", NULL, false },   { NULL, "yes", false },
        { "true", "false", true }, /* the primitive's own wins */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GString) xml = g_string_new("<clone id='hc'>");
        g_autoptr(GPtrArray) p = NULL;

        if (rows[i].clone_meta != NULL) {
            g_string_append_printf(
                xml,
                "<meta_attributes id='hc-m'><nvpair id='hc-a' "
                "name='allow-unhealthy-nodes' value='%s'/></meta_attributes>",
                rows[i].clone_meta);
        }
        g_string_append(xml, "<primitive id='health' class='ocf' "
                             "provider='drover' type='NodeHealth'>");
        if (rows[i].primitive_meta != NULL) {
            g_string_append_printf(
                xml,
                "<meta_attributes id='h-m'><nvpair id='h-a' "
                "name='allow-unhealthy-nodes' value='%s'/></meta_attributes>",
                rows[i].primitive_meta);
        }
        g_string_append(xml, "</primitive></clone>");
        p = check_cib(LM1, NULL, NULL, xml->str);
        ck_assert_msg(p->len == (rows[i].flagged ? 1 : 0), "row %zu: %u", i,
                      p->len);
        if (rows[i].flagged) {
            ck_assert_int_eq(problem(p, 0)->severity, DROVER_PROBLEM_ERROR);
            ck_assert_str_eq(problem(p, 0)->subject, "resource health");
            ck_assert_str_eq(problem(p, 0)->name, "allow-unhealthy-nodes");
            ck_assert_ptr_nonnull(
                strstr(problem(p, 0)->message, "allow-unhealthy-nodes=true"));
        }
    }
}
END_TEST

/* A tls transport needs certificates: this node's are checked by the
 * health check's own reading, and a missing one is an error */
START_TEST(tls_transport_needs_certificates)
{
    static const char *transports[] = { "tls", "tcp" };

    for (size_t i = 0; i < G_N_ELEMENTS(transports); i++) {
        g_autofree char *xml = g_strdup_printf(
            "<cib><configuration><crm_config><cluster_property_set id='o'>"
            "<nvpair id='n' name='drover-migration-networks' value='" LM12 "'/>"
            "<nvpair id='t' name='drover-network-lm2-transport' value='%s'/>"
            "<nvpair id='d' name='drover-health-tls-dir' value='/nonexistent'/>"
            "</cluster_property_set></crm_config><nodes/><resources/>"
            "</configuration><status/></cib>",
            transports[i]);
        g_autoptr(drover_cib_t) cib = NULL;
        g_autoptr(GPtrArray) p =
            g_ptr_array_new_with_free_func(drover_problem_free);

        ck_assert_int_eq(drover_cib_from_xml(xml, &cib), 0);
        drover_config_check_node(cib, "n1", drover_deadline_in_ms(5000), p);
        if (strcmp(transports[i], "tcp") == 0) {
            ck_assert_int_eq(p->len, 0);
            continue;
        }
        /* libvirt's server and client certificate, then QEMU's (in this
         * host's /etc/pki/qemu: missing unless someone made them) */
        ck_assert_uint_ge(p->len, 2);
        ck_assert_uint_le(p->len, 4);
        for (guint j = 0; j < p->len; j++) {
            ck_assert_int_eq(problem(p, j)->severity, DROVER_PROBLEM_ERROR);
            ck_assert_str_eq(problem(p, j)->subject, "node n1");
            ck_assert_ptr_nonnull(strstr(problem(p, j)->message, ": missing: "
                                                                 "the tls "
                                                                 "transport "
                                                                 "of lm2"));
        }
        ck_assert_str_eq(problem(p, 0)->value, "/nonexistent/servercert.pem");
        ck_assert_str_eq(problem(p, 1)->value, "/nonexistent/clientcert.pem");
        for (guint j = 2; j < p->len; j++) {
            ck_assert(g_str_has_suffix(problem(p, j)->value, "-cert.pem"));
        }
    }
}
END_TEST

/* Names an admin mistypes or sets in the wrong place, and values the
 * health checks and the slot group cannot use */
START_TEST(names_and_settings)
{
    g_autofree char *path = unit_data_path("cib-names.xml");
    g_autofree char *xml = NULL;
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) p = NULL;
    const char *expected[][3] = {
        { "cluster", "drover-frobnicate", "Not a drover cluster property" },
        { "cluster", "drover-health-ldap-uri", "'http://x' is not an ldap://" },
        { "cluster", "drover-health-tls", "Expected one of on, off or auto" },
        { "cluster", "drover-health-tls-warn-days", "0 to 3650" },
        { "cluster", "drover-incoming", "A node attribute, not a cluster" },
        { "cluster", "drover-max-migration",
          "did you mean drover-max-migrations?" },
        { "cluster", "drover-slots-protocol", "Expected one of 1 or 2" },
        { "node n1", "drover-incomming", "did you mean drover-incoming?" },
        { "node n1", "drover-migration-networks",
          "A cluster property, not a node attribute" },
        { "node n1", "drover-incoming", "Transient" },
        { "cluster", "drover-health-ldap-uri",
          "Needs drover-health-ldap-base" },
        { "cluster", "drover-health-ldap-uri",
          "in clear to ldap://10.20.0.11" },
    };

    ck_assert(g_file_get_contents(path, &xml, NULL, NULL));
    ck_assert_int_eq(drover_cib_from_xml(xml, &cib), 0);
    p = drover_config_check(cib);
    ck_assert_int_eq(p->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < p->len; i++) {
        ck_assert_str_eq(problem(p, i)->subject, expected[i][0]);
        ck_assert_str_eq(problem(p, i)->name, expected[i][1]);
        ck_assert_msg(strstr(problem(p, i)->message, expected[i][2]) != NULL,
                      "%u: %s", i, problem(p, i)->message);
        ck_assert_int_eq(problem(p, i)->severity,
                         (strcmp(expected[i][2], "Transient") == 0)
                             ? DROVER_PROBLEM_WARNING
                             : DROVER_PROBLEM_ERROR);
    }
}
END_TEST

/* A directory setting without the URI checks nothing: said, by name */
START_TEST(ldap_settings_without_uri)
{
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) p = NULL;

    ck_assert_int_eq(
        drover_cib_from_xml(
            "<cib><configuration><crm_config><cluster_property_set id='o'>"
            "<nvpair id='b' name='drover-health-ldap-base' value='ou=h'/>"
            "<nvpair id='e' name='drover-health-ldap-expect' value='cn'/>"
            "</cluster_property_set></crm_config><nodes/><resources/>"
            "<constraints/></configuration><status/></cib>",
            &cib),
        0);
    p = drover_config_check(cib);
    ck_assert_int_eq(p->len, 2);
    ck_assert_str_eq(problem(p, 0)->name, "drover-health-ldap-base");
    ck_assert_str_eq(problem(p, 1)->name, "drover-health-ldap-expect");
    ck_assert_str_eq(problem(p, 1)->message,
                     "Set without drover-health-ldap-uri: no directory is "
                     "checked; set the URI (ldap:// or ldaps://) or delete "
                     "this");
    ck_assert_int_eq(problem(p, 1)->severity, DROVER_PROBLEM_ERROR);
}
END_TEST

Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, valid_configuration);
    tcase_add_test(tc, bad_network_list_reported_once);
    tcase_add_test(tc, bad_incoming_policy);
    tcase_add_test(tc, policy_without_networks);
    tcase_add_test(tc, policy_address_on_no_network);
    tcase_add_test(tc, policy_address_not_the_nodes);
    tcase_add_test(tc, node_unreachable);
    tcase_add_test(tc, vm_network_orders);
    tcase_add_test(tc, fixture_problems);
    tcase_add_test(tc, health_agent_on_red_nodes);
    tcase_add_test(tc, tls_transport_needs_certificates);
    tcase_add_test(tc, ldap_settings_without_uri);
    tcase_add_test(tc, names_and_settings);
    suite_add_tcase(s, tc);
    return s;
}
