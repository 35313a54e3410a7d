/*
 * What a node runs: the published versions, the rule that a VM never
 * moves to an older QEMU, and what a QEMU release lacks of a migration.
 */
#include <string.h>

#include <drover/platform.h>
#include <drover/rc.h>

#include "unit.h"

#define V(major, minor, micro) ((major) *1000000UL + (minor) *1000UL + (micro))

START_TEST(format_and_parse)
{
    drover_platform_t p = { .libvirt = V(11, 3, 0), .qemu = V(10, 0, 2) };
    g_autofree char *text = drover_platform_format(&p);
    drover_platform_t back;

    ck_assert_str_eq(text, "libvirt=11.3.0 qemu=10.0.2");
    ck_assert_int_eq(drover_platform_parse(text, &back), 0);
    ck_assert_uint_eq(back.libvirt, p.libvirt);
    ck_assert_uint_eq(back.qemu, p.qemu);

    /* a newer NodeHealth may say more: what is known still counts */
    ck_assert_int_eq(
        drover_platform_parse("qemu=7.2.0 machines=pc,q35 x", &back), 0);
    ck_assert_uint_eq(back.qemu, V(7, 2, 0));
    ck_assert_uint_eq(back.libvirt, 0);

    /* what is not major.minor.micro below 1000 each is unknown */
    ck_assert_int_eq(drover_platform_parse("qemu=7.2 libvirt=9.0.0.1", &back),
                     DROVER_RC_PROTOCOL);
    ck_assert_uint_eq(back.qemu, 0);
    ck_assert_int_eq(
        drover_platform_parse("qemu=1000.0.0 libvirt=-1.0.0", &back),
        DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_platform_parse("", &back), DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_platform_parse(NULL, &back), DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_platform_parse("qemu=x.y.z libvirt=9.0.0", &back),
                     0);
    ck_assert_uint_eq(back.qemu, 0);
}
END_TEST

/* The machine types ride along, and come back the same */
START_TEST(machine_types_format_and_parse)
{
    drover_platform_t p = { .libvirt = V(9, 0, 0),
                            .qemu = V(7, 2, 0),
                            .arch = g_strdup("x86_64"),
                            .machines =
                                g_strsplit("pc-i440fx-7.2,pc,q35", ",", -1) };
    g_autofree char *text = drover_platform_format(&p);
    drover_platform_t back;

    ck_assert_str_eq(text, "libvirt=9.0.0 qemu=7.2.0 arch=x86_64 "
                           "machines=pc-i440fx-7.2,pc,q35");
    ck_assert_int_eq(drover_platform_parse(text, &back), 0);
    ck_assert_str_eq(back.arch, "x86_64");
    ck_assert(g_strv_equal((const char *const *) back.machines,
                           (const char *const *) p.machines));
    drover_platform_clear(&back);
    drover_platform_clear(&p);
    ck_assert_ptr_null(back.machines);

    /* one name that is not plain, an arch without machines: unknown */
    ck_assert_int_eq(drover_platform_parse("qemu=7.2.0 arch=x86_64 "
                                           "machines=pc,p'c",
                                           &back),
                     0);
    ck_assert_ptr_null(back.machines);
    ck_assert_ptr_null(back.arch);
    ck_assert_int_eq(drover_platform_parse("qemu=7.2.0 arch=x86_64", &back), 0);
    ck_assert_ptr_null(back.arch);
    ck_assert_int_eq(
        drover_platform_parse("qemu=7.2.0 arch=x'86 machines=pc", &back), 0);
    ck_assert_ptr_null(back.machines);
    ck_assert_int_eq(drover_platform_parse("qemu=7.2.0 arch=x86_64 "
                                           "machines=pc,,q35",
                                           &back),
                     0);
    ck_assert_ptr_null(back.machines);
    /* none at all is unknown, not "has no machine type" */
    ck_assert_int_eq(
        drover_platform_parse("qemu=7.2.0 arch=x86_64 machines=", &back), 0);
    ck_assert_ptr_null(back.machines);
}
END_TEST

/* From libvirt's capabilities: the host's arch, every machine type and
 * alias for it (the accelerators' lists too), no other arch's */
START_TEST(machine_types_from_capabilities)
{
    g_autofree char *path = unit_data_path("capabilities.xml");
    g_autofree char *xml = NULL;
    drover_platform_t p = { 0 };
    const char *const expected[] = {
        "pc-i440fx-7.2",      "pc", "pc-q35-7.2", "q35", "pc-i440fx-2.3",
        "pc-q35-7.2-kvmonly", NULL
    };

    ck_assert(g_file_get_contents(path, &xml, NULL, NULL));
    ck_assert_int_eq(drover_platform_read_capabilities(xml, &p), 0);
    ck_assert_str_eq(p.arch, "x86_64");
    ck_assert(g_strv_equal((const char *const *) p.machines, expected));
    drover_platform_clear(&p);

    ck_assert_int_eq(drover_platform_read_capabilities("<capabilities/>", &p),
                     DROVER_RC_PROTOCOL);
    ck_assert_ptr_null(p.machines);
    ck_assert_int_eq(drover_platform_read_capabilities("not xml", &p),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(
        drover_platform_read_capabilities(
            "<capabilities><host><cpu><arch>x86'64</arch></cpu></host>"
            "</capabilities>",
            &p),
        DROVER_RC_PROTOCOL);
    /* a name it could not publish: no list rather than one without it */
    ck_assert_int_eq(
        drover_platform_read_capabilities(
            "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>"
            "<guest><os_type>hvm</os_type><arch name='x86_64'>"
            "<machine>pc</machine><machine>p c</machine></arch></guest>"
            "</capabilities>",
            &p),
        DROVER_RC_PROTOCOL);
    ck_assert_ptr_null(p.machines);
}
END_TEST

/* QEMU 10.0 has no pc-i440fx-2.3, which 7.2 has: a VM started with it on
 * Debian 12 cannot move to Debian 13 */
START_TEST(never_to_a_qemu_without_the_machine_type)
{
    drover_platform_t d12 = { .libvirt = V(9, 0, 0),
                              .qemu = V(7, 2, 0),
                              .arch = g_strdup("x86_64"),
                              .machines = g_strsplit(
                                  "pc-i440fx-2.3,pc-i440fx-7.2,pc", ",", -1) };
    drover_platform_t d13 = { .libvirt = V(11, 3, 0),
                              .qemu = V(10, 0, 0),
                              .arch = g_strdup("x86_64"),
                              .machines = g_strsplit(
                                  "pc-i440fx-7.2,pc-i440fx-10.0,pc", ",", -1) };
    drover_platform_t unknown = { 0 };
    g_autofree char *why = NULL;

    ck_assert_ptr_null(drover_platform_refuses("n1", &d12, "n3", &d13, "x86_64",
                                               "pc-i440fx-7.2"));
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d12, "n3", &d13, "x86_64", "pc"));
    /* unknown: the VM's machine, its arch, another arch, the target's list */
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d12, "n3", &d13, "x86_64", NULL));
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d12, "n3", &d13, NULL, "pc-i440fx-2.3"));
    ck_assert_ptr_null(drover_platform_refuses("n1", &d12, "n3", &d13,
                                               "aarch64", "pc-i440fx-2.3"));
    ck_assert_ptr_null(drover_platform_refuses("n1", &d12, "n3", &unknown,
                                               "x86_64", "pc-i440fx-2.3"));
    why = drover_platform_refuses("n1", &d12, "n3", &d13, "x86_64",
                                  "pc-i440fx-2.3");
    ck_assert_str_eq(why, "n3 runs QEMU 10.0.0, which has no machine type "
                          "pc-i440fx-2.3");
    /* with the source unknown, the target's list still counts */
    g_free(why);
    why = drover_platform_refuses("n1", &unknown, "n3", &d13, "x86_64",
                                  "pc-i440fx-2.3");
    ck_assert_ptr_nonnull(why);
    /* the target's version unknown, its list known */
    g_free(why);
    d13.qemu = 0;
    why = drover_platform_refuses("n1", &d12, "n3", &d13, "x86_64",
                                  "pc-i440fx-2.3");
    ck_assert_str_eq(why, "n3 has a QEMU without machine type pc-i440fx-2.3");
    drover_platform_clear(&d12);
    drover_platform_clear(&d13);
}
END_TEST

START_TEST(never_to_an_older_qemu)
{
    drover_platform_t d12 = { .libvirt = V(9, 0, 0), .qemu = V(7, 2, 0) };
    drover_platform_t d12u = { .libvirt = V(9, 0, 0), .qemu = V(7, 2, 15) };
    drover_platform_t d13 = { .libvirt = V(11, 3, 0), .qemu = V(10, 0, 0) };
    drover_platform_t unknown = { 0 };
    g_autofree char *why = NULL;

    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d12, "n2", &d13, NULL, NULL));
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d13, "n2", &d13, NULL, NULL));
    /* micro releases migrate both ways */
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d12u, "n2", &d12, NULL, NULL));
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &d13, "n2", &unknown, NULL, NULL));
    ck_assert_ptr_null(
        drover_platform_refuses("n1", &unknown, "n2", &d12, NULL, NULL));
    why = drover_platform_refuses("n1", &d13, "n2", &d12, NULL, NULL);
    ck_assert_str_eq(why, "n2 runs QEMU 7.2.0 (libvirt 9.0.0), older than "
                          "n1's QEMU 10.0.0 (libvirt 11.3.0)");
}
END_TEST

START_TEST(what_a_qemu_lacks)
{
    const char *const mt_zstd[] = { "mt", "zstd", NULL };
    const char *const zstd[] = { "zstd", NULL };
    drover_migration_wish_t wish = { .compression = mt_zstd };
    g_autoptr(GString) lacks = g_string_new(NULL);

    ck_assert_uint_eq(drover_platform_lacks(V(7, 2, 0), "n1", &wish, lacks), 0);
    ck_assert_uint_eq(drover_platform_lacks(V(9, 0, 99), "n1", &wish, lacks),
                      0);
    ck_assert_uint_eq(drover_platform_lacks(0, "n1", &wish, lacks), 0);
    ck_assert_str_eq(lacks->str, "");
    ck_assert_uint_eq(drover_platform_lacks(V(9, 1, 0), "n3", &wish, lacks),
                      DROVER_LACKS_MT);
    ck_assert_str_eq(lacks->str, "compression method mt: QEMU 9.1.0 on n3 has "
                                 "none since 9.1 (zstd, zlib and xbzrle "
                                 "remain)");

    wish = (drover_migration_wish_t){ .compression = zstd,
                                      .postcopy = true,
                                      .parallel = true };
    g_string_truncate(lacks, 0);
    ck_assert_uint_eq(drover_platform_lacks(V(10, 1, 0), "n1", &wish, lacks),
                      0);
    ck_assert_uint_eq(drover_platform_lacks(V(10, 0, 0), "n2", &wish, lacks),
                      DROVER_LACKS_POSTCOPY_PARALLEL);
    ck_assert_str_eq(lacks->str, "post-copy with parallel connections: QEMU "
                                 "10.0.0 on n2 refuses the pair (10.1 is the "
                                 "first to have it)");
    wish.parallel = false;
    ck_assert_uint_eq(drover_platform_lacks(V(7, 2, 0), "n1", &wish, lacks), 0);

    wish = (drover_migration_wish_t){ .compression = mt_zstd,
                                      .postcopy = true,
                                      .parallel = true };
    g_string_truncate(lacks, 0);
    ck_assert_uint_eq(drover_platform_lacks(V(10, 0, 0), "n2", &wish, lacks),
                      DROVER_LACKS_MT | DROVER_LACKS_POSTCOPY_PARALLEL);
    ck_assert_ptr_nonnull(strstr(lacks->str, "; post-copy"));
}
END_TEST

/* A typed parameter of migrate_options that a node's libvirt or QEMU
 * lacks, named with the option, the node and the versions */
START_TEST(what_a_node_lacks_of_a_parameter)
{
    drover_platform_t d12 = { .libvirt = V(9, 0, 0), .qemu = V(7, 2, 0) };
    drover_platform_t d13 = { .libvirt = V(11, 3, 0), .qemu = V(10, 0, 0) };
    drover_platform_t unknown = { 0 };
    drover_migparam_t zstd = { .word = "--comp-zstd-level",
                               .name = "compression.zstd.level",
                               .libvirt = V(9, 4, 0) };
    drover_migparam_t mt = { .word = "--comp-mt-level",
                             .name = "compression.mt.level" };
    g_autoptr(GString) lacks = g_string_new(NULL);

    ck_assert(!drover_platform_lacks_param(&d13, "n1", &zstd, lacks));
    ck_assert(!drover_platform_lacks_param(&unknown, "n1", &zstd, lacks));
    ck_assert(!drover_platform_lacks_param(&d12, "n1", &mt, lacks));
    ck_assert_str_eq(lacks->str, "");
    ck_assert(drover_platform_lacks_param(&d12, "n2", &zstd, lacks));
    ck_assert_str_eq(lacks->str, "migrate_options --comp-zstd-level: libvirt "
                                 "9.0.0 on n2 has no compression.zstd.level "
                                 "(9.4.0 is the first with it)");
    g_string_truncate(lacks, 0);
    ck_assert(drover_platform_lacks_param(&d13, "n3", &mt, lacks));
    ck_assert_str_eq(lacks->str, "migrate_options --comp-mt-level: QEMU 10.0.0 "
                                 "on n3 has no compression method mt since "
                                 "9.1");
}
END_TEST

/* A libvirt that cannot compare CPUs (the test driver) refuses nothing,
 * and says why; a CPU libvirt does not compare is not asked about */
START_TEST(cpu_unknown_refuses_nothing)
{
    const char *xml = "<domain type='test'><os><type arch='x86_64'>hvm</type>"
                      "</os><cpu mode='custom'><model>qemu64</model></cpu>"
                      "</domain>";
    g_autofree char *unknown = NULL;

    ck_assert_ptr_null(drover_platform_cpu_refuses(
        "test:///default", "n2", xml, drover_deadline_in_ms(5000), &unknown));
    ck_assert_ptr_nonnull(unknown);
    ck_assert_ptr_nonnull(strstr(unknown, "not supported"));
    g_clear_pointer(&unknown, g_free);
    ck_assert_ptr_null(drover_platform_cpu_refuses(
        "test:///default", "n2",
        "<domain type='kvm'><cpu mode='host-passthrough'/></domain>",
        drover_deadline_in_ms(5000), &unknown));
    ck_assert_ptr_null(unknown);
}
END_TEST

Suite *
platform_suite(void)
{
    Suite *s = suite_create("platform");
    TCase *tc = tcase_create("platform");

    tcase_add_test(tc, format_and_parse);
    tcase_add_test(tc, never_to_an_older_qemu);
    tcase_add_test(tc, machine_types_format_and_parse);
    tcase_add_test(tc, machine_types_from_capabilities);
    tcase_add_test(tc, never_to_a_qemu_without_the_machine_type);
    tcase_add_test(tc, cpu_unknown_refuses_nothing);
    tcase_add_test(tc, what_a_qemu_lacks);
    tcase_add_test(tc, what_a_node_lacks_of_a_parameter);
    suite_add_tcase(s, tc);
    return s;
}
