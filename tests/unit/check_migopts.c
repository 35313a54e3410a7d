/*
 * VirtualDomain's migrate_options and migration_downtime_steps, as the
 * agent validates and applies them.
 */
#include <string.h>

#include <libvirt/libvirt.h>

#include <drover/migopts.h>
#include <drover/rc.h>

#include "unit.h"

START_TEST(migrate_options_words)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t o;

    ck_assert_int_eq(
        drover_migopts_parse("--live --p2p --persistent\t--tls "
                             "--parallel-connections 4 --bandwidth=500 "
                             "--comp-methods=zstd,xbzrle --listen-address "
                             " 10.20.1.12",
                             &o, reason),
        0);
    ck_assert_uint_eq(o.flags, VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_TLS
                                   | VIR_MIGRATE_PARALLEL
                                   | VIR_MIGRATE_COMPRESSED);
    ck_assert_int_eq(o.parallel_connections, 4);
    ck_assert_uint_eq(o.bandwidth_mib, 500);
    ck_assert_str_eq(o.listen_address, "10.20.1.12");
    ck_assert_uint_eq(o.compression->len, 3);
    ck_assert_str_eq(g_ptr_array_index(o.compression, 0), "zstd");
    ck_assert_str_eq(g_ptr_array_index(o.compression, 1), "xbzrle");
    ck_assert_ptr_null(g_ptr_array_index(o.compression, 2));
    drover_migopts_clear(&o);
    ck_assert_ptr_null(o.listen_address);
    ck_assert_ptr_null(o.compression);

    ck_assert_int_eq(drover_migopts_parse("--bandwidth", &o, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str, "migrate_options: --bandwidth needs a value");
    drover_migopts_clear(&o);
    ck_assert_int_eq(drover_migopts_parse("--live=yes", &o, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str, "migrate_options: --live takes no value");
    drover_migopts_clear(&o);
    ck_assert_int_eq(
        drover_migopts_parse("--comp-methods=zstd,lz4", &o, reason),
        DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str,
                     "migrate_options: unknown compression method 'lz4'; "
                     "valid: xbzrle, mt, zlib, zstd");
    drover_migopts_clear(&o);
}
END_TEST

/* A rejected word is quoted fit for one ocf-exit-reason line: valid UTF-8,
 * no newline (found by fuzz_migrate_options and fuzz_downtime_steps: the
 * word was quoted as it was) */
START_TEST(rejected_words_shown)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t o;

    ck_assert_int_eq(drover_migopts_parse("--live --b\xeb\nx", &o, reason),
                     DROVER_RC_CONFIG);
    ck_assert(g_utf8_validate(reason->str, -1, NULL));
    ck_assert_ptr_null(strchr(reason->str, '\n'));
    ck_assert_ptr_nonnull(strstr(reason->str, "'--b\xef\xbf\xbd x'"));
    drover_migopts_clear(&o);
    ck_assert_int_eq(drover_migopts_parse("--bandwidth=1\n2", &o, reason),
                     DROVER_RC_CONFIG);
    ck_assert_ptr_null(strchr(reason->str, '\n'));
    drover_migopts_clear(&o);
    ck_assert_int_eq(
        drover_migopts_parse("--comp-methods=zstd,\xb9", &o, reason),
        DROVER_RC_CONFIG);
    ck_assert(g_utf8_validate(reason->str, -1, NULL));
    drover_migopts_clear(&o);
    ck_assert_int_eq(drover_migopts_steps_parse("500,\xb9\n00", NULL, reason),
                     DROVER_RC_CONFIG);
    ck_assert(g_utf8_validate(reason->str, -1, NULL));
    ck_assert_ptr_null(strchr(reason->str, '\n'));
}
END_TEST

START_TEST(downtime_steps)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autoptr(GArray) steps = g_array_new(FALSE, FALSE, sizeof(guint64));

    ck_assert_int_eq(
        drover_migopts_steps_parse("500,2000, 3600000", steps, reason), 0);
    ck_assert_uint_eq(steps->len, 3);
    ck_assert_uint_eq(g_array_index(steps, guint64, 0), 500);
    ck_assert_uint_eq(g_array_index(steps, guint64, 2), 3600000);
    ck_assert_int_eq(drover_migopts_steps_parse("2000,500", NULL, reason),
                     DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str,
                     "Parameter 'migration_downtime_steps' needs increasing "
                     "milliseconds from 1 to 3600000, like '500,2000'; "
                     "'500' does not fit");
    ck_assert_int_eq(drover_migopts_steps_parse("0", NULL, reason),
                     DROVER_RC_CONFIG);
    ck_assert_int_eq(drover_migopts_steps_parse("3600001", NULL, reason),
                     DROVER_RC_CONFIG);
    ck_assert_int_eq(drover_migopts_steps_parse("", NULL, reason), 0);
}
END_TEST

Suite *
migopts_suite(void)
{
    Suite *s = suite_create("migopts");
    TCase *tc = tcase_create("migopts");

    tcase_add_test(tc, migrate_options_words);
    tcase_add_test(tc, rejected_words_shown);
    tcase_add_test(tc, downtime_steps);
    suite_add_tcase(s, tc);
    return s;
}
