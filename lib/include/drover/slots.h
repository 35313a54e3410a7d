/*
 * Cluster-wide migration slots: the grant table every member of the CPG
 * group computes identically from the same ordered stream of events.
 *
 * A request asks for one slot covering its source's outgoing, its
 * target's incoming, its network's and the cluster's count, atomically.
 * Requests wait in FIFO order (the agreed order of their arrival, not
 * the requesters' clocks); a waiting request holds back later ones only on the counts
 * that are full for it, so a busy node does not stall migrations
 * elsewhere.  A grant stays until its holder leaves the group (done,
 * killed, or its node gone).
 */
#ifndef DROVER_SLOTS__H
#define DROVER_SLOTS__H

#include <stdbool.h>

#include <glib.h>

#include <drover/autoptr.h>

#define DROVER_SLOTS_GROUP "drover-slots"

/*
 * The protocol's version (docs/design.md).  1 had no version; 2 carries it
 * in messages 1 understands, and decides by 1's rules while a request of
 * a version-1 member is in the table.
 */
#define DROVER_SLOTS_PROTOCOL 2

/* A joiner waits this long for a member's answer, then counts it as
 * holding one slot of every limit until it leaves (µs) */
#define DROVER_SLOTS_SYNC_WAIT_US (5 * G_USEC_PER_SEC)

/* Bounds on what a member accepts and keeps */
#define DROVER_SLOTS_MESSAGE_MAX 65536 /* bytes: larger is malformed */
#define DROVER_SLOTS_NAME_MAX    255   /* a VM's, node's or network's */
#define DROVER_SLOTS_BACKLOG_MAX 4096  /* events kept while syncing */

typedef struct {
    guint32 nodeid; /* the holder: a CPG member */
    guint32 pid;
    gint64 key; /* the requester's clock when it asked, µs (shown) */
    /* FIFO place among the waiting: the agreed order of their requests'
     * arrival (drover_slots_enqueue); version 1's rules use key */
    gint64 order;
    char *vm;
    char *source;
    char *target;
    char *network; /* NULL: no migration networks configured */
    /* Limits as the requester read them from the CIB (0: none); each
     * count's limit is the lowest any request on it read */
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
    int version; /* the protocol its member speaks (0: this one's) */
    /* A member that did not answer (or sent only malformed messages):
     * counted as holding one slot of every count until it leaves */
    bool silent;
} drover_slot_req_t;

/* Frees a request's names (drover_slot_req_from_cib() fills them) */
void drover_slot_req_clear(drover_slot_req_t *req);
void drover_slot_req_free(gpointer req);
drover_slot_req_t *drover_slot_req_copy(const drover_slot_req_t *req);

/* On the wire: a GVariant, so every field is typed and checked; NULL for
 * anything malformed (names longer than DROVER_SLOTS_NAME_MAX too) */
GBytes *drover_slot_req_pack(const drover_slot_req_t *req);
drover_slot_req_t *drover_slot_req_unpack(GBytes *bytes);

typedef struct drover_slots_s drover_slots_t;

drover_slots_t *drover_slots_new(void);
drover_slots_t *drover_slots_copy(const drover_slots_t *slots);
void drover_slots_free(drover_slots_t *slots);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_slots_t, drover_slots_free)

/*!
 * \brief Add a request as a member reported it; a known member's is
 *        ignored.  A copy is kept.
 */
void drover_slots_add(drover_slots_t *slots, const drover_slot_req_t *req);

/*!
 * \brief Add a request at its arrival in the group's order: it waits
 *        after every request waiting, whatever the requester's clock says
 *
 * \return The request as kept, or NULL for a known member
 */
const drover_slot_req_t *drover_slots_enqueue(drover_slots_t *slots,
                                              const drover_slot_req_t *req);

/*!
 * \brief Count member \p nodeid/\p pid as holding one slot of every count
 *        (it does not answer), replacing its request if any
 */
void drover_slots_silence(drover_slots_t *slots, guint32 nodeid, guint32 pid,
                          gint64 now);

/* Whether version 1's rules apply: a version-1 member's request is in the
 * table (or the table's own member speaks version 1) */
bool drover_slots_v1_rules(const drover_slots_t *slots);

/*!
 * \brief Forget the request of a member that left; true if it had one
 */
bool drover_slots_remove(drover_slots_t *slots, guint32 nodeid, guint32 pid);

/*!
 * \brief Whether waiting request \p req would get its slot now (FIFO,
 *        within every limit: each count's lowest limit among the requests
 *        on it, one more used per silent member)
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

/*!
 * \brief Which of \p candidates (one migration's requests, alike but for
 *        their network: a group's usable networks, drover/netsel.h) to
 *        ask for: a network with room before a full one, then the one
 *        with the fewest requests (held or waiting; a silent member is on
 *        every network); of equal ones, the \p rank-th (modulo)
 *
 * \return an index into \p candidates (0 when \p n is 0)
 */
guint drover_slots_spread(const drover_slots_t *slots,
                          const drover_slot_req_t *const *candidates, guint n,
                          guint rank);

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
 *   P  its migration's progress (bytes done, left, rate), for watchers;
 *   N  (version 2) with an S: the members the sender knows, as of that
 *      sync point, to hold nothing (watchers never ask), or to be silent;
 *   U  (version 2) a joiner's "these never answered": every member
 *      counts them as silent (drover_slots_silence) from there on.
 * A joiner builds the table as of its sync point from every member's S
 * (or an N that vouches for it), keeps what arrives meanwhile, and
 * replays it (virtual synchrony).  A requester sends its A once synced.
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

/*!
 * \brief Let the member's request go over any of \p candidates' networks
 *        (copied; the first is its own as created): when it asks, it
 *        takes the one drover_slots_spread() gives it.  Before it asks.
 */
void drover_slot_member_spread(drover_slot_member_t *m,
                               const drover_slot_req_t *const *candidates,
                               guint n);

/* The network its request is for (the spread's once it asked) */
const char *drover_slot_member_network(const drover_slot_member_t *m);

/* A membership change (CPG confchg), \p members after it; \p merged when
 * partitions merged (CPG_REASON_NODEUP): it resyncs */
void drover_slot_member_confchg(drover_slot_member_t *m,
                                const drover_slot_id_t *members,
                                size_t n_members,
                                const drover_slot_id_t *joined, size_t n_joined,
                                const drover_slot_id_t *left, size_t n_left,
                                bool merged, gint64 now);
void drover_slot_member_deliver(drover_slot_member_t *m,
                                drover_slot_id_t sender, GBytes *message,
                                gint64 now);

/*!
 * \brief Time passes (every dispatch tick): a joiner that has waited
 *        DROVER_SLOTS_SYNC_WAIT_US for answers says so in the log and
 *        sends U for the members it still waits for
 */
void drover_slot_member_tick(drover_slot_member_t *m, gint64 now);

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
