/*
 * VirtualDomain's migration parameters that are small languages of their
 * own: migrate_options (virsh migrate words, as libvirt flags and typed
 * parameters) and migration_downtime_steps.  Pure parsers: the agent
 * validates and applies with them, the fuzzers run them.
 */
#ifndef DROVER_MIGOPTS__H
#define DROVER_MIGOPTS__H

#include <glib.h>

/* The highest step of migration_downtime_steps (ms: an hour) */
#define DROVER_MIGOPTS_MAX_STEP_MS 3600000

/* What migrate_options asks for */
typedef struct {
    unsigned long flags;         /* VIR_MIGRATE_* */
    int parallel_connections;    /* 0: not given */
    unsigned long bandwidth_mib; /* 0: not given */
    char *listen_address;        /* NULL: not given */
    GPtrArray *compression;      /* methods, NULL-terminated; NULL: none */
} drover_migopts_t;

/* The compression methods libvirt knows (NULL-terminated) */
extern const char *const drover_migopts_compression[];

/*!
 * \brief Parse migrate_options \p text: blank-separated virsh migrate
 *        words, a value after '=' or as the next word (no quoting:
 *        nothing ever reaches a shell)
 *
 * \p options is set from scratch; clear it with drover_migopts_clear()
 * whatever the result.
 *
 * \return 0, or DROVER_RC_CONFIG with \p reason naming the word
 */
int drover_migopts_parse(const char *text, drover_migopts_t *options,
                         GString *reason);

void drover_migopts_clear(drover_migopts_t *options);

/*!
 * \brief Parse migration_downtime_steps \p text, "500,2000,5000": strictly
 *        increasing milliseconds from 1 to DROVER_MIGOPTS_MAX_STEP_MS,
 *        separated by commas or spaces
 *
 * \param[out] steps  guint64 appended to (may be NULL: only check)
 *
 * \return 0, or DROVER_RC_CONFIG with \p reason naming the step
 */
int drover_migopts_steps_parse(const char *text, GArray *steps,
                               GString *reason);

#endif /* DROVER_MIGOPTS__H */
