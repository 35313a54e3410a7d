/*
 * Cluster-wide migration slots: the grant table every member of the CPG
 * group computes identically from the same ordered stream of events.
 *
 * A request asks for one slot covering its source's outgoing, its
 * target's incoming, its network's and the cluster's count, atomically.
 * Requests wait in FIFO order (by key); a waiting request holds back
 * later ones only on the counts that are full for it, so a busy node does
 * not stall migrations elsewhere.  A grant stays until its holder leaves
 * the group (done, killed, or its node gone).
 */
#ifndef DROVER_SLOTS__H
#define DROVER_SLOTS__H

#include <stdbool.h>

#include <glib.h>

#include <drover/autoptr.h>

#define DROVER_SLOTS_GROUP "drover-slots"

typedef struct {
    guint32 nodeid; /* the holder: a CPG member */
    guint32 pid;
    gint64 key; /* FIFO order: the requester's clock when it asked, µs */
    char *vm;
    char *source;
    char *target;
    char *network; /* NULL: no migration networks configured */
    /* Limits as the requester read them (0: none) */
    int max_out;     /* the source's drover-max-outgoing */
    int max_in;      /* the target's drover-max-incoming */
    int max_network; /* drover-network-<name>-max-migrations */
    int max_total;   /* drover-max-migrations */
    int bandwidth;   /* drover-network-<name>-bandwidth, MiB/s */
    bool granted;
    gint64 granted_at; /* the grantor's clock, µs (for drover slots) */
    /* Progress, as the holder last said (drover drain shows it) */
    guint64 bytes_done;
    guint64 bytes_left;
    guint64 bytes_per_s;
} drover_slot_req_t;

void drover_slot_req_free(gpointer req);
drover_slot_req_t *drover_slot_req_copy(const drover_slot_req_t *req);

/* On the wire: a GVariant, so every field is typed and checked */
GBytes *drover_slot_req_pack(const drover_slot_req_t *req);
drover_slot_req_t *drover_slot_req_unpack(GBytes *bytes);

typedef struct drover_slots_s drover_slots_t;

drover_slots_t *drover_slots_new(void);
drover_slots_t *drover_slots_copy(const drover_slots_t *slots);
void drover_slots_free(drover_slots_t *slots);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_slots_t, drover_slots_free)

/*!
 * \brief Add a request (its holder's first announcement); a known member's
 *        is ignored.  A copy is kept.
 */
void drover_slots_add(drover_slots_t *slots, const drover_slot_req_t *req);

/*!
 * \brief Forget the request of a member that left; true if it had one
 */
bool drover_slots_remove(drover_slots_t *slots, guint32 nodeid, guint32 pid);

/*!
 * \brief Whether waiting request \p req would get its slot now (FIFO,
 *        within every limit)
 */
bool drover_slots_admissible(const drover_slots_t *slots,
                             const drover_slot_req_t *req);

/*!
 * \brief A member takes its slot (its hold message, in the group's order):
 *        granted if admissible at this point, else nothing changes
 */
bool drover_slots_hold(drover_slots_t *slots, guint32 nodeid, guint32 pid,
                       gint64 now);

/* A holder's progress report: \p progress's bytes_* fields */
void drover_slots_progress(drover_slots_t *slots, guint32 nodeid, guint32 pid,
                           const drover_slot_req_t *progress);

/* A request that held its slot before a sync keeps it */
void drover_slots_hold_as_before(drover_slots_t *slots, guint32 nodeid,
                                 guint32 pid);

const drover_slot_req_t *drover_slots_find(const drover_slots_t *slots,
                                           guint32 nodeid, guint32 pid);

/*!
 * \brief The requests, granted ones first, each group in FIFO order
 *        (borrowed drover_slot_req_t *)
 */
GPtrArray *drover_slots_list(const drover_slots_t *slots);

/*!
 * \brief \p req's share of its network's bandwidth budget (MiB/s; 0: no
 *        budget): the budget divided evenly among the network's holders
 */
int drover_slots_bandwidth_share(const drover_slots_t *slots,
                                 const drover_slot_req_t *req);

/* ------------------------------------------------------------------ */
/* One member of the group                                            */
/* ------------------------------------------------------------------ */

/*
 * A member feeds the group's events, in delivery order, to its state
 * machine, which keeps the table and says what to send:
 *   A  its request (once, when it joins);
 *   H  "I take my slot", when the table says it is admissible; every member
 *      applies it at its place in the order (drover_slots_hold), so two
 *      members never take the last slot;
 *   S  its own state, answering a joiner's sync point (its join, or an R);
 *   R  a joiner's new sync point, when a member it waited for left first;
 *   P  its migration's progress (bytes done, left, rate), for watchers.
 * A joiner builds the table as of its sync point from every member's S,
 * keeps what arrives meanwhile, and replays it (virtual synchrony).
 */
typedef struct {
    guint32 nodeid;
    guint32 pid;
} drover_slot_id_t;

typedef void (*drover_slot_send_fn)(void *data, GBytes *message);

typedef struct drover_slot_member_s drover_slot_member_t;

/*!
 * \param[in] own  What this member asks for (copied), or NULL to watch
 */
drover_slot_member_t *drover_slot_member_new(drover_slot_id_t self,
                                             const drover_slot_req_t *own,
                                             drover_slot_send_fn send,
                                             void *send_data);
void drover_slot_member_free(drover_slot_member_t *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_slot_member_t, drover_slot_member_free)

/* A membership change (CPG confchg), \p members after it */
void drover_slot_member_confchg(drover_slot_member_t *m,
                                const drover_slot_id_t *members,
                                size_t n_members,
                                const drover_slot_id_t *joined, size_t n_joined,
                                const drover_slot_id_t *left, size_t n_left,
                                gint64 now);
void drover_slot_member_deliver(drover_slot_member_t *m,
                                drover_slot_id_t sender, GBytes *message,
                                gint64 now);

/* The table once synced, else NULL */
const drover_slots_t *drover_slot_member_table(const drover_slot_member_t *m);

/*!
 * \brief Whether this member's node is quorate: without quorum it takes
 *        no slot (it still answers and keeps the table)
 */
void drover_slot_member_set_quorate(drover_slot_member_t *m, bool quorate);

/*!
 * \brief Rebuild the table from everyone's own state: after partitions
 *        merge (CPG_REASON_NODEUP), each side's table misses the other's
 */
void drover_slot_member_resync(drover_slot_member_t *m);

/*!
 * \brief Tell the group how far this member's migration is (sends a P;
 *        nothing before its request is in the table)
 */
void drover_slot_member_progress(drover_slot_member_t *m, guint64 bytes_done,
                                 guint64 bytes_left, guint64 bytes_per_s);

/* Whether this member holds its slot */
bool drover_slot_member_granted(const drover_slot_member_t *m);

#endif /* DROVER_SLOTS__H */
