/*
 * What a domain's XML names for the stock agent's parameters: pools and
 * networks (start_resources), disk files (snapshot), the backingfile's
 * copy-on-write image and an image's format.
 */
#include <string.h>

#include <drover/domxml.h>
#include <drover/rc.h>

#include "unit.h"

static const char domain[] =
    "<domain type='qemu'><name>vm1</name><devices>"
    "<disk type='volume' device='disk'>"
    "<source pool='images' volume='vm1.img'/></disk>"
    "<disk type='volume' device='cdrom'>"
    "<source pool='iso' volume='boot.iso'/></disk>"
    "<disk type='file' device='disk'>"
    "<source file='/srv/vm1.qcow2'/></disk>"
    "<disk type='block' device='disk'><source dev='/dev/vg/vm1'/></disk>"
    "<disk type='volume'><source pool='images' volume='data.img'/></disk>"
    "<interface type='network'><source network='default'/></interface>"
    "<interface type='network'><source network='lan2'/></interface>"
    "<interface type='bridge'><source bridge='br0'/></interface>"
    "<interface type='network'><source network='default'/></interface>"
    "</devices></domain>";

static char *
joined(GPtrArray *a)
{
    g_ptr_array_add(a, NULL);
    g_autofree char *s = g_strjoinv(" ", (char **) a->pdata);
    g_ptr_array_remove_index(a, a->len - 1);
    return g_steal_pointer(&s);
}

START_TEST(refs_each_once)
{
    drover_domxml_refs_t refs;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *pools = NULL;
    g_autofree char *nets = NULL;
    g_autofree char *files = NULL;

    ck_assert_int_eq(drover_domxml_refs(domain, &refs, reason), 0);
    pools = joined(refs.pools);
    nets = joined(refs.networks);
    files = joined(refs.files);
    ck_assert_str_eq(pools, "images iso");
    ck_assert_str_eq(nets, "default lan2");
    ck_assert_str_eq(files, "/srv/vm1.qcow2");
    drover_domxml_refs_clear(&refs);

    ck_assert_int_eq(drover_domxml_refs("<domain><name>x</name></domain>",
                                        &refs, reason),
                     0);
    ck_assert_uint_eq(refs.pools->len + refs.networks->len + refs.files->len,
                      0);
    drover_domxml_refs_clear(&refs);

    ck_assert_int_eq(drover_domxml_refs("<network/>", &refs, reason),
                     DROVER_RC_CONFIG);
    ck_assert_int_eq(drover_domxml_refs("<domain", &refs, reason),
                     DROVER_RC_CONFIG);
    ck_assert_ptr_null(refs.pools);
    drover_domxml_refs_clear(&refs);
}
END_TEST

START_TEST(overlay_as_the_stock_agent)
{
    static const struct {
        const char *config, *overlay;
    } cases[] = {
        { "/etc/vms/vm1.xml", "/etc/vms/vm1.qcow2" },
        { "/etc/vms/vm1", "/etc/vms/vm1.qcow2" },
        { "/etc/vms/vm1.v2.xml", "/etc/vms/vm1.qcow2" },
        /* ${config%%.*}: the first '.' of the whole path, as stock */
        { "/srv/vms.d/vm1.xml", "/srv/vms.qcow2" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *o = drover_domxml_overlay_path(cases[i].config);

        ck_assert_str_eq(o, cases[i].overlay);
    }
}
END_TEST

START_TEST(image_format_from_magic)
{
    static const unsigned char qcow2[] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
    static const unsigned char raw[] = { 0xeb, 0x63, 0x90, 0x10 };

    ck_assert_str_eq(drover_domxml_image_format(qcow2, sizeof(qcow2)),
                     "qcow2");
    ck_assert_str_eq(drover_domxml_image_format(raw, sizeof(raw)), "raw");
    ck_assert_str_eq(drover_domxml_image_format(qcow2, 3), "raw");
    ck_assert_str_eq(drover_domxml_image_format(NULL, 0), "raw");
}
END_TEST

Suite *
domxml_suite(void)
{
    Suite *s = suite_create("domxml");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, refs_each_once);
    tcase_add_test(tc, overlay_as_the_stock_agent);
    tcase_add_test(tc, image_format_from_magic);
    suite_add_tcase(s, tc);
    return s;
}
