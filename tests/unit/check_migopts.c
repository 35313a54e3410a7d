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

/* Every word in the synopsis of virsh migrate (virsh(1) of libvirt 11.3,
 * Debian 13) is either taken or refused with what to use instead: none is
 * "unknown" */
START_TEST(every_virsh_word)
{
    static const char *const flags[] = { "--live",
                                         "--offline",
                                         "--direct",
                                         "--p2p",
                                         "--tunnelled",
                                         "--persistent",
                                         "--undefinesource",
                                         "--suspend",
                                         "--copy-storage-all",
                                         "--copy-storage-inc",
                                         "--change-protection",
                                         "--unsafe",
                                         "--verbose",
                                         "--rdma-pin-all",
                                         "--abort-on-error",
                                         "--postcopy",
                                         "--postcopy-after-precopy",
                                         "--postcopy-resume",
                                         "--zerocopy",
                                         "--timeout-suspend",
                                         "--timeout-postcopy",
                                         "--compressed",
                                         "--auto-converge",
                                         "--tls",
                                         "--parallel",
                                         "--copy-storage-synchronous-writes",
                                         NULL };
    static const char *const valued[] = {
        "--domain=vm1",
        "--desturi=qemu+tcp://n2/system",
        "--migrateuri=tcp://n2",
        "--graphicsuri=spice://n2",
        "--listen-address=10.0.0.2",
        "--dname=vm2",
        "--timeout=30",
        "--xml=/tmp/x.xml",
        "--migrate-disks=vda,vdb",
        "--migrate-disks-detect-zeroes=vda",
        "--disks-port=49300",
        "--comp-methods=zstd",
        "--comp-mt-level=1",
        "--comp-mt-threads=2",
        "--comp-mt-dthreads=2",
        "--comp-xbzrle-cache=67108864",
        "--comp-zlib-level=1",
        "--comp-zstd-level=3",
        "--auto-converge-initial=20",
        "--auto-converge-increment=10",
        "--persistent-xml=/tmp/x.xml",
        "--postcopy-bandwidth=100",
        "--parallel-connections=4",
        "--bandwidth=100",
        "--tls-destination=n2.example.org",
        "--disks-uri=tcp://10.0.0.2",
        "--available-switchover-bandwidth=1000",
        NULL
    };
    g_autoptr(GString) reason = g_string_new(NULL);

    const char *const *lists[] = { flags, valued, NULL };

    for (const char *const *const *l = lists; *l != NULL; l++) {
        for (const char *const *w = *l; *w != NULL; w++) {
            drover_migopts_t o;

            if (drover_migopts_parse(*w, &o, reason) != 0) {
                ck_assert_msg(strstr(reason->str, "is not taken: ") != NULL,
                              "%s", reason->str);
            }
            drover_migopts_clear(&o);
        }
    }
}
END_TEST

/* \p text is refused with exactly \p expected */
static void
refused_with(const char *text, const char *expected)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t o;

    ck_assert_int_eq(drover_migopts_parse(text, &o, reason), DROVER_RC_CONFIG);
    ck_assert_str_eq(reason->str, expected);
    drover_migopts_clear(&o);
}

/* A typed parameter: its libvirt name, type and value as given; a value
 * out of range names the range */
START_TEST(typed_parameters)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t o;
    const drover_migparam_t *p = NULL;

    ck_assert_int_eq(drover_migopts_parse("--copy-storage-all "
                                          "--migrate-disks vda,vdb "
                                          "--disks-port=49300 "
                                          "--comp-zstd-level 3 --rdma-pin-all "
                                          "--postcopy-bandwidth=200",
                                          &o, reason),
                     0);
    ck_assert_uint_eq(o.flags,
                      VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_RDMA_PIN_ALL);
    ck_assert_uint_eq(o.params->len, 5);
    p = &g_array_index(o.params, drover_migparam_t, 0);
    ck_assert_str_eq(p->name, VIR_MIGRATE_PARAM_MIGRATE_DISKS);
    ck_assert_int_eq(p->type, VIR_TYPED_PARAM_STRING);
    ck_assert_str_eq(p->value, "vda");
    p = &g_array_index(o.params, drover_migparam_t, 1);
    ck_assert_str_eq(p->value, "vdb");
    p = &g_array_index(o.params, drover_migparam_t, 2);
    ck_assert_str_eq(p->name, VIR_MIGRATE_PARAM_DISKS_PORT);
    ck_assert_int_eq(p->type, VIR_TYPED_PARAM_INT);
    ck_assert_str_eq(p->value, "49300");
    p = &g_array_index(o.params, drover_migparam_t, 3);
    ck_assert_str_eq(p->name, "compression.zstd.level");
    ck_assert_uint_eq(p->libvirt, 9004000);
    ck_assert_str_eq(p->word, "--comp-zstd-level");
    p = &g_array_index(o.params, drover_migparam_t, 4);
    ck_assert_str_eq(p->name, VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY);
    ck_assert_int_eq(p->type, VIR_TYPED_PARAM_ULLONG);
    drover_migopts_clear(&o);
    ck_assert_ptr_null(o.params);

    refused_with("--disks-port=70000", "migrate_options: --disks-port needs a "
                                       "number from 1 to 65535, not '70000'");
    refused_with("--migrate-disks=vda,,vdb",
                 "migrate_options: --migrate-disks needs names separated by "
                 "commas, not 'vda,,vdb'");
    refused_with("--tls-destination=",
                 "migrate_options: --tls-destination needs a value");
}
END_TEST

/* What the agent decides itself is refused, naming what to use */
START_TEST(refused_words)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t o;

    refused_with("--live --timeout 30",
                 "migrate_options: --timeout is not taken: the parameters "
                 "migration_stall_timeout and migration_downtime_steps, and "
                 "the operation's timeout, bound a migration");
    ck_assert_int_eq(drover_migopts_parse("--migrateuri", &o, reason),
                     DROVER_RC_CONFIG);
    ck_assert_ptr_nonnull(strstr(reason->str, "set the parameter migrateuri"));
    drover_migopts_clear(&o);
    ck_assert_int_eq(drover_migopts_parse("--nonsense", &o, reason),
                     DROVER_RC_CONFIG);
    ck_assert_ptr_null(strstr(reason->str, "--timeout"));
    ck_assert_ptr_nonnull(strstr(reason->str, "--disks-port=VALUE"));
    drover_migopts_clear(&o);
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
    tcase_add_test(tc, every_virsh_word);
    tcase_add_test(tc, typed_parameters);
    tcase_add_test(tc, refused_words);
    tcase_add_test(tc, downtime_steps);
    suite_add_tcase(s, tc);
    return s;
}
