/*
 * Logging set-up.  Agents follow ocf-shellfuncs: HA_LOGFILE and HA_DEBUGLOG
 * name files, HA_LOGFACILITY a syslog facility ("none" for none), and
 * HA_debug (or PCMK_debug) enables debug messages.  Everything also goes to
 * stderr, which pacemaker-execd records with the operation.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <glib.h>

#include <crm/crm.h>

#include <drover/log.h>

static int stderr_priority = LOG_WARNING;
/* The tag of every message, as it goes into libqb's formats: libqb has no
 * escape for "%" (a resource id has none anyway: "_" instead), and builds
 * a format in 256 bytes */
#define TAG_MAX 200
static char *tag = NULL;
/* HA_LOGFILE's and HA_DEBUGLOG's targets, closed by drover_log_fini() */
static int32_t file_targets[2];
static guint n_file_targets = 0;

/* HA_debug and PCMK_debug hold a boolean (Pacemaker exports PCMK_debug=0
 * to every agent); PCMK_debug may also list daemon names, none of them ours */
static bool
is_yes(const char *value)
{
    static const char *const yes[] = { "1", "yes", "y", "true", "on", NULL };

    for (const char *const *y = yes; value != NULL && *y != NULL; y++) {
        if (g_ascii_strcasecmp(value, *y) == 0) {
            return true;
        }
    }
    return false;
}

static bool
debug_wanted(void)
{
    return is_yes(getenv("HA_debug")) || is_yes(getenv("PCMK_debug"));
}

static void
enable_target(int32_t target, int priority)
{
    qb_log_filter_ctl(target, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*",
                      priority);
    qb_log_ctl(target, QB_LOG_CONF_ENABLED, QB_TRUE);
}

/*
 * Pacemaker's library says "Successfully connected to CIB manager" at info
 * on every connection (cib_native_signon_raw in 2.1, cib_native_signon in
 * 3.0), and an agent waiting for the cluster reads the CIB twice a second:
 * those info messages go nowhere.  A filter function, because libqb
 * applies its filters' removals only to the callsites existing then, and
 * Pacemaker's are made when first used.
 */
static void
quiet_chatty_callsites(struct qb_log_callsite *cs)
{
    if (cs->priority == LOG_INFO && cs->function != NULL
        && (strcmp(cs->function, "cib_native_signon_raw") == 0
            || strcmp(cs->function, "cib_native_signon") == 0)) {
        cs->targets = 0;
    }
}

/* A libqb format of drover's tag: BEFORE, the tag, AFTER */
static char *
tagged_format(const char *before, const char *after)
{
    return g_strconcat(before, tag, after, NULL);
}

static void
add_file_target(const char *path, int priority)
{
    g_autofree char *format = NULL;
    int32_t target;

    if (path == NULL || path[0] == '\0'
        || n_file_targets == G_N_ELEMENTS(file_targets)) {
        return;
    }
    target = qb_log_file_open(path);
    if (target < 0) {
        qb_log(LOG_WARNING, "Cannot log to %s: %s", path, g_strerror(-target));
        return;
    }
    /* milliseconds, as Pacemaker's own lines have them: a migration's
     * steps are read against the executor's (tests/bench/timeline) */
#ifdef QB_FEATURE_LOG_HIRES_TIMESTAMPS
    format = tagged_format("%T ", "[%P]: %p: %b");
#else
    format = tagged_format("%t ", "[%P]: %p: %b");
#endif
    qb_log_format_set(target, format);
    enable_target(target, priority);
    file_targets[n_file_targets++] = target;
}

static gsize pacemaker_ready = 0;
static const char *const glib_domains[] = { "GLib", "GLib-GIO", "GModule",
                                            "GThread", NULL };

/*
 * Pacemaker's library sets up its XML handling and loads its schemas (a
 * CIB file cannot be read without them) in crm_log_preinit(), the one way
 * both 2.1 and 3.0 offer (3.0 deprecates the XML set-up call).  It also starts
 * libqb logging, sets a umask and takes over GLib's log handlers: the umask
 * and handlers are put back, drover's own logging set-up follows.
 * Once per process.
 */
void
drover_pacemaker_init(const char *name)
{
    if (g_once_init_enter(&pacemaker_ready)) {
        mode_t mask = umask(0);
        GLogFunc handler =
            g_log_set_default_handler(g_log_default_handler, NULL);

        umask(mask);
        crm_log_preinit(name, 0, NULL);
        g_log_set_default_handler(handler, NULL);
        /* Pacemaker 3.0 also sends GLib's own domains to its handler, which
         * aborts on a critical (an agent killed mid-operation); the newest
         * handler of a domain wins */
        for (const char *const *d = glib_domains; *d != NULL; d++) {
            g_log_set_handler(
                *d, G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                g_log_default_handler, NULL);
        }
        umask(mask);
        g_once_init_leave(&pacemaker_ready, 1);
    }
}

/*
 * libqb as Pacemaker set it up (its name is the first caller's) gets
 * drover's targets, formats and filter.  Never qb_log_fini() and init
 * again: Pacemaker's log calls keep the callsite libqb gave them the first
 * time in a static pointer, which qb_log_fini() frees (valgrind sees
 * pcmk__env_option read one on Pacemaker 3.0).
 */
void
drover_log_init(const char *name, enum drover_log_mode mode)
{
    const char *facility = getenv("HA_LOGFACILITY");
    int file_priority = debug_wanted() ? LOG_DEBUG : LOG_INFO;
    g_autofree char *format = NULL;

    drover_pacemaker_init(name);
    drover_log_fini(); /* what an earlier call set up */
    g_free(tag);
    tag = g_strndup(name, TAG_MAX);
    g_strdelimit(tag, "%", '_');
    qb_log_ctl2(QB_LOG_SYSLOG, QB_LOG_CONF_IDENT, QB_LOG_CTL2_S(name));
    qb_log_filter_fn_set(quiet_chatty_callsites);

    if (mode == DROVER_LOG_TOOL) {
        stderr_priority = debug_wanted() ? LOG_DEBUG : LOG_WARNING;
        format = tagged_format("", ": %b");
        qb_log_format_set(QB_LOG_STDERR, format);
        enable_target(QB_LOG_STDERR, stderr_priority);
        return;
    }

    stderr_priority = file_priority;
    format = tagged_format("", "[%P]: %p: %b");
    qb_log_format_set(QB_LOG_STDERR, format);
    enable_target(QB_LOG_STDERR, stderr_priority);
    add_file_target(getenv("HA_LOGFILE"), file_priority);
    add_file_target(getenv("HA_DEBUGLOG"), LOG_DEBUG);

    if (facility != NULL && facility[0] != '\0'
        && strcmp(facility, "none") != 0) {
        int32_t code = qb_log_facility2int(facility);

        if (code >= 0) {
            qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_FACILITY, code);
            /* not Pacemaker's format nor its 256-byte lines */
            qb_log_format_set(QB_LOG_SYSLOG, "%p: %b");
            qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_MAX_LINE_LEN, QB_LOG_MAX_LEN);
            enable_target(QB_LOG_SYSLOG, file_priority);
        }
    }
}

void
drover_log_more_verbose(int steps)
{
    if (steps <= 0) {
        return;
    }
    stderr_priority = MIN(stderr_priority + steps, LOG_TRACE);
    qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_CLEAR_ALL,
                      QB_LOG_FILTER_FILE, "*", LOG_TRACE);
    enable_target(QB_LOG_STDERR, stderr_priority);
    qb_log_filter_fn_set(quiet_chatty_callsites);
}

/* Every target off, the files closed; libqb itself stays (see above) */
void
drover_log_fini(void)
{
    /* a callsite keeps a closed target's bit: the next file opened in its
     * slot would inherit the filters */
    for (guint i = 0; i < n_file_targets; i++) {
        qb_log_filter_ctl(file_targets[i], QB_LOG_FILTER_CLEAR_ALL,
                          QB_LOG_FILTER_FILE, "*", LOG_TRACE);
        qb_log_file_close(file_targets[i]);
    }
    n_file_targets = 0;
    for (int32_t t = QB_LOG_TARGET_STATIC_START; t < QB_LOG_TARGET_STATIC_MAX;
         t++) {
        qb_log_filter_ctl(t, QB_LOG_FILTER_CLEAR_ALL, QB_LOG_FILTER_FILE, "*",
                          LOG_TRACE);
        qb_log_ctl(t, QB_LOG_CONF_ENABLED, QB_FALSE);
    }
}
