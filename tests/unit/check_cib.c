/*
 * Pacemaker access against a CIB file (CIB_file=, as every Pacemaker tool
 * honours): the fixture tests/unit/data/cib.xml was made with cibadmin and
 * crm_attribute and passes crm_verify.
 */
#include <string.h>

#include <glib/gstdio.h>

#include <drover/cib.h>
#include <drover/rc.h>

#include "unit.h"

static char *tmpdir = NULL;
static char *cib_copy = NULL;

/* Work on a copy: some tests write */
static void
setup(void)
{
    g_autofree char *fixture = unit_data_path("cib.xml");
    g_autofree char *contents = NULL;

    tmpdir = g_dir_make_tmp("drover-cib-XXXXXX", NULL);
    cib_copy = g_build_filename(tmpdir, "cib.xml", NULL);
    ck_assert(g_file_get_contents(fixture, &contents, NULL, NULL));
    ck_assert(g_file_set_contents(cib_copy, contents, -1, NULL));
    g_setenv("CIB_file", cib_copy, TRUE);
}

static void
teardown(void)
{
    g_unsetenv("CIB_file");
    g_unlink(cib_copy);
    g_rmdir(tmpdir);
    g_clear_pointer(&cib_copy, g_free);
    g_clear_pointer(&tmpdir, g_free);
}

static drover_cib_t *
query(void)
{
    drover_cib_t *cib = NULL;

    ck_assert_int_eq(drover_cib_query(drover_deadline_in_ms(10000), &cib), 0);
    ck_assert_ptr_nonnull(cib);
    return cib;
}

START_TEST(cluster_properties)
{
    g_autoptr(drover_cib_t) cib = query();
    g_autoptr(GHashTable) drover = drover_cib_properties(cib, "drover-");

    ck_assert_str_eq(drover_cib_property(cib, "stonith-enabled"), "false");
    ck_assert_str_eq(drover_cib_property(cib, "drover-migration-networks"),
                     "lm1=10.20.1.0/24 lm2=10.20.2.0/24");
    ck_assert_ptr_null(drover_cib_property(cib, "no-such-property"));
    ck_assert_int_eq(g_hash_table_size(drover), 2);
    ck_assert_str_eq(g_hash_table_lookup(drover, "drover-max-migrations"), "4");
}
END_TEST

START_TEST(node_attributes_by_lifetime)
{
    g_autoptr(drover_cib_t) cib = query();
    g_autoptr(GHashTable) n2 =
        drover_cib_node_attrs(cib, "n2", "drover-", DROVER_ATTR_PERMANENT);

    ck_assert_str_eq(drover_cib_node_attr(cib, "n2", "drover-incoming",
                                          DROVER_ATTR_PERMANENT),
                     "lm2");
    ck_assert_ptr_null(drover_cib_node_attr(cib, "n2", "drover-incoming",
                                            DROVER_ATTR_TRANSIENT));
    ck_assert_str_eq(drover_cib_node_attr(cib, "n1", "drover-max-incoming",
                                          DROVER_ATTR_TRANSIENT),
                     "3");
    ck_assert_ptr_null(drover_cib_node_attr(cib, "n1", "drover-max-incoming",
                                            DROVER_ATTR_PERMANENT));
    ck_assert_ptr_null(
        drover_cib_node_attr(cib, "n9", "standby", DROVER_ATTR_PERMANENT));
    ck_assert_int_eq(g_hash_table_size(n2), 1); /* not "standby" */
}
END_TEST

START_TEST(nodes_and_membership)
{
    g_autoptr(drover_cib_t) cib = query();
    g_autoptr(GPtrArray) nodes = drover_cib_nodes(cib);
    drover_cib_node_t *n = NULL;

    ck_assert_int_eq(nodes->len, 3);
    n = g_ptr_array_index(nodes, 0);
    ck_assert_str_eq(n->name, "n1");
    ck_assert_str_eq(n->id, "1");
    ck_assert(n->online && !n->standby && !n->remote);
    n = g_ptr_array_index(nodes, 1);
    ck_assert_str_eq(n->name, "n2");
    ck_assert(n->online && n->standby);
    n = g_ptr_array_index(nodes, 2);
    ck_assert_str_eq(n->name, "n3");
    ck_assert(!n->online && !n->standby);
}
END_TEST

START_TEST(resource_parameters_and_meta)
{
    g_autoptr(drover_cib_t) cib = query();

    ck_assert_str_eq(drover_cib_resource_param(cib, "vm1", "config"),
                     "/shared/vm1.xml");
    ck_assert_str_eq(drover_cib_resource_param(cib, "vm2", "config"),
                     "/shared/vm2.xml");
    ck_assert_str_eq(drover_cib_resource_meta(cib, "vm1", "priority"), "10");
    /* inherited from its group */
    ck_assert_str_eq(drover_cib_resource_meta(cib, "vm2", "target-role"),
                     "Stopped");
    ck_assert_ptr_null(drover_cib_resource_meta(cib, "vm1", "target-role"));
    ck_assert_ptr_null(drover_cib_resource_param(cib, "vm9", "config"));
}
END_TEST

/* Pick primitives by agent, inside groups and clones too */
static void
assert_ids(GPtrArray *ids, const char *expected)
{
    g_autoptr(GString) joined = g_string_new(NULL);

    for (guint i = 0; i < ids->len; i++) {
        g_string_append_printf(joined, "%s%s", (i > 0) ? " " : "",
                               (char *) g_ptr_array_index(ids, i));
    }
    ck_assert_str_eq(joined->str, expected);
}

START_TEST(resources_by_agent)
{
    g_autoptr(drover_cib_t) cib = query();
    g_autoptr(drover_cib_t) check = NULL;
    g_autofree char *path = unit_data_path("cib-check.xml");
    g_autofree char *xml = NULL;
    g_autoptr(GPtrArray) heartbeat =
        drover_cib_resources_by_agent(cib, "ocf", "heartbeat", "VirtualDomain");
    g_autoptr(GPtrArray) none =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "VirtualDomain");
    g_autoptr(GPtrArray) drover = NULL;

    assert_ids(heartbeat, "vm1 vm2");
    assert_ids(none, "");
    ck_assert(g_file_get_contents(path, &xml, NULL, NULL));
    ck_assert_int_eq(drover_cib_from_xml(xml, &check), 0);
    drover =
        drover_cib_resources_by_agent(check, "ocf", "drover", "VirtualDomain");
    assert_ids(drover, "vm3 vm4 vm5"); /* vm4 in a group, vm5 in a clone */
}
END_TEST

START_TEST(set_and_delete_node_attributes)
{
    drover_deadline_t deadline = drover_deadline_in_ms(10000);
    g_autoptr(drover_cib_t) before = query();
    g_autoptr(drover_cib_t) after = NULL;
    g_autoptr(drover_cib_t) deleted = NULL;

    ck_assert_ptr_null(drover_cib_node_attr(before, "n3", "drover-test",
                                            DROVER_ATTR_TRANSIENT));
    ck_assert_int_eq(drover_cib_set_node_attr("n3", "drover-test",
                                              "a value; $(not run)",
                                              DROVER_ATTR_TRANSIENT, deadline),
                     0);
    ck_assert_int_eq(drover_cib_set_node_attr("n3", "drover-perm", "-5",
                                              DROVER_ATTR_PERMANENT, deadline),
                     0);
    after = query();
    ck_assert_str_eq(
        drover_cib_node_attr(after, "n3", "drover-test", DROVER_ATTR_TRANSIENT),
        "a value; $(not run)");
    ck_assert_str_eq(
        drover_cib_node_attr(after, "n3", "drover-perm", DROVER_ATTR_PERMANENT),
        "-5");

    ck_assert_int_eq(drover_cib_set_node_attr("n3", "drover-test", NULL,
                                              DROVER_ATTR_TRANSIENT, deadline),
                     0);
    deleted = query();
    ck_assert_ptr_null(drover_cib_node_attr(deleted, "n3", "drover-test",
                                            DROVER_ATTR_TRANSIENT));
}
END_TEST

START_TEST(unknown_node_is_reported)
{
    ck_assert_int_ne(drover_cib_set_node_attr("no-such-node", "drover-x", "1",
                                              DROVER_ATTR_PERMANENT,
                                              drover_deadline_in_ms(10000)),
                     0);
}
END_TEST

START_TEST(no_cluster_is_unreachable)
{
    drover_cib_t *cib = NULL;

    g_unsetenv("CIB_file");
    ck_assert_int_eq(drover_cib_query(drover_deadline_in_ms(5000), &cib),
                     DROVER_RC_UNREACHABLE);
    ck_assert_ptr_null(cib);
}
END_TEST

START_TEST(snapshot_from_text)
{
    drover_cib_t *cib = NULL;

    ck_assert_int_eq(drover_cib_from_xml("<not-a-cib/>", &cib),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_cib_from_xml("<cib", &cib), DROVER_RC_PROTOCOL);
    ck_assert_int_eq(
        drover_cib_from_xml(
            "<cib><configuration><crm_config><cluster_property_set id='a'>"
            "<nvpair id='b' name='x' value='1'/></cluster_property_set>"
            "</crm_config></configuration></cib>",
            &cib),
        0);
    ck_assert_str_eq(drover_cib_property(cib, "x"), "1");
    drover_cib_free(cib);
}
END_TEST

/* What may reach the CIB (XPath, constraints) as a node name */
START_TEST(node_names)
{
    static const struct {
        const char *name;
        const char *reason; /* NULL: valid */
    } rows[] = {
        { "n1", NULL },
        { "node-1.example.org", NULL },
        { "n\u00f6de_2", NULL },
        { "", "A node name cannot be empty" },
        { NULL, "A node name cannot be empty" },
        { "n1' or '1'='1", "'n1' or '1'='1' is not a valid node name (it has "
                           "a quote; a node name has no blanks, control "
                           "characters, quotes, '<', '>' or '&')" },
        { "n1\"", "(it has a quote;" },
        { "n1<x", "(it has '<';" },
        { "n1>x", "(it has '>';" },
        { "a&b", "(it has '&';" },
        { "n1 n2", "(it has a blank;" },
        { "n1\u00a0", "(it has a blank;" },
        { "n1\tx", "'n1 x' is not a valid node name (it has a blank;" },
        { "n1\x01", "(it has a control character;" },
        { "n1\xff", "(it has bytes that are not UTF-8;" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GString) reason = g_string_new(NULL);
        int rc = drover_cib_node_name_check(rows[i].name, reason);

        if (rows[i].reason == NULL) {
            ck_assert_msg(rc == 0, "%s: %s", rows[i].name, reason->str);
            continue;
        }
        ck_assert_int_eq(rc, DROVER_RC_USAGE);
        ck_assert_msg(strstr(reason->str, rows[i].reason) != NULL,
                      "'%s' not in '%s'", rows[i].reason, reason->str);
    }
}
END_TEST

/* Booleans and scores as Pacemaker reads them, without its deprecated
 * crm_is_true() and char2score() */
START_TEST(booleans_and_scores)
{
    static const struct {
        const char *value;
        bool is_true;
        int score;
    } rows[] = {
        { NULL, false, 0 },
        { "", false, 0 },
        { "true", true, 0 },
        { "TRUE", true, 0 },
        { "Y", true, 0 },
        { "n", false, 0 },
        { "maybe", false, 0 },
        { "yes", true, 0 },
        { "on", true, 0 },
        { "1", true, 1 },
        { "false", false, 0 },
        { "0", false, 0 },
        { "maybe", false, 0 },
        { "INFINITY", false, DROVER_SCORE_INFINITY },
        { "+infinity", false, DROVER_SCORE_INFINITY },
        { "-INFINITY", false, -DROVER_SCORE_INFINITY },
        { "-200", false, -200 },
        { "+7", false, 7 },
        { "5000000", false, DROVER_SCORE_INFINITY },
        { "-99999999999999999999", false, -DROVER_SCORE_INFINITY },
        { "12abc", false, 0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        ck_assert_msg(drover_cib_is_true(rows[i].value) == rows[i].is_true,
                      "is_true(%s)", rows[i].value);
        ck_assert_msg(drover_cib_score(rows[i].value) == rows[i].score,
                      "score(%s) = %d", rows[i].value,
                      drover_cib_score(rows[i].value));
    }
}
END_TEST

Suite *
cib_suite(void)
{
    Suite *s = suite_create("cib");
    TCase *tc = tcase_create("cib-file");
    TCase *pure = NULL;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, cluster_properties);
    tcase_add_test(tc, node_attributes_by_lifetime);
    tcase_add_test(tc, nodes_and_membership);
    tcase_add_test(tc, resource_parameters_and_meta);
    tcase_add_test(tc, resources_by_agent);
    tcase_add_test(tc, set_and_delete_node_attributes);
    tcase_add_test(tc, unknown_node_is_reported);
    tcase_add_test(tc, no_cluster_is_unreachable);
    tcase_add_test(tc, snapshot_from_text);
    suite_add_tcase(s, tc);
    pure = tcase_create("names");
    tcase_add_test(pure, node_names);
    tcase_add_test(pure, booleans_and_scores);
    suite_add_tcase(s, pure);
    return s;
}
