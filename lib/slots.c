/*
 * The grant table of cluster-wide migration slots (see drover/slots.h and
 * docs/design.md): a pure function of the ordered events, so every member
 * of the group, and the unit tests, compute the same grants.
 */
#include <string.h>

#include <drover/slots.h>

struct drover_slots_s {
    GPtrArray *reqs; /* drover_slot_req_t *, in arrival order */
};

void
drover_slot_req_free(gpointer data)
{
    drover_slot_req_t *r = data;

    if (r == NULL) {
        return;
    }
    g_free(r->vm);
    g_free(r->source);
    g_free(r->target);
    g_free(r->network);
    g_free(r);
}

drover_slot_req_t *
drover_slot_req_copy(const drover_slot_req_t *req)
{
    drover_slot_req_t *r = g_memdup2(req, sizeof(*req));

    r->vm = g_strdup(req->vm);
    r->source = g_strdup(req->source);
    r->target = g_strdup(req->target);
    r->network = g_strdup(req->network);
    return r;
}

#define REQ_TYPE "(uuxsssmsiiiiibxttt)"

GBytes *
drover_slot_req_pack(const drover_slot_req_t *r)
{
    g_autoptr(GVariant) v = g_variant_ref_sink(
        g_variant_new(REQ_TYPE, r->nodeid, r->pid, r->key, r->vm ? r->vm : "",
                      r->source ? r->source : "", r->target ? r->target : "",
                      r->network, r->max_out, r->max_in, r->max_network,
                      r->max_total, r->bandwidth, r->granted, r->granted_at,
                      r->bytes_done, r->bytes_left, r->bytes_per_s));

    return g_variant_get_data_as_bytes(v);
}

drover_slot_req_t *
drover_slot_req_unpack(GBytes *bytes)
{
    g_autoptr(GVariant) v = g_variant_ref_sink(
        g_variant_new_from_bytes(G_VARIANT_TYPE(REQ_TYPE), bytes, FALSE));
    drover_slot_req_t *r = NULL;

    if (!g_variant_is_normal_form(v)) {
        return NULL; /* not something we sent */
    }
    r = g_new0(drover_slot_req_t, 1);
    g_variant_get(v, REQ_TYPE, &r->nodeid, &r->pid, &r->key, &r->vm, &r->source,
                  &r->target, &r->network, &r->max_out, &r->max_in,
                  &r->max_network, &r->max_total, &r->bandwidth, &r->granted,
                  &r->granted_at, &r->bytes_done, &r->bytes_left,
                  &r->bytes_per_s);
    return r;
}

drover_slots_t *
drover_slots_new(void)
{
    drover_slots_t *slots = g_new0(drover_slots_t, 1);

    slots->reqs = g_ptr_array_new_with_free_func(drover_slot_req_free);
    return slots;
}

drover_slots_t *
drover_slots_copy(const drover_slots_t *slots)
{
    drover_slots_t *copy = drover_slots_new();

    for (guint i = 0; i < slots->reqs->len; i++) {
        g_ptr_array_add(copy->reqs, drover_slot_req_copy(
                                        g_ptr_array_index(slots->reqs, i)));
    }
    return copy;
}

void
drover_slots_free(drover_slots_t *slots)
{
    if (slots != NULL) {
        g_ptr_array_unref(slots->reqs);
        g_free(slots);
    }
}

static gint
find_index(const drover_slots_t *slots, guint32 nodeid, guint32 pid)
{
    for (guint i = 0; i < slots->reqs->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(slots->reqs, i);

        if (r->nodeid == nodeid && r->pid == pid) {
            return (gint) i;
        }
    }
    return -1;
}

const drover_slot_req_t *
drover_slots_find(const drover_slots_t *slots, guint32 nodeid, guint32 pid)
{
    gint i = find_index(slots, nodeid, pid);

    return (i < 0) ? NULL : g_ptr_array_index(slots->reqs, i);
}

void
drover_slots_add(drover_slots_t *slots, const drover_slot_req_t *req)
{
    if (find_index(slots, req->nodeid, req->pid) < 0) {
        g_ptr_array_add(slots->reqs, drover_slot_req_copy(req));
    }
}

bool
drover_slots_remove(drover_slots_t *slots, guint32 nodeid, guint32 pid)
{
    gint i = find_index(slots, nodeid, pid);

    if (i < 0) {
        return false;
    }
    g_ptr_array_remove_index(slots->reqs, (guint) i);
    return true;
}

static gint
fifo_order(gconstpointer a, gconstpointer b)
{
    const drover_slot_req_t *x = *(drover_slot_req_t *const *) a;
    const drover_slot_req_t *y = *(drover_slot_req_t *const *) b;

    if (x->granted != y->granted) {
        return x->granted ? -1 : 1;
    }
    if (x->key != y->key) {
        return (x->key < y->key) ? -1 : 1;
    }
    if (x->nodeid != y->nodeid) {
        return (x->nodeid < y->nodeid) ? -1 : 1;
    }
    return (x->pid < y->pid) ? -1 : (x->pid > y->pid);
}

GPtrArray *
drover_slots_list(const drover_slots_t *slots)
{
    GPtrArray *list = g_ptr_array_sized_new(slots->reqs->len);

    for (guint i = 0; i < slots->reqs->len; i++) {
        g_ptr_array_add(list, g_ptr_array_index(slots->reqs, i));
    }
    g_ptr_array_sort(list, fifo_order);
    return list;
}

/* The counts a request takes one of: "out:n1", "in:n2", "net:lm1", "all" */
typedef struct {
    char *name;
    int max; /* 0: no limit */
} counter_t;

static void
counters_of(const drover_slot_req_t *r, counter_t c[4])
{
    c[0] = (counter_t){ g_strconcat("out:", r->source, NULL), r->max_out };
    c[1] = (counter_t){ g_strconcat("in:", r->target, NULL), r->max_in };
    c[2] = (counter_t){ (r->network != NULL)
                            ? g_strconcat("net:", r->network, NULL)
                            : NULL,
                        r->max_network };
    c[3] = (counter_t){ g_strdup("all"), r->max_total };
}

static void
counters_clear(counter_t c[4])
{
    for (int i = 0; i < 4; i++) {
        g_free(c[i].name);
    }
}

static int
count(GHashTable *used, const char *name)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(used, name));
}

/* Whether waiting request \p who would get a slot now: holders count
 * first, then the waiting in FIFO order, each held back on the counts that
 * are full for an earlier waiter */
bool
drover_slots_admissible(const drover_slots_t *slots,
                        const drover_slot_req_t *who)
{
    g_autoptr(GPtrArray) order = drover_slots_list(slots);
    g_autoptr(GHashTable) used =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) held_back =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < order->len; i++) {
        drover_slot_req_t *r = g_ptr_array_index(order, i);
        counter_t c[4];
        bool fits = true;

        counters_of(r, c);
        if (!r->granted) {
            for (int j = 0; j < 4; j++) {
                if (c[j].name == NULL) {
                    continue;
                }
                if (g_hash_table_contains(held_back, c[j].name)) {
                    fits = false;
                } else if (c[j].max > 0 && count(used, c[j].name) >= c[j].max) {
                    g_hash_table_add(held_back, g_strdup(c[j].name));
                    fits = false;
                }
            }
            if (r == who) {
                counters_clear(c);
                return fits;
            }
        }
        if (r->granted || fits) {
            /* an admissible waiter counts as if it held: later ones must
             * not take what it is about to */
            for (int j = 0; j < 4; j++) {
                if (c[j].name != NULL) {
                    g_hash_table_insert(
                        used, g_strdup(c[j].name),
                        GINT_TO_POINTER(count(used, c[j].name) + 1));
                }
            }
        }
        counters_clear(c);
    }
    return false;
}

void
drover_slots_hold_as_before(drover_slots_t *slots, guint32 nodeid, guint32 pid)
{
    gint i = find_index(slots, nodeid, pid);

    if (i >= 0) {
        ((drover_slot_req_t *) g_ptr_array_index(slots->reqs, i))->granted =
            true;
    }
}

void
drover_slots_progress(drover_slots_t *slots, guint32 nodeid, guint32 pid,
                      const drover_slot_req_t *progress)
{
    gint i = find_index(slots, nodeid, pid);

    if (i >= 0) {
        drover_slot_req_t *r = g_ptr_array_index(slots->reqs, i);

        r->bytes_done = progress->bytes_done;
        r->bytes_left = progress->bytes_left;
        r->bytes_per_s = progress->bytes_per_s;
    }
}

bool
drover_slots_hold(drover_slots_t *slots, guint32 nodeid, guint32 pid,
                  gint64 now)
{
    gint i = find_index(slots, nodeid, pid);
    drover_slot_req_t *r = (i < 0) ? NULL : g_ptr_array_index(slots->reqs, i);

    if (r == NULL || r->granted || !drover_slots_admissible(slots, r)) {
        return false;
    }
    r->granted = true;
    r->granted_at = now;
    return true;
}

int
drover_slots_bandwidth_share(const drover_slots_t *slots,
                             const drover_slot_req_t *req)
{
    int holders = 0;

    if (req->bandwidth <= 0 || req->network == NULL) {
        return 0;
    }
    for (guint i = 0; i < slots->reqs->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(slots->reqs, i);

        holders += (r->granted && g_strcmp0(r->network, req->network) == 0);
    }
    return req->bandwidth / MAX(holders, 1);
}

/* ------------------------------------------------------------------ */
/* One member                                                         */
/* ------------------------------------------------------------------ */

#define MSG_TYPE "(yuuubbm" REQ_TYPE ")"
enum {
    MSG_ANNOUNCE = 'A',
    MSG_HOLD = 'H',
    MSG_SYNC = 'S',
    MSG_RESYNC = 'R',
    MSG_PROGRESS = 'P',
};

typedef struct {
    guchar type;
    drover_slot_id_t joiner; /* S: whose sync point it answers */
    guint32 round;           /* S, R: which of the joiner's sync points */
    bool announced;          /* S: the sender's A came before that point */
    bool holder;             /* S: the sender held its slot then */
    drover_slot_req_t *req;  /* A, S, P: the sender's request */
} msg_t;

typedef struct {
    bool is_confchg;
    GArray *members, *joined, *left; /* drover_slot_id_t */
    drover_slot_id_t sender;
    GBytes *message;
} event_t;

struct drover_slot_member_s {
    drover_slot_id_t self;
    drover_slot_req_t *own; /* NULL: watching */
    drover_slot_send_fn send;
    void *send_data;
    drover_slots_t *table;
    GArray *members;     /* drover_slot_id_t, as of the last confchg */
    bool joined;         /* saw its own join */
    bool synced;         /* the table is complete */
    bool announced;      /* its own A is in the table */
    bool announced_seen; /* its own A came back (maybe not replayed yet) */
    bool hold_sent;      /* its H is on its way */
    guint32 round;       /* its current sync point */
    bool resyncing;      /* its R is on its way: events until then are old */
    GArray *waiting;     /* drover_slot_id_t: whose S it still needs */
    GPtrArray *backlog;  /* event_t *, while syncing */
    bool replaying;      /* the backlog: sync points were answered already */
    bool holding;        /* its own H was taken: it holds its slot */
    bool quorate;        /* it may take a slot */
    bool resync_wanted;  /* once its H is back */
};

static void
msg_clear(msg_t *msg)
{
    drover_slot_req_free(msg->req);
}

static GBytes *
msg_pack(const msg_t *msg)
{
    g_autoptr(GVariant) v = NULL;
    GVariant *maybe = NULL;

    if (msg->req != NULL) {
        g_autoptr(GBytes) packed = drover_slot_req_pack(msg->req);

        maybe = g_variant_new_maybe(
            G_VARIANT_TYPE(REQ_TYPE),
            g_variant_new_from_bytes(G_VARIANT_TYPE(REQ_TYPE), packed, TRUE));
    } else {
        maybe = g_variant_new_maybe(G_VARIANT_TYPE(REQ_TYPE), NULL);
    }
    v = g_variant_ref_sink(g_variant_new(
        "(yuuubb@m" REQ_TYPE ")", msg->type, msg->joiner.nodeid,
        msg->joiner.pid, msg->round, msg->announced, msg->holder, maybe));
    return g_variant_get_data_as_bytes(v);
}

/* false for anything that is not a message of ours */
static bool
msg_unpack(GBytes *bytes, drover_slot_id_t sender, msg_t *msg)
{
    g_autoptr(GVariant) v = g_variant_ref_sink(
        g_variant_new_from_bytes(G_VARIANT_TYPE(MSG_TYPE), bytes, FALSE));
    g_autoptr(GVariant) maybe = NULL;
    g_autoptr(GVariant) inner = NULL;
    gboolean announced;
    gboolean holder;

    memset(msg, 0, sizeof(*msg));
    if (!g_variant_is_normal_form(v)) {
        return false;
    }
    g_variant_get(v, "(yuuubb@m" REQ_TYPE ")", &msg->type, &msg->joiner.nodeid,
                  &msg->joiner.pid, &msg->round, &announced, &holder, &maybe);
    msg->announced = announced;
    msg->holder = holder;
    inner = g_variant_get_maybe(maybe);
    if (inner != NULL) {
        g_autoptr(GBytes) req = g_variant_get_data_as_bytes(inner);

        msg->req = drover_slot_req_unpack(req);
        if (msg->req == NULL) {
            return false;
        }
        /* a request is its sender's, whatever it says */
        msg->req->nodeid = sender.nodeid;
        msg->req->pid = sender.pid;
        msg->req->granted = false;
    }
    return true;
}

static void
send_msg(drover_slot_member_t *m, const msg_t *msg)
{
    g_autoptr(GBytes) bytes = msg_pack(msg);

    m->send(m->send_data, bytes);
}

static void
event_free(gpointer data)
{
    event_t *e = data;

    if (e->is_confchg) {
        g_array_unref(e->members);
        g_array_unref(e->joined);
        g_array_unref(e->left);
    } else {
        g_bytes_unref(e->message);
    }
    g_free(e);
}

static bool
same_id(drover_slot_id_t a, drover_slot_id_t b)
{
    return a.nodeid == b.nodeid && a.pid == b.pid;
}

static GArray *
id_array(const drover_slot_id_t *ids, size_t n)
{
    GArray *a =
        g_array_sized_new(FALSE, FALSE, sizeof(drover_slot_id_t), (guint) n);

    g_array_append_vals(a, ids, (guint) n);
    return a;
}

static bool
remove_id(GArray *ids, drover_slot_id_t id)
{
    for (guint i = 0; i < ids->len; i++) {
        if (same_id(g_array_index(ids, drover_slot_id_t, i), id)) {
            g_array_remove_index(ids, i);
            return true;
        }
    }
    return false;
}

drover_slot_member_t *
drover_slot_member_new(drover_slot_id_t self, const drover_slot_req_t *own,
                       drover_slot_send_fn send, void *send_data)
{
    drover_slot_member_t *m = g_new0(drover_slot_member_t, 1);

    m->self = self;
    if (own != NULL) {
        m->own = drover_slot_req_copy(own);
        m->own->nodeid = self.nodeid;
        m->own->pid = self.pid;
        m->own->granted = false;
    }
    m->send = send;
    m->send_data = send_data;
    m->table = drover_slots_new();
    m->members = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    m->waiting = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    m->backlog = g_ptr_array_new_with_free_func(event_free);
    return m;
}

void
drover_slot_member_free(drover_slot_member_t *m)
{
    if (m != NULL) {
        drover_slot_req_free(m->own);
        drover_slots_free(m->table);
        g_array_unref(m->members);
        g_array_unref(m->waiting);
        g_ptr_array_unref(m->backlog);
        g_free(m);
    }
}

/* Answer a sync point of \p joiner with this member's own state as of
 * now — known exactly even while it syncs itself: it holds no slot then,
 * and its A is before this point or not */
static void
answer_sync(drover_slot_member_t *m, drover_slot_id_t joiner, guint32 round)
{
    bool announced = m->synced ? m->announced : m->announced_seen;
    msg_t msg = {
        .type = MSG_SYNC,
        .joiner = joiner,
        .round = round,
        .announced = announced,
        .holder = m->holding,
        .req = (announced && m->own != NULL) ? m->own : NULL,
    };

    if (!m->replaying) {
        send_msg(m, &msg);
    }
}

/* Once synced, after every event: take the slot when it is this
 * member's turn */
static void
maybe_hold(drover_slot_member_t *m)
{
    const drover_slot_req_t *mine =
        drover_slots_find(m->table, m->self.nodeid, m->self.pid);
    msg_t msg = { .type = MSG_HOLD };

    if (mine != NULL && !mine->granted && !m->hold_sent && m->quorate
        && drover_slots_admissible(m->table, mine)) {
        m->hold_sent = true;
        send_msg(m, &msg);
    }
}

static void
apply(drover_slot_member_t *m, const event_t *e, gint64 now)
{
    /* drover_slot_member_resync() is declared in the header */
    msg_t msg;

    if (e->is_confchg) {
        for (guint i = 0; i < e->left->len; i++) {
            drover_slot_id_t id = g_array_index(e->left, drover_slot_id_t, i);

            drover_slots_remove(m->table, id.nodeid, id.pid);
        }
        for (guint i = 0; i < e->joined->len; i++) {
            drover_slot_id_t id = g_array_index(e->joined, drover_slot_id_t, i);

            if (!same_id(id, m->self)) {
                answer_sync(m, id, 0);
            }
        }
    } else if (msg_unpack(e->message, e->sender, &msg)) {
        if (msg.type == MSG_ANNOUNCE && msg.req != NULL) {
            drover_slots_add(m->table, msg.req);
            if (same_id(e->sender, m->self)) {
                m->announced = m->announced_seen = true;
            }
        } else if (msg.type == MSG_HOLD) {
            bool taken = drover_slots_hold(m->table, e->sender.nodeid,
                                           e->sender.pid, now);

            if (same_id(e->sender, m->self)) {
                m->hold_sent = false; /* taken, or to be asked again */
                if (taken && m->own != NULL) {
                    m->own->granted = true; /* as it answers joiners */
                    m->own->granted_at = now;
                }
                m->holding = m->holding || taken;
                if (m->resync_wanted) {
                    m->resync_wanted = false;
                    drover_slot_member_resync(m);
                }
            }
        } else if (msg.type == MSG_RESYNC && !same_id(e->sender, m->self)) {
            answer_sync(m, e->sender, msg.round);
        } else if (msg.type == MSG_PROGRESS && msg.req != NULL) {
            drover_slots_progress(m->table, e->sender.nodeid, e->sender.pid,
                                  msg.req);
        }
        msg_clear(&msg);
    }
}

/* A new sync point: everyone present answers it */
static void
start_sync(drover_slot_member_t *m, const GArray *members)
{
    drover_slots_free(m->table);
    m->table = drover_slots_new();
    g_ptr_array_set_size(m->backlog, 0);
    g_array_set_size(m->waiting, 0);
    for (guint i = 0; i < members->len; i++) {
        drover_slot_id_t id = g_array_index(members, drover_slot_id_t, i);

        if (!same_id(id, m->self)) {
            g_array_append_val(m->waiting, id);
        }
    }
    /* its own state it knows: its A came before this point, or not */
    m->announced = m->announced_seen;
    if (m->announced && m->own != NULL) {
        drover_slots_add(m->table, m->own);
        if (m->holding) {
            drover_slots_hold_as_before(m->table, m->self.nodeid, m->self.pid);
        }
    }
}

static void
finish_sync(drover_slot_member_t *m, gint64 now)
{
    m->synced = true;
    m->replaying = true;
    for (guint i = 0; i < m->backlog->len; i++) {
        apply(m, g_ptr_array_index(m->backlog, i), now);
    }
    m->replaying = false;
    g_ptr_array_set_size(m->backlog, 0);
}

/* While syncing: what an event means for the sync */
static void
syncing(drover_slot_member_t *m, event_t *e, gint64 now)
{
    msg_t msg;

    if (e->is_confchg) {
        for (guint i = 0; i < e->joined->len; i++) {
            drover_slot_id_t id = g_array_index(e->joined, drover_slot_id_t, i);

            if (!same_id(id, m->self)) {
                answer_sync(m, id, 0);
            }
        }
        for (guint i = 0; i < e->left->len; i++) {
            if (remove_id(m->waiting,
                          g_array_index(e->left, drover_slot_id_t, i))
                && !m->resyncing) {
                /* its state as of the sync point is lost: a new one */
                msg_t r = { .type = MSG_RESYNC, .round = ++m->round };

                m->resyncing = true;
                send_msg(m, &r);
            }
        }
    } else if (msg_unpack(e->message, e->sender, &msg)) {
        if (msg.type == MSG_ANNOUNCE && same_id(e->sender, m->self)) {
            m->announced_seen = true; /* the table gets it on replay */
        }
        if (msg.type == MSG_RESYNC && !same_id(e->sender, m->self)) {
            answer_sync(m, e->sender, msg.round);
        }
        if (msg.type == MSG_RESYNC && same_id(e->sender, m->self)
            && msg.round == m->round) {
            m->resyncing = false;
            start_sync(m, m->members);
            msg_clear(&msg);
            event_free(e);
            goto done;
        }
        if (msg.type == MSG_SYNC && same_id(msg.joiner, m->self)
            && msg.round == m->round && !m->resyncing
            && remove_id(m->waiting, e->sender)) {
            if (msg.announced && msg.req != NULL) {
                msg.req->granted = msg.holder;
                drover_slots_add(m->table, msg.req);
            }
            msg_clear(&msg);
            event_free(e);
            goto done;
        }
        msg_clear(&msg);
    }
    if (m->resyncing) {
        event_free(e); /* before the new sync point: in the answers */
        return;
    }
    g_ptr_array_add(m->backlog, e);
done:
    if (m->waiting->len == 0 && !m->resyncing) {
        finish_sync(m, now);
    }
}

static void
handle(drover_slot_member_t *m, event_t *e, gint64 now)
{
    if (e->is_confchg) {
        g_array_set_size(m->members, 0);
        g_array_append_vals(m->members, e->members->data, e->members->len);
    }
    if (m->synced) {
        apply(m, e, now);
        event_free(e);
    } else {
        syncing(m, e, now);
    }
    if (m->synced) {
        maybe_hold(m);
    }
}

void
drover_slot_member_confchg(drover_slot_member_t *m,
                           const drover_slot_id_t *members, size_t n_members,
                           const drover_slot_id_t *joined, size_t n_joined,
                           const drover_slot_id_t *left, size_t n_left,
                           gint64 now)
{
    event_t *e = NULL;

    if (!m->joined) {
        for (size_t i = 0; i < n_joined; i++) {
            m->joined = m->joined || same_id(joined[i], m->self);
        }
        if (!m->joined) {
            return; /* not for it yet */
        }
        /* its join is its first sync point */
        g_array_append_vals(m->members, members, (guint) n_members);
        start_sync(m, m->members);
        if (m->own != NULL) {
            msg_t a = { .type = MSG_ANNOUNCE, .req = m->own };

            send_msg(m, &a);
        }
        if (m->waiting->len == 0) {
            finish_sync(m, now);
        }
        return;
    }
    e = g_new0(event_t, 1);
    e->is_confchg = true;
    e->members = id_array(members, n_members);
    e->joined = id_array(joined, n_joined);
    e->left = id_array(left, n_left);
    handle(m, e, now);
}

void
drover_slot_member_deliver(drover_slot_member_t *m, drover_slot_id_t sender,
                           GBytes *message, gint64 now)
{
    event_t *e = NULL;

    if (!m->joined) {
        return;
    }
    e = g_new0(event_t, 1);
    e->sender = sender;
    e->message = g_bytes_ref(message);
    handle(m, e, now);
}

const drover_slots_t *
drover_slot_member_table(const drover_slot_member_t *m)
{
    return m->synced ? m->table : NULL;
}

void
drover_slot_member_progress(drover_slot_member_t *m, guint64 bytes_done,
                            guint64 bytes_left, guint64 bytes_per_s)
{
    msg_t msg = { .type = MSG_PROGRESS, .req = m->own };

    if (m->own == NULL) {
        return;
    }
    /* kept in its own request too: a joiner's sync gets it from there */
    m->own->bytes_done = bytes_done;
    m->own->bytes_left = bytes_left;
    m->own->bytes_per_s = bytes_per_s;
    send_msg(m, &msg);
}

bool
drover_slot_member_granted(const drover_slot_member_t *m)
{
    return m->holding;
}

void
drover_slot_member_set_quorate(drover_slot_member_t *m, bool quorate)
{
    m->quorate = quorate;
    if (m->synced) {
        maybe_hold(m);
    }
}

void
drover_slot_member_resync(drover_slot_member_t *m)
{
    msg_t r = { .type = MSG_RESYNC };

    if (!m->joined || m->resyncing) {
        return;
    }
    if (m->hold_sent) {
        /* the table must first say whether that H took the slot */
        m->resync_wanted = true;
        return;
    }
    if (m->synced) {
        m->synced = false;
        g_array_set_size(m->waiting, 0);
        g_ptr_array_set_size(m->backlog, 0);
    }
    r.round = ++m->round;
    m->resyncing = true;
    send_msg(m, &r);
}
