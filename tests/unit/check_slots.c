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
    {
        g_autofree char *vm = g_strnfill(DROVER_SLOTS_NAME_MAX + 1, 'v');
        g_autoptr(GBytes) long_name = NULL;

        a.vm = vm;
        long_name = drover_slot_req_pack(&a);
        ck_assert_ptr_null(drover_slot_req_unpack(long_name));
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* The protocol in a simulated group                                  */
/* ------------------------------------------------------------------ */

#define SIM_NODES   4
#define SIM_STEP_US 1000 /* each step is 1 ms: the sync bound is 5000 */

typedef struct sim_s sim_t;

typedef enum {
    SIM_AGENT,   /* asks for a slot, migrates, leaves */
    SIM_WATCHER, /* drover slots / drover drain: asks for nothing */
    SIM_SILENT,  /* in the group, never answers (any haclient process) */
    SIM_NOISY,   /* in the group, sends only malformed messages */
} sim_kind_t;

typedef struct {
    sim_t *sim;
    sim_kind_t kind;
    drover_slot_id_t id;
    drover_slot_member_t *member; /* NULL: silent, noisy */
    drover_slot_req_t req;
    bool alive;      /* not left, not killed */
    bool member_now; /* its join delivered, its leave not */
    bool stopped;    /* SIGSTOP, Ctrl-Z: sees and sends nothing more */
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
    int raised;      /* until the middle of the run, the CIB said +raised */
    bool old;        /* some agents speak version 1 */
    bool faults;     /* silent, stopped, noisy members and skewed clocks */
    guint malformed; /* sent by noisy members */
};

static void
sim_send(void *data, GBytes *message)
{
    proc_t *p = data;
    item_t *it = g_new0(item_t, 1);

    if (!p->alive || p->stopped) {
        g_free(it);
        return; /* a killed or stopped process sends nothing */
    }
    it->who = p->id;
    it->message = g_bytes_ref(message);
    g_queue_push_tail(&p->sim->queue, it);
}

static void
sim_join(sim_t *sim, proc_t *p)
{
    item_t *it = g_new0(item_t, 1);

    p->sim = sim;
    p->id = (drover_slot_id_t){ p->id.nodeid, sim->next_pid++ };
    p->alive = true;
    g_ptr_array_add(sim->procs, p);
    it->confchg = true;
    it->join = true;
    it->who = p->id;
    g_queue_push_tail(&sim->queue, it);
}

static void
sim_spawn(sim_t *sim, int step, int steps)
{
    proc_t *p = g_new0(proc_t, 1);
    int from = g_rand_int_range(sim->rand, 0, SIM_NODES);
    int to = (from + g_rand_int_range(sim->rand, 1, SIM_NODES)) % SIM_NODES;
    double dice = g_rand_double(sim->rand);
    int raised = (step < steps / 2) ? sim->raised : 0;

    p->id.nodeid = (guint32) from + 1;
    p->kind = !sim->faults  ? SIM_AGENT
              : dice < 0.06 ? SIM_WATCHER
              : dice < 0.09 ? SIM_SILENT
              : dice < 0.11 ? SIM_NOISY
                            : SIM_AGENT;
    sim_join(sim, p);
    /* the key: the requester's clock, sometimes far off */
    p->req = req(p->id.nodeid, p->id.pid, (gint64) step * SIM_STEP_US,
                 sim->names[from], sim->names[to],
                 g_rand_boolean(sim->rand) ? "lm1" : "lm2");
    if (sim->faults && g_rand_double(sim->rand) < 0.2) {
        p->req.key += g_rand_boolean(sim->rand)
                          ? -3600 * (gint64) G_USEC_PER_SEC
                          : 3600 * (gint64) G_USEC_PER_SEC;
    }
    p->req.max_out = sim->max_out + raised;
    p->req.max_in = sim->max_in + raised;
    p->req.max_network = sim->max_net + ((sim->max_net > 0) ? raised : 0);
    p->req.max_total = sim->max_total + ((sim->max_total > 0) ? raised : 0);
    if (sim->old) {
        /* a rolling upgrade: drover-slots-protocol=1 on the new ones */
        p->req.version = 1;
    }
    p->hold_left = g_rand_int_range(sim->rand, 1, 30);
    if (p->kind == SIM_AGENT || p->kind == SIM_WATCHER) {
        p->member = drover_slot_member_new(
            p->id, (p->kind == SIM_AGENT) ? &p->req : NULL, sim_send, p);
        drover_slot_member_set_quorate(p->member, true);
    }
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

/* Something no member can take for a message of any version */
static void
sim_noise(sim_t *sim, proc_t *p)
{
    g_autoptr(GBytes) bytes = NULL;
    int kind = g_rand_int_range(sim->rand, 0, 5);

    if (kind == 0) {
        bytes = g_bytes_new_take(g_malloc0(DROVER_SLOTS_MESSAGE_MAX + 1),
                                 DROVER_SLOTS_MESSAGE_MAX + 1);
    } else if (kind == 1) {
        bytes = g_bytes_new(NULL, 0);
    } else if (kind == 2) {
        /* an A whose VM name is too long */
        drover_slot_req_t r = p->req;
        g_autofree char *vm = g_strnfill(DROVER_SLOTS_NAME_MAX + 1, 'v');
        g_autoptr(GBytes) packed = NULL;
        g_autoptr(GVariant) v = NULL;

        r.vm = vm;
        packed = drover_slot_req_pack(&r);
        v = g_variant_ref_sink(g_variant_new(
            "(yuuubb@m(uuxsssmsiiiiibxttt))", 'A', 0, 0, 0, FALSE, FALSE,
            g_variant_new_maybe(
                G_VARIANT_TYPE("(uuxsssmsiiiiibxttt)"),
                g_variant_new_from_bytes(G_VARIANT_TYPE("(uuxsssmsiiiiibxttt)"),
                                         packed, TRUE))));
        bytes = g_variant_get_data_as_bytes(v);
    } else if (kind == 3) {
        /* a U of no version */
        g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new(
            "(yq(uu)u@a(uu)@a(uu))", 'U', (guint16) 1, 0, 0, 0,
            g_variant_new_array(G_VARIANT_TYPE("(uu)"), NULL, 0),
            g_variant_new_array(G_VARIANT_TYPE("(uu)"), NULL, 0)));

        bytes = g_variant_get_data_as_bytes(v);
    } else {
        /* random bytes, never of a type any member acts on */
        gsize n = (gsize) g_rand_int_range(sim->rand, 1, 64);
        guchar *data = g_malloc(n);

        for (gsize i = 0; i < n; i++) {
            data[i] = (guchar) g_rand_int_range(sim->rand, 0, 256);
        }
        data[0] = (guchar) g_rand_int_range(sim->rand, 0, 'A');
        bytes = g_bytes_new_take(data, n);
    }
    sim->malformed++;
    {
        item_t *it = g_new0(item_t, 1);

        it->who = p->id;
        it->message = g_bytes_ref(bytes);
        g_queue_push_tail(&sim->queue, it);
    }
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

        if (!p->member_now || !p->alive || p->stopped || p->member == NULL) {
            continue;
        }
        if (it->confchg) {
            drover_slot_member_confchg(
                p->member, (drover_slot_id_t *) members->data, members->len,
                it->join ? &it->who : NULL, it->join ? 1 : 0,
                it->join ? NULL : &it->who, it->join ? 0 : 1, false, now);
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
                               r->silent    ? "?"
                               : r->granted ? "*"
                                            : "");
    }
    return g_string_free(s, FALSE);
}

static int
limit_of(const sim_t *sim, int k)
{
    return (k == 0) ? sim->max_out : (k == 1) ? sim->max_in : sim->max_net;
}

/* One count's use against the limits the CIB said (before and after the
 * change in the middle of the run) */
static void
count_use(const sim_t *sim, GHashTable *used, const drover_slot_req_t *r,
          int step, const char *whose)
{
    const char *keys[3] = { r->source, r->target, r->network };

    for (int k = 0; k < 3; k++) {
        g_autofree char *key = g_strdup_printf("%d:%s", k, keys[k]);
        int n = GPOINTER_TO_INT(g_hash_table_lookup(used, key)) + 1;
        int max = limit_of(sim, k);

        max += (max > 0) ? sim->raised : 0;
        ck_assert_msg(max == 0 || n <= max, "step %d: %s: %s used %d > %d",
                      step, whose, key, n, max);
        g_hash_table_insert(used, g_steal_pointer(&key), GINT_TO_POINTER(n));
    }
}

/* Members agree; no member's table, and none of the processes that
 * believe they hold a slot (stopped ones too: their migration runs on),
 * go beyond the limits */
static void
sim_check(sim_t *sim, int step)
{
    g_autofree char *reference = NULL;
    g_autoptr(GHashTable) used =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int total = 0;
    int max_total = sim->max_total + ((sim->max_total > 0) ? sim->raised : 0);

    for (guint i = 0; i < sim->procs->len; i++) {
        proc_t *p = g_ptr_array_index(sim->procs, i);
        const drover_slots_t *t = NULL;

        if (!p->alive || !p->member_now || p->member == NULL) {
            continue;
        }
        t = drover_slot_member_table(p->member);
        /* under protocol 1 a watcher (protocol 2) may show a grant
         * replayed by 2's rules: display only, it takes no slot */
        if (t != NULL && !p->stopped && !(sim->old && p->kind == SIM_WATCHER)) {
            g_autofree char *text = table_text(t);
            g_autoptr(GPtrArray) list = drover_slots_list(t);
            g_autoptr(GHashTable) in_table =
                g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            int held = 0;

            if (reference == NULL) {
                reference = g_strdup(text);
            }
            ck_assert_msg(strcmp(reference, text) == 0,
                          "step %d: tables differ: %s vs %s", step, reference,
                          text);
            for (guint j = 0; j < list->len; j++) {
                const drover_slot_req_t *r = g_ptr_array_index(list, j);

                if (r->granted && !r->silent) {
                    count_use(sim, in_table, r, step, "a table");
                    held++;
                }
            }
            ck_assert_msg(max_total == 0 || held <= max_total,
                          "step %d: a table grants %d > %d", step, held,
                          max_total);
        }
        if (!drover_slot_member_granted(p->member)) {
            continue;
        }
        total++;
        count_use(sim, used, &p->req, step, "believed");
    }
    ck_assert_msg(max_total == 0 || total <= max_total,
                  "step %d: %d hold slots > %d", step, total, max_total);
}

static void
proc_free(gpointer data)
{
    proc_t *p = data;

    drover_slot_member_free(p->member);
    g_free(p);
}

static proc_t *
random_proc(sim_t *sim)
{
    if (sim->procs->len == 0) {
        return NULL;
    }
    return g_ptr_array_index(
        sim->procs,
        (guint) g_rand_int_range(sim->rand, 0, (gint) sim->procs->len));
}

static void
simulate(guint32 seed, int steps, bool faults)
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
    sim.faults = faults;
    if (faults) {
        sim.raised = g_rand_int_range(sim.rand, 0, 2);
        sim.old = g_rand_double(sim.rand) < 0.25;
    }

    /* stopped, silent and noisy members stay past the sync bound */
    int linger = faults ? 2 * DROVER_SLOTS_SYNC_WAIT_US / SIM_STEP_US : 0;

    for (step = 0;; step++) {
        bool busy = false;
        double dice = g_rand_double(sim.rand);
        gint64 now = (gint64) step * SIM_STEP_US;

        if (step > 40 * steps + linger) {
            for (guint i = 0; i < sim.procs->len; i++) {
                proc_t *p = g_ptr_array_index(sim.procs, i);
                const drover_slots_t *t =
                    (p->member != NULL) ? drover_slot_member_table(p->member)
                                        : NULL;
                g_autofree char *text = (t != NULL) ? table_text(t) : NULL;

                if (p->alive) {
                    fprintf(stderr,
                            "%u/%u kind %d v%d %s->%s %s member %d stopped "
                            "%d table %s\n",
                            p->id.nodeid, p->id.pid, p->kind, p->req.version,
                            p->req.source, p->req.target, p->req.network,
                            p->member_now, p->stopped,
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
            if (!p->alive) {
                continue;
            }
            if (p->member != NULL && !p->stopped) {
                drover_slot_member_tick(p->member, now);
            }
            if (p->kind == SIM_AGENT && !p->stopped
                && drover_slot_member_granted(p->member)
                && --p->hold_left <= 0) {
                sim_leave(&sim, p, false); /* migration done */
            } else if (p->kind != SIM_AGENT && step >= steps + linger) {
                sim_leave(&sim, p, false); /* watching ends */
            } else if (p->stopped && step >= steps + linger) {
                sim_leave(&sim, p, true); /* Pacemaker's timeout */
            }
        }
        if (step < steps && dice < 0.08) {
            sim_spawn(&sim, step, steps);
        } else if (step < steps && dice < 0.10) {
            proc_t *p = random_proc(&sim);

            if (p != NULL && p->alive) {
                sim_leave(&sim, p, true); /* SIGKILL, node crash */
            }
        } else if (step < steps && dice < 0.11) {
            proc_t *p = random_proc(&sim);

            if (p != NULL && p->alive && p->member != NULL && !p->stopped) {
                drover_slot_member_resync(p->member); /* as after a merge */
            }
        } else if (faults && step < steps && dice < 0.115) {
            proc_t *p = random_proc(&sim);

            if (p != NULL && p->alive && p->member != NULL) {
                p->stopped = true; /* SIGSTOP, Ctrl-Z */
            }
        } else if (faults && step < steps && dice < 0.13) {
            /* one of the noisy members sends something */
            for (guint i = 0, n = sim.procs->len; i < n; i++) {
                proc_t *p = g_ptr_array_index(sim.procs, (i + step) % n);

                if (p->alive && p->kind == SIM_NOISY && p->member_now) {
                    sim_noise(&sim, p);
                    break;
                }
            }
        } else if (!g_queue_is_empty(&sim.queue)) {
            sim_deliver(&sim, now);
            sim_check(&sim, step);
        } else if (step >= steps && !busy) {
            break;
        }
    }
    if (g_getenv("DROVER_SLOTS_DEBUG") != NULL) {
        fprintf(stderr,
                "seed %u: %d steps, %u processes, %u malformed, old %d\n", seed,
                step, sim.procs->len, sim.malformed, sim.old);
    }
    /* every agent not killed or stopped got its slot and finished */
    for (guint i = 0; i < sim.procs->len; i++) {
        proc_t *p = g_ptr_array_index(sim.procs, i);

        if (p->kind == SIM_AGENT && !(p->done || p->killed)) {
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

/* A process joining the simulated group at once (delivered by run()) */
static proc_t *
sim_add(sim_t *sim, sim_kind_t kind, guint32 nodeid, const char *source,
        const char *target)
{
    proc_t *p = g_new0(proc_t, 1);

    p->kind = kind;
    p->id.nodeid = nodeid;
    sim_join(sim, p);
    p->req = req(nodeid, p->id.pid, 1, source, target, "lm1");
    if (kind != SIM_SILENT && kind != SIM_NOISY) {
        p->member = drover_slot_member_new(
            p->id, (kind == SIM_AGENT) ? &p->req : NULL, sim_send, p);
        drover_slot_member_set_quorate(p->member, true);
    }
    return p;
}

/* Deliver everything, ticking every member, \p step_us per event */
static gint64
sim_run(sim_t *sim, gint64 now, gint64 step_us)
{
    for (int i = 0; i < 100000; i++) {
        for (guint j = 0; j < sim->procs->len; j++) {
            proc_t *p = g_ptr_array_index(sim->procs, j);

            if (p->alive && !p->stopped && p->member != NULL) {
                drover_slot_member_tick(p->member, now);
            }
        }
        if (!g_queue_is_empty(&sim->queue)) {
            sim_deliver(sim, now);
            sim_check(sim, i);
        }
        now += step_us;
        if (g_queue_is_empty(&sim->queue) && step_us == 0) {
            break;
        }
        if (g_queue_is_empty(&sim->queue)
            && now > 3 * DROVER_SLOTS_SYNC_WAIT_US) {
            break;
        }
    }
    return now;
}

static void
sim_init(sim_t *sim)
{
    memset(sim, 0, sizeof(*sim));
    sim->rand = g_rand_new_with_seed(1);
    sim->procs = g_ptr_array_new_with_free_func(proc_free);
    sim->next_pid = 100;
    for (int i = 0; i < SIM_NODES; i++) {
        g_snprintf(sim->names[i], sizeof(sim->names[i]), "n%d", i + 1);
    }
    sim->max_out = sim->max_in = 2;
}

static void
sim_clear(sim_t *sim)
{
    g_ptr_array_unref(sim->procs);
    g_rand_free(sim->rand);
}

/* FIFO is the order requests arrive in, not the requesters' clocks */
START_TEST(fifo_is_agreed_order)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t h = req(1, 10, 5, "n1", "n2", NULL);
    drover_slot_req_t a = req(2, 20, 1000, "n2", "n3", NULL);
    drover_slot_req_t b = req(3, 30, 1, "n3", "n4", NULL); /* clock behind */
    g_autoptr(GPtrArray) list = NULL;

    h.max_total = a.max_total = b.max_total = 2;
    h.version = a.version = b.version = DROVER_SLOTS_PROTOCOL;
    drover_slots_enqueue(t, &h);
    ck_assert(drover_slots_hold(t, 1, 10, 0));
    drover_slots_enqueue(t, &a);
    drover_slots_enqueue(t, &b);
    list = drover_slots_list(t);
    ck_assert_uint_eq(((drover_slot_req_t *) list->pdata[1])->pid, 20);
    ck_assert_uint_eq(((drover_slot_req_t *) list->pdata[2])->pid, 30);
    /* one slot left: the earlier arrival gets it */
    ck_assert(!drover_slots_hold(t, 3, 30, 0));
    ck_assert(drover_slots_hold(t, 2, 20, 0));
}
END_TEST

/* With a version-1 member's request present, version 1's rules: its
 * clock's order, each request its own limits */
START_TEST(version1_rules_while_one_asks)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t a = req(1, 10, 1000, "n1", "n2", NULL);
    drover_slot_req_t b = req(2, 20, 1, "n2", "n3", NULL);
    g_autoptr(GPtrArray) list = NULL;

    a.version = DROVER_SLOTS_PROTOCOL;
    b.version = 1;
    drover_slots_enqueue(t, &a);
    drover_slots_enqueue(t, &b);
    ck_assert(drover_slots_v1_rules(t));
    list = drover_slots_list(t);
    ck_assert_uint_eq(((drover_slot_req_t *) list->pdata[0])->pid, 20);
}
END_TEST

/* Each count's limit is the lowest any request on it read: a stale or
 * wrong higher value does not raise it (version 1: each its own) */
START_TEST(lowest_limit_wins)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t a = req(1, 10, 1, "n1", "n2", NULL);
    drover_slot_req_t b = req(1, 11, 2, "n1", "n3", NULL);

    a.version = b.version = DROVER_SLOTS_PROTOCOL;
    a.max_out = 1;
    b.max_out = 5;
    drover_slots_enqueue(t, &a);
    drover_slots_enqueue(t, &b);
    ck_assert(drover_slots_hold(t, 1, 10, 0));
    ck_assert(!drover_slots_admissible(t, drover_slots_find(t, 1, 11)));
    drover_slots_remove(t, 1, 11);
    b.version = 1;
    drover_slots_add(t, &b);
    ck_assert(drover_slots_admissible(t, drover_slots_find(t, 1, 11)));
}
END_TEST

/* A silent member counts as one slot of every count */
START_TEST(silent_counts_everywhere)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t a = req(1, 10, 1, "n1", "n2", "lm1");

    a.version = DROVER_SLOTS_PROTOCOL;
    a.max_out = 1;
    drover_slots_silence(t, 3, 30, 0);
    drover_slots_enqueue(t, &a);
    ck_assert(!drover_slots_admissible(t, drover_slots_find(t, 1, 10)));
    drover_slots_remove(t, 3, 30);
    ck_assert(drover_slots_hold(t, 1, 10, 0));
}
END_TEST

/* Of a group's networks: room first, then the fewest requests, then the
 * rank among those asking at once */
START_TEST(spread_over_a_group)
{
    g_autoptr(drover_slots_t) t = drover_slots_new();
    drover_slot_req_t lm1 = req(1, 10, 1, "n1", "n2", "lm1");
    drover_slot_req_t lm2 = req(1, 10, 1, "n1", "n2", "lm2");
    const drover_slot_req_t *both[] = { &lm1, &lm2 };
    drover_slot_req_t a = req(2, 20, 1, "n2", "n3", "lm1");
    drover_slot_req_t b = req(2, 21, 2, "n2", "n3", "lm2");
    drover_slot_req_t c = req(3, 30, 3, "n3", "n1", "lm2");

    a.version = b.version = c.version = DROVER_SLOTS_PROTOCOL;
    /* nothing anywhere: the rank tells equal ones apart */
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 0), 0);
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 1), 1);
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 2), 0);
    /* one on lm1 (waiting counts too): lm2, whatever the rank */
    drover_slots_enqueue(t, &a);
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 0), 1);
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 1), 1);
    /* two on lm2, one on lm1: lm1 */
    drover_slots_enqueue(t, &b);
    drover_slots_enqueue(t, &c);
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 1), 0);
    /* lm1 full (a limit of 1, as a request on it read), lm2 without
     * one: lm2 although it has more */
    drover_slots_remove(t, 2, 20);
    a.max_network = 1;
    drover_slots_enqueue(t, &a);
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 0), 1);
    /* a silent member is on every network */
    drover_slots_remove(t, 2, 21);
    drover_slots_remove(t, 3, 30);
    drover_slots_remove(t, 2, 20);
    drover_slots_silence(t, 4, 40, 0);
    lm2.max_network = 1;
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 0), 0);
    lm1.max_network = 1;
    ck_assert_uint_eq(drover_slots_spread(t, both, 2, 1), 1);
}
END_TEST

/* Let \p p's request go over lm1 or lm2 */
static void
spread_lm1_lm2(proc_t *p)
{
    drover_slot_req_t lm2 = p->req;

    lm2.network = (char *) "lm2";
    drover_slot_member_spread(
        p->member, (const drover_slot_req_t *const[]){ &p->req, &lm2 }, 2);
}

/* Whether \p it is a message of \p p's */
static bool
sent_by(const item_t *it, const proc_t *p)
{
    return it != NULL && !it->confchg && it->who.nodeid == p->id.nodeid
           && it->who.pid == p->id.pid;
}

/* Two migrations of a drain asking at once over a group of two networks
 * take one each; one asking later takes the less used one */
START_TEST(joiners_spread_over_a_group)
{
    sim_t sim;
    proc_t *p[3];
    gint64 now = 0;

    sim_init(&sim);
    for (int i = 0; i < 3; i++) {
        p[i] = sim_add(&sim, SIM_AGENT, 1, "n1", (i < 2) ? "n2" : "n3");
        spread_lm1_lm2(p[i]);
        if (i == 1) {
            now = sim_run(&sim, now, 0);
            ck_assert(drover_slot_member_granted(p[0]->member));
            ck_assert(drover_slot_member_granted(p[1]->member));
            ck_assert_str_ne(drover_slot_member_network(p[0]->member),
                             drover_slot_member_network(p[1]->member));
            /* p[0] is done */
            sim_leave(&sim, p[0], false);
        }
    }
    now = sim_run(&sim, now, 0);
    ck_assert(drover_slot_member_granted(p[2]->member));
    ck_assert_str_eq(drover_slot_member_network(p[2]->member),
                     drover_slot_member_network(p[0]->member));
    sim_clear(&sim);
}
END_TEST

/* The lab's race: a watcher (drover drain) vouches for a member that
 * joined just before, as holding nothing, while that member's request is
 * on its way behind the next joiner's join.  The joiner then finishes its
 * sync without that request, and still takes the other network. */
START_TEST(joiners_spread_when_views_differ)
{
    sim_t sim;
    proc_t *first = NULL;
    proc_t *second = NULL;
    item_t *request = NULL;
    gint64 now = 0;

    sim_init(&sim);
    sim_add(&sim, SIM_WATCHER, 1, "n1", "n2");
    now = sim_run(&sim, now, 0);
    /* as on the lab, the one forked last joins first */
    sim.next_pid = 300;
    first = sim_add(&sim, SIM_AGENT, 1, "n1", "n2");
    spread_lm1_lm2(first);
    /* until the first sends its request */
    for (;;) {
        if (sent_by(g_queue_peek_tail(&sim.queue), first)) {
            break;
        }
        ck_assert(!g_queue_is_empty(&sim.queue));
        sim_deliver(&sim, now);
    }
    /* the second's join is ordered before that request, and so are the
     * watcher's answers to it (only the first's own messages keep their
     * order): the second finishes its sync without the request */
    request = g_queue_pop_tail(&sim.queue);
    while (!g_queue_is_empty(&sim.queue)) {
        sim_deliver(&sim, now);
    }
    sim.next_pid = 200;
    second = sim_add(&sim, SIM_AGENT, 1, "n1", "n3");
    spread_lm1_lm2(second);
    sim_deliver(&sim, now); /* its join */
    for (GList *l = sim.queue.head; request != NULL; l = l->next) {
        if (l == NULL || sent_by(l->data, first)) {
            g_queue_insert_before(&sim.queue, l, request);
            request = NULL;
        }
    }
    now = sim_run(&sim, now, 0);
    ck_assert(drover_slot_member_granted(first->member));
    ck_assert(drover_slot_member_granted(second->member));
    ck_assert_str_ne(drover_slot_member_network(first->member),
                     drover_slot_member_network(second->member));
    sim_clear(&sim);
}
END_TEST

/* A drover drain stopped with Ctrl-Z while an agent knows it: the next
 * joiner is told it holds nothing and does not wait */
START_TEST(stopped_watcher_is_vouched_for)
{
    sim_t sim;
    proc_t *holder = NULL;
    proc_t *watcher = NULL;
    proc_t *joiner = NULL;
    gint64 now = 0;

    sim_init(&sim);
    holder = sim_add(&sim, SIM_AGENT, 1, "n1", "n2");
    watcher = sim_add(&sim, SIM_WATCHER, 2, "n1", "n2");
    now = sim_run(&sim, now, 0);
    ck_assert(drover_slot_member_granted(holder->member));
    watcher->stopped = true;
    joiner = sim_add(&sim, SIM_AGENT, 3, "n3", "n4");
    now = sim_run(&sim, now, 0);
    ck_assert_ptr_nonnull(drover_slot_member_table(joiner->member));
    ck_assert(drover_slot_member_granted(joiner->member));
    ck_assert_ptr_null(drover_slots_find(
        drover_slot_member_table(joiner->member), 2, watcher->id.pid));
    sim_clear(&sim);
}
END_TEST

/* ... and alone: the joiner waits DROVER_SLOTS_SYNC_WAIT_US, counts it as
 * silent (one slot of every limit) and gets its slot within the rest */
START_TEST(stopped_watcher_alone)
{
    sim_t sim;
    proc_t *watcher = NULL;
    proc_t *joiner = NULL;
    const drover_slot_req_t *w = NULL;
    gint64 now = 0;

    sim_init(&sim);
    watcher = sim_add(&sim, SIM_WATCHER, 2, "n1", "n2");
    now = sim_run(&sim, now, 0);
    watcher->stopped = true;
    joiner = sim_add(&sim, SIM_AGENT, 3, "n3", "n4");
    now = sim_run(&sim, now, G_USEC_PER_SEC / 10);
    ck_assert(drover_slot_member_granted(joiner->member));
    w = drover_slots_find(drover_slot_member_table(joiner->member), 2,
                          watcher->id.pid);
    ck_assert_ptr_nonnull(w);
    ck_assert(w->silent);
    sim_clear(&sim);
}
END_TEST

/* A member counted as silent that is alive after all (slow, or resumed)
 * tells its state again (B): its real slot replaces the count */
START_TEST(silent_member_comes_back)
{
    sim_t sim;
    proc_t *holder = NULL;
    proc_t *other = NULL;
    item_t *it = g_new0(item_t, 1);
    drover_slot_id_t named;
    g_autoptr(GVariant) u = NULL;
    const drover_slot_req_t *h = NULL;
    gint64 now = 0;

    sim_init(&sim);
    holder = sim_add(&sim, SIM_AGENT, 1, "n1", "n2");
    other = sim_add(&sim, SIM_AGENT, 2, "n2", "n3");
    holder->hold_left = other->hold_left = 1000;
    now = sim_run(&sim, now, 0);
    ck_assert(drover_slot_member_granted(holder->member));
    named = holder->id;
    u = g_variant_ref_sink(g_variant_new(
        "(yq(uu)u@a(uu)@a(uu))", 'U', (guint16) 2, 0, 0, 0,
        g_variant_new_array(
            G_VARIANT_TYPE("(uu)"),
            (GVariant *[]){ g_variant_new("(uu)", named.nodeid, named.pid) },
            1),
        g_variant_new_array(G_VARIANT_TYPE("(uu)"), NULL, 0)));
    it->who = other->id;
    it->message = g_variant_get_data_as_bytes(u);
    g_queue_push_tail(&sim.queue, it);
    sim_deliver(&sim, now);
    h = drover_slots_find(drover_slot_member_table(other->member), named.nodeid,
                          named.pid);
    ck_assert(h->silent);
    now = sim_run(&sim, now, 0);
    h = drover_slots_find(drover_slot_member_table(other->member), named.nodeid,
                          named.pid);
    ck_assert(!h->silent);
    ck_assert(h->granted);
    ck_assert(drover_slot_member_granted(holder->member));
    sim_clear(&sim);
}
END_TEST

/* A member that answers only with malformed messages is counted as silent
 * without waiting out the bound */
START_TEST(malformed_answer_counts)
{
    sim_t sim;
    proc_t *noisy = NULL;
    proc_t *joiner = NULL;
    gint64 now = 0;

    sim_init(&sim);
    noisy = sim_add(&sim, SIM_NOISY, 2, "n1", "n2");
    now = sim_run(&sim, now, 0);
    joiner = sim_add(&sim, SIM_AGENT, 3, "n3", "n4");
    now = sim_run(&sim, now, 0);
    ck_assert_ptr_null(drover_slot_member_table(joiner->member));
    sim_noise(&sim, noisy);
    now = sim_run(&sim, now, 0);
    ck_assert(drover_slot_member_granted(joiner->member));
    ck_assert(drover_slots_find(drover_slot_member_table(joiner->member), 2,
                                noisy->id.pid)
                  ->silent);
    sim_clear(&sim);
}
END_TEST

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
        (env != NULL) ? (guint32) g_ascii_strtoull(env, NULL, 10) : 100;

    for (guint32 seed = 1; seed <= seeds; seed++) {
        simulate(seed, 400, false);
    }
}
END_TEST

/* The same with silent members (never answering), agents and watchers
 * stopped (SIGSTOP, Ctrl-Z) while in the group, watchers, members sending
 * malformed or oversized messages, requesters whose clocks are an hour
 * off, a limit lowered in the CIB while requests that read the old one
 * are present, and (a quarter of the seeds) agents speaking version 1 of
 * the protocol, as in a rolling upgrade with drover-slots-protocol=1 */
START_TEST(protocol_simulation_with_faults)
{
    const char *env = g_getenv("DROVER_SLOTS_SEEDS");
    guint32 seeds =
        (env != NULL) ? (guint32) g_ascii_strtoull(env, NULL, 10) : 100;

    for (guint32 seed = 1; seed <= seeds; seed++) {
        simulate(seed, 400, true);
    }
}
END_TEST

Suite *
slots_suite(void)
{
    Suite *s = suite_create("slots");
    TCase *tc = tcase_create("slots");

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fifo_within_limits);
    tcase_add_test(tc, a_waiter_keeps_its_turn);
    tcase_add_test(tc, bandwidth_is_shared);
    tcase_add_test(tc, wire_round_trip);
    tcase_add_test(tc, fifo_is_agreed_order);
    tcase_add_test(tc, version1_rules_while_one_asks);
    tcase_add_test(tc, lowest_limit_wins);
    tcase_add_test(tc, silent_counts_everywhere);
    tcase_add_test(tc, spread_over_a_group);
    tcase_add_test(tc, joiners_spread_over_a_group);
    tcase_add_test(tc, joiners_spread_when_views_differ);
    tcase_add_test(tc, stopped_watcher_is_vouched_for);
    tcase_add_test(tc, stopped_watcher_alone);
    tcase_add_test(tc, malformed_answer_counts);
    tcase_add_test(tc, silent_member_comes_back);
    tcase_add_test(tc, progress_reaches_watchers);
    tcase_add_test(tc, protocol_simulation);
    tcase_add_test(tc, protocol_simulation_with_faults);
    suite_add_tcase(s, tc);
    return s;
}
