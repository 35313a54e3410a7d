/*
 * drover's configuration checked as a whole.
 */
#include <string.h>

#include <drover/config.h>

#include "unit.h"

static GPtrArray *
check(const char *networks, const char *incoming)
{
    g_autofree char *xml = g_strdup_printf(
        "<cib><configuration><crm_config><cluster_property_set id='o'>%s%s%s"
        "</cluster_property_set></crm_config><nodes>"
        "<node id='1' uname='n1'><instance_attributes id='a'>"
        "<nvpair id='b' name='drover-incoming' value='%s'/>"
        "</instance_attributes></node></nodes></configuration></cib>",
        networks ? "<nvpair id='n' name='drover-migration-networks' value='"
                 : "",
        networks ? networks : "", networks ? "'/>" : "", incoming);
    g_autoptr(drover_cib_t) cib = NULL;

    ck_assert_int_eq(drover_cib_from_xml(xml, &cib), 0);
    return drover_config_check(cib);
}

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

Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, valid_configuration);
    tcase_add_test(tc, bad_network_list_reported_once);
    tcase_add_test(tc, bad_incoming_policy);
    tcase_add_test(tc, policy_without_networks);
    suite_add_tcase(s, tc);
    return s;
}
