/*
 * libFuzzer target: messages of the slot group (lib/slots.c), as any
 * process of group haclient could send them to a member.
 *
 * Input: one byte choosing the scene, then up to four messages separated
 * by "\n--\n", all from the fuzzer's member F.  The member under test, M,
 * asks for a slot out of n1 into n2 with limits of one.  Scene bit 0: M
 * joins while F is present, so F's messages meet M's sync (it waits for
 * F's answer); else M is synced and holds its slot, and F joins after.
 * Bit 1: M speaks version 1 of the protocol.  After the messages, M's
 * clock passes the sync bound.
 *
 * Checked:
 * - drover_slot_req_unpack() of each message never crashes, and what it
 *   accepts packs and unpacks to the same request;
 * - M's table never grants more than one slot out of n1 or into n2,
 *   whatever F claims (F's own limits do not raise M's), unless version
 *   1's rules apply (F or M speaks version 1: each request its own);
 * - a synced M keeps its own slot (nothing F sends takes it away), and
 *   its table has at most M and F in it.
 */
#define _GNU_SOURCE /* memmem() */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/slots.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEPARATOR    "\n--\n"
#define MAX_MESSAGES 4

static void G_GNUC_NORETURN
fail(const char *what)
{
    fprintf(stderr, "fuzz_slot_message: %s\n", what);
    abort();
}

/* What M sends comes back to it in the group's order */
static void
send_to(void *data, GBytes *message)
{
    g_queue_push_tail(data, g_bytes_ref(message));
}

static void
deliver_own(drover_slot_member_t *m, drover_slot_id_t self, GQueue *queue,
            gint64 now)
{
    for (int i = 0; i < 100 && !g_queue_is_empty(queue); i++) {
        GBytes *b = g_queue_pop_head(queue);

        drover_slot_member_deliver(m, self, b, now);
        g_bytes_unref(b);
    }
    g_queue_clear_full(queue, (GDestroyNotify) g_bytes_unref);
}

static void
check_parse(GBytes *bytes)
{
    drover_slot_req_t *r = drover_slot_req_unpack(bytes);
    g_autoptr(GBytes) again = NULL;
    drover_slot_req_t *r2 = NULL;

    if (r == NULL) {
        return;
    }
    again = drover_slot_req_pack(r);
    r2 = drover_slot_req_unpack(again);
    if (r2 == NULL || r2->key != r->key || r2->max_out != r->max_out
        || r2->bandwidth != r->bandwidth || g_strcmp0(r2->vm, r->vm) != 0
        || g_strcmp0(r2->network, r->network) != 0
        || r2->bytes_left != r->bytes_left) {
        fail("an accepted request does not pack and unpack alike");
    }
    drover_slot_req_free(r);
    drover_slot_req_free(r2);
}

static void
check_table(const drover_slots_t *t, bool must_hold, drover_slot_id_t self)
{
    g_autoptr(GPtrArray) list = drover_slots_list(t);
    const drover_slot_req_t *mine = drover_slots_find(t, self.nodeid, self.pid);
    int out_n1 = 0;
    int in_n2 = 0;

    if (list->len > 2) {
        fail("more requests than members");
    }
    if (must_hold && (mine == NULL || !mine->granted || mine->silent)) {
        fail("the member lost its slot");
    }
    for (guint i = 0; i < list->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(list, i);

        if (r->granted && !r->silent) {
            out_n1 += (g_strcmp0(r->source, "n1") == 0);
            in_n2 += (g_strcmp0(r->target, "n2") == 0);
        }
    }
    /* version 1's rules (a version-1 request present): each request its
     * own limits, as version 1 has it */
    if ((out_n1 > 1 || in_n2 > 1) && !drover_slots_v1_rules(t)) {
        fail("the table grants beyond the limits");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    drover_slot_id_t self = { 1, 100 };
    drover_slot_id_t fuzzer = { 2, 200 };
    drover_slot_id_t both[2] = { self, fuzzer };
    drover_slot_req_t own = {
        .key = 1,
        .vm = (char *) "vm1",
        .source = (char *) "n1",
        .target = (char *) "n2",
        .network = (char *) "lm1",
        .max_out = 1,
        .max_in = 1,
    };
    GQueue queue = G_QUEUE_INIT;
    g_autoptr(drover_slot_member_t) m = NULL;
    const uint8_t *p = NULL;
    const uint8_t *end = data + size;
    bool joining = false;
    bool synced_before = false;
    gint64 now = 1;

    if (size < 1) {
        return 0;
    }
    joining = (data[0] & 1) != 0;
    own.version = (data[0] & 2) ? 1 : 0;
    m = drover_slot_member_new(self, &own, send_to, &queue);
    drover_slot_member_set_quorate(m, true);
    if (joining) {
        /* F first, then M: M waits for F's answer */
        drover_slot_member_confchg(m, both, 2, &self, 1, NULL, 0, false, now);
        deliver_own(m, self, &queue, now);
    } else {
        drover_slot_member_confchg(m, both, 1, &self, 1, NULL, 0, false, now);
        deliver_own(m, self, &queue, now); /* its A */
        deliver_own(m, self, &queue, now); /* its H */
        if (!drover_slot_member_granted(m)) {
            fail("alone, the member gets no slot");
        }
        drover_slot_member_confchg(m, both, 2, &fuzzer, 1, NULL, 0, false, now);
        deliver_own(m, self, &queue, now); /* its answer to F */
        synced_before = true;
    }
    p = data + 1;
    for (int i = 0; i < MAX_MESSAGES && p <= end; i++) {
        const uint8_t *next =
            memmem(p, (size_t) (end - p), SEPARATOR, strlen(SEPARATOR));
        size_t len = (size_t) (((next != NULL) ? next : end) - p);
        g_autoptr(GBytes) message = g_bytes_new(p, len);

        check_parse(message);
        now += 1000;
        drover_slot_member_deliver(m, fuzzer, message, now);
        deliver_own(m, self, &queue, now);
        if (next == NULL) {
            break;
        }
        p = next + strlen(SEPARATOR);
    }
    now += DROVER_SLOTS_SYNC_WAIT_US;
    drover_slot_member_tick(m, now);
    deliver_own(m, self, &queue, now);
    if (drover_slot_member_table(m) != NULL) {
        check_table(drover_slot_member_table(m), synced_before, self);
    }
    return 0;
}
