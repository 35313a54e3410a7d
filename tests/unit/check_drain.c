/*
 * The drain planner: order, targets within capacity, what cannot move.
 */
#include <stdarg.h>
#include <string.h>

#include <libxml/parser.h>

#include <drover/autoptr.h>
#include <drover/drain.h>
#include <drover/rc.h>

#include "unit.h"

static drover_plan_node_t *
node(const char *name, gint64 capacity, gint64 used)
{
    drover_plan_node_t *n = drover_plan_node_new(name);

    n->capacity_mib = capacity;
    n->used_mib = used;
    return n;
}

static drover_plan_vm_t *
vm(const char *id, const char *where, int priority, gint64 memory)
{
    drover_plan_vm_t *v = g_new0(drover_plan_vm_t, 1);

    v->id = g_strdup(id);
    v->node = g_strdup(where);
    v->priority = priority;
    v->memory_mib = memory;
    v->migratable = true;
    return v;
}

/* "vm2>n3 vm1>n2 vm4:skip" */
static char *
plan_text(GPtrArray *steps)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < steps->len; i++) {
        drover_plan_step_t *st = g_ptr_array_index(steps, i);

        if (st->action == DROVER_STEP_MIGRATE) {
            g_string_append_printf(s, "%s%s>%s", (i > 0) ? " " : "", st->vm->id,
                                   st->target);
        } else {
            g_string_append_printf(s, "%s%s:%s", (i > 0) ? " " : "", st->vm->id,
                                   drover_step_action_str(st->action));
        }
    }
    return g_string_free(s, FALSE);
}

START_TEST(priority_then_smallest_first_to_most_room)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_drain_opts_t opts = { 0 };

    g_ptr_array_add(nodes, node("n3", 4096, 1024));
    g_ptr_array_add(nodes, node("n1", 8192, 3000));
    g_ptr_array_add(nodes, node("n2", 4096, 0));
    g_ptr_array_add(vms, vm("big", "n1", 0, 2048));
    g_ptr_array_add(vms, vm("small", "n1", 0, 512));
    g_ptr_array_add(vms, vm("vip", "n1", 10, 1024));
    g_ptr_array_add(vms, vm("elsewhere", "n2", 100, 256));
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    /* vip first; n2 has most room (4096), then n3 (3072) vs n2 (3072): fewer
       planned wins; big goes where 2048 fit */
    ck_assert_str_eq(text, "vip>n2 small>n3 big>n2");
}
END_TEST

START_TEST(never_overfills)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_SKIP };

    g_ptr_array_add(nodes, node("n1", 8192, 0));
    g_ptr_array_add(nodes, node("n2", 2048, 1024));
    g_ptr_array_add(vms, vm("a", "n1", 0, 1024));
    g_ptr_array_add(vms, vm("b", "n1", 0, 1024));
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "a>n2 b:skip");
    ck_assert_str_eq(
        ((drover_plan_step_t *) g_ptr_array_index(steps, 1))->reason,
        "no node can take it (n2 not enough free memory)");
}
END_TEST

START_TEST(unmovable_vms)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_plan_node_t *n3 = node("n3", -1, 0);
    drover_plan_vm_t *pinned = vm("pinned", "n1", 0, 0);
    drover_plan_vm_t *fixed = vm("fixed", "n1", 0, 0);
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_STOP };

    n3->accepts_live = false;
    g_ptr_array_add(nodes, node("n1", -1, 0));
    g_ptr_array_add(nodes, node("n2", -1, 0));
    g_ptr_array_add(nodes, n3);
    pinned->banned = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(pinned->banned, g_strdup("n2"));
    fixed->migratable = false;
    g_ptr_array_add(vms, pinned);
    g_ptr_array_add(vms, fixed);
    g_ptr_array_add(vms, vm("free", "n1", 0, 0));
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "fixed:stop free>n2 pinned:stop");
    ck_assert_str_eq(
        ((drover_plan_step_t *) g_ptr_array_index(steps, 2))->reason,
        "no node can take it (n2 not allowed for it, n3 accepts no "
        "live migration)");
    g_clear_pointer(&steps, g_ptr_array_unref);
    opts.on_unmovable = DROVER_UNMOVABLE_FAIL;
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     DROVER_RC_STATE);
    ck_assert_str_eq(reason->str, "fixed cannot be moved: not live-migratable "
                                  "(allow-migrate is off)");
}
END_TEST

/* A VM never goes to an older QEMU than its node's; unknown refuses
 * nothing; a dry run names the node passed over */
START_TEST(never_to_an_older_qemu)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_plan_node_t *n1 = node("n1", -1, 0);
    drover_plan_node_t *n2 = node("n2", 4096, 0);
    drover_plan_node_t *n3 = node("n3", 1024, 0);
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_SKIP };
    const drover_plan_step_t *step = NULL;

    n1->platform = (drover_platform_t){ .libvirt = 11003000, .qemu = 10000000 };
    n2->platform = (drover_platform_t){ .libvirt = 9000000, .qemu = 7002000 };
    n3->platform = (drover_platform_t){ .libvirt = 11003000, .qemu = 10000000 };
    g_ptr_array_add(nodes, n1);
    g_ptr_array_add(nodes, n2);
    g_ptr_array_add(nodes, n3);
    g_ptr_array_add(vms, vm("small", "n1", 0, 512));
    g_ptr_array_add(vms, vm("big", "n1", 0, 2048));
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "small>n3 big:skip");
    step = g_ptr_array_index(steps, 0);
    ck_assert_str_eq(step->reason,
                     "most free memory (1024 MiB before it); not n2 runs QEMU "
                     "7.2.0 (libvirt 9.0.0), older than n1's QEMU 10.0.0 "
                     "(libvirt 11.3.0)");
    step = g_ptr_array_index(steps, 1);
    ck_assert_str_eq(step->reason,
                     "no node can take it (n2 runs QEMU 7.2.0 (libvirt "
                     "9.0.0), older than n1's QEMU 10.0.0 (libvirt 11.3.0), "
                     "n3 not enough free memory)");

    /* n2 unknown (no NodeHealth there): it may take what fits */
    n2->platform = (drover_platform_t){ 0 };
    n3->used_mib = 0;
    g_clear_pointer(&steps, g_ptr_array_unref);
    g_clear_pointer(&text, g_free);
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "small>n2 big>n2");
}
END_TEST

/* Nor to a QEMU without the VM's machine type (QEMU 10.0 dropped
 * pc-i440fx-2.3): the dry run names the node passed over */
START_TEST(never_to_a_qemu_without_the_machine_type)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_plan_node_t *n1 = node("n1", -1, 0);
    drover_plan_node_t *n2 = node("n2", 4096, 0);
    drover_plan_node_t *n3 = node("n3", 1024, 0);
    drover_plan_vm_t *old = vm("old", "n1", 0, 512);
    drover_plan_vm_t *current = vm("current", "n1", 0, 512);
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_SKIP };
    const drover_plan_step_t *step = NULL;

    n1->platform =
        (drover_platform_t){ 9000000, 7002000, g_strdup("x86_64"),
                             g_strsplit("pc-i440fx-2.3,pc", ",", -1) };
    n2->platform =
        (drover_platform_t){ 11003000, 10000000, g_strdup("x86_64"),
                             g_strsplit("pc-i440fx-10.0,pc", ",", -1) };
    n3->platform =
        (drover_platform_t){ 9000000, 7002000, g_strdup("x86_64"),
                             g_strsplit("pc-i440fx-2.3,pc", ",", -1) };
    old->arch = g_strdup("x86_64");
    old->machine = g_strdup("pc-i440fx-2.3");
    current->arch = g_strdup("x86_64");
    current->machine = g_strdup("pc");
    g_ptr_array_add(nodes, n1);
    g_ptr_array_add(nodes, n2);
    g_ptr_array_add(nodes, n3);
    g_ptr_array_add(vms, old);
    g_ptr_array_add(vms, current);
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "current>n2 old>n3");
    step = g_ptr_array_index(steps, 1);
    ck_assert_str_eq(step->reason,
                     "most free memory (1024 MiB before it); not n2 runs QEMU "
                     "10.0.0, which has no machine type pc-i440fx-2.3");

    /* nowhere else has it: the dry run says why */
    n3->platform.machines[0][0] = 'x';
    n2->used_mib = n3->used_mib = 0;
    g_clear_pointer(&steps, g_ptr_array_unref);
    g_clear_pointer(&text, g_free);
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "current>n2 old:skip");
    step = g_ptr_array_index(steps, 1);
    ck_assert_str_eq(step->reason,
                     "no node can take it (n2 runs QEMU 10.0.0, which has no "
                     "machine type pc-i440fx-2.3, n3 runs QEMU 7.2.0, which "
                     "has no machine type pc-i440fx-2.3)");

    /* nor to a node whose libvirt cannot provide the VM's CPU */
    current->cpu_refused =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(current->cpu_refused, g_strdup("n2"),
                        g_strdup("n2 cannot provide its CPU (Host CPU does "
                                 "not provide required features: pcommit)"));
    n2->used_mib = n3->used_mib = 0;
    g_clear_pointer(&steps, g_ptr_array_unref);
    g_clear_pointer(&text, g_free);
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "current>n3 old:skip");
    step = g_ptr_array_index(steps, 0);
    ck_assert_str_eq(step->reason,
                     "most free memory (1024 MiB before it); not n2 cannot "
                     "provide its CPU (Host CPU does not provide required "
                     "features: pcommit)");
}
END_TEST

static GPtrArray *
ids(const char *first, ...)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
    va_list ap;

    va_start(ap, first);
    for (const char *id = first; id != NULL; id = va_arg(ap, const char *)) {
        g_ptr_array_add(list, g_strdup(id));
    }
    va_end(ap);
    return list;
}

/* Colocated VMs leave together to one node, kept-apart ones never share
 * one, ordered ones keep their order; --order first */
START_TEST(dependencies_and_order)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_plan_vm_t *db = vm("db", "n1", 20, 2048);
    drover_plan_vm_t *app = vm("app", "n1", 0, 512);
    drover_plan_vm_t *web = vm("web", "n1", 10, 256);
    drover_plan_vm_t *batch = vm("batch", "n1", 5, 128);
    drover_plan_vm_t *cache = vm("cache", "n1", 30, 64);
    const char *first[] = { "batch", NULL };
    const char *bogus[] = { "nosuch", NULL };
    drover_drain_opts_t opts = { 0 };

    g_ptr_array_add(nodes, node("n1", -1, 0));
    g_ptr_array_add(nodes, node("n2", 8192, 0));
    g_ptr_array_add(nodes, node("n3", 4096, 0));
    app->together = ids("db", NULL); /* app with db */
    db->together = ids("app", NULL);
    web->apart = ids("app", NULL);   /* web never with app */
    cache->after = ids("web", NULL); /* cache starts after web */
    g_ptr_array_add(vms, db);
    g_ptr_array_add(vms, app);
    g_ptr_array_add(vms, web);
    g_ptr_array_add(vms, batch);
    g_ptr_array_add(vms, cache);
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    /* by priority: cache db web batch app; cache after web; app right
       after db, to db's node; web not where app goes */
    ck_assert_str_eq(text, "db>n2 app>n2 web>n3 cache>n2 batch>n2");
    g_clear_pointer(&steps, g_ptr_array_unref);
    g_clear_pointer(&text, g_free);

    opts.first = first;
    for (guint i = 0; i < nodes->len; i++) {
        ((drover_plan_node_t *) g_ptr_array_index(nodes, i))->used_mib = 0;
    }
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "batch>n2 db>n2 app>n2 web>n3 cache>n2");
    g_clear_pointer(&steps, g_ptr_array_unref);

    opts.first = bogus;
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     DROVER_RC_USAGE);
    ck_assert_ptr_nonnull(strstr(reason->str, "'nosuch' is not a VM on n1"));
}
END_TEST

/* Host memory and node health weigh in the choice of targets */
START_TEST(host_memory_health_and_load)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *text = NULL;
    drover_plan_node_t *tight = node("n2", 16384, 0);
    drover_plan_node_t *red = node("n3", 16384, 0);
    drover_plan_node_t *yellow = node("n4", 16384, 0);
    drover_plan_node_t *busy = node("n5", 4096, 0);
    drover_plan_node_t *idle = node("n6", 4096, 0);
    drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_SKIP };
    drover_host_facts_t facts;
    g_autofree char *formatted = NULL;

    tight->host.mem_available_mib = 1024; /* the host has less than it says */
    red->health = 2;
    red->health_why = g_strdup("#health-disk=red");
    yellow->health = 1;
    yellow->health_why = g_strdup("#health-cpu=yellow");
    busy->host.load = 2.0;
    idle->host.load = 0.1;
    g_ptr_array_add(nodes, node("n1", -1, 0));
    g_ptr_array_add(nodes, tight);
    g_ptr_array_add(nodes, red);
    g_ptr_array_add(nodes, yellow);
    g_ptr_array_add(nodes, busy);
    g_ptr_array_add(nodes, idle);
    g_ptr_array_add(vms, vm("a", "n1", 9, 2048)); /* n5/n6 tie: n6 idle */
    g_ptr_array_add(vms, vm("b", "n1", 8, 2048)); /* n5 (2048 room left) */
    g_ptr_array_add(vms, vm("c", "n1", 7, 3072)); /* green is full: n4 */
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    text = plan_text(steps);
    ck_assert_str_eq(text, "a>n6 b>n5 c>n4");
    ck_assert_str_eq(
        ((drover_plan_step_t *) g_ptr_array_index(steps, 2))->reason,
        "most free memory (16384 MiB before it, health yellow: "
        "#health-cpu=yellow)");
    g_clear_pointer(&steps, g_ptr_array_unref);
    yellow->health = 2;
    g_ptr_array_add(vms, vm("d", "n1", 0, 4096));
    ck_assert_int_eq(drover_drain_plan("n1", nodes, vms, &opts, &steps, reason),
                     0);
    ck_assert_str_eq(
        ((drover_plan_step_t *) g_ptr_array_index(steps, 3))->reason,
        "no node can take it (n2 not enough host memory (1024 MiB "
        "available), n3 health red (#health-disk=red), n4 health red "
        "(#health-cpu=yellow), n5 not enough free memory, n6 not enough "
        "free memory)");

    facts = (drover_host_facts_t){ .mem_available_mib = 2000, .load = 0.5 };
    formatted = drover_host_facts_format(&facts);
    ck_assert_str_eq(formatted, "mem-available=2000 load=0.50");
    ck_assert_int_eq(drover_host_facts_parse(formatted, &facts), 0);
    ck_assert_int_eq(facts.mem_available_mib, 2000);
    ck_assert_int_eq(drover_host_facts_parse("mem-available=x", &facts),
                     DROVER_RC_PROTOCOL);
    facts = drover_host_facts_local();
    ck_assert_int_gt(facts.mem_available_mib, 0);
}
END_TEST

/* The target: 64 nodes, 10,000 VMs, all on the drained node, in
 * well under 100 ms (timed by make bench; here only that it plans) */
START_TEST(large_cluster)
{
    g_autoptr(GPtrArray) nodes =
        g_ptr_array_new_with_free_func(drover_plan_node_free);
    g_autoptr(GPtrArray) vms =
        g_ptr_array_new_with_free_func(drover_plan_vm_free);
    g_autoptr(GPtrArray) steps = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_drain_opts_t opts = { 0 };

    for (int i = 0; i < 64; i++) {
        g_autofree char *name = g_strdup_printf("n%02d", i);

        g_ptr_array_add(nodes, node(name, 1024 * 1024, 0));
    }
    for (int i = 0; i < 10000; i++) {
        g_autofree char *id = g_strdup_printf("vm%05d", i);

        g_ptr_array_add(vms, vm(id, (i % 64 == 0) ? "n00" : "n01", i % 5,
                                512 + (i % 7) * 256));
    }
    ck_assert_int_eq(
        drover_drain_plan("n00", nodes, vms, &opts, &steps, reason), 0);
    ck_assert_int_eq(steps->len, 157);
}
END_TEST

/* The drain's constraints, for cibadmin: parsed back, every value as it
 * was (the VM and node names here are not valid in a CIB; the XML must
 * hold them all the same) */
START_TEST(constraints_xml)
{
    const char *vms[] = { "a\"b", "c<d>&e", "f'g", "h" };
    const char *to[] = { "n2", "n3", "n2", "n&3" };
    g_autofree char *text = drover_drain_constraints_xml(
        "drover-drain-n1-", "n'1", vms, to, 4, 2, "10000", true);
    g_autoptr(xmlDoc) doc =
        xmlReadMemory(text, (int) strlen(text), "constraints.xml", NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR);
    g_autoptr(GString) got = g_string_new(NULL);
    xmlNode *root = NULL;

    ck_assert_msg(doc != NULL, "not XML: %s", text);
    root = xmlDocGetRootElement(doc);
    ck_assert_str_eq((const char *) root->name, "constraints");
    for (xmlNode *c = xmlFirstElementChild(root); c != NULL;
         c = xmlNextElementSibling(c)) {
        g_string_append_printf(got, "%s:", (const char *) c->name);
        for (xmlAttr *a = c->properties; a != NULL; a = a->next) {
            g_autofree char *value = (char *) xmlGetProp(c, a->name);

            g_string_append_printf(got, " %s=[%s]", (const char *) a->name,
                                   value);
        }
        g_string_append_c(got, '\n');
    }
    ck_assert_str_eq(
        got->str,
        "rsc_location: id=[drover-drain-n1-to-a\"b] rsc=[a\"b] node=[n2] "
        "score=[10000]\n"
        "rsc_location: id=[drover-drain-n1-ban-a\"b] rsc=[a\"b] node=[n'1] "
        "score=[-INFINITY]\n"
        "rsc_location: id=[drover-drain-n1-to-c<d>&e] rsc=[c<d>&e] node=[n3] "
        "score=[10000]\n"
        "rsc_location: id=[drover-drain-n1-ban-c<d>&e] rsc=[c<d>&e] "
        "node=[n'1] score=[-INFINITY]\n"
        "rsc_location: id=[drover-drain-n1-to-f'g] rsc=[f'g] node=[n2] "
        "score=[10000]\n"
        "rsc_order: id=[drover-drain-n1-after-f'g] first=[a\"b] then=[f'g] "
        "kind=[Optional]\n"
        "rsc_location: id=[drover-drain-n1-ban-f'g] rsc=[f'g] node=[n'1] "
        "score=[-INFINITY]\n"
        "rsc_location: id=[drover-drain-n1-to-h] rsc=[h] node=[n&3] "
        "score=[10000]\n"
        "rsc_order: id=[drover-drain-n1-after-h] first=[c<d>&e] then=[h] "
        "kind=[Optional]\n"
        "rsc_location: id=[drover-drain-n1-ban-h] rsc=[h] node=[n'1] "
        "score=[-INFINITY]\n");
}
END_TEST

/* Without bans, as a failback applies them: one element per move */
START_TEST(constraints_xml_plain)
{
    const char *vms[] = { "vm1", "vm2" };
    const char *to[] = { "n1", "n1" };
    g_autofree char *text = drover_drain_constraints_xml(
        "drover-failback-n1-", "n1", vms, to, 2, 1, "10000", false);

    ck_assert_str_eq(text,
                     "<constraints><rsc_location id=\"drover-failback-n1-to-"
                     "vm1\" rsc=\"vm1\" node=\"n1\" score=\"10000\"/>"
                     "<rsc_location id=\"drover-failback-n1-to-vm2\" "
                     "rsc=\"vm2\" node=\"n1\" score=\"10000\"/><rsc_order "
                     "id=\"drover-failback-n1-after-vm2\" first=\"vm1\" "
                     "then=\"vm2\" kind=\"Optional\"/></constraints>");
}
END_TEST

/* NodeHealth's host facts as another node reads them: a number that is
 * not one is refused (found by fuzz_drain: a load of 6.7e66 formatted
 * cut short at G_ASCII_DTOSTR_BUF_SIZE, and did not read back the same) */
START_TEST(host_facts_parse)
{
    drover_host_facts_t f;
    g_autofree char *text = NULL;

    ck_assert_int_eq(
        drover_host_facts_parse("mem-available=30720 load=0.35", &f), 0);
    ck_assert_int_eq(f.mem_available_mib, 30720);
    ck_assert(f.load > 0.34 && f.load < 0.36);
    text = drover_host_facts_format(&f);
    ck_assert_str_eq(text, "mem-available=30720 load=0.35");
    ck_assert_int_eq(drover_host_facts_parse("", &f), 0);
    ck_assert_int_eq(f.mem_available_mib, -1);
    ck_assert_int_eq(
        drover_host_facts_parse("load=6666666666666666666666666666666666666666"
                                "666666666666666666666661.75",
                                &f),
        DROVER_RC_PROTOCOL);
    ck_assert(f.load == -1);
    ck_assert_int_eq(drover_host_facts_parse("load=nan", &f),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_host_facts_parse("load=inf", &f),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_host_facts_parse("mem-available= load=1", &f),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_host_facts_parse("mem-available=99999999999999999"
                                             "999",
                                             &f),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(f.mem_available_mib, -1);
    ck_assert_int_eq(drover_host_facts_parse("mem-available=12x", &f),
                     DROVER_RC_PROTOCOL);
}
END_TEST

/* The drained node's drover-drain-plan attribute, both ways */
START_TEST(moves_round_trip)
{
    const char *vms[] = { "vm1", "db-1", "web" };
    const char *to[] = { "n2", "n3", "n2" };
    g_autofree char *text = drover_drain_moves_format(vms, to, 3);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);

    ck_assert_str_eq(text, "vm1>n2 db-1>n3 web>n2");
    drover_drain_moves_parse(text, ids, targets);
    ck_assert_uint_eq(ids->len, 3);
    ck_assert_str_eq(g_ptr_array_index(ids, 1), "db-1");
    ck_assert_str_eq(g_ptr_array_index(targets, 1), "n3");
    g_ptr_array_set_size(ids, 0);
    g_ptr_array_set_size(targets, 0);
    drover_drain_moves_parse("  >n3 vm> a>b>c", ids, targets);
    ck_assert_uint_eq(ids->len, 1);
    ck_assert_str_eq(g_ptr_array_index(ids, 0), "a");
    ck_assert_str_eq(g_ptr_array_index(targets, 0), "b>c");
}
END_TEST

/* A move the CIB cannot hold is skipped: its constraints would not be
 * XML (found by fuzz_drain: libxml2 wrote "string is not in UTF-8" and
 * "invalid character value" and the constraints did not parse) */
START_TEST(moves_unfit_for_the_cib)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);

    drover_drain_moves_parse("vm\xeb>n2 vm\x01>n2 vm2>n\t3 vm3>n\xef\xbf\xbe "
                             "vm4>n\xc3\xa9",
                             ids, targets);
    ck_assert_uint_eq(ids->len, 1);
    ck_assert_str_eq(g_ptr_array_index(ids, 0), "vm4");
    ck_assert_str_eq(g_ptr_array_index(targets, 0), "n\xc3\xa9");
}
END_TEST

Suite *
drain_suite(void)
{
    Suite *s = suite_create("drain");
    TCase *tc = tcase_create("drain");

    tcase_add_test(tc, priority_then_smallest_first_to_most_room);
    tcase_add_test(tc, never_overfills);
    tcase_add_test(tc, unmovable_vms);
    tcase_add_test(tc, never_to_an_older_qemu);
    tcase_add_test(tc, never_to_a_qemu_without_the_machine_type);
    tcase_add_test(tc, dependencies_and_order);
    tcase_add_test(tc, host_memory_health_and_load);
    tcase_add_test(tc, large_cluster);
    tcase_add_test(tc, constraints_xml);
    tcase_add_test(tc, constraints_xml_plain);
    tcase_add_test(tc, host_facts_parse);
    tcase_add_test(tc, moves_round_trip);
    tcase_add_test(tc, moves_unfit_for_the_cib);
    suite_add_tcase(s, tc);
    return s;
}
