/*
 * drain-planner [ROUNDS]: time the drain planner on a synthetic cluster of
 * 64 nodes and 10,000 VMs, draining the node that runs the most of them
 * (all of a fifth of the VMs), ROUNDS times; prints each round's ms.
 */
#include <stdio.h>
#include <stdlib.h>

#include <drover/drain.h>

int
main(int argc, char **argv)
{
    int rounds = (argc > 1) ? atoi(argv[1]) : 20;

    for (int round = 0; round < rounds; round++) {
        g_autoptr(GPtrArray) nodes =
            g_ptr_array_new_with_free_func(drover_plan_node_free);
        g_autoptr(GPtrArray) vms =
            g_ptr_array_new_with_free_func(drover_plan_vm_free);
        g_autoptr(GPtrArray) steps = NULL;
        g_autoptr(GString) reason = g_string_new(NULL);
        drover_drain_opts_t opts = { .on_unmovable = DROVER_UNMOVABLE_SKIP };
        gint64 start;

        for (int i = 0; i < 64; i++) {
            g_autofree char *name = g_strdup_printf("node%02d", i);
            drover_plan_node_t *n = drover_plan_node_new(name);

            n->accepts_live = (i % 16 != 5);
            n->capacity_mib = 512 * 1024;
            g_ptr_array_add(nodes, n);
        }
        for (int i = 0; i < 10000; i++) {
            drover_plan_vm_t *vm = g_new0(drover_plan_vm_t, 1);

            vm->id = g_strdup_printf("vm%05d", i);
            vm->node = g_strdup_printf("node%02d", (i % 5 == 0) ? 0 : i % 64);
            vm->priority = i % 4;
            vm->memory_mib = 1024 + (i % 13) * 512;
            vm->migratable = (i % 97 != 0);
            g_ptr_array_add(vms, vm);
        }
        start = g_get_monotonic_time();
        if (drover_drain_plan("node00", nodes, vms, &opts, &steps, reason)
            != 0) {
            fprintf(stderr, "no plan: %s\n", reason->str);
            return 1;
        }
        printf("%.3f %u\n", (g_get_monotonic_time() - start) / 1000.0,
               steps->len);
    }
    return 0;
}
