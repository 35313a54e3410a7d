/*
 * Corosync as its client libraries see it: libqb IPC services "cpg" and
 * "quorum" answering the few requests drover makes (CPG local node ID,
 * join, send, leave, finalize; quorum type, quorate: yes).  Stopped with
 * SIGSTOP it answers nothing, as a stopped Corosync: each call then waits
 * for ever (the libraries' IPC timeout is infinite).
 *
 * Usage: fake-corosync.  It runs in a network namespace of its own
 * (libqb's sockets are abstract, one set per namespace: a real Corosync
 * here is not disturbed), prints "ready" and serves until killed; clients
 * enter its namespace with setns() on /proc/PID/ns/net.  Root is needed;
 * it prints why not and exits 77 otherwise.
 */
#define _GNU_SOURCE /* unshare() */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <corosync/corotypes.h>
#include <qb/qbipcs.h>
#include <qb/qbloop.h>

#define UNAVAILABLE 77

/* Request IDs and answers, as corosync's ipc_cpg.h and ipc_quorum.h have
 * them (not installed) */
enum {
    REQ_CPG_LOCAL_GET = 4,
};
enum {
    REQ_QUORUM_GETQUORATE = 0,
    REQ_QUORUM_GETTYPE = 3,
    REQ_QUORUM_MODEL_GETTYPE = 4,
};

struct answer_with_value {
    struct qb_ipc_response_header header __attribute__((aligned(8)));
    uint32_t value __attribute__((aligned(8)));
};

static qb_loop_t *loop;

static int32_t
job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
    return qb_loop_job_add(loop, p, data, fn);
}

static int32_t
dispatch_add(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
             qb_ipcs_dispatch_fn_t fn)
{
    return qb_loop_poll_add(loop, p, fd, events, data, fn);
}

static int32_t
dispatch_mod(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
             qb_ipcs_dispatch_fn_t fn)
{
    return qb_loop_poll_mod(loop, p, fd, events, data, fn);
}

static int32_t
dispatch_del(int32_t fd)
{
    return qb_loop_poll_del(loop, fd);
}

static int32_t
accept_all(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
    (void) c;
    (void) uid;
    (void) gid;
    return 0;
}

/* A header alone, or with one value (a node ID, a yes) */
static int32_t
answer(qb_ipcs_connection_t *c, const void *data, bool with_value,
       uint32_t value)
{
    const struct qb_ipc_request_header *req = data;
    struct answer_with_value a;

    memset(&a, 0, sizeof(a));
    a.header.id = req->id;
    a.header.size =
        with_value ? sizeof(a) : sizeof(struct qb_ipc_response_header);
    a.header.error = CS_OK;
    a.value = value;
    qb_ipcs_response_send(c, &a, a.header.size);
    return 0;
}

static int32_t
cpg_request(qb_ipcs_connection_t *c, void *data, size_t size)
{
    const struct qb_ipc_request_header *req = data;

    (void) size;
    /* join, leave, send, finalize: done */
    return answer(c, data, req->id == REQ_CPG_LOCAL_GET, 1);
}

static int32_t
quorum_request(qb_ipcs_connection_t *c, void *data, size_t size)
{
    const struct qb_ipc_request_header *req = data;

    (void) size;
    return answer(c, data,
                  req->id == REQ_QUORUM_GETQUORATE
                      || req->id == REQ_QUORUM_GETTYPE
                      || req->id == REQ_QUORUM_MODEL_GETTYPE,
                  1);
}

static int
serve(const char *name, qb_ipcs_msg_process_fn fn)
{
    static struct qb_ipcs_poll_handlers poll = {
        .job_add = job_add,
        .dispatch_add = dispatch_add,
        .dispatch_mod = dispatch_mod,
        .dispatch_del = dispatch_del,
    };
    struct qb_ipcs_service_handlers handlers = {
        .connection_accept = accept_all,
        .msg_process = fn,
    };
    qb_ipcs_service_t *s = qb_ipcs_create(name, 0, QB_IPC_SOCKET, &handlers);

    if (s == NULL) {
        return -1;
    }
    qb_ipcs_poll_handlers_set(s, &poll);
    return qb_ipcs_run(s);
}

int
main(void)
{
    if (unshare(CLONE_NEWNET) != 0) {
        printf("no network namespace: %s\n", strerror(errno));
        return UNAVAILABLE;
    }
    loop = qb_loop_create();
    if (loop == NULL || serve("cpg", cpg_request) != 0
        || serve("quorum", quorum_request) != 0) {
        printf("cannot serve: %s\n", strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    qb_loop_run(loop);
    return 0;
}
