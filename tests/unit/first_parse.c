/*
 * Two threads parse a subnet at once as the process's first parse (what
 * drover health's lanes do): exit 0 when both parse it, 1 when either
 * does not.  check_util.c runs it many times (see lib/util.c,
 * make_glib_c_locale()).
 */
#include <pthread.h>
#include <stdbool.h>

#include <glib.h>

#include "drover/netsel.h"

static pthread_barrier_t start;

static gpointer
parse(gpointer data)
{
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    bool *ok = data;

    pthread_barrier_wait(&start);
    *ok = (drover_networks_parse("lm1=10.20.1.0/24", &networks, reason) == 0);
    if (!*ok) {
        g_printerr("%s\n", reason->str);
    }
    return NULL;
}

int
main(void)
{
    bool ok[2] = { false, false };
    GThread *threads[2];

    pthread_barrier_init(&start, NULL, 2);
    for (int i = 0; i < 2; i++) {
        threads[i] = g_thread_new("parse", parse, &ok[i]);
    }
    for (int i = 0; i < 2; i++) {
        g_thread_join(threads[i]);
    }
    return (ok[0] && ok[1]) ? 0 : 1;
}
