/*
 * The option table (lib/options.c): names and patterns, what is valid,
 * defaults.
 */
#include <string.h>

#include <drover/config.h>
#include <drover/health.h>
#include <drover/slot_group.h>

#include "options.h"
#include "unit.h"

START_TEST(names_and_patterns)
{
    g_autofree char *network = NULL;
    g_autofree char *vm = NULL;

    network = drover__option_name_part("drover-network-<network>-bandwidth",
                                       "drover-network-lm-2-bandwidth");
    ck_assert_str_eq(network, "lm-2");
    vm = drover__option_name_part("drover-migration-<vm>",
                                  "drover-migration-vm1");
    ck_assert_str_eq(vm, "vm1");
    /* the <> part is never empty; a name without <> is no pattern */
    ck_assert_ptr_null(drover__option_name_part(
        "drover-network-<network>-bandwidth", "drover-network--bandwidth"));
    ck_assert_ptr_null(
        drover__option_name_part("drover-net-<network>", "drover-net-"));
    ck_assert_ptr_null(
        drover__option_name_part("drover-incoming", "drover-incoming"));

    /* an exact name wins over a pattern it also matches */
    ck_assert_str_eq(drover__option_find("drover-migration-networks")->name,
                     DROVER_NETWORKS_PROPERTY);
    ck_assert_str_eq(drover__option_find("drover-migration-vm7")->name,
                     "drover-migration-<vm>");
    ck_assert_str_eq(drover__option_find("drover-network-lm1-transport")->name,
                     "drover-network-<network>-transport");
    ck_assert_int_eq(drover__option_find("drover-max-outgoing")->scope,
                     DROVER_OPTION_NODE);
    ck_assert_ptr_null(drover__option_find("drover-max-migration"));
    ck_assert_ptr_null(drover__option_find("migration-limit"));
}
END_TEST

static bool
valid(const char *name, const char *value, const char *reason)
{
    g_autoptr(GString) why = g_string_new(NULL);
    bool ok = drover__option_valid(drover__option_find(name), value, why);

    if (!ok) {
        ck_assert_str_eq(why->str, reason);
    }
    return ok;
}

START_TEST(what_is_valid)
{
    ck_assert(valid(DROVER_HEALTH_TLS_PROPERTY, "auto", NULL));
    ck_assert(!valid(DROVER_HEALTH_TLS_PROPERTY, "yes",
                     "Expected one of on, off or auto"));
    ck_assert(
        !valid(DROVER_SLOTS_PROTOCOL_PROPERTY, "3", "Expected one of 1 or 2"));
    ck_assert(valid(DROVER_HEALTH_TLS_WARN_PROPERTY, "0", NULL));
    ck_assert(valid(DROVER_HEALTH_TLS_WARN_PROPERTY, "3650", NULL));
    ck_assert(!valid(DROVER_HEALTH_TLS_WARN_PROPERTY, "3651",
                     "Expected a whole number of days, 0 to 3650"));
    ck_assert(!valid(DROVER_HEALTH_TLS_WARN_PROPERTY, "30d",
                     "Expected a whole number of days, 0 to 3650"));
    ck_assert(valid("drover-network-lm1-bandwidth", "1000", NULL));
    ck_assert(!valid(DROVER_MAX_OUTGOING_ATTR, "two",
                     "'two' is not a limit: use a whole number from 0 (no "
                     "limit) to 1000000"));
    ck_assert(valid(DROVER_HEALTH_SSH_KNOWN_PROPERTY, "/a /b\t/c", NULL));
    ck_assert(!valid(DROVER_HEALTH_SSH_KNOWN_PROPERTY, "/a b",
                     "'b' is not an absolute path"));
    ck_assert(!valid(DROVER_HEALTH_SSH_KNOWN_PROPERTY, " ",
                     "Expected absolute paths, blank-separated"));
    ck_assert(!valid(DROVER_HEALTH_TLS_DIR_PROPERTY, "pki",
                     "Expected an absolute path"));
    ck_assert(valid(DROVER_HEALTH_LDAP_URI_PROPERTY, "ldap://a, ldaps://b:636",
                    NULL));
    ck_assert(!valid(DROVER_HEALTH_LDAP_URI_PROPERTY, "ldap://a http://b",
                     "'http://b' is not an ldap:// or ldaps:// URI"));
    /* an nvpair without a value: no value, not a crash */
    ck_assert(!valid(DROVER_HEALTH_SSH_KNOWN_PROPERTY, NULL,
                     "Expected absolute paths, blank-separated"));
    ck_assert(!valid(DROVER_HEALTH_LDAP_URI_PROPERTY, NULL,
                     "Expected ldap:// or ldaps:// URIs, blank- or "
                     "comma-separated"));
    ck_assert(valid(DROVER_HEALTH_LDAP_BASE_PROPERTY, NULL, NULL));
    ck_assert(valid("drover-network-x-transport", "rdma", NULL));
    ck_assert(!valid("drover-network-x-transport", "udp",
                     "Expected one of tcp, tls or rdma"));
}
END_TEST

START_TEST(defaults)
{
    /* the readers' defaults are the table's, and an invalid value reads
     * as the default */
    ck_assert_str_eq(drover__option_or_default(DROVER_MAX_OUTGOING_ATTR, NULL),
                     G_STRINGIFY(DROVER_DEFAULT_MAX_OUTGOING));
    ck_assert_str_eq(
        drover__option_or_default(DROVER_HEALTH_TLS_WARN_PROPERTY, "7"), "7");
    ck_assert_str_eq(
        drover__option_or_default(DROVER_HEALTH_TLS_WARN_PROPERTY, "-7"), "30");
    ck_assert_str_eq(
        drover__option_or_default(DROVER_HEALTH_LDAP_FILTER_PROPERTY, NULL),
        "(cn=%n)");
    ck_assert_ptr_null(
        drover__option_or_default(DROVER_HEALTH_LDAP_URI_PROPERTY, NULL));

    /* every row says what it is, and what unset means */
    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        g_autofree char *values = drover__option_values(o);
        g_autoptr(GString) why = g_string_new(NULL);

        ck_assert_msg(g_str_has_prefix(o->name, "drover-"), "%s", o->name);
        ck_assert_msg(o->description != NULL && *o->description != '\0', "%s",
                      o->name);
        ck_assert_msg(o->type != DROVER_OPTION_WORD || o->words != NULL, "%s",
                      o->name);
        ck_assert_msg(o->default_value == NULL
                          || drover__option_valid(o, o->default_value, why),
                      "%s's default is not valid", o->name);
        ck_assert(*values != '\0');
    }
}
END_TEST

Suite *
options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");

    tcase_add_test(tc, names_and_patterns);
    tcase_add_test(tc, what_is_valid);
    tcase_add_test(tc, defaults);
    suite_add_tcase(s, tc);
    return s;
}
