/*
 * Planning a node's drain: which VMs leave in which order, to which node.
 * A pure function of the cluster's state as given, so the plan a dry run
 * prints is the plan a real drain follows on the same state.
 */
#ifndef DROVER_DRAIN__H
#define DROVER_DRAIN__H

#include <stdbool.h>

#include <glib.h>

#include <drover/platform.h>

/* What NodeHealth publishes of its host (private attribute, see
 * drover/record.h): what the planner weighs besides utilization */
#define DROVER_HOST_ATTR "drover-host"

/* What the CIB keeps of a drain (permanent attributes of the drained node,
 * written by drover drain) */
#define DROVER_DRAIN_STATE_ATTR "drover-drain"      /* draining | drained */
#define DROVER_DRAIN_PLAN_ATTR  "drover-drain-plan" /* "vm>target ..." */

typedef struct {
    gint64 mem_available_mib; /* MemAvailable; -1: unknown */
    double load;              /* 1-minute load average per CPU; -1: unknown */
} drover_host_facts_t;

/* This host's facts, from /proc */
drover_host_facts_t drover_host_facts_local(void);
/* "mem-available=MiB load=per-cpu" and back (0, or DROVER_RC_PROTOCOL
 * with \p facts unknown: an empty or partial number, one out of range, a
 * load that is not finite or beyond a million) */
char *drover_host_facts_format(const drover_host_facts_t *facts);
int drover_host_facts_parse(const char *text, drover_host_facts_t *facts);

typedef struct {
    char *name;
    bool online;
    bool standby;
    bool accepts_live;   /* its incoming policy is not none */
    gint64 capacity_mib; /* Pacemaker utilization "memory"; -1: unknown */
    gint64 used_mib;     /* VMs placed there (updated by the plan) */
    /* Its host as NodeHealth last saw it (NodeHealth not running: unknown) */
    drover_host_facts_t host;
    gint64 host_planned_mib; /* what the plan sends there (updated) */
    /* Its libvirt and QEMU as NodeHealth published them (0: unknown) */
    drover_platform_t platform;
    /* Pacemaker node health (#health-* attributes): red takes nothing,
       yellow only when no green node can */
    int health;       /* 0 green or unknown, 1 yellow, 2 red */
    char *health_why; /* the attribute that made it yellow or red */
} drover_plan_node_t;

typedef struct {
    char *id;
    char *node;        /* where it runs */
    int priority;      /* Pacemaker's priority meta attribute */
    gint64 memory_mib; /* utilization "memory"; 0: unknown */
    bool migratable;   /* allow-migrate */
    char *blocked;     /* why it cannot move live (drover_domxml_blocker(),
                          a disk only its node sees), or NULL */
    char *arch;        /* its architecture and machine type (config), */
    char *machine;     /* ... each NULL: unknown */
    GHashTable *cpu_refused; /* node name to why that node cannot provide
                                its CPU (its libvirt asked); NULL: none */
    GPtrArray *banned;       /* node names it may not run on (-INFINITY) */
    /* Dependencies (other VMs' ids; NULL: none) */
    GPtrArray *together; /* mandatory colocation: on the same node */
    GPtrArray *apart;    /* -INFINITY colocation: never on the same node */
    GPtrArray *after;    /* mandatory ordering: started after these */
} drover_plan_vm_t;

typedef enum {
    DROVER_UNMOVABLE_SKIP, /* leave it where it is, report it */
    DROVER_UNMOVABLE_STOP, /* stop it */
    DROVER_UNMOVABLE_FAIL, /* no plan */
} drover_unmovable_t;

typedef enum {
    DROVER_STEP_MIGRATE,
    DROVER_STEP_STOP,
    DROVER_STEP_SKIP,
} drover_step_action_t;

typedef struct {
    const drover_plan_vm_t *vm;
    drover_step_action_t action;
    char *target; /* for a migration */
    char *reason; /* why this target, or why not movable */
} drover_plan_step_t;

typedef struct {
    drover_unmovable_t on_unmovable;
    const char *const *targets; /* NULL-terminated, or NULL: any */
    const char *const *first;   /* these leave first, in this order */
} drover_drain_opts_t;

/* A node with nothing known: online, no capacity, host unknown, green */
drover_plan_node_t *drover_plan_node_new(const char *name);
void drover_plan_node_free(gpointer node);
void drover_plan_vm_free(gpointer vm);
void drover_plan_step_free(gpointer step);

const char *drover_step_action_str(drover_step_action_t action);
int drover_unmovable_parse(const char *text, drover_unmovable_t *value);

/*!
 * \brief Plan the drain of \p node
 *
 * A VM not migratable or blocked is unmovable: \p opts on_unmovable says
 * what becomes of it.
 *
 * Order: priority, highest first; then smallest memory first (it frees a
 * slot soonest and fits anywhere); then by id.  Target: among the nodes
 * that are online, not in standby, not red, accept live migrations, run
 * no older QEMU than the VM's node and one with the VM's machine type
 * (drover_platform_refuses()) and can provide its CPU, are
 * allowed for the VM and in \p opts targets, and have room by both
 * utilization and the host's available memory (after what the plan
 * already sent there), the healthiest, then the one with the most free
 * memory (the smaller of the two), then the least loaded (by more than
 * half a CPU), then fewer VMs planned there, then by name.
 *
 * \param[in,out] nodes  drover_plan_node_t * (used_mib grows with the plan)
 * \param[in]     vms    drover_plan_vm_t *, all of the cluster's VMs
 * \param[out]    steps  drover_plan_step_t *, in order
 * \param[out]    reason why there is no plan (an unmovable VM with FAIL)
 *
 * With \p opts first, those VMs leave first, in that order.
 *
 * Dependencies hold: a VM colocated with another leaves right after it and
 * goes where it goes (or runs); one kept apart never goes where the other
 * is; one ordered after another leaves after it.
 *
 * \return 0, DROVER_RC_STATE (an unmovable VM) or DROVER_RC_USAGE (a VM of
 *         \p opts first not on \p node) with \p reason
 */
int drover_drain_plan(const char *node, GPtrArray *nodes, const GPtrArray *vms,
                      const drover_drain_opts_t *opts, GPtrArray **steps,
                      GString *reason);

/*!
 * \brief A drain's moves as one <constraints> change (cibadmin --modify)
 *
 * For each of the \p n VMs: <rsc_location id="PREFIXto-VM" rsc="VM"
 * node="TO" score="SCORE"/>; from the (\p lanes + 1)-th on also
 * <rsc_order id="PREFIXafter-VM" first="VM lanes before" then="VM"
 * kind="Optional"/>; with \p ban also <rsc_location id="PREFIXban-VM"
 * rsc="VM" node="NODE" score="-INFINITY"/>.  Built with libxml2, so any
 * value is escaped.
 *
 * \return the XML text (free it)
 */
char *drover_drain_constraints_xml(const char *prefix, const char *node,
                                   const char *const *vms,
                                   const char *const *to, guint n, guint lanes,
                                   const char *score, bool ban);

/*!
 * \brief A drain's moves as the drained node keeps them (its
 *        drover-drain-plan attribute): "VM>TARGET VM>TARGET", in order
 *
 * \return the text (free it)
 */
char *drover_drain_moves_format(const char *const *vms, const char *const *to,
                                guint n);

/*!
 * \brief The moves of drover_drain_moves_format() \p text, appended to \p vms
 *        and \p to (char *, freed by them); a word without a VM or a
 *        target before or after its first '>' is skipped, and so is one
 *        the CIB cannot hold (not UTF-8, control characters)
 */
void drover_drain_moves_parse(const char *text, GPtrArray *vms, GPtrArray *to);

#endif /* DROVER_DRAIN__H */
