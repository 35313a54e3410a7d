/*
 * Migration slots: the grant rules on tables, then the members' protocol
 * in a simulated CPG group — thousands of random interleavings of joins,
 * requests, holds, completions and kills, delivered in one total order as
 * CPG does — checking that members agree, that no limit is ever exceeded
 * by those that believe they hold a slot, and that everyone not killed
 * gets a slot in the end.
 */
#include <stdio.h>
#include <string.h>

#include <drover/slots.h>

#include "unit.h"

static drover_slot_req_t
req(guint32 nodeid, guint32 pid, gint64 key, const char *source,
    const char *target, const char *network)
{
    return (drover_slot_req_t){
        .nodeid = nodeid,
        .pid = pid,
        .key = key,
        .vm = (char *) "vm",
        .source = (char *) source,
        .target = (char *) target,
        .network = (char *) network,
        .max_out = 2,
        .max_in = 2,
    };
}

START_TEST(fifo_within_limits)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t a = req(1, 10, 1, "n1", "n2", "lm1");
    drover_slot_req_t b = req(1, 11, 2, "n1", "n3", "lm1");
    drover_slot_req_t c = req(1, 12, 3, "n1", "n2", "lm1");
    drover_slot_req_t d = req(2, 20, 4, "n2", "n3", "lm1");

    drover_slots_add(t, &d); /* arrival order does not matter: keys do */
    drover_slots_add(t, &c);
    drover_slots_add(t, &b);
    drover_slots_add(t, &a);
    /* c must wait for n1's outgoing; d does not wait behind it */
    ck_assert(drover_slots_hold(t, 1, 10, 0));
    ck_assert(drover_slots_hold(t, 1, 11, 0));
    ck_assert(!drover_slots_hold(t, 1, 12, 0));
    ck_assert(drover_slots_hold(t, 2, 20, 0));
    /* a done: c is next for n1 */
    ck_assert(drover_slots_remove(t, 1, 10));
    ck_assert(drover_slots_admissible(t, drover_slots_find(t, 1, 12)));
}
END_TEST

START_TEST(a_waiter_keeps_its_turn)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t a = req(1, 10, 1, "n1", "n2", NULL);
    drover_slot_req_t b = req(3, 30, 2, "n3", "n2", NULL);
    drover_slot_req_t c = req(4, 40, 3, "n4", "n2", NULL);
    drover_slot_req_t w = req(1, 11, 4, "n1", "n5", NULL);
    drover_slot_req_t late = req(5, 50, 5, "n5", "n2", NULL);

    a.max_in = b.max_in = c.max_in = late.max_in = 2;
    drover_slots_add(t, &a);
    drover_slots_add(t, &b);
    drover_slots_add(t, &c);
    drover_slots_add(t, &late);
    ck_assert(drover_slots_hold(t, 1, 10, 0));
    ck_assert(drover_slots_hold(t, 3, 30, 0));
    /* n2's incoming is full: c waits, and late (after c) may not pass */
    ck_assert(!drover_slots_hold(t, 4, 40, 0));
    ck_assert(!drover_slots_hold(t, 5, 50, 0));
    drover_slots_remove(t, 3, 30);
    ck_assert(!drover_slots_admissible(t, drover_slots_find(t, 5, 50)));
    ck_assert(drover_slots_hold(t, 4, 40, 0));
    /* a waiter on another count does not block */
    drover_slots_add(t, &w);
    ck_assert(drover_slots_hold(t, 1, 11, 0));
}
END_TEST

START_TEST(bandwidth_is_shared)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t a = req(1, 10, 1, "n1", "n2", "lm1");
    drover_slot_req_t b = req(2, 20, 2, "n2", "n3", "lm1");
    drover_slot_req_t c = req(3, 30, 3, "n3", "n1", "lm1");

    a.bandwidth = b.bandwidth = c.bandwidth = 120;
    drover_slots_add(t, &a);
    drover_slots_add(t, &b);
    drover_slots_add(t, &c);
    ck_assert(drover_slots_hold(t, 1, 10, 0));
    ck_assert_int_eq(drover_slots_bandwidth_share(t, &a), 120);
    ck_assert(drover_slots_hold(t, 2, 20, 0));
    ck_assert(drover_slots_hold(t, 3, 30, 0));
    ck_assert_int_eq(drover_slots_bandwidth_share(t, &a), 40);
    drover_slots_remove(t, 2, 20);
    drover_slots_remove(t, 3, 30);
    ck_assert_int_eq(drover_slots_bandwidth_share(t, &a), 120);
}
END_TEST

START_TEST(wire_round_trip)
{
    drover_slot_req_t a = req(7, 77, 123456789, "n1", "n2", "lm2");
    g_autoptr(GBytes) bytes = NULL;
    drover_slot_req_t *b = NULL;
    g_autoptr(GBytes) junk = g_bytes_new_static("\x01\x02", 2);

    a.max_total = 3;
    a.bandwidth = 100;
    a.bytes_left = G_MAXUINT64;
    bytes = drover_slot_req_pack(&a);
    b = drover_slot_req_unpack(bytes);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->key, 123456789);
    ck_assert_str_eq(b->target, "n2");
    ck_assert_str_eq(b->network, "lm2");
    ck_assert_int_eq(b->max_total, 3);
    ck_assert_int_eq(b->bandwidth, 100);
    ck_assert_uint_eq(b->bytes_left, G_MAXUINT64);
    drover_slot_req_free(b);
    ck_assert_ptr_null(drover_slot_req_unpack(junk));
}
END_TEST

/* ------------------------------------------------------------------ */
/* The protocol in a simulated group                                  */
/* ------------------------------------------------------------------ */

#define SIM_NODES 4

typedef struct sim_s sim_t;

typedef struct {
    sim_t *sim;
    drover_slot_id_t id;
    drover_slot_member_t *member;
    drover_slot_req_t req;
    bool alive;      /* not left, not killed */
    bool member_now; /* its join delivered, its leave not */
    bool killed;
    bool done;
    int hold_left; /* steps it keeps its slot */
} proc_t;

typedef struct {
    bool confchg;
    drover_slot_id_t who; /* confchg: joiner or leaver; else the sender */
    bool join;
    GBytes *message;
} item_t;

struct sim_s {
    GRand *rand;
    GQueue queue; /* item_t *: the group's total order */
    GPtrArray *procs;
    guint32 next_pid;
    char names[SIM_NODES][4];
    int max_out, max_in, max_net, max_total;
};

static void
sim_send(void *data, GBytes *message)
{
    proc_t *p = data;
    item_t *it = g_new0(item_t, 1);

    if (!p->alive) {
        return; /* a killed process sends nothing */
    }
    it->who = p->id;
    it->message = g_bytes_ref(message);
    g_queue_push_tail(&p->sim->queue, it);
}

static void
sim_spawn(sim_t *sim)
{
    proc_t *p = g_new0(proc_t, 1);
    int from = g_rand_int_range(sim->rand, 0, SIM_NODES);
    int to = (from + g_rand_int_range(sim->rand, 1, SIM_NODES)) % SIM_NODES;
    item_t *it = g_new0(item_t, 1);

    p->sim = sim;
    p->id = (drover_slot_id_t){ (guint32) from + 1, sim->next_pid++ };
    p->req = req(p->id.nodeid, p->id.pid, sim->next_pid, sim->names[from],
                 sim->names[to], g_rand_boolean(sim->rand) ? "lm1" : "lm2");
    p->req.max_out = sim->max_out;
    p->req.max_in = sim->max_in;
    p->req.max_network = sim->max_net;
    p->req.max_total = sim->max_total;
    p->alive = true;
    p->hold_left = g_rand_int_range(sim->rand, 1, 30);
    p->member = drover_slot_member_new(p->id, &p->req, sim_send, p);
    drover_slot_member_set_quorate(p->member, true);
    g_ptr_array_add(sim->procs, p);
    it->confchg = true;
    it->join = true;
    it->who = p->id;
    g_queue_push_tail(&sim->queue, it);
}

static void
sim_leave(sim_t *sim, proc_t *p, bool killed)
{
    item_t *it = g_new0(item_t, 1);

    p->alive = false;
    p->killed = killed;
    p->done = !killed;
    it->confchg = true;
    it->who = p->id;
    g_queue_push_tail(&sim->queue, it);
}

static bool
same(drover_slot_id_t a, drover_slot_id_t b)
{
    return a.nodeid == b.nodeid && a.pid == b.pid;
}

/* Deliver the head of the order to every current member */
static void
sim_deliver(sim_t *sim, gint64 now)
{
    item_t *it = g_queue_pop_head(&sim->queue);
    g_autoptr(GArray) members =
        g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));

    if (it->confchg) {
        for (guint i = 0; i < sim->procs->len; i++) {
            proc_t *p = g_ptr_array_index(sim->procs, i);

            if (same(p->id, it->who)) {
                p->member_now = it->join;
            }
            if (p->member_now) {
                g_array_append_val(members, p->id);
            }
        }
    }
    for (guint i = 0; i < sim->procs->len; i++) {
        proc_t *p = g_ptr_array_index(sim->procs, i);

        if (!p->member_now || !p->alive) {
            continue;
        }
        if (it->confchg) {
            drover_slot_member_confchg(
                p->member, (drover_slot_id_t *) members->data, members->len,
                it->join ? &it->who : NULL, it->join ? 1 : 0,
                it->join ? NULL : &it->who, it->join ? 0 : 1, now);
        } else {
            drover_slot_member_deliver(p->member, it->who, it->message, now);
        }
    }
    if (it->message != NULL) {
        g_bytes_unref(it->message);
    }
    g_free(it);
}

static char *
table_text(const drover_slots_t *t)
{
    g_autoptr(GPtrArray) list = drover_slots_list(t);
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < list->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(list, i);

        g_string_append_printf(s, "%u/%u%s ", r->nodeid, r->pid,
                               r->granted ? "*" : "");
    }
    return g_string_free(s, FALSE);
}

/* Members agree; those that believe they hold stay within the limits */
static void
sim_check(sim_t *sim, int step)
{
    g_autofree char *reference = NULL;
    g_autoptr(GHashTable) used =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int total = 0;

    for (guint i = 0; i < sim->procs->len; i++) {
        proc_t *p = g_ptr_array_index(sim->procs, i);
        const drover_slots_t *t = NULL;
        const char *keys[3];

        if (!p->alive || !p->member_now) {
            continue;
        }
        t = drover_slot_member_table(p->member);
        if (t != NULL) {
            g_autofree char *text = table_text(t);

            if (reference == NULL) {
                reference = g_strdup(text);
            }
            ck_assert_msg(strcmp(reference, text) == 0,
                          "step %d: tables differ: %s vs %s", step, reference,
                          text);
        }
        if (!drover_slot_member_granted(p->member)) {
            continue;
        }
        total++;
        keys[0] = p->req.source;
        keys[1] = p->req.target;
        keys[2] = p->req.network;
        for (int k = 0; k < 3; k++) {
            g_autofree char *key = g_strdup_printf("%d:%s", k, keys[k]);
            int n = GPOINTER_TO_INT(g_hash_table_lookup(used, key)) + 1;
            int max = (k == 0)   ? sim->max_out
                      : (k == 1) ? sim->max_in
                                 : sim->max_net;

            ck_assert_msg(max == 0 || n <= max, "step %d: %s used %d > %d",
                          step, key, n, max);
            g_hash_table_insert(used, g_steal_pointer(&key),
                                GINT_TO_POINTER(n));
        }
    }
    ck_assert_msg(sim->max_total == 0 || total <= sim->max_total,
                  "step %d: %d hold slots > %d", step, total, sim->max_total);
}

static void
proc_free(gpointer data)
{
    proc_t *p = data;

    drover_slot_member_free(p->member);
    g_free(p);
}

static void
simulate(guint32 seed, int steps)
{
    sim_t sim = { 0 };
    int step = 0;

    sim.rand = g_rand_new_with_seed(seed);
    sim.procs = g_ptr_array_new_with_free_func(proc_free);
    sim.next_pid = 100;
    for (int i = 0; i < SIM_NODES; i++) {
        g_snprintf(sim.names[i], sizeof(sim.names[i]), "n%d", i + 1);
    }
    sim.max_out = g_rand_int_range(sim.rand, 1, 3);
    sim.max_in = g_rand_int_range(sim.rand, 1, 3);
    sim.max_net = g_rand_int_range(sim.rand, 0, 4);
    sim.max_total = g_rand_int_range(sim.rand, 0, 4);

    for (step = 0;; step++) {
        bool busy = false;
        double dice = g_rand_double(sim.rand);

        if (step > 20 * steps) {
            for (guint i = 0; i < sim.procs->len; i++) {
                proc_t *p = g_ptr_array_index(sim.procs, i);
                const drover_slots_t *t = drover_slot_member_table(p->member);
                g_autofree char *text = (t != NULL) ? table_text(t) : NULL;

                if (p->alive) {
                    fprintf(stderr, "%u/%u %s->%s %s member %d table %s\n",
                            p->id.nodeid, p->id.pid, p->req.source,
                            p->req.target, p->req.network, p->member_now,
                            (text != NULL) ? text : "not synced");
                }
            }
            ck_abort_msg("seed %u: no progress after %d steps (queue %u, "
                         "limits out %d in %d net %d total %d)",
                         seed, step, g_queue_get_length(&sim.queue),
                         sim.max_out, sim.max_in, sim.max_net, sim.max_total);
        }
        for (guint i = 0; i < sim.procs->len; i++) {
            proc_t *p = g_ptr_array_index(sim.procs, i);

            busy = busy || p->alive;
            if (p->alive && drover_slot_member_granted(p->member)
                && --p->hold_left <= 0) {
                sim_leave(&sim, p, false); /* migration done */
            }
        }
        if (step < steps && dice < 0.08) {
            sim_spawn(&sim);
        } else if (step < steps && dice < 0.10 && sim.procs->len > 0) {
            proc_t *p = g_ptr_array_index(
                sim.procs,
                (guint) g_rand_int_range(sim.rand, 0, (gint) sim.procs->len));

            if (p->alive) {
                sim_leave(&sim, p, true); /* SIGKILL, node crash */
            }
        } else if (step < steps && dice < 0.11 && sim.procs->len > 0) {
            proc_t *p = g_ptr_array_index(
                sim.procs,
                (guint) g_rand_int_range(sim.rand, 0, (gint) sim.procs->len));

            if (p->alive) {
                drover_slot_member_resync(p->member); /* as after a merge */
            }
        } else if (!g_queue_is_empty(&sim.queue)) {
            sim_deliver(&sim, step);
            sim_check(&sim, step);
        } else if (step >= steps && !busy) {
            break;
        }
    }
    if (g_getenv("DROVER_SLOTS_DEBUG") != NULL) {
        fprintf(stderr, "seed %u: %d steps, %u processes\n", seed, step,
                sim.procs->len);
    }
    /* everyone not killed got its slot and finished */
    for (guint i = 0; i < sim.procs->len; i++) {
        proc_t *p = g_ptr_array_index(sim.procs, i);

        if (!(p->done || p->killed)) {
            const drover_slots_t *t = drover_slot_member_table(p->member);
            g_autofree char *text = (t != NULL) ? table_text(t) : NULL;

            ck_abort_msg("seed %u: %u/%u never got a slot (member %d, "
                         "table %s)",
                         seed, p->id.nodeid, p->id.pid, p->member_now,
                         (text != NULL) ? text : "not synced");
        }
    }
    g_ptr_array_unref(sim.procs);
    g_rand_free(sim.rand);
}

/* A holder's progress reaches a watcher, and a watcher that joins later */
START_TEST(progress_reaches_watchers)
{
    sim_t sim = { 0 };
    proc_t *holder = NULL;
    proc_t *watchers[2] = { NULL, NULL };

    sim.rand = g_rand_new_with_seed(1);
    sim.procs = g_ptr_array_new_with_free_func(proc_free);
    sim.next_pid = 100;
    g_strlcpy(sim.names[0], "n1", sizeof(sim.names[0]));
    g_strlcpy(sim.names[1], "n2", sizeof(sim.names[1]));
    sim.max_out = sim.max_in = 1;
    for (int w = 0; w < 3; w++) {
        proc_t *p = g_new0(proc_t, 1);
        item_t *it = g_new0(item_t, 1);

        p->sim = &sim;
        p->id = (drover_slot_id_t){ (guint32) w + 1, sim.next_pid++ };
        p->req = req(p->id.nodeid, p->id.pid, 1, "n1", "n2", "lm1");
        p->alive = true;
        p->member = drover_slot_member_new(p->id, (w == 0) ? &p->req : NULL,
                                           sim_send, p);
        drover_slot_member_set_quorate(p->member, true);
        g_ptr_array_add(sim.procs, p);
        it->confchg = it->join = true;
        it->who = p->id;
        g_queue_push_tail(&sim.queue, it);
        if (w == 0) {
            holder = p;
            for (int step = 0; !g_queue_is_empty(&sim.queue); step++) {
                sim_deliver(&sim, step);
            }
            ck_assert(drover_slot_member_granted(holder->member));
            drover_slot_member_progress(holder->member, 10, 90, 5);
        } else {
            watchers[w - 1] = p;
        }
        if (w == 1) {
            for (int step = 0; !g_queue_is_empty(&sim.queue); step++) {
                sim_deliver(&sim, step);
            }
        }
    }
    for (int step = 0; !g_queue_is_empty(&sim.queue); step++) {
        sim_deliver(&sim, step);
    }
    for (int w = 0; w < 2; w++) {
        const drover_slots_t *t = drover_slot_member_table(watchers[w]->member);
        const drover_slot_req_t *r =
            drover_slots_find(t, holder->id.nodeid, holder->id.pid);

        ck_assert_ptr_nonnull(r);
        ck_assert(r->granted);
        ck_assert_uint_eq(r->bytes_done, 10);
        ck_assert_uint_eq(r->bytes_left, 90);
        ck_assert_uint_eq(r->bytes_per_s, 5);
    }
    g_ptr_array_unref(sim.procs);
    g_rand_free(sim.rand);
}
END_TEST

START_TEST(protocol_simulation)
{
    /* DROVER_SLOTS_SEEDS=N for a longer soak */
    const char *env = g_getenv("DROVER_SLOTS_SEEDS");
    guint32 seeds =
        (env != NULL) ? (guint32) g_ascii_strtoull(env, NULL, 10) : 300;

    for (guint32 seed = 1; seed <= seeds; seed++) {
        simulate(seed, 400);
    }
}
END_TEST

Suite *
slots_suite(void)
{
    Suite *s = suite_create("slots");
    TCase *tc = tcase_create("slots");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fifo_within_limits);
    tcase_add_test(tc, a_waiter_keeps_its_turn);
    tcase_add_test(tc, bandwidth_is_shared);
    tcase_add_test(tc, wire_round_trip);
    tcase_add_test(tc, progress_reaches_watchers);
    tcase_add_test(tc, protocol_simulation);
    suite_add_tcase(s, tc);
    return s;
}
