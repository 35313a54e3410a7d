/*
 * Argv-vector execution with a deadline, on GSubprocess.
 */
#include <errno.h>

#include <stdbool.h>

#include <gio/gio.h>
#include <qb/qblog.h>

#include <drover/rc.h>
#include <drover/spawn.h>

typedef struct {
    GMainLoop *loop;
    GBytes *out;
    GBytes *err;
    GError *error;
    bool finished;
} wait_t;

static void
communicate_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    wait_t *w = user_data;

    g_subprocess_communicate_finish(G_SUBPROCESS(source), res, &w->out, &w->err,
                                    &w->error);
    w->finished = true;
    g_main_loop_quit(w->loop);
}

static gboolean
deadline_reached(gpointer user_data)
{
    g_main_loop_quit(user_data);
    return G_SOURCE_REMOVE;
}

/* A process dies at once of SIGKILL, unless it sleeps uninterruptibly in
 * the kernel (state D: a request to a hung NFS or FUSE file system): it
 * dies only when that returns, if ever */
#define KILLED_WAIT_MS 500

static gboolean
timer_flag(gpointer user_data)
{
    *(bool *) user_data = true;
    return G_SOURCE_REMOVE;
}

typedef struct {
    bool done;
    bool exited;
} killed_t;

static void
killed_wait_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    killed_t *k = user_data;

    k->exited = g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
    k->done = true;
}

/* Wait a moment for \p proc, killed, to die: whether it did.  One that did
 * not is left to GLib's child watch, which reaps it when it dies. */
static bool
wait_killed(GSubprocess *proc, GMainContext *context)
{
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    GSource *timer = g_timeout_source_new(KILLED_WAIT_MS);
    killed_t k = { false, false };
    bool late = false;

    g_source_set_callback(timer, timer_flag, &late, NULL);
    g_source_attach(timer, context);
    g_subprocess_wait_async(proc, cancel, killed_wait_done, &k);
    while (!k.done && !late) {
        g_main_context_iteration(context, TRUE);
    }
    if (!k.done) {
        g_cancellable_cancel(cancel); /* the wait ends now, with an error */
        while (!k.done) {
            g_main_context_iteration(context, TRUE);
        }
    }
    g_source_destroy(timer);
    g_source_unref(timer);
    return k.exited;
}

static char *
bytes_to_string(GBytes *bytes)
{
    gsize len = 0;
    const char *data = (bytes != NULL) ? g_bytes_get_data(bytes, &len) : NULL;

    return g_strndup((data != NULL) ? data : "", len);
}

int
drover_spawn(const char *const *argv, drover_deadline_t deadline, char **out,
             char **err, int *exit_status)
{
    return drover_spawn_env(argv, NULL, deadline, out, err, exit_status);
}

int
drover_spawn_env(const char *const *argv, const char *const *unset,
                 drover_deadline_t deadline, char **out, char **err,
                 int *exit_status)
{
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
        | G_SUBPROCESS_FLAGS_STDIN_INHERIT);
    g_autoptr(GMainContext) context = g_main_context_new();
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) error = NULL;
    wait_t w = { 0 };
    GSource *timer = NULL;
    int rc = 0;

    *exit_status = -1;
    g_main_context_push_thread_default(context);

    for (guint i = 0; unset != NULL && unset[i] != NULL; i++) {
        g_subprocess_launcher_unsetenv(launcher, unset[i]);
    }
    proc = g_subprocess_launcher_spawnv(launcher, argv, &error);
    if (proc == NULL) {
        qb_log(LOG_DEBUG, "Cannot run %s: %s", argv[0], error->message);
        rc = (error->domain == G_SPAWN_ERROR
              && error->code == G_SPAWN_ERROR_NOENT)
                 ? DROVER_RC_INSTALLED
                 : DROVER_RC_ERROR;
        goto done;
    }

    w.loop = g_main_loop_new(context, FALSE);
    g_subprocess_communicate_async(proc, NULL, cancel, communicate_done, &w);
    if (deadline != DROVER_DEADLINE_NEVER) {
        timer = g_timeout_source_new(
            (guint) MIN(drover_deadline_remaining_ms(deadline), G_MAXUINT));
        g_source_set_callback(timer, deadline_reached, w.loop, NULL);
        g_source_attach(timer, context);
    }
    g_main_loop_run(w.loop);

    if (!w.finished) {
        qb_log(LOG_WARNING, "%s did not finish in time: killed", argv[0]);
        g_subprocess_force_exit(proc);
        g_cancellable_cancel(cancel);
        while (!w.finished) { /* let the cancelled call finish */
            g_main_context_iteration(context, TRUE);
        }
        if (!wait_killed(proc, context)) {
            qb_log(LOG_ERR,
                   "%s (pid %s) still runs %d ms after SIGKILL (waiting "
                   "uninterruptibly in the kernel: a hung file system?): left "
                   "behind, it is reaped when it dies",
                   argv[0], g_subprocess_get_identifier(proc), KILLED_WAIT_MS);
        }
        rc = DROVER_RC_TIMEOUT;
    } else if (w.error != NULL) {
        qb_log(LOG_DEBUG, "Reading from %s failed: %s", argv[0],
               w.error->message);
        rc = DROVER_RC_ERROR;
    } else {
        g_subprocess_wait(proc, NULL, NULL);
        if (g_subprocess_get_if_exited(proc)) {
            *exit_status = g_subprocess_get_exit_status(proc);
        } else {
            rc = DROVER_RC_ERROR; /* killed by a signal */
        }
        if (out != NULL) {
            *out = bytes_to_string(w.out);
        }
        if (err != NULL) {
            *err = bytes_to_string(w.err);
        }
    }

done:
    if (timer != NULL) {
        g_source_destroy(timer);
        g_source_unref(timer);
    }
    g_clear_pointer(&w.out, g_bytes_unref);
    g_clear_pointer(&w.err, g_bytes_unref);
    g_clear_error(&w.error);
    g_clear_pointer(&w.loop, g_main_loop_unref);
    g_main_context_pop_thread_default(context);
    return rc;
}
