/*
 * VirtualDomain's migrate_options and migration_downtime_steps
 * (drover/migopts.h).
 */
#include <stdbool.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include <drover/migopts.h>
#include <drover/rc.h>

#include "drover_private.h"

const char *const drover_migopts_compression[] = { "xbzrle", "mt", "zlib",
                                                   "zstd", NULL };

/* What follows a word */
typedef enum {
    VALUE_NONE,    /* a flag (or nothing: what the agent does anyway) */
    VALUE_OWN,     /* a value the agent merges with its own parameters */
    VALUE_INT,     /* a typed parameter: an integer from min to max */
    VALUE_ULLONG,  /* the same, unsigned long long */
    VALUE_STRING,  /* the same, text */
    VALUE_LIST,    /* comma-separated text, one parameter per item */
    VALUE_REFUSED, /* not taken: see instead */
} value_kind_t;

typedef struct {
    const char *word;
    unsigned long flag; /* 0: no flag */
    value_kind_t value;
    const char *param;     /* the typed parameter (VALUE_INT ... LIST) */
    gint64 min, max;       /* VALUE_INT, VALUE_ULLONG */
    unsigned long libvirt; /* the first libvirt with it; 0: any we run on */
    const char *instead;   /* VALUE_REFUSED: why, and what to use */
    bool takes_value;      /* a refused word's value is not read */
} migrate_word_t;

#define V(major, minor) ((major) *1000000UL + (minor) *1000UL)
#define TYPED(w, kind, p, lo, hi, since)                                       \
    {                                                                          \
        .word = (w), .value = (kind), .param = (p), .min = (lo), .max = (hi),  \
        .libvirt = (since), .takes_value = true                                \
    }
#define FLAG(w, f)                                                             \
    {                                                                          \
        .word = (w), .flag = (f), .value = VALUE_NONE                          \
    }
#define REFUSED(w, why, with_value)                                            \
    {                                                                          \
        .word = (w), .value = VALUE_REFUSED, .instead = (why),                 \
        .takes_value = (with_value)                                            \
    }

/* Every word of virsh migrate (libvirt 11.3), in its manual's order */
static const migrate_word_t migrate_words[] = {
    FLAG("--live", 0),
    REFUSED("--offline",
            "the agent moves a running VM live; a VM that may not go live "
            "moves stopped when the target's policy is 'none'",
            false),
    REFUSED("--direct", "the agent migrates peer to peer", false),
    FLAG("--p2p", 0),
    FLAG("--peer2peer", 0),
    FLAG("--tunnelled", VIR_MIGRATE_TUNNELLED),
    FLAG("--persistent", VIR_MIGRATE_PERSIST_DEST),
    FLAG("--undefinesource", VIR_MIGRATE_UNDEFINE_SOURCE),
    REFUSED("--suspend",
            "the VM would arrive paused, which Pacemaker reads as running; "
            "leave it out",
            false),
    FLAG("--copy-storage-all", VIR_MIGRATE_NON_SHARED_DISK),
    FLAG("--copy-storage-inc", VIR_MIGRATE_NON_SHARED_INC),
    FLAG("--copy-storage-synchronous-writes",
         VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES),
    FLAG("--change-protection", VIR_MIGRATE_CHANGE_PROTECTION),
    FLAG("--unsafe", VIR_MIGRATE_UNSAFE),
    FLAG("--verbose", 0),
    FLAG("--rdma-pin-all", VIR_MIGRATE_RDMA_PIN_ALL),
    FLAG("--abort-on-error", VIR_MIGRATE_ABORT_ON_ERROR),
    /* the capability only, as virsh: the switch is the postcopy parameter */
    FLAG("--postcopy", VIR_MIGRATE_POSTCOPY),
    REFUSED("--postcopy-after-precopy",
            "set the parameter postcopy=after-stall: it switches only when "
            "the rest can arrive in time",
            false),
    REFUSED("--postcopy-resume",
            "a failed post-copy is recovered by hand (docs/postcopy.md)",
            false),
    FLAG("--zerocopy", VIR_MIGRATE_ZEROCOPY),
    REFUSED("--domain", "the domain is the resource's (config)", true),
    REFUSED("--desturi",
            "Pacemaker names the target; set the parameter "
            "migration_transport or hypervisor",
            true),
    REFUSED("--migrateuri",
            "set the parameter migrateuri, or drover-migration-networks", true),
    TYPED("--graphicsuri", VALUE_STRING, VIR_MIGRATE_PARAM_GRAPHICS_URI, 0, 0,
          0),
    { .word = "--listen-address", .value = VALUE_OWN, .takes_value = true },
    REFUSED("--dname",
            "the VM keeps its name: Pacemaker and the config know it by it",
            true),
    REFUSED("--timeout",
            "the parameters migration_stall_timeout and "
            "migration_downtime_steps, and the operation's timeout, bound a "
            "migration",
            true),
    REFUSED("--timeout-suspend", "see --timeout", false),
    REFUSED("--timeout-postcopy", "set the parameter postcopy=after-stall",
            false),
    REFUSED("--xml", "the target reads the resource's config", true),
    TYPED("--migrate-disks", VALUE_LIST, VIR_MIGRATE_PARAM_MIGRATE_DISKS, 0, 0,
          0),
    TYPED("--migrate-disks-detect-zeroes", VALUE_LIST,
          "migrate_disks_detect_zeroes", 0, 0, V(10, 9)),
    TYPED("--disks-port", VALUE_INT, VIR_MIGRATE_PARAM_DISKS_PORT, 1, 65535, 0),
    FLAG("--compressed", VIR_MIGRATE_COMPRESSED),
    { .word = "--comp-methods",
      .flag = VIR_MIGRATE_COMPRESSED,
      .value = VALUE_OWN,
      .takes_value = true },
    TYPED("--comp-mt-level", VALUE_INT, VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL,
          0, 9, 0),
    TYPED("--comp-mt-threads", VALUE_INT,
          VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS, 1, 255, 0),
    TYPED("--comp-mt-dthreads", VALUE_INT,
          VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS, 1, 255, 0),
    TYPED("--comp-xbzrle-cache", VALUE_ULLONG,
          VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE, 1, G_MAXINT64, 0),
    TYPED("--comp-zlib-level", VALUE_INT, "compression.zlib.level", 1, 9,
          V(9, 4)),
    TYPED("--comp-zstd-level", VALUE_INT, "compression.zstd.level", 1, 20,
          V(9, 4)),
    FLAG("--auto-converge", VIR_MIGRATE_AUTO_CONVERGE),
    TYPED("--auto-converge-initial", VALUE_INT,
          VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, 1, 99, 0),
    TYPED("--auto-converge-increment", VALUE_INT,
          VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT, 1, 99, 0),
    REFUSED("--persistent-xml",
            "the target keeps the resource's config (with --persistent)", true),
    FLAG("--tls", VIR_MIGRATE_TLS),
    TYPED("--postcopy-bandwidth", VALUE_ULLONG,
          VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY, 1, G_MAXINT32, 0),
    FLAG("--parallel", VIR_MIGRATE_PARALLEL),
    { .word = "--parallel-connections",
      .flag = VIR_MIGRATE_PARALLEL,
      .value = VALUE_OWN,
      .takes_value = true },
    { .word = "--bandwidth", .value = VALUE_OWN, .takes_value = true },
    TYPED("--tls-destination", VALUE_STRING, VIR_MIGRATE_PARAM_TLS_DESTINATION,
          0, 0, 0),
    TYPED("--disks-uri", VALUE_STRING, VIR_MIGRATE_PARAM_DISKS_URI, 0, 0, 0),
    TYPED("--available-switchover-bandwidth", VALUE_ULLONG,
          "bandwidth.avail.switchover", 1, G_MAXINT32, V(11, 1)),
    { .word = NULL },
};

static void
migparam_clear(drover_migparam_t *p)
{
    g_free(p->value);
}

void
drover_migopts_clear(drover_migopts_t *o)
{
    g_clear_pointer(&o->listen_address, g_free);
    g_clear_pointer(&o->compression, g_ptr_array_unref);
    g_clear_pointer(&o->params, g_array_unref);
}

static void
add_param(drover_migopts_t *o, const migrate_word_t *w, int type,
          const char *value)
{
    drover_migparam_t p = {
        .word = w->word,
        .name = w->param,
        .type = type,
        .value = g_strdup(value),
        .libvirt = w->libvirt,
    };

    if (o->params == NULL) {
        o->params = g_array_new(FALSE, FALSE, sizeof(drover_migparam_t));
        g_array_set_clear_func(o->params, (GDestroyNotify) migparam_clear);
    }
    g_array_append_val(o->params, p);
}

/* A typed parameter's value, checked */
static int
apply_typed(const migrate_word_t *w, const char *value, drover_migopts_t *o,
            GString *reason)
{
    g_autofree char *shown = drover__shown(value);
    gint64 n = 0;

    if (*value == '\0') {
        g_string_printf(reason, "migrate_options: %s needs a value", w->word);
        return DROVER_RC_CONFIG;
    }
    switch (w->value) {
        case VALUE_INT:
        case VALUE_ULLONG:
            if (!g_ascii_string_to_signed(value, 10, w->min, w->max, &n,
                                          NULL)) {
                g_string_printf(
                    reason,
                    "migrate_options: %s needs a number from %" G_GINT64_FORMAT
                    " to %" G_GINT64_FORMAT ", not '%s'",
                    w->word, w->min, w->max, shown);
                return DROVER_RC_CONFIG;
            }
            add_param(o, w,
                      (w->value == VALUE_INT) ? VIR_TYPED_PARAM_INT
                                              : VIR_TYPED_PARAM_ULLONG,
                      value);
            break;
        case VALUE_LIST: {
            g_auto(GStrv) items = g_strsplit(value, ",", -1);

            for (char **i = items; *i != NULL; i++) {
                if (**i == '\0') {
                    g_string_printf(reason,
                                    "migrate_options: %s needs names "
                                    "separated by commas, not '%s'",
                                    w->word, shown);
                    return DROVER_RC_CONFIG;
                }
                add_param(o, w, VIR_TYPED_PARAM_STRING, *i);
            }
            break;
        }
        default: add_param(o, w, VIR_TYPED_PARAM_STRING, value); break;
    }
    return 0;
}

static int
apply_word(const migrate_word_t *w, const char *value, drover_migopts_t *o,
           GString *reason)
{
    gint64 n = 0;

    o->flags |= w->flag;
    if (w->value != VALUE_OWN && w->value != VALUE_NONE) {
        return apply_typed(w, value, o, reason);
    }
    if (strcmp(w->word, "--parallel-connections") == 0
        || strcmp(w->word, "--bandwidth") == 0) {
        if (!g_ascii_string_to_signed(value, 10, 1, G_MAXINT32, &n, NULL)) {
            g_autofree char *shown = drover__shown(value);

            g_string_printf(reason,
                            "migrate_options: %s needs a positive number, "
                            "not '%s'",
                            w->word, shown);
            return DROVER_RC_CONFIG;
        }
        if (w->word[2] == 'p') {
            o->parallel_connections = (int) n;
        } else {
            o->bandwidth_mib = (unsigned long) n;
        }
    } else if (strcmp(w->word, "--listen-address") == 0) {
        g_free(o->listen_address);
        o->listen_address = g_strdup(value);
    } else if (strcmp(w->word, "--comp-methods") == 0) {
        g_auto(GStrv) methods = g_strsplit(value, ",", -1);

        for (char **m = methods; *m != NULL; m++) {
            if (!g_strv_contains(drover_migopts_compression, *m)) {
                g_autofree char *list =
                    g_strjoinv(", ", (char **) drover_migopts_compression);
                g_autofree char *shown = drover__shown(*m);

                g_string_printf(reason,
                                "migrate_options: unknown compression "
                                "method '%s'; valid: %s",
                                shown, list);
                return DROVER_RC_CONFIG;
            }
            if (o->compression == NULL) {
                o->compression = g_ptr_array_new_with_free_func(g_free);
            }
            g_ptr_array_add(o->compression, g_strdup(*m));
        }
    }
    return 0;
}

int
drover_migopts_parse(const char *text, drover_migopts_t *o, GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set(text, " \t", -1);

    memset(o, 0, sizeof(*o));
    for (char **p = words; *p != NULL; p++) {
        g_autofree char *word = NULL;
        const char *value = NULL;
        const migrate_word_t *w = NULL;
        char *eq = NULL;

        if (**p == '\0') {
            continue;
        }
        word = g_strdup(*p);
        eq = strchr(word, '=');
        if (eq != NULL) {
            *eq = '\0';
            value = eq + 1;
        }
        for (w = migrate_words; w->word != NULL; w++) {
            if (strcmp(w->word, word) == 0) {
                break;
            }
        }
        if (w->word == NULL) {
            g_autoptr(GString) valid = g_string_new(NULL);
            g_autofree char *shown = drover__shown(word);

            for (const migrate_word_t *v = migrate_words; v->word != NULL;
                 v++) {
                if (v->value != VALUE_REFUSED) {
                    g_string_append_printf(valid, "%s%s%s",
                                           (valid->len > 0) ? " " : "", v->word,
                                           v->takes_value ? "=VALUE" : "");
                }
            }
            g_string_printf(reason,
                            "migrate_options: unknown option '%s'; valid: %s",
                            shown, valid->str);
            return DROVER_RC_CONFIG;
        }
        if (w->value == VALUE_REFUSED) {
            g_string_printf(reason, "migrate_options: %s is not taken: %s",
                            w->word, w->instead);
            return DROVER_RC_CONFIG;
        }
        if (w->takes_value && value == NULL) {
            value = *(p + 1);
            while (value != NULL && *value == '\0') {
                value = *(++p + 1);
            }
            if (value == NULL) {
                g_string_printf(reason, "migrate_options: %s needs a value",
                                w->word);
                return DROVER_RC_CONFIG;
            }
            p++;
        } else if (!w->takes_value && value != NULL) {
            g_string_printf(reason, "migrate_options: %s takes no value",
                            w->word);
            return DROVER_RC_CONFIG;
        }
        if (apply_word(w, value, o, reason) != 0) {
            return DROVER_RC_CONFIG;
        }
    }
    if (o->compression != NULL) {
        g_ptr_array_add(o->compression, NULL);
    }
    return 0;
}

int
drover_migopts_steps_parse(const char *text, GArray *steps, GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set(text, ", ", -1);
    guint64 last = 0;

    for (char **w = words; *w != NULL; w++) {
        guint64 ms = 0;

        if (**w == '\0') {
            continue;
        }
        if (!g_ascii_string_to_unsigned(*w, 10, 1, DROVER_MIGOPTS_MAX_STEP_MS,
                                        &ms, NULL)
            || ms <= last) {
            g_autofree char *shown = drover__shown(*w);

            g_string_printf(reason,
                            "Parameter 'migration_downtime_steps' needs "
                            "increasing milliseconds from 1 to 3600000, like "
                            "'500,2000'; '%s' does not fit",
                            shown);
            return DROVER_RC_CONFIG;
        }
        if (steps != NULL) {
            g_array_append_val(steps, ms);
        }
        last = ms;
    }
    return 0;
}

bool
drover_migopts_copy_storage(const char *text)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t o = { 0 };
    bool copies =
        text != NULL && drover_migopts_parse(text, &o, reason) == 0
        && (o.flags
            & (VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC))
               != 0;

    drover_migopts_clear(&o);
    return copies;
}
