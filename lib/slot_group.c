/*
 * The slot group's CPG side: join, a dispatch thread, agreed-order sends,
 * quorum, leave.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <qb/qblog.h>

#include <drover/rc.h>
#include <drover/slot_group.h>

#include "drover_private.h"

/* How often the dispatch thread looks at quorum and its stop flag */
#define TICK_MS 200

/* How long drover_slot_group_leave() waits for Corosync */
#define LEAVE_MS 2000

struct drover_slot_group_s {
    cpg_handle_t cpg;
    quorum_handle_t quorum;
    bool have_quorum;
    drover_slot_member_t *member; /* the dispatch thread's */
    drover_slot_req_t *own;
    GThread *thread;
    GMutex lock; /* protects what follows */
    GCond changed;
    bool stop;
    bool dispatch_done; /* the dispatch thread is out of Corosync's calls */
    bool abandoned;     /* left without it: the group is its to free */
    int error;
    bool granted;
    drover_slots_t *table; /* a copy, after each event */
    char *network;         /* own request's, once in the table */
    gint bandwidth;        /* atomic */
    bool progress_pending; /* the dispatch thread sends it */
    guint64 progress[3];   /* bytes done, left, per second */
};

static struct cpg_name group_name;

char *
drover_network_property(const char *network, const char *what)
{
    return g_strdup_printf("drover-network-%s-%s", network, what);
}

int
drover_limit_parse(const char *text, int *limit, GString *reason)
{
    guint64 value = 0;

    if (text == NULL
        || !g_ascii_string_to_unsigned(text, 10, 0, 1000000, &value, NULL)) {
        g_autofree char *shown = (text != NULL) ? drover__shown(text) : NULL;

        g_string_printf(reason,
                        "'%s' is not a limit: use a whole number from 0 (no "
                        "limit) to 1000000",
                        (shown != NULL) ? shown : "");
        return DROVER_RC_CONFIG;
    }
    *limit = (int) value;
    return 0;
}

static int
limit_or(const char *text, int fallback)
{
    g_autoptr(GString) ignored = g_string_new(NULL);
    int limit = fallback;

    if (text != NULL && drover_limit_parse(text, &limit, ignored) != 0) {
        limit = fallback;
    }
    return limit;
}

void
drover_slot_req_from_cib(const drover_cib_t *cib, const char *vm,
                         const char *source, const char *target,
                         const char *network, drover_slot_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->key = g_get_real_time();
    req->vm = g_strdup(vm);
    req->source = g_strdup(source);
    req->target = g_strdup(target);
    req->network = g_strdup(network);
    req->max_out =
        limit_or(drover_cib_node_attr(cib, source, DROVER_MAX_OUTGOING_ATTR,
                                      DROVER_ATTR_PERMANENT),
                 DROVER_DEFAULT_MAX_OUTGOING);
    req->max_in =
        limit_or(drover_cib_node_attr(cib, target, DROVER_MAX_INCOMING_ATTR,
                                      DROVER_ATTR_PERMANENT),
                 DROVER_DEFAULT_MAX_INCOMING);
    req->max_total =
        limit_or(drover_cib_property(cib, DROVER_MAX_MIGRATIONS_PROPERTY), 0);
    /* protocol 2's rules differ from 1's: while members of an older
     * drover may join, the admin keeps every agent on 1's */
    req->version =
        (g_strcmp0(drover_cib_property(cib, DROVER_SLOTS_PROTOCOL_PROPERTY),
                   "1")
         == 0)
            ? 1
            : DROVER_SLOTS_PROTOCOL;
    if (network != NULL) {
        g_autofree char *max =
            drover_network_property(network, "max-migrations");
        g_autofree char *bandwidth =
            drover_network_property(network, "bandwidth");

        req->max_network = limit_or(drover_cib_property(cib, max), 0);
        req->bandwidth = limit_or(drover_cib_property(cib, bandwidth), 0);
    }
}

static void
send_message(void *data, GBytes *message)
{
    drover_slot_group_t *g = data;
    gsize size = 0;
    struct iovec iov = { 0 };
    cs_error_t rc;

    iov.iov_base = (void *) g_bytes_get_data(message, &size);
    iov.iov_len = size;
    /* Flow control: corosync asks to try again while its queue is full */
    for (int tries = 0; tries < 100; tries++) {
        rc = cpg_mcast_joined(g->cpg, CPG_TYPE_AGREED, &iov, 1);
        if (rc != CS_ERR_TRY_AGAIN) {
            break;
        }
        g_usleep(10000);
    }
    if (rc != CS_OK) {
        qb_log(LOG_ERR, "Cannot send to the slot group: %s", cs_strerror(rc));
        g_mutex_lock(&g->lock);
        g->error = drover_rc_from_cs(rc);
        g_cond_broadcast(&g->changed);
        g_mutex_unlock(&g->lock);
    }
}

/* After each event: what the waiting thread looks at */
static void
publish(drover_slot_group_t *g)
{
    const drover_slots_t *table = drover_slot_member_table(g->member);
    drover_slots_t *copy = NULL;
    const drover_slot_req_t *mine = NULL;

    if (table != NULL) {
        copy = drover_slots_copy(table);
        if (g->own != NULL) {
            mine = drover_slots_find(table, g->own->nodeid, g->own->pid);
            g_atomic_int_set(&g->bandwidth,
                             (mine != NULL && mine->granted)
                                 ? drover_slots_bandwidth_share(table, mine)
                                 : 0);
        }
    }
    g_mutex_lock(&g->lock);
    if (mine != NULL && g->network == NULL && mine->network != NULL) {
        g->network = g_strdup(mine->network);
    }
    g->granted = drover_slot_member_granted(g->member);
    drover_slots_free(g->table);
    g->table = copy;
    g_cond_broadcast(&g->changed);
    g_mutex_unlock(&g->lock);
}

static void
on_deliver(cpg_handle_t handle, const struct cpg_name *name, uint32_t nodeid,
           uint32_t pid, void *msg, size_t msg_len)
{
    drover_slot_group_t *g = NULL;
    g_autoptr(GBytes) bytes = g_bytes_new(msg, msg_len);

    (void) name;
    cpg_context_get(handle, (void **) &g);
    drover_slot_member_deliver(g->member, (drover_slot_id_t){ nodeid, pid },
                               bytes, g_get_real_time());
    publish(g);
}

static drover_slot_id_t *
ids(const struct cpg_address *list, size_t n)
{
    drover_slot_id_t *out = g_new0(drover_slot_id_t, MAX(n, 1));

    for (size_t i = 0; i < n; i++) {
        out[i] = (drover_slot_id_t){ list[i].nodeid, list[i].pid };
    }
    return out;
}

static void
on_confchg(cpg_handle_t handle, const struct cpg_name *name,
           const struct cpg_address *members, size_t n_members,
           const struct cpg_address *left, size_t n_left,
           const struct cpg_address *joined, size_t n_joined)
{
    drover_slot_group_t *g = NULL;
    g_autofree drover_slot_id_t *m = ids(members, n_members);
    g_autofree drover_slot_id_t *l = ids(left, n_left);
    g_autofree drover_slot_id_t *j = ids(joined, n_joined);
    bool merged = false;

    (void) name;
    cpg_context_get(handle, (void **) &g);
    for (size_t i = 0; i < n_left; i++) {
        qb_log(LOG_DEBUG, "Slot group: %u/%u left (reason %u)", left[i].nodeid,
               left[i].pid, left[i].reason);
    }
    for (size_t i = 0; i < n_joined; i++) {
        merged = merged || (joined[i].reason == CPG_REASON_NODEUP);
    }
    /* partitions merged: each side's table misses the other's (it resyncs) */
    drover_slot_member_confchg(g->member, m, n_members, j, n_joined, l, n_left,
                               merged, g_get_real_time());
    publish(g);
}

/* The member is the dispatch thread's: it sends what others reported */
static void
send_progress(drover_slot_group_t *g)
{
    guint64 p[3];
    bool pending;

    g_mutex_lock(&g->lock);
    pending = g->progress_pending;
    memcpy(p, g->progress, sizeof(p));
    g->progress_pending = false;
    g_mutex_unlock(&g->lock);
    if (pending) {
        drover_slot_member_progress(g->member, p[0], p[1], p[2]);
    }
}

/* Leave the group (the others free the slot) and close the handles */
typedef struct {
    cpg_handle_t cpg;
    quorum_handle_t quorum;
    bool have_quorum;
} handles_t;

static int
close_handles(void *data)
{
    handles_t *h = data;

    cpg_leave(h->cpg, &group_name);
    cpg_finalize(h->cpg);
    if (h->have_quorum) {
        quorum_finalize(h->quorum);
    }
    return 0;
}

static void
group_free(drover_slot_group_t *g)
{
    drover_slot_member_free(g->member);
    drover_slot_req_free(g->own);
    drover_slots_free(g->table);
    g_free(g->network);
    g_mutex_clear(&g->lock);
    g_cond_clear(&g->changed);
    g_free(g);
}

static gpointer
dispatch_thread(gpointer data)
{
    drover_slot_group_t *g = data;
    int fd = -1;
    bool abandoned = false;

    cpg_fd_get(g->cpg, &fd);
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int quorate = 1;
        cs_error_t rc;

        g_mutex_lock(&g->lock);
        if (g->stop) {
            g_mutex_unlock(&g->lock);
            break;
        }
        g_mutex_unlock(&g->lock);
        if (g->have_quorum && quorum_getquorate(g->quorum, &quorate) != CS_OK) {
            quorate = 0;
        }
        drover_slot_member_set_quorate(g->member, quorate != 0);
        drover_slot_member_tick(g->member, g_get_real_time());
        send_progress(g);
        if (poll(&pfd, 1, TICK_MS) < 0 && errno != EINTR) {
            break;
        }
        if (pfd.revents == 0) {
            continue;
        }
        rc = cpg_dispatch(g->cpg, CS_DISPATCH_ALL);
        if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN) {
            qb_log(LOG_ERR, "Slot group: lost Corosync: %s", cs_strerror(rc));
            g_mutex_lock(&g->lock);
            g->error = DROVER_RC_UNREACHABLE;
            g_cond_broadcast(&g->changed);
            g_mutex_unlock(&g->lock);
            break;
        }
    }
    g_mutex_lock(&g->lock);
    g->dispatch_done = true;
    abandoned = g->abandoned;
    g_cond_broadcast(&g->changed);
    g_mutex_unlock(&g->lock);
    if (abandoned) {
        /* Corosync answers again, after the leaver gave up on it */
        handles_t h = { g->cpg, g->quorum, g->have_quorum };

        close_handles(&h);
        group_free(g);
    }
    return NULL;
}

/* The blocking Corosync calls of a join, in a bounded worker */
typedef struct {
    cpg_handle_t cpg;
    quorum_handle_t quorum;
    bool have_quorum;
    unsigned int nodeid;
    void *context;
} join_t;

static void
join_free(gpointer data)
{
    join_t *j = data;

    if (j->cpg != 0) {
        cpg_finalize(j->cpg);
    }
    if (j->have_quorum) {
        quorum_finalize(j->quorum);
    }
    g_free(j);
}

static int
join_corosync(void *data)
{
    join_t *j = data;
    cpg_callbacks_t callbacks = {
        .cpg_deliver_fn = on_deliver,
        .cpg_confchg_fn = on_confchg,
    };
    uint32_t quorum_type = 0;
    cs_error_t rc = cpg_initialize(&j->cpg, &callbacks);

    if (rc != CS_OK) {
        j->cpg = 0;
        return drover_rc_from_cs(rc);
    }
    cpg_context_set(j->cpg, j->context);
    rc = cpg_local_get(j->cpg, &j->nodeid);
    /* Busy while Corosync still processes an earlier leave of this process
     * (or a membership change): try again, within the caller's deadline */
    if (rc == CS_OK) {
        for (int tries = 0; tries < 500; tries++) {
            rc = cpg_join(j->cpg, &group_name);
            if (rc != CS_ERR_TRY_AGAIN) {
                break;
            }
            g_usleep(10000);
        }
    }
    if (rc != CS_OK) {
        return drover_rc_from_cs(rc);
    }
    j->have_quorum =
        (quorum_initialize(&j->quorum, NULL, &quorum_type) == CS_OK);
    return 0;
}

int
drover_slot_group_join(const drover_slot_req_t *own, drover_deadline_t deadline,
                       drover_slot_group_t **group)
{
    return drover_slot_group_join_spread(&own, (own != NULL) ? 1 : 0, deadline,
                                         group);
}

int
drover_slot_group_join_spread(const drover_slot_req_t *const *candidates,
                              guint n, drover_deadline_t deadline,
                              drover_slot_group_t **group)
{
    const drover_slot_req_t *own = (n > 0) ? candidates[0] : NULL;
    drover_slot_group_t *g = g_new0(drover_slot_group_t, 1);
    join_t *j = g_new0(join_t, 1);
    int rc;

    *group = NULL;
    group_name.length = (uint32_t) strlen(DROVER_SLOTS_GROUP);
    memcpy(group_name.value, DROVER_SLOTS_GROUP, group_name.length);
    g_mutex_init(&g->lock);
    g_cond_init(&g->changed);
    j->context = g;
    rc = drover_deadline_run(deadline, join_corosync, j, join_free);
    if (rc == DROVER_RC_TIMEOUT) {
        /* the worker keeps j; g must outlive any callback it could see */
        return rc;
    }
    if (rc != 0) {
        join_free(j);
        g_mutex_clear(&g->lock);
        g_cond_clear(&g->changed);
        g_free(g);
        return rc;
    }
    g->cpg = j->cpg;
    g->quorum = j->quorum;
    g->have_quorum = j->have_quorum;
    if (own != NULL) {
        g->own = drover_slot_req_copy(own);
        g->own->nodeid = j->nodeid;
        g->own->pid = (guint32) getpid();
    }
    g->member = drover_slot_member_new(
        (drover_slot_id_t){ j->nodeid, (guint32) getpid() }, g->own,
        send_message, g);
    if (n > 1) {
        drover_slot_member_spread(g->member, candidates, n);
    }
    g_free(j); /* the handles are g's now */
    g->thread = g_thread_new("drover-slots", dispatch_thread, g);
    *group = g;
    return 0;
}

static int
wait_for(drover_slot_group_t *g, bool want_table, drover_deadline_t deadline)
{
    int rc = 0;

    g_mutex_lock(&g->lock);
    while (g->error == 0 && !(want_table ? g->table != NULL : g->granted)) {
        if (!g_cond_wait_until(&g->changed, &g->lock, deadline)) {
            rc = DROVER_RC_TIMEOUT;
            break;
        }
    }
    if (rc == 0 && g->error != 0) {
        rc = g->error;
    }
    g_mutex_unlock(&g->lock);
    return rc;
}

int
drover_slot_group_wait_granted(drover_slot_group_t *group,
                               drover_deadline_t deadline)
{
    return wait_for(group, false, deadline);
}

int
drover_slot_group_wait_synced(drover_slot_group_t *group,
                              drover_deadline_t deadline)
{
    return wait_for(group, true, deadline);
}

drover_slots_t *
drover_slot_group_table(drover_slot_group_t *g)
{
    drover_slots_t *copy = NULL;

    g_mutex_lock(&g->lock);
    if (g->table != NULL) {
        copy = drover_slots_copy(g->table);
    }
    g_mutex_unlock(&g->lock);
    return copy;
}

char *
drover_slot_group_network(drover_slot_group_t *g)
{
    char *network = NULL;

    g_mutex_lock(&g->lock);
    network = g_strdup(g->network);
    g_mutex_unlock(&g->lock);
    return network;
}

const gint *
drover_slot_group_bandwidth(drover_slot_group_t *group)
{
    return &group->bandwidth;
}

void
drover_slot_group_progress(drover_slot_group_t *g, guint64 bytes_done,
                           guint64 bytes_left, guint64 bytes_per_s)
{
    g_mutex_lock(&g->lock);
    g->progress[0] = bytes_done;
    g->progress[1] = bytes_left;
    g->progress[2] = bytes_per_s;
    g->progress_pending = true;
    g_mutex_unlock(&g->lock);
}

int
drover_slot_group_leave_by(drover_slot_group_t *g, drover_deadline_t deadline)
{
    handles_t *h = NULL;
    GThread *thread = NULL;
    bool done = false;
    int rc;

    if (g == NULL) {
        return 0;
    }
    thread = g->thread;
    /* The dispatch thread may be in a Corosync call that never returns (a
     * quorum_getquorate() to a stopped Corosync): not joined then, it
     * frees the group if it ever gets out */
    g_mutex_lock(&g->lock);
    g->stop = true;
    while (!g->dispatch_done) {
        if (deadline == DROVER_DEADLINE_NEVER) {
            g_cond_wait(&g->changed, &g->lock);
        } else if (!g_cond_wait_until(&g->changed, &g->lock, deadline)) {
            break;
        }
    }
    done = g->dispatch_done;
    g->abandoned = !done;
    g_mutex_unlock(&g->lock);
    if (!done) {
        /* g is the dispatch thread's now: not to be touched */
        qb_log(LOG_WARNING,
               "Slot group: Corosync does not answer; the group is left when "
               "this process exits or Corosync answers again");
        g_thread_unref(thread);
        return DROVER_RC_TIMEOUT;
    }
    g_thread_join(thread);

    h = g_new0(handles_t, 1);
    *h = (handles_t){ g->cpg, g->quorum, g->have_quorum };
    rc = drover_deadline_run(deadline, close_handles, h, g_free);
    if (rc == DROVER_RC_TIMEOUT) {
        qb_log(LOG_WARNING,
               "Slot group: Corosync does not answer the leave; the group is "
               "left when this process exits or Corosync answers again");
    } else {
        g_free(h);
    }
    group_free(g);
    return rc;
}

void
drover_slot_group_leave(drover_slot_group_t *g)
{
    (void) drover_slot_group_leave_by(g, drover_deadline_in_ms(LEAVE_MS));
}
