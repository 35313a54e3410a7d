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

typedef struct {
    const char *word;
    unsigned long flag; /* 0: no flag */
    bool takes_value;
} migrate_word_t;

static const migrate_word_t migrate_words[] = {
    { "--live", 0, false },
    { "--p2p", 0, false },
    { "--peer2peer", 0, false },
    { "--verbose", 0, false },
    { "--persistent", VIR_MIGRATE_PERSIST_DEST, false },
    { "--undefinesource", VIR_MIGRATE_UNDEFINE_SOURCE, false },
    { "--tunnelled", VIR_MIGRATE_TUNNELLED, false },
    { "--copy-storage-all", VIR_MIGRATE_NON_SHARED_DISK, false },
    { "--copy-storage-inc", VIR_MIGRATE_NON_SHARED_INC, false },
    { "--change-protection", VIR_MIGRATE_CHANGE_PROTECTION, false },
    { "--unsafe", VIR_MIGRATE_UNSAFE, false },
    { "--compressed", VIR_MIGRATE_COMPRESSED, false },
    { "--abort-on-error", VIR_MIGRATE_ABORT_ON_ERROR, false },
    { "--auto-converge", VIR_MIGRATE_AUTO_CONVERGE, false },
    /* the capability only, as virsh: the switch is the postcopy parameter */
    { "--postcopy", VIR_MIGRATE_POSTCOPY, false },
    { "--tls", VIR_MIGRATE_TLS, false },
    { "--parallel", VIR_MIGRATE_PARALLEL, false },
    { "--parallel-connections", VIR_MIGRATE_PARALLEL, true },
    { "--comp-methods", VIR_MIGRATE_COMPRESSED, true },
    { "--bandwidth", 0, true },
    { "--listen-address", 0, true },
    { NULL, 0, false },
};

void
drover_migopts_clear(drover_migopts_t *o)
{
    g_clear_pointer(&o->listen_address, g_free);
    g_clear_pointer(&o->compression, g_ptr_array_unref);
}

static int
apply_word(const migrate_word_t *w, const char *value, drover_migopts_t *o,
           GString *reason)
{
    gint64 n = 0;

    o->flags |= w->flag;
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
                g_string_append_printf(valid, "%s%s%s",
                                       (v == migrate_words) ? "" : " ", v->word,
                                       v->takes_value ? "=VALUE" : "");
            }
            g_string_printf(reason,
                            "migrate_options: unknown option '%s'; valid: %s",
                            shown, valid->str);
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
