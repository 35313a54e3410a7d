/*
 * VirtualDomain's migration parameters that are small languages of their
 * own: migrate_options (virsh migrate words, as libvirt flags and typed
 * parameters) and migration_downtime_steps.  Pure parsers: the agent
 * validates and applies with them, the fuzzers run them.
 */
#ifndef DROVER_MIGOPTS__H
#define DROVER_MIGOPTS__H

#include <stdbool.h>

#include <glib.h>

/* The highest step of migration_downtime_steps (ms: an hour) */
#define DROVER_MIGOPTS_MAX_STEP_MS 3600000

/* A typed migration parameter of libvirt that migrate_options sets as it
 * is (VIR_MIGRATE_PARAM_*): its name, type (VIR_TYPED_PARAM_*) and value
 * as text, checked, which virTypedParamsAddFromString() takes */
typedef struct {
    const char *word;      /* the virsh word it came from, e.g. --disks-port */
    const char *name;      /* e.g. "disks_port" */
    int type;              /* VIR_TYPED_PARAM_INT, _ULLONG or _STRING */
    char *value;           /* e.g. "49200" */
    unsigned long libvirt; /* the first libvirt release that has it; 0: any */
} drover_migparam_t;

/* What migrate_options asks for */
typedef struct {
    unsigned long flags;         /* VIR_MIGRATE_* */
    int parallel_connections;    /* 0: not given */
    unsigned long bandwidth_mib; /* 0: not given */
    char *listen_address;        /* NULL: not given */
    GPtrArray *compression;      /* methods, NULL-terminated; NULL: none */
    GArray *params;              /* drover_migparam_t; NULL: none */
} drover_migopts_t;

/* Whether migrate_options \p text (NULL: none) has libvirt copy the disks
 * (--copy-storage-all or --copy-storage-inc) */
bool drover_migopts_copy_storage(const char *text);

/* The compression methods libvirt knows (NULL-terminated) */
extern const char *const drover_migopts_compression[];

/*!
 * \brief Parse migrate_options \p text: blank-separated virsh migrate
 *        words, a value after '=' or as the next word (no quoting:
 *        nothing ever reaches a shell)
 *
 * Every word of `virsh migrate` (libvirt 11) either maps to its libvirt
 * flag or typed parameter, or is refused naming the agent parameter to
 * use instead (--timeout, --migrateuri, --dname, ...).
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
