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
    "<disk type='file' device='cdrom'><source file='/srv/boot.iso'/>"
    "<readonly/></disk>"
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

    ck_assert_int_eq(
        drover_domxml_refs("<domain><name>x</name></domain>", &refs, reason),
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

    ck_assert_str_eq(drover_domxml_image_format(qcow2, sizeof(qcow2)), "qcow2");
    ck_assert_str_eq(drover_domxml_image_format(raw, sizeof(raw)), "raw");
    ck_assert_str_eq(drover_domxml_image_format(qcow2, 3), "raw");
    ck_assert_str_eq(drover_domxml_image_format(NULL, 0), "raw");
}
END_TEST

START_TEST(what_blocks_a_move)
{
    static const struct {
        const char *devices;
        const char *blocker; /* NULL: movable */
    } cases[] = {
        { "", NULL },
        { "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/>"
          "</source></hostdev>",
          NULL },
        { "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
          "<address domain='0x0000' bus='0x03' slot='0x00' "
          "function='0x1'/></source></hostdev>",
          "host PCI device 0000:03:00.1 passed through" },
        { "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
          "<address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>"
          "</hostdev>",
          "mediated device c2177883-f1bb-47f0-914d-32a22e3a8804 (vGPU) "
          "passed through" },
        { "<hostdev mode='subsystem' type='scsi'/>",
          "host scsi device passed through" },
        { "<interface type='hostdev' managed='yes'><source><address "
          "type='pci' domain='0x0000' bus='0x04' slot='0x10' "
          "function='0x2'/></source></interface>",
          "an SR-IOV NIC (host PCI device 0000:04:10.2) that is not the "
          "transient half of a failover team (<teaming>)" },
        /* the transient half of a failover team, its partner there */
        { "<interface type='bridge'><source bridge='br0'/>"
          "<model type='virtio'/><teaming type='persistent'/>"
          "<alias name='ua-backup0'/></interface>"
          "<interface type='hostdev' managed='yes'><source><address "
          "type='pci' domain='0x0000' bus='0x04' slot='0x10' "
          "function='0x2'/></source>"
          "<teaming type='transient' persistent='ua-backup0'/></interface>",
          NULL },
        /* ... its partner missing */
        { "<interface type='hostdev' managed='yes'><source><address "
          "type='pci' domain='0x0000' bus='0x04' slot='0x10' "
          "function='0x2'/></source>"
          "<teaming type='transient' persistent='ua-backup0'/></interface>",
          "an SR-IOV NIC (host PCI device 0000:04:10.2) that is not the "
          "transient half of a failover team (<teaming>)" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf(
            "<domain><name>x</name><devices>%s</devices></domain>",
            cases[i].devices);
        g_autofree char *why = drover_domxml_blocker(xml);

        if (cases[i].blocker == NULL) {
            ck_assert_msg(why == NULL, "case %zu: %s", i, why);
        } else {
            ck_assert_ptr_nonnull(why);
            ck_assert_str_eq(why, cases[i].blocker);
        }
    }
    ck_assert_ptr_null(drover_domxml_blocker("<domain"));
}
END_TEST

START_TEST(a_disk_only_this_host_sees)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    g_autofree char *why = NULL;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    /* /proc is neither known local nor known shared; a missing file
     * cannot be told */
    g_ptr_array_add(files, (gpointer) "/proc/self/status");
    g_ptr_array_add(files, (gpointer) "/no/such/disk.qcow2");
    ck_assert_ptr_null(drover_domxml_local_file(files, deadline));
    /* /dev/shm is tmpfs */
    g_ptr_array_add(files, (gpointer) "/dev/shm");
    why = drover_domxml_local_file(files, deadline);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "/dev/shm is on tmpfs");
}
END_TEST

/* The machine type and arch a domain runs with, as its XML says them */
START_TEST(machine_type)
{
    g_autofree char *arch = NULL;
    g_autofree char *machine = NULL;

    drover_domxml_machine("<domain type='qemu'><os><type arch='x86_64' "
                          "machine='pc-i440fx-2.3'>hvm</type></os></domain>",
                          &arch, &machine);
    ck_assert_str_eq(arch, "x86_64");
    ck_assert_str_eq(machine, "pc-i440fx-2.3");
    g_clear_pointer(&arch, g_free);
    g_clear_pointer(&machine, g_free);
    drover_domxml_machine(domain, &arch, &machine);
    ck_assert_ptr_null(arch);
    ck_assert_ptr_null(machine);
    drover_domxml_machine("<domain", &arch, &machine);
    ck_assert_ptr_null(machine);
}
END_TEST

/* The CPU libvirt compares: custom or host-model, with the domain's type;
 * none for host-passthrough (only an identical host runs it) */
START_TEST(cpu_to_compare)
{
    g_autofree char *cpu = NULL;
    g_autofree char *type = NULL;

    drover_domxml_cpu("<domain type='qemu'><cpu mode='custom' match='exact'>"
                      "<model fallback='forbid'>qemu64</model>"
                      "<feature policy='require' name='pcommit'/></cpu>"
                      "</domain>",
                      &cpu, &type);
    ck_assert_str_eq(cpu, "<cpu mode=\"custom\" match=\"exact\"><model "
                          "fallback=\"forbid\">qemu64</model><feature "
                          "policy=\"require\" name=\"pcommit\"/></cpu>");
    ck_assert_str_eq(type, "qemu");
    g_clear_pointer(&cpu, g_free);
    g_clear_pointer(&type, g_free);
    drover_domxml_cpu("<domain type='kvm'><cpu><model>EPYC</model></cpu>"
                      "</domain>",
                      &cpu, &type);
    ck_assert_str_eq(cpu, "<cpu><model>EPYC</model></cpu>");
    ck_assert_str_eq(type, "kvm");
    g_clear_pointer(&cpu, g_free);
    g_clear_pointer(&type, g_free);
    drover_domxml_cpu("<domain type='kvm'><cpu mode='host-passthrough'>"
                      "<model>EPYC</model></cpu></domain>",
                      &cpu, &type);
    ck_assert_ptr_null(cpu);
    g_clear_pointer(&type, g_free);
    drover_domxml_cpu("<domain type='kvm'><cpu mode='custom' check='none'>"
                      "<model>EPYC</model></cpu></domain>",
                      &cpu, &type);
    ck_assert_ptr_null(cpu);
    drover_domxml_cpu(domain, &cpu, &type);
    ck_assert_ptr_null(cpu);
    drover_domxml_cpu("<domain", &cpu, &type);
    ck_assert_ptr_null(cpu);
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
    tcase_add_test(tc, what_blocks_a_move);
    tcase_add_test(tc, a_disk_only_this_host_sees);
    tcase_add_test(tc, machine_type);
    tcase_add_test(tc, cpu_to_compare);
    suite_add_tcase(s, tc);
    return s;
}
