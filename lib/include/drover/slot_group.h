/*
 * Taking part in the slot group over Corosync CPG: a thread dispatches the
 * group's events to the member's state machine (drover/slots.h) for as
 * long as the process holds or waits for its slot.  Leaving — on purpose,
 * or because the process died — releases the slot.
 */
#ifndef DROVER_SLOT_GROUP__H
#define DROVER_SLOT_GROUP__H

#include <glib.h>

#include <drover/deadline.h>
#include <drover/slots.h>

#include <drover/cib.h>

/* Where the limits live (docs/slots.md) */
#define DROVER_MAX_OUTGOING_ATTR       "drover-max-outgoing"
#define DROVER_MAX_INCOMING_ATTR       "drover-max-incoming"
#define DROVER_MAX_MIGRATIONS_PROPERTY "drover-max-migrations"
/* "1": agents speak and decide as slot protocol 1 (a rolling upgrade from
 * a drover before protocol 2); unset or "2": protocol 2 */
#define DROVER_SLOTS_PROTOCOL_PROPERTY "drover-slots-protocol"
#define DROVER_DEFAULT_MAX_OUTGOING    2
#define DROVER_DEFAULT_MAX_INCOMING    2

/*!
 * \brief The cluster property holding \p network's \p what
 *        ("max-migrations" or "bandwidth"); free it
 */
char *drover_network_property(const char *network, const char *what);

/*!
 * \brief Parse a limit: a non-negative integer (0: none)
 */
int drover_limit_parse(const char *text, int *limit, GString *reason);

/*!
 * \brief The request for a migration of \p vm, with the limits as \p cib
 *        has them (a bad value counts as unset: drover config check
 *        reports it)
 */
void drover_slot_req_from_cib(const drover_cib_t *cib, const char *vm,
                              const char *source, const char *target,
                              const char *network, drover_slot_req_t *req);

typedef struct drover_slot_group_s drover_slot_group_t;

/*!
 * \brief Join the group, asking for \p own (copied), or to watch (NULL)
 *
 * \return 0, DROVER_RC_TIMEOUT, or DROVER_RC_UNREACHABLE when Corosync does
 *         not answer
 */
int drover_slot_group_join(const drover_slot_req_t *own,
                           drover_deadline_t deadline,
                           drover_slot_group_t **group);

/*!
 * \brief Join asking for one of \p candidates (n >= 1; alike but for
 *        their network and its limits): the network drover_slots_spread()
 *        gives it when it asks, which drover_slot_group_network() then
 *        tells
 */
int drover_slot_group_join_spread(const drover_slot_req_t *const *candidates,
                                  guint n, drover_deadline_t deadline,
                                  drover_slot_group_t **group);

/*!
 * \brief The network this member's request is for, once in the table
 *        (free it; NULL before, or without networks)
 */
char *drover_slot_group_network(drover_slot_group_t *group);

/*!
 * \brief Wait until this member holds its slot
 *
 * \return 0, DROVER_RC_TIMEOUT, or a result when the group failed
 */
int drover_slot_group_wait_granted(drover_slot_group_t *group,
                                   drover_deadline_t deadline);

/*!
 * \brief Wait until the table is known (a watcher)
 */
int drover_slot_group_wait_synced(drover_slot_group_t *group,
                                  drover_deadline_t deadline);

/*!
 * \brief A copy of the table (free with drover_slots_free()), or NULL
 *        before it is known
 */
drover_slots_t *drover_slot_group_table(drover_slot_group_t *group);

/*!
 * \brief This member's share of its network's bandwidth budget (MiB/s, 0:
 *        none), kept current as migrations start and end
 */
const gint *drover_slot_group_bandwidth(drover_slot_group_t *group);

/*!
 * \brief Report this member's migration progress to the group (sent
 *        within one dispatch tick; only the latest report is sent)
 */
void drover_slot_group_progress(drover_slot_group_t *group, guint64 bytes_done,
                                guint64 bytes_left, guint64 bytes_per_s);

/*!
 * \brief Leave the group (releasing the slot) and free it, waiting for
 *        Corosync until \p deadline at most
 *
 * A Corosync that does not answer (stopped with SIGSTOP, say) is not
 * waited for: the group is then left by a thread of its own when Corosync
 * answers again, or by Corosync itself when this process exits (it drops
 * a dead process's memberships).  Either way \p group is gone.
 *
 * \return 0, or DROVER_RC_TIMEOUT when Corosync did not answer in time
 */
int drover_slot_group_leave_by(drover_slot_group_t *group,
                               drover_deadline_t deadline);

/* drover_slot_group_leave_by() within 2 s (g_autoptr's cleanup) */
void drover_slot_group_leave(drover_slot_group_t *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_slot_group_t, drover_slot_group_leave)

#endif /* DROVER_SLOT_GROUP__H */
