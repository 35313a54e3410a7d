/*
 * The grant table of cluster-wide migration slots (see drover/slots.h and
 * docs/design.md): a pure function of the ordered events, so every member
 * of the group, and the unit tests, compute the same grants.
 */
#include <string.h>

#include <qb/qblog.h>

#include <drover/slots.h>

struct drover_slots_s {
    GPtrArray *reqs; /* drover_slot_req_t *, in arrival order */
    bool v1;         /* its member speaks version 1: always 1's rules */
};

void
drover_slot_req_clear(drover_slot_req_t *r)
{
    g_clear_pointer(&r->vm, g_free);
    g_clear_pointer(&r->source, g_free);
    g_clear_pointer(&r->target, g_free);
    g_clear_pointer(&r->network, g_free);
}

void
drover_slot_req_free(gpointer data)
{
    if (data != NULL) {
        drover_slot_req_clear(data);
        g_free(data);
    }
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
    if (strlen(r->vm) > DROVER_SLOTS_NAME_MAX
        || strlen(r->source) > DROVER_SLOTS_NAME_MAX
        || strlen(r->target) > DROVER_SLOTS_NAME_MAX
        || (r->network != NULL && strlen(r->network) > DROVER_SLOTS_NAME_MAX)
        || r->max_out < 0 || r->max_in < 0 || r->max_network < 0
        || r->max_total < 0 || r->bandwidth < 0) {
        drover_slot_req_free(r);
        return NULL;
    }
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

    copy->v1 = slots->v1;
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
drover_slots_v1_rules(const drover_slots_t *slots)
{
    if (slots->v1) {
        return true;
    }
    for (guint i = 0; i < slots->reqs->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(slots->reqs, i);

        if (!r->silent && r->version < 2) {
            return true;
        }
    }
    return false;
}

const drover_slot_req_t *
drover_slots_enqueue(drover_slots_t *slots, const drover_slot_req_t *req)
{
    drover_slot_req_t *r = NULL;

    if (find_index(slots, req->nodeid, req->pid) >= 0) {
        return NULL;
    }
    r = drover_slot_req_copy(req);
    /* after every version-2 request waiting (only their places are known
     * alike to every member: a holder's is not passed on in a sync) */
    r->order = 1;
    for (guint i = 0; i < slots->reqs->len; i++) {
        const drover_slot_req_t *o = g_ptr_array_index(slots->reqs, i);

        if (!o->granted && o->version >= 2 && o->order >= r->order) {
            r->order = o->order + 1;
        }
    }
    g_ptr_array_add(slots->reqs, r);
    return r;
}

void
drover_slots_silence(drover_slots_t *slots, guint32 nodeid, guint32 pid,
                     gint64 now)
{
    drover_slot_req_t *r = g_new0(drover_slot_req_t, 1);

    drover_slots_remove(slots, nodeid, pid);
    r->nodeid = nodeid;
    r->pid = pid;
    r->vm = g_strdup("-");
    r->source = g_strdup("*");
    r->target = g_strdup("*");
    r->version = DROVER_SLOTS_PROTOCOL;
    r->silent = true;
    r->granted = true;
    r->granted_at = now;
    g_ptr_array_add(slots->reqs, r);
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
fifo_order(gconstpointer a, gconstpointer b, gpointer v1_rules)
{
    const drover_slot_req_t *x = *(drover_slot_req_t *const *) a;
    const drover_slot_req_t *y = *(drover_slot_req_t *const *) b;

    if (x->granted != y->granted) {
        return x->granted ? -1 : 1;
    }
    if (!GPOINTER_TO_INT(v1_rules) && !x->granted && x->order != y->order) {
        return (x->order < y->order) ? -1 : 1;
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
    g_ptr_array_sort_with_data(list, fifo_order,
                               GINT_TO_POINTER(drover_slots_v1_rules(slots)));
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

/* Each count's limit: the lowest any request on it read from the CIB (0:
 * none) — a member with a stale or wrong value cannot raise it.  Version
 * 1's rules: each request its own. */
static GHashTable *
limits_of(const GPtrArray *order)
{
    GHashTable *limits =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < order->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(order, i);
        counter_t c[4];

        if (r->silent) {
            continue;
        }
        counters_of(r, c);
        for (int j = 0; j < 4; j++) {
            int now = count(limits, c[j].name != NULL ? c[j].name : "");

            if (c[j].name != NULL && c[j].max > 0
                && (now == 0 || c[j].max < now)) {
                g_hash_table_insert(limits, g_strdup(c[j].name),
                                    GINT_TO_POINTER(c[j].max));
            }
        }
        counters_clear(c);
    }
    return limits;
}

/* Whether waiting request \p who would get a slot now: holders count
 * first (a silent member one of every count), then the waiting in FIFO
 * order, each held back on the counts that are full for an earlier
 * waiter */
bool
drover_slots_admissible(const drover_slots_t *slots,
                        const drover_slot_req_t *who)
{
    g_autoptr(GPtrArray) order = drover_slots_list(slots);
    g_autoptr(GHashTable) used =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) held_back =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) limits =
        drover_slots_v1_rules(slots) ? NULL : limits_of(order);
    int silent = 0;

    for (guint i = 0; i < order->len; i++) {
        silent += ((drover_slot_req_t *) g_ptr_array_index(order, i))->silent;
    }
    for (guint i = 0; i < order->len; i++) {
        drover_slot_req_t *r = g_ptr_array_index(order, i);
        counter_t c[4];
        bool fits = true;

        if (r->silent) {
            continue;
        }
        counters_of(r, c);
        if (!r->granted) {
            for (int j = 0; j < 4; j++) {
                int max = 0;

                if (c[j].name == NULL) {
                    continue;
                }
                max = (limits != NULL) ? count(limits, c[j].name) : c[j].max;
                if (g_hash_table_contains(held_back, c[j].name)) {
                    fits = false;
                } else if (max > 0 && count(used, c[j].name) + silent >= max) {
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

    if (i >= 0
        && !((drover_slot_req_t *) g_ptr_array_index(slots->reqs, i))->silent) {
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

guint
drover_slots_spread(const drover_slots_t *slots,
                    const drover_slot_req_t *const *candidates, guint n,
                    guint rank)
{
    g_autoptr(GArray) best = g_array_new(FALSE, FALSE, sizeof(guint));
    int best_room = -1;
    int best_used = G_MAXINT;

    for (guint i = 0; i < n; i++) {
        const drover_slot_req_t *c = candidates[i];
        int used = 0;
        int max = c->max_network;
        int room;

        for (guint j = 0; j < slots->reqs->len; j++) {
            const drover_slot_req_t *r = g_ptr_array_index(slots->reqs, j);

            if (r->silent || g_strcmp0(r->network, c->network) == 0) {
                used++;
                if (!r->silent && r->max_network > 0
                    && (max == 0 || r->max_network < max)) {
                    max = r->max_network;
                }
            }
        }
        room = (max == 0 || used < max) ? 1 : 0;
        if (room > best_room || (room == best_room && used < best_used)) {
            g_array_set_size(best, 0);
            best_room = room;
            best_used = used;
        }
        if (room == best_room && used == best_used) {
            g_array_append_val(best, i);
        }
    }
    return (n == 0) ? 0 : g_array_index(best, guint, rank % best->len);
}

/* ------------------------------------------------------------------ */
/* One member                                                         */
/* ------------------------------------------------------------------ */

/*
 * Two envelopes.  A, H, S, R and P keep version 1's, which every version
 * reads.  Version 2 marks its requests there in fields version 1 ignores
 * (it replaces a request's nodeid/pid with the sender's): nodeid = the
 * version, pid = 0, which no process has.  Its S always carries a request
 * (a stub when it has none), so that a joiner knows every answer's
 * version.  B (version 2) is in version 1's envelope with a type it
 * ignores.  N and U are version 2's own envelope, which version 1 does
 * not parse, or parses to a type it has no use for: ignored either way.
 */
#define MSG_TYPE "(yuuubbm" REQ_TYPE ")"
#define EXT_TYPE "(yq(uu)ua(uu)a(uu))"
enum {
    MSG_ANNOUNCE = 'A',
    MSG_HOLD = 'H',
    MSG_SYNC = 'S',
    MSG_RESYNC = 'R',
    MSG_PROGRESS = 'P',
    MSG_NOTHING = 'N',
    MSG_SILENT = 'U',
    MSG_BACK = 'B',
};

typedef struct {
    guchar type;
    int version;             /* the sender's protocol, as far as it shows */
    drover_slot_id_t joiner; /* S, N: whose sync point it answers */
    guint32 round;           /* S, N, R, U: which of the joiner's points */
    bool announced;          /* S: the sender's A came before that point */
    bool holder;             /* S: the sender held its slot then */
    drover_slot_req_t *req;  /* A, S, P: the sender's request */
    GArray *ids;    /* N: hold nothing; U: never answered (drover_slot_id_t) */
    GArray *silent; /* N: counted as silent */
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
    GPtrArray *candidates;  /* drover_slot_req_t *: own's networks to spread
                               over, NULL: own's alone */
    GArray *before_me;      /* drover_slot_id_t: the members when it joined */
    int version;            /* the protocol it speaks */
    drover_slot_send_fn send;
    void *send_data;
    drover_slots_t *table;
    GArray *members;     /* drover_slot_id_t, as of the last confchg */
    bool joined;         /* saw its own join */
    bool synced;         /* the table is complete */
    bool complete;       /* synced, no merge since: it knows every member */
    bool announced;      /* its own A is in the table */
    bool announced_seen; /* its own A came back (maybe not replayed yet) */
    bool announce_sent;  /* its A is on its way */
    bool hold_sent;      /* its H is on its way */
    guint32 round;       /* its current sync point */
    bool resyncing;      /* its R is on its way: events until then are old */
    GArray *waiting;     /* drover_slot_id_t: whose S it still needs */
    GArray *malformed;   /* of those, who sent only malformed messages */
    GArray *silent;      /* members counted as silent (a U, or an N said) */
    bool v1_answered;    /* a version-1 member answered this sync point */
    gint64 round_since;  /* when it began waiting for these answers */
    bool silence_sent;   /* its U (or why not) for this point is out */
    GPtrArray *backlog;  /* event_t *, while syncing */
    bool replaying;      /* the backlog: sync points were answered already */
    bool holding;        /* its own H was taken: it holds its slot */
    bool quorate;        /* it may take a slot */
    bool resync_wanted;  /* once its A and H are back */
    bool self_silent;    /* the others count it as silent (a U named it) */
    bool back_wanted;    /* it is alive: tell them its state (B) */
    guint64 dropped;     /* malformed messages */
    gint64 now;          /* the latest time it was told */
};

static void
msg_clear(msg_t *msg)
{
    drover_slot_req_free(msg->req);
    if (msg->ids != NULL) {
        g_array_unref(msg->ids);
    }
    if (msg->silent != NULL) {
        g_array_unref(msg->silent);
    }
}

static GVariant *
ids_variant(const GArray *ids)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a(uu)"));
    for (guint i = 0; ids != NULL && i < ids->len; i++) {
        drover_slot_id_t id = g_array_index(ids, drover_slot_id_t, i);

        g_variant_builder_add(&b, "(uu)", id.nodeid, id.pid);
    }
    return g_variant_builder_end(&b);
}

static GBytes *
msg_pack(const msg_t *msg, int version)
{
    g_autoptr(GVariant) v = NULL;
    GVariant *maybe = NULL;

    if (msg->type == MSG_NOTHING || msg->type == MSG_SILENT) {
        v = g_variant_ref_sink(
            g_variant_new("(yq(uu)u@a(uu)@a(uu))", msg->type, (guint16) version,
                          msg->joiner.nodeid, msg->joiner.pid, msg->round,
                          ids_variant(msg->ids), ids_variant(msg->silent)));
        return g_variant_get_data_as_bytes(v);
    }
    if (msg->req != NULL) {
        drover_slot_req_t marked = *msg->req;
        g_autoptr(GBytes) packed = NULL;

        if (version >= 2) {
            marked.nodeid = (guint32) version;
            marked.pid = 0;
            if (msg->type == MSG_SYNC && !msg->holder) {
                /* a waiter's granted_at is nothing to version 1 */
                marked.granted_at = msg->req->order;
            }
        }
        packed = drover_slot_req_pack(&marked);
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

static GArray *
ids_from(GVariant *list)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    GVariantIter iter;
    drover_slot_id_t id;

    g_variant_iter_init(&iter, list);
    while (g_variant_iter_next(&iter, "(uu)", &id.nodeid, &id.pid)) {
        g_array_append_val(ids, id);
    }
    return ids;
}

static bool
ext_unpack(GBytes *bytes, msg_t *msg)
{
    g_autoptr(GVariant) v = g_variant_ref_sink(
        g_variant_new_from_bytes(G_VARIANT_TYPE(EXT_TYPE), bytes, FALSE));
    g_autoptr(GVariant) ids = NULL;
    g_autoptr(GVariant) silent = NULL;
    guint16 version = 0;

    if (!g_variant_is_normal_form(v)) {
        return false;
    }
    g_variant_get(v, "(yq(uu)u@a(uu)@a(uu))", &msg->type, &version,
                  &msg->joiner.nodeid, &msg->joiner.pid, &msg->round, &ids,
                  &silent);
    msg->version = version;
    msg->ids = ids_from(ids);
    msg->silent = ids_from(silent);
    return version >= 2;
}

/* false for anything malformed: not a message of any version of ours,
 * or larger than DROVER_SLOTS_MESSAGE_MAX */
static bool
msg_unpack(GBytes *bytes, drover_slot_id_t sender, msg_t *msg)
{
    gsize size = 0;
    const guchar *data = g_bytes_get_data(bytes, &size);
    g_autoptr(GVariant) v = NULL;
    g_autoptr(GVariant) maybe = NULL;
    g_autoptr(GVariant) inner = NULL;
    gboolean announced;
    gboolean holder;

    memset(msg, 0, sizeof(*msg));
    if (size == 0 || size > DROVER_SLOTS_MESSAGE_MAX) {
        return false;
    }
    if (data[0] == MSG_NOTHING || data[0] == MSG_SILENT) {
        return ext_unpack(bytes, msg);
    }
    v = g_variant_ref_sink(
        g_variant_new_from_bytes(G_VARIANT_TYPE(MSG_TYPE), bytes, FALSE));
    if (!g_variant_is_normal_form(v)) {
        return false;
    }
    g_variant_get(v, "(yuuubb@m" REQ_TYPE ")", &msg->type, &msg->joiner.nodeid,
                  &msg->joiner.pid, &msg->round, &announced, &holder, &maybe);
    msg->announced = announced;
    msg->holder = holder;
    msg->version = 1;
    inner = g_variant_get_maybe(maybe);
    if (inner != NULL) {
        g_autoptr(GBytes) req = g_variant_get_data_as_bytes(inner);

        msg->req = drover_slot_req_unpack(req);
        if (msg->req == NULL) {
            return false;
        }
        msg->req->version = (msg->req->pid == 0 && msg->req->nodeid >= 2)
                                ? (int) MIN(msg->req->nodeid, 1000)
                                : 1;
        msg->version = msg->req->version;
        msg->req->order = 0;
        if (msg->type == MSG_SYNC && !holder && msg->version >= 2) {
            msg->req->order = msg->req->granted_at;
            msg->req->granted_at = 0;
        }
        /* a request is its sender's, whatever it says */
        msg->req->nodeid = sender.nodeid;
        msg->req->pid = sender.pid;
        msg->req->granted = false;
        msg->req->silent = false;
    }
    return true;
}

static void
send_msg(drover_slot_member_t *m, const msg_t *msg)
{
    g_autoptr(GBytes) bytes = msg_pack(msg, m->version);

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
has_id(const GArray *ids, drover_slot_id_t id)
{
    for (guint i = 0; i < ids->len; i++) {
        if (same_id(g_array_index(ids, drover_slot_id_t, i), id)) {
            return true;
        }
    }
    return false;
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

static void
add_id(GArray *ids, drover_slot_id_t id)
{
    if (!has_id(ids, id)) {
        g_array_append_val(ids, id);
    }
}

/* "2/1234, 3/99" */
static char *
ids_text(const GArray *ids)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < ids->len; i++) {
        drover_slot_id_t id = g_array_index(ids, drover_slot_id_t, i);

        g_string_append_printf(text, "%s%u/%u", (i > 0) ? ", " : "", id.nodeid,
                               id.pid);
    }
    return g_string_free(text, FALSE);
}

drover_slot_member_t *
drover_slot_member_new(drover_slot_id_t self, const drover_slot_req_t *own,
                       drover_slot_send_fn send, void *send_data)
{
    drover_slot_member_t *m = g_new0(drover_slot_member_t, 1);

    m->self = self;
    m->version = DROVER_SLOTS_PROTOCOL;
    if (own != NULL) {
        m->own = drover_slot_req_copy(own);
        m->own->nodeid = self.nodeid;
        m->own->pid = self.pid;
        m->own->granted = false;
        m->own->silent = false;
        if (own->version > 0) {
            m->version = own->version; /* the tests' older member */
        }
        m->own->version = m->version;
    }
    m->send = send;
    m->send_data = send_data;
    m->table = drover_slots_new();
    m->members = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    m->waiting = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    m->malformed = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    m->silent = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    m->backlog = g_ptr_array_new_with_free_func(event_free);
    return m;
}

void
drover_slot_member_spread(drover_slot_member_t *m,
                          const drover_slot_req_t *const *candidates, guint n)
{
    g_return_if_fail(m->own != NULL && !m->announce_sent);
    g_clear_pointer(&m->candidates, g_ptr_array_unref);
    if (n < 2) {
        return;
    }
    m->candidates = g_ptr_array_new_with_free_func(drover_slot_req_free);
    for (guint i = 0; i < n; i++) {
        g_ptr_array_add(m->candidates, drover_slot_req_copy(candidates[i]));
    }
}

const char *
drover_slot_member_network(const drover_slot_member_t *m)
{
    return (m->own != NULL) ? m->own->network : NULL;
}

void
drover_slot_member_free(drover_slot_member_t *m)
{
    if (m != NULL) {
        drover_slot_req_free(m->own);
        g_clear_pointer(&m->candidates, g_ptr_array_unref);
        g_clear_pointer(&m->before_me, g_array_unref);
        drover_slots_free(m->table);
        g_array_unref(m->members);
        g_array_unref(m->waiting);
        g_array_unref(m->malformed);
        g_array_unref(m->silent);
        g_ptr_array_unref(m->backlog);
        g_free(m);
    }
}

/* Answer a sync point of \p joiner with this member's own state as of
 * now — known exactly even while it syncs itself: it holds no slot then,
 * and its A is before this point or not.  A member that knows every
 * member's state adds an N for those that hold nothing (watchers, and
 * members yet to ask) or are silent: the joiner need not wait for them. */
static void
answer_sync(drover_slot_member_t *m, drover_slot_id_t joiner, guint32 round)
{
    bool announced = m->synced ? m->announced : m->announced_seen;
    drover_slot_req_t stub = { .vm = (char *) "" };
    msg_t msg = {
        .type = MSG_SYNC,
        .joiner = joiner,
        .round = round,
        .announced = announced,
        .holder = m->holding,
        .req = (announced && m->own != NULL) ? m->own
               : (m->version >= 2)           ? &stub
                                             : NULL,
    };

    g_autoptr(GArray) nothing = NULL;
    g_autoptr(GArray) silent = NULL;

    if (m->replaying) {
        return;
    }
    if (m->self_silent) {
        /* as the others count it until its B: "silent" is not announced
         * but holding, which version 1 ignores */
        msg.announced = false;
        msg.holder = true;
        msg.req = &stub;
    }
    send_msg(m, &msg);
    if (m->version < 2 || !m->complete) {
        return;
    }
    nothing = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    silent = g_array_new(FALSE, FALSE, sizeof(drover_slot_id_t));
    for (guint i = 0; i < m->members->len; i++) {
        drover_slot_id_t id = g_array_index(m->members, drover_slot_id_t, i);
        const drover_slot_req_t *r =
            drover_slots_find(m->table, id.nodeid, id.pid);

        if (same_id(id, m->self) || same_id(id, joiner)) {
            continue;
        }
        if (r == NULL) {
            g_array_append_val(nothing, id);
        } else if (r->silent) {
            g_array_append_val(silent, id);
        }
    }
    if (nothing->len > 0 || silent->len > 0) {
        msg_t n = { .type = MSG_NOTHING,
                    .joiner = joiner,
                    .round = round,
                    .ids = nothing,
                    .silent = silent };

        send_msg(m, &n);
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
note_malformed(drover_slot_member_t *m, drover_slot_id_t sender, GBytes *bytes)
{
    m->dropped++;
    if (m->dropped == 1 || m->dropped % 100 == 0) {
        qb_log(LOG_WARNING,
               "Slot group: dropped a malformed message from %u/%u (%zu "
               "bytes; %" G_GUINT64_FORMAT " so far)",
               sender.nodeid, sender.pid, g_bytes_get_size(bytes), m->dropped);
    }
}

/* A member it has not heard the state of at this sync point is counted
 * as silent (U), after DROVER_SLOTS_SYNC_WAIT_US or when it sent only
 * malformed messages */
static void
send_silence(drover_slot_member_t *m)
{
    g_autofree char *who = ids_text(m->waiting);
    gint64 waited = (m->now - m->round_since) / G_USEC_PER_SEC;
    msg_t u = { .type = MSG_SILENT, .joiner = m->self, .round = m->round };

    m->silence_sent = true;
    if (m->own == NULL) {
        /* only agents count members out: a watcher's table must not
         * differ from theirs (drover-slots-protocol=1) */
        qb_log(LOG_WARNING,
               "Slot group: no answer from %s in %" G_GINT64_FORMAT
               " s; watching waits until they answer or leave, or an agent "
               "counts them out",
               who, waited);
        return;
    }
    if (m->version < 2 || m->v1_answered) {
        /* a version-1 member would not count them: the tables would
         * differ */
        qb_log(LOG_WARNING,
               "Slot group: no answer from %s in %" G_GINT64_FORMAT
               " s; a member runs an older drover (slot protocol 1), so this "
               "member waits until they answer or leave",
               who, waited);
        return;
    }
    qb_log(LOG_WARNING,
           "Slot group: no answer from %s in %" G_GINT64_FORMAT
           " s (a stopped process: a drover drain suspended with Ctrl-Z?); "
           "each is counted as holding one slot of every limit until it "
           "leaves",
           who, waited);
    u.ids = g_array_ref(m->waiting);
    send_msg(m, &u);
    g_array_unref(u.ids);
}

/* Its state as of the sync point is lost or never comes: a new one */
static void
new_round(drover_slot_member_t *m, bool restart_clock)
{
    msg_t r = { .type = MSG_RESYNC, .round = ++m->round };

    m->resyncing = true;
    if (restart_clock) {
        m->round_since = m->now;
    }
    send_msg(m, &r);
}

static void
resync_if_wanted(drover_slot_member_t *m)
{
    if (m->resync_wanted && !m->hold_sent && !m->announce_sent) {
        m->resync_wanted = false;
        drover_slot_member_resync(m);
    }
}

/* A member counted as silent that is alive after all (B): its own state
 * replaces the count of one slot of everything */
static void
back(drover_slot_member_t *m, drover_slot_id_t sender, msg_t *msg, gint64 now)
{
    const drover_slot_req_t *r =
        drover_slots_find(m->table, sender.nodeid, sender.pid);

    if (r == NULL || !r->silent) {
        return; /* only a member counted as silent comes back */
    }
    remove_id(m->silent, sender);
    drover_slots_remove(m->table, sender.nodeid, sender.pid);
    r = NULL;
    if (msg->announced && msg->req != NULL) {
        if (msg->holder) {
            msg->req->granted = true;
            msg->req->granted_at = now;
            drover_slots_add(m->table, msg->req);
        } else {
            r = drover_slots_enqueue(m->table, msg->req);
        }
    }
    if (same_id(sender, m->self)) {
        m->self_silent = false;
        if (r != NULL && m->own != NULL) {
            m->own->order = r->order;
        }
    }
}

static void
send_back(drover_slot_member_t *m)
{
    msg_t b = {
        .type = MSG_BACK,
        .announced = m->announced,
        .holder = m->holding,
        .req = (m->announced && m->own != NULL) ? m->own : NULL,
    };

    m->back_wanted = false;
    send_msg(m, &b);
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
            remove_id(m->silent, id);
        }
        for (guint i = 0; i < e->joined->len; i++) {
            drover_slot_id_t id = g_array_index(e->joined, drover_slot_id_t, i);

            if (!same_id(id, m->self)) {
                answer_sync(m, id, 0);
            }
        }
        return;
    }
    if (!msg_unpack(e->message, e->sender, &msg)) {
        note_malformed(m, e->sender, e->message);
        msg_clear(&msg);
        return;
    }
    if (msg.type == MSG_ANNOUNCE && msg.req != NULL) {
        const drover_slot_req_t *r = drover_slots_enqueue(m->table, msg.req);

        if (same_id(e->sender, m->self)) {
            /* dropped while it counts as silent: asked again once back */
            m->announced = m->announced_seen = !(r == NULL && m->self_silent);
            m->announce_sent = false;
            if (r != NULL && m->own != NULL) {
                m->own->order = r->order; /* as it answers joiners */
            }
            resync_if_wanted(m);
        }
    } else if (msg.type == MSG_HOLD) {
        bool taken =
            drover_slots_hold(m->table, e->sender.nodeid, e->sender.pid, now);

        if (same_id(e->sender, m->self)) {
            m->hold_sent = false; /* taken, or to be asked again */
            if (taken && m->own != NULL) {
                m->own->granted = true; /* as it answers joiners */
                m->own->granted_at = now;
            }
            m->holding = m->holding || taken;
            resync_if_wanted(m);
        }
    } else if (msg.type == MSG_RESYNC && !same_id(e->sender, m->self)) {
        answer_sync(m, e->sender, msg.round);
    } else if (msg.type == MSG_PROGRESS && msg.req != NULL) {
        drover_slots_progress(m->table, e->sender.nodeid, e->sender.pid,
                              msg.req);
    } else if (msg.type == MSG_SILENT && m->version >= 2) {
        for (guint i = 0; i < msg.ids->len; i++) {
            drover_slot_id_t id = g_array_index(msg.ids, drover_slot_id_t, i);

            if (!has_id(m->members, id)) {
                continue; /* gone already */
            }
            drover_slots_silence(m->table, id.nodeid, id.pid, now);
            add_id(m->silent, id);
            if (same_id(id, m->self)) {
                qb_log(LOG_WARNING,
                       "Slot group: a joiner counted this member as silent "
                       "(it did not answer in time); it tells its state "
                       "again");
                m->self_silent = true;
                m->back_wanted = true;
            }
        }
    } else if (msg.type == MSG_BACK && m->version >= 2) {
        back(m, e->sender, &msg, now);
    }
    msg_clear(&msg);
}

/* A new sync point: everyone present answers it, but those counted as
 * silent */
static void
start_sync(drover_slot_member_t *m, const GArray *members)
{
    drover_slots_free(m->table);
    m->table = drover_slots_new();
    m->table->v1 = (m->version < 2);
    g_ptr_array_set_size(m->backlog, 0);
    g_array_set_size(m->waiting, 0);
    g_array_set_size(m->malformed, 0);
    m->v1_answered = false;
    m->silence_sent = false;
    for (guint i = 0; i < members->len; i++) {
        drover_slot_id_t id = g_array_index(members, drover_slot_id_t, i);

        if (same_id(id, m->self)) {
            continue;
        }
        if (has_id(m->silent, id)) {
            drover_slots_silence(m->table, id.nodeid, id.pid, m->now);
        } else {
            g_array_append_val(m->waiting, id);
        }
    }
    /* its own state it knows: its A came before this point, or not */
    m->announced = m->announced_seen;
    if (m->self_silent) {
        drover_slots_silence(m->table, m->self.nodeid, m->self.pid, m->now);
    } else if (m->announced && m->own != NULL) {
        drover_slots_add(m->table, m->own);
        if (m->holding) {
            drover_slots_hold_as_before(m->table, m->self.nodeid, m->self.pid);
        }
    }
}

/* Asked once the table is known: its A then always arrives while it is
 * synced, and it learns its place in the order */
/* Before it asks: of its candidates, the network the spread gives it.
 * Members that joined before it and have not asked (as far as its table
 * shows) may be choosing at the same moment, from a table that does not
 * show it either: its rank is their number, so that each of those
 * joining one after the other takes the next of equal networks, whether
 * or not it saw the others' requests (docs/design.md). */
static void
choose_network(drover_slot_member_t *m)
{
    const drover_slot_req_t *chosen = NULL;
    guint rank = 0;

    if (m->candidates == NULL) {
        return;
    }
    for (guint i = 0; m->before_me != NULL && i < m->before_me->len; i++) {
        drover_slot_id_t id = g_array_index(m->before_me, drover_slot_id_t, i);

        if (has_id(m->members, id)
            && drover_slots_find(m->table, id.nodeid, id.pid) == NULL) {
            rank++;
        }
    }
    chosen = g_ptr_array_index(
        m->candidates,
        drover_slots_spread(
            m->table, (const drover_slot_req_t *const *) m->candidates->pdata,
            m->candidates->len, rank));
    g_free(m->own->network);
    m->own->network = g_strdup(chosen->network);
    m->own->max_network = chosen->max_network;
    m->own->bandwidth = chosen->bandwidth;
}

static void
maybe_announce(drover_slot_member_t *m)
{
    msg_t a = { .type = MSG_ANNOUNCE, .req = m->own };

    if (m->own != NULL && m->synced && m->version >= 2 && !m->self_silent
        && !m->announce_sent && !m->announced_seen) {
        choose_network(m);
        m->announce_sent = true;
        send_msg(m, &a);
    }
}

static void
finish_sync(drover_slot_member_t *m, gint64 now)
{
    m->synced = true;
    m->complete = true;
    m->replaying = true;
    for (guint i = 0; i < m->backlog->len; i++) {
        apply(m, g_ptr_array_index(m->backlog, i), now);
    }
    m->replaying = false;
    g_ptr_array_set_size(m->backlog, 0);
    maybe_announce(m);
}

/* What an answer (S or N) to its own sync point tells */
static void
take_answer(drover_slot_member_t *m, drover_slot_id_t sender, msg_t *msg)
{
    if (msg->type == MSG_SYNC) {
        m->v1_answered = m->v1_answered || (msg->version < 2);
        remove_id(m->malformed, sender);
        if (msg->version >= 2 && !msg->announced && msg->holder) {
            /* counted as silent, it says */
            drover_slots_silence(m->table, sender.nodeid, sender.pid, m->now);
            add_id(m->silent, sender);
        } else if (msg->announced && msg->req != NULL) {
            msg->req->granted = msg->holder;
            drover_slots_add(m->table, msg->req);
        }
        return;
    }
    for (guint i = 0; i < msg->ids->len; i++) {
        drover_slot_id_t id = g_array_index(msg->ids, drover_slot_id_t, i);

        if (remove_id(m->waiting, id)) {
            remove_id(m->malformed, id);
        }
    }
    for (guint i = 0; i < msg->silent->len; i++) {
        drover_slot_id_t id = g_array_index(msg->silent, drover_slot_id_t, i);

        if (remove_id(m->waiting, id)) {
            remove_id(m->malformed, id);
            drover_slots_silence(m->table, id.nodeid, id.pid, m->now);
            add_id(m->silent, id);
        }
    }
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
            drover_slot_id_t id = g_array_index(e->left, drover_slot_id_t, i);

            remove_id(m->silent, id);
            remove_id(m->malformed, id);
            if (remove_id(m->waiting, id) && !m->resyncing) {
                new_round(m, true);
            }
        }
    } else if (!msg_unpack(e->message, e->sender, &msg)) {
        /* dropped; a member it waits for that sends only these is
         * counted as silent without waiting out the bound */
        note_malformed(m, e->sender, e->message);
        msg_clear(&msg);
        if (has_id(m->waiting, e->sender)) {
            add_id(m->malformed, e->sender);
        }
        event_free(e);
        if (!m->resyncing && !m->silence_sent && m->waiting->len > 0
            && m->malformed->len == m->waiting->len) {
            send_silence(m);
        }
        return;
    } else {
        if (msg.type == MSG_ANNOUNCE && same_id(e->sender, m->self)) {
            m->announced_seen = true; /* the table gets it on replay */
        }
        if (msg.type == MSG_RESYNC && !same_id(e->sender, m->self)) {
            answer_sync(m, e->sender, msg.round);
        }
        if (msg.type == MSG_SILENT && m->version >= 2) {
            for (guint i = 0; i < msg.ids->len; i++) {
                drover_slot_id_t id =
                    g_array_index(msg.ids, drover_slot_id_t, i);

                if (same_id(id, m->self)) {
                    m->self_silent = true; /* it says so, then B */
                    m->back_wanted = true;
                }
                if (has_id(m->members, id)) {
                    add_id(m->silent, id);
                    if (remove_id(m->waiting, id) && !m->resyncing) {
                        /* silent from here on, but what it held at the
                         * sync point is not known: a new point */
                        new_round(m, true);
                    }
                }
            }
        }
        if (msg.type == MSG_BACK && m->version >= 2) {
            remove_id(m->silent, e->sender); /* the table on replay */
        }
        if (msg.type == MSG_RESYNC && same_id(e->sender, m->self)
            && msg.round == m->round) {
            m->resyncing = false;
            start_sync(m, m->members);
            msg_clear(&msg);
            event_free(e);
            goto done;
        }
        if ((msg.type == MSG_SYNC
             || (msg.type == MSG_NOTHING && m->version >= 2))
            && same_id(msg.joiner, m->self) && msg.round == m->round
            && !m->resyncing
            && (msg.type == MSG_NOTHING || remove_id(m->waiting, e->sender))) {
            take_answer(m, e->sender, &msg);
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
    if (m->backlog->len > DROVER_SLOTS_BACKLOG_MAX) {
        qb_log(LOG_WARNING,
               "Slot group: %u events arrived while this member waited for "
               "answers; it starts over from a new sync point",
               m->backlog->len);
        g_ptr_array_set_size(m->backlog, 0);
        new_round(m, false);
        return;
    }
done:
    if (m->waiting->len == 0 && !m->resyncing) {
        finish_sync(m, now);
    }
}

static void
handle(drover_slot_member_t *m, event_t *e, gint64 now)
{
    m->now = now;
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
    if (m->synced && m->back_wanted && m->version >= 2) {
        send_back(m);
    }
    if (m->synced) {
        maybe_announce(m);
        maybe_hold(m);
    }
}

void
drover_slot_member_confchg(drover_slot_member_t *m,
                           const drover_slot_id_t *members, size_t n_members,
                           const drover_slot_id_t *joined, size_t n_joined,
                           const drover_slot_id_t *left, size_t n_left,
                           bool merged, gint64 now)
{
    event_t *e = NULL;

    m->now = now;
    if (!m->joined) {
        for (size_t i = 0; i < n_joined; i++) {
            m->joined = m->joined || same_id(joined[i], m->self);
        }
        if (!m->joined) {
            return; /* not for it yet */
        }
        /* its join is its first sync point */
        g_array_append_vals(m->members, members, (guint) n_members);
        m->before_me = g_array_copy(m->members);
        remove_id(m->before_me, m->self);
        m->round_since = now;
        start_sync(m, m->members);
        if (m->own != NULL && m->version < 2) {
            msg_t a = { .type = MSG_ANNOUNCE, .req = m->own };

            send_msg(m, &a); /* version 1 asks at once */
        }
        if (m->waiting->len == 0) {
            finish_sync(m, now);
        }
        return;
    }
    if (merged) {
        /* the other side's members: their state is not known here */
        m->complete = false;
    }
    e = g_new0(event_t, 1);
    e->is_confchg = true;
    e->members = id_array(members, n_members);
    e->joined = id_array(joined, n_joined);
    e->left = id_array(left, n_left);
    handle(m, e, now);
    if (merged) {
        drover_slot_member_resync(m);
    }
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

void
drover_slot_member_tick(drover_slot_member_t *m, gint64 now)
{
    m->now = now;
    if (m->joined && !m->synced && !m->resyncing && !m->silence_sent
        && m->waiting->len > 0
        && now - m->round_since >= DROVER_SLOTS_SYNC_WAIT_US) {
        send_silence(m);
    }
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
    if (!m->joined || m->resyncing) {
        return;
    }
    m->complete = false;
    if (m->hold_sent || m->announce_sent) {
        /* the table must first say whether that H took the slot, and
         * where its A stands */
        m->resync_wanted = true;
        return;
    }
    if (m->synced) {
        m->synced = false;
        g_array_set_size(m->waiting, 0);
        g_ptr_array_set_size(m->backlog, 0);
    }
    new_round(m, true);
}
