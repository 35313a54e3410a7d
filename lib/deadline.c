/*
 * Deadlines, and running a call that cannot be bounded otherwise in a
 * worker thread with a timed wait.
 */
#include <errno.h>

#include <drover/deadline.h>
#include <drover/rc.h>

drover_deadline_t
drover_deadline_in_ms(gint64 ms)
{
    if (ms >= (G_MAXINT64 - g_get_monotonic_time()) / 1000) {
        return DROVER_DEADLINE_NEVER;
    }
    return g_get_monotonic_time() + MAX(ms, 0) * 1000;
}

gint64
drover_deadline_remaining_ms(drover_deadline_t deadline)
{
    gint64 now = g_get_monotonic_time();

    if (deadline == DROVER_DEADLINE_NEVER) {
        return G_MAXINT64 / 1000;
    }
    return (deadline > now) ? (deadline - now) / 1000 : 0;
}

bool
drover_deadline_passed(drover_deadline_t deadline)
{
    return g_get_monotonic_time() >= deadline;
}

/* Shared between the caller and the worker; the last one out frees it */
typedef struct {
    GMutex lock;
    GCond done_cond;
    bool done;
    bool abandoned;
    int rc;
    int (*fn)(void *data);
    void *data;
    GDestroyNotify free_data;
} job_t;

static void
job_free(job_t *job)
{
    g_mutex_clear(&job->lock);
    g_cond_clear(&job->done_cond);
    g_free(job);
}

static gpointer
job_thread(gpointer user_data)
{
    job_t *job = user_data;
    int rc = job->fn(job->data);
    bool abandoned;

    g_mutex_lock(&job->lock);
    job->rc = rc;
    job->done = true;
    abandoned = job->abandoned;
    g_cond_signal(&job->done_cond);
    g_mutex_unlock(&job->lock);

    if (abandoned) {
        if (job->free_data != NULL) {
            job->free_data(job->data);
        }
        job_free(job);
    }
    return NULL;
}

int
drover_deadline_run(drover_deadline_t deadline, int (*fn)(void *data),
                    void *data, GDestroyNotify free_data)
{
    job_t *job = g_new0(job_t, 1);
    GThread *thread = NULL;
    GError *error = NULL;
    int rc;

    g_mutex_init(&job->lock);
    g_cond_init(&job->done_cond);
    job->fn = fn;
    job->data = data;
    job->free_data = free_data;

    thread = g_thread_try_new("drover-deadline", job_thread, job, &error);
    if (thread == NULL) {
        g_clear_error(&error);
        job_free(job);
        return EAGAIN;
    }

    g_mutex_lock(&job->lock);
    while (!job->done) {
        if (deadline == DROVER_DEADLINE_NEVER) {
            g_cond_wait(&job->done_cond, &job->lock);
        } else if (!g_cond_wait_until(&job->done_cond, &job->lock, deadline)) {
            break;
        }
    }
    if (!job->done) {
        job->abandoned = true; /* the worker cleans up */
        g_mutex_unlock(&job->lock);
        g_thread_unref(thread);
        return DROVER_RC_TIMEOUT;
    }
    rc = job->rc;
    g_mutex_unlock(&job->lock);
    g_thread_join(thread);
    job_free(job);
    return rc;
}
