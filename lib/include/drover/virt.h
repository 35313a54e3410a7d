/*
 * Everything drover does with libvirt.
 *
 * libvirt calls can block forever (a stopped libvirtd accepts the TCP
 * connection and never answers), so callers run them in a worker bounded
 * by drover_deadline_run(); connections opened here have keepalive on, so a
 * peer that stops answering in the middle of a long call is noticed.
 */
#ifndef DROVER_VIRT__H
#define DROVER_VIRT__H

#include <stdbool.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <drover/autoptr.h>
#include <drover/deadline.h>
#include <drover/migopts.h>

/* What a domain's state means for Pacemaker */
typedef enum {
    DROVER_VM_ABSENT,        /* not defined here */
    DROVER_VM_SHUTOFF,       /* defined, not running */
    DROVER_VM_RUNNING,       /* running (also: outgoing migration) */
    DROVER_VM_PAUSED,        /* paused on purpose (user, snapshot...) */
    DROVER_VM_PAUSED_BROKEN, /* paused by a failed migration, I/O error,
                                crash...: not healthy */
    DROVER_VM_INCOMING,      /* the target side of a running migration */
    DROVER_VM_CRASHED,
    DROVER_VM_POSTCOPY_SOURCE, /* the source of a post-copy migration: the
                                  guest runs on the target, this QEMU only
                                  serves it the pages it has not got yet;
                                  never resume it, never destroy it */
    DROVER_VM_POSTCOPY_FAILED, /* paused after a failed post-copy: its
                                  memory is split between two hosts;
                                  never resume it */
} drover_vm_state_t;

const char *drover_vm_state_str(drover_vm_state_t state);

/*!
 * \brief Initialize libvirt: errors into our log, an event loop thread for
 *        keepalive.  Safe to call more than once.
 */
int drover_virt_init(void);

/*!
 * \brief Open \p uri with keepalive (1 s interval, 5 missed = dead)
 *
 * Blocks: call it from a bounded worker.
 */
int drover_virt_open(const char *uri, virConnectPtr *conn);

/*!
 * \brief The state of domain \p name (DROVER_VM_ABSENT if not defined)
 *
 * \param[out] detail  libvirt's state and reason, for messages (optional)
 */
int drover_virt_state(virConnectPtr conn, const char *name,
                      drover_vm_state_t *state, char **detail);

/*!
 * \brief The libvirt error message of the last failed call on this thread
 */
const char *drover_virt_error(void);

/* A live migration and how to handle one that does not converge */
typedef struct {
    const char *dest_uri;        /* target libvirt, e.g. qemu+tcp://n2/system */
    const char *migrate_uri;     /* memory stream, e.g. tcp://10.20.1.12;
                                   NULL: libvirt's choice */
    const char *listen_address;  /* target QEMU listens there (optional) */
    unsigned long flags;         /* VIR_MIGRATE_*; LIVE and PEER2PEER added */
    unsigned long bandwidth_mib; /* MiB/s, 0: unlimited */
    const gint *bandwidth_share; /* MiB/s, 0: none; changes while it runs
                                    (atomic; the slot group's) */
    int parallel_connections;    /* 0: one */
    const char *const *compression;  /* NULL-terminated methods, or NULL */
    const drover_migparam_t *params; /* from migrate_options, as they are */
    size_t n_params;
    guint64 downtime_ms;           /* initial allowed downtime, 0: default */
    const guint64 *downtime_steps; /* raised to on each stall */
    size_t n_downtime_steps;
    bool postcopy_after_stall;   /* switch to post-copy when the steps
                                   are spent and it can finish by
                                   finish_by */
    unsigned int stall_s;        /* no progress this long: a stall */
    drover_deadline_t abort_at;  /* abort the (pre-copy) job at this point */
    drover_deadline_t finish_by; /* the migration must be over by then (the
                                    operation's end); 0: no post-copy */
    /* The domain's QEMU here and the numeric address its memory stream
     * goes to (both optional): with both, a black hole at the switch-over
     * is cut (see drover/tcpconn.h) */
    pid_t qemu_pid;
    const char *stream_address;
    /* Called about once a second while it runs (optional) */
    void (*on_progress)(void *data, guint64 bytes_done, guint64 bytes_left,
                        guint64 bytes_per_s);
    void *progress_data;
} drover_migration_t;

typedef struct {
    gint64 duration_ms;
    guint64 bytes;            /* memory and disk bytes processed */
    unsigned int escalations; /* steps taken after stalls */
    bool aborted;             /* we aborted it (deadline or stall) */
    bool stalled;             /* no data moved for stall_s: the network */
    bool postcopy;            /* it switched to post-copy */
    bool postcopy_running;    /* ...and was still running at finish_by:
                                 the guest runs on the target */
    bool target_rpc;          /* it failed talking to the target's libvirtd
                                 (restarting, say), not in QEMU's stream */
    bool connection_lost;     /* the call's connection to this node's
                                 libvirtd broke (stopped past the keepalive,
                                 restarted): the migration may go on in it */
    bool black_hole;          /* drover closed a memory stream the target
                                 acknowledged nothing of while libvirt did
                                 not answer */
    char *error;              /* libvirt's message when it failed */
} drover_migration_result_t;

/*!
 * \brief Whether \p err is one of libvirt's connection errors (RPC,
 *        remote driver), not an authentication failure
 *
 * A peer-to-peer migration that fails so failed on the source libvirtd's
 * connection to the target's: the network the memory goes over is not
 * to blame.
 */
bool drover_virt_error_is_rpc(const virError *err);

void drover_migration_result_clear(drover_migration_result_t *result);

/*!
 * \brief Live-migrate \p dom, watching progress, escalating stalls and
 *        aborting at \p m->abort_at
 *
 * Progress is logged every few seconds.  Blocks: call it from a bounded
 * worker.
 *
 * A migration switched to post-copy is never aborted (libvirt cannot): the
 * guest runs on the target.  When it is still running at \p m->finish_by,
 * the call returns 0 with result->postcopy_running set and libvirtd goes on
 * with it.
 *
 * Beside the watcher a guard looks at QEMU's connections to
 * \p m->stream_address: when libvirt has not answered for stall_s seconds
 * (30 without stall_s; 2 once \p m->abort_at has passed) and the target
 * acknowledged no byte in that time, it closes them, which fails the
 * migration here; never after a switch to post-copy was asked for.
 *
 * \return 0 when the domain runs on the target, DROVER_RC_TIMEOUT when it
 *         was aborted at the deadline, DROVER_RC_UNREACHABLE when it was
 *         aborted because no data moved for stall_s seconds or its stream
 *         was cut (result->black_hole), else a result
 */
int drover_virt_migrate(virDomainPtr dom, const drover_migration_t *m,
                        drover_migration_result_t *result);

/*!
 * \brief How a migration ended whose connection libvirtd dropped
 *
 * libvirtd stopped past the keepalive, or restarted, under a migration: a
 * peer-to-peer migration goes on inside it, or ended there.  New
 * connections to \p uri ask until the domain's job has ended (the job is
 * aborted once \p deadline has passed, then 3 s more are given).
 *
 * \return 0 when \p name left this host (absent, or shut off as migrated);
 *         DROVER_RC_STATE when it is still here without a job (*\p conn is
 *         then a live connection, to recover it with); DROVER_RC_TIMEOUT
 *         when libvirtd did not say in time
 */
int drover_virt_migration_outcome(const char *uri, const char *name,
                                  drover_deadline_t deadline,
                                  virConnectPtr *conn);

/*!
 * \brief Kill a domain's QEMU by its pidfile, without libvirt
 *
 * For a stop when libvirtd does not answer.  \p run_dir is libvirt's QEMU
 * state directory (/run/libvirt/qemu).  Waits until \p deadline for the
 * process to go.
 *
 * \return 0 when it is gone, DROVER_RC_NOT_RUNNING when there was none
 */
int drover_virt_kill_qemu(const char *run_dir, const char *name,
                          drover_deadline_t deadline);

/*!
 * \brief Whether a QEMU process for \p name runs (pidfile and process)
 */
bool drover_virt_qemu_alive(const char *run_dir, const char *name, pid_t *pid);

/* VirtualDomain's hypervisor when none is given */
#define DROVER_DEFAULT_HYPERVISOR "qemu:///system"

/* \p pattern with "%n" replaced by \p target (migrateuri, remoteuri) */
char *drover_virt_expand_node(const char *pattern, const char *target);

/*!
 * \brief The target's libvirt URI for a migration, from VirtualDomain's
 *        parameters: \p remoteuri with "%n" replaced, else \p hypervisor
 *        (NULL: DROVER_DEFAULT_HYPERVISOR) with \p target as its host,
 *        "+transport" added to its scheme and "user@" before the host
 *        when given (qemu:///system, tcp, n2: qemu+tcp://n2/system)
 */
char *drover_virt_dest_uri(const char *hypervisor, const char *remoteuri,
                           const char *transport, const char *user,
                           const char *target);

#endif /* DROVER_VIRT__H */
