/*
 * slot-latency COUNT SOURCE TARGET: take and release a migration slot
 * COUNT times, printing each grant's latency (join to granted) in
 * microseconds, one per line.  For tests/bench/bench-slots, on the lab.
 */
#include <stdio.h>
#include <stdlib.h>

#include <drover/deadline.h>
#include <drover/log.h>
#include <drover/rc.h>
#include <drover/slot_group.h>

int
main(int argc, char **argv)
{
    drover_slot_req_t req = { 0 };
    long count;

    if (argc != 4 || (count = strtol(argv[1], NULL, 10)) <= 0) {
        fprintf(stderr, "Usage: %s COUNT SOURCE TARGET\n", argv[0]);
        return 64;
    }
    drover_log_init("slot-latency", DROVER_LOG_TOOL);
    req.vm = (char *) "bench";
    req.source = argv[2];
    req.target = argv[3];
    req.max_out = 2;
    req.max_in = 2;
    for (long i = 0; i < count; i++) {
        g_autoptr(drover_slot_group_t) group = NULL;
        gint64 start = g_get_monotonic_time();
        int rc;

        req.key = g_get_real_time();
        rc = drover_slot_group_join(&req, drover_deadline_in_ms(5000), &group);
        if (rc == 0) {
            rc = drover_slot_group_wait_granted(group,
                                                drover_deadline_in_ms(30000));
        }
        if (rc != 0) {
            fprintf(stderr, "slot %ld: %s\n", i, drover_rc_str(rc));
            return 1;
        }
        printf("%" G_GINT64_FORMAT "\n", g_get_monotonic_time() - start);
    }
    return 0;
}
