/*
 * All the health checks of this node at once, each bounded
 * (drover_health_local).
 */
#include <string.h>

#include <drover/cib.h>
#include <drover/deadline.h>
#include <drover/health.h>
#include <drover/rc.h>

#include "health_private.h"

/* The checks that read files named in the CIB or talk to the directory,
 * each in a thread of its own beside the probes: a hung NFS mount or
 * directory server costs them their deadline, not the others' */
typedef struct {
    const drover_cib_t *cib;
    const char *node;
    drover_deadline_t deadline;
    GPtrArray *results;
} cib_lane_t;

/* Move what \p from has to the end of \p to */
static void
move_results(GPtrArray *to, GPtrArray *from)
{
    for (guint i = 0; i < from->len; i++) {
        g_ptr_array_add(to, g_ptr_array_index(from, i));
    }
    g_ptr_array_set_free_func(from, NULL);
    g_ptr_array_set_size(from, 0);
}

static gpointer
run_files_lane(gpointer data)
{
    cib_lane_t *l = data;

    drover_health_tls_from_cib(l->cib, l->node, l->deadline, l->results);
    drover_health_ssh_from_cib(l->cib, l->node, l->deadline, l->results);
    return NULL;
}

static gpointer
run_ldap_lane(gpointer data)
{
    cib_lane_t *l = data;

    drover_health_ldap_from_cib(l->cib, l->node, l->deadline, l->results);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* All of them, and how they are shown                                */
/* ------------------------------------------------------------------ */

/* One check in a thread of its own: they run at once, each bounded */
typedef struct {
    const char *node;
    const char *libvirt_uri;
    drover_deadline_t deadline;
    drover_cib_t *cib; /* what the CIB check read */
    drover_health_result_t *(*fn)(void *lane);
    drover_health_result_t *result;
} lane_t;

static drover_health_result_t *
lane_libvirt(void *data)
{
    lane_t *l = data;

    return drover_health_libvirt(l->libvirt_uri, l->deadline);
}

static drover_health_result_t *
lane_corosync(void *data)
{
    return drover_health_corosync(((lane_t *) data)->deadline);
}

static drover_health_result_t *
lane_cib(void *data)
{
    lane_t *l = data;

    return drover__health_check_cib(l->deadline, &l->cib);
}

static drover_health_result_t *
lane_controller(void *data)
{
    lane_t *l = data;

    return drover_health_controller(l->node, l->deadline);
}

static drover_health_result_t *
lane_attrd(void *data)
{
    return drover_health_attrd(((lane_t *) data)->deadline);
}

static drover_health_result_t *
lane_name(void *data)
{
    lane_t *l = data;

    return drover_health_name(l->node, true, l->deadline);
}

static gpointer
run_lane(gpointer data)
{
    lane_t *l = data;

    l->result = l->fn(l);
    return NULL;
}

GPtrArray *
drover_health_local(const char *node, const char *libvirt_uri,
                    drover_deadline_t deadline)
{
    drover_health_result_t *(*const fns[])(void *) = {
        lane_libvirt,    lane_corosync, lane_cib,
        lane_controller, lane_attrd,    lane_name,
    };
    lane_t lanes[G_N_ELEMENTS(fns)];
    GThread *threads[G_N_ELEMENTS(fns)];
    drover_cib_t *cib = NULL;
    GPtrArray *results =
        g_ptr_array_new_with_free_func(drover_health_result_free);

    /* the probes, the files named in the CIB and the directory get what
     * the others leave, a fifth at least */
    drover_deadline_t first =
        drover_deadline_in_ms(drover_deadline_remaining_ms(deadline) * 4 / 5);

    drover_cib_init(); /* libxml2 set up before the threads parse XML */

    for (guint i = 0; i < G_N_ELEMENTS(fns); i++) {
        lanes[i] = (lane_t){ .node = node,
                             .libvirt_uri = libvirt_uri,
                             .deadline = first,
                             .fn = fns[i] };
        threads[i] = g_thread_new("health", run_lane, &lanes[i]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(fns); i++) {
        g_thread_join(threads[i]); /* each check is bounded by first */
        g_ptr_array_add(results, lanes[i].result);
        if (lanes[i].cib != NULL) {
            cib = lanes[i].cib;
        }
    }
    if (cib != NULL) {
        /* the files and the directory in threads of their own, the probes
         * here: all within what the others left */
        gpointer (*const cib_fns[])(gpointer) = { run_files_lane,
                                                  run_ldap_lane };
        cib_lane_t cib_lanes[G_N_ELEMENTS(cib_fns)];
        GThread *cib_threads[G_N_ELEMENTS(cib_fns)];
        g_autoptr(GPtrArray) networks =
            g_ptr_array_new_with_free_func(drover_health_result_free);

        for (guint i = 0; i < G_N_ELEMENTS(cib_fns); i++) {
            cib_lanes[i] = (cib_lane_t){
                .cib = cib,
                .node = node,
                .deadline = deadline,
                .results =
                    g_ptr_array_new_with_free_func(drover_health_result_free),
            };
            cib_threads[i] = g_thread_new("health", cib_fns[i], &cib_lanes[i]);
        }
        drover_health_networks(cib, node, deadline, networks);
        /* in a fixed order: TLS, SSH, the networks, the directory */
        for (guint i = 0; i < G_N_ELEMENTS(cib_fns); i++) {
            g_thread_join(cib_threads[i]); /* bounded by deadline */
            move_results(results, cib_lanes[i].results);
            g_ptr_array_unref(cib_lanes[i].results);
            if (i == 0) {
                move_results(results, networks);
            }
        }
        drover_cib_free(cib);
    }
    for (guint i = 0; i < results->len; i++) {
        drover_health_result_t *r = g_ptr_array_index(results, i);

        r->node = g_strdup(node);
    }
    return results;
}
