/*
 * Every drover setting in the CIB, in one table: the cluster properties
 * and node attributes an admin sets, and the node attributes drover writes.
 * drover config check validates by it, drover config show and the readers
 * take their defaults from it, drover(8) and docs/options.md are printed
 * from it.  Inside libdrover and its programs, not part of the public API.
 */
#ifndef DROVER_OPTIONS__H
#define DROVER_OPTIONS__H

#include <stdbool.h>

#include <glib.h>

/* Where a setting lives and who sets it */
typedef enum {
    DROVER_OPTION_CLUSTER, /* a cluster property, set by the admin */
    DROVER_OPTION_NETWORK, /* a cluster property per migration network */
    DROVER_OPTION_NODE,    /* a permanent node attribute, set by the admin */
    DROVER_OPTION_DRAIN,   /* a permanent node attribute, drover drain's */
    DROVER_OPTION_STATUS,  /* a transient or private node attribute that
                            * drover's agents publish */
} drover_option_scope_t;

/* What a value must be */
typedef enum {
    DROVER_OPTION_TEXT,      /* anything */
    DROVER_OPTION_WORD,      /* one of words */
    DROVER_OPTION_DAYS,      /* a whole number of days, 0 to 3650 */
    DROVER_OPTION_LIMIT,     /* a whole number >= 0, 0 for no limit */
    DROVER_OPTION_PATH,      /* an absolute path */
    DROVER_OPTION_PATHS,     /* absolute paths, blank-separated */
    DROVER_OPTION_LDAP_URIS, /* ldap:// or ldaps:// URIs */
    DROVER_OPTION_NETWORKS,  /* the network list (lib/netsel.c) */
    DROVER_OPTION_INCOMING,  /* an incoming policy (against the networks) */
    DROVER_OPTION_NAME,      /* a name as a network's (lib/networks.c) */
} drover_option_type_t;

typedef struct {
    /* The name; a part in <> stands for a network, node or VM name:
     * drover-network-<network>-bandwidth */
    const char *name;
    drover_option_scope_t scope;
    drover_option_type_t type;
    const char *words;         /* DROVER_OPTION_WORD: "on off auto" */
    const char *default_value; /* how drover reads it unset; NULL: off, or
                                * described in `unset` */
    const char *unset;         /* what unset means when there is no default
                                * value ("no directory check") */
    const char *description;
} drover_option_t;

/* The table, ending in a row whose name is NULL */
extern const drover_option_t drover__options[];

/*!
 * \brief The row for \p name (a pattern row matches any name in its
 *        place), or NULL
 */
const drover_option_t *drover__option_find(const char *name);

/*!
 * \brief Whether \p value is valid for \p option; if not, \p reason says
 *        why and what would be valid
 *
 * DROVER_OPTION_NETWORKS and DROVER_OPTION_INCOMING are checked with the
 * cluster's networks (lib/config.c): here they are always valid.
 */
bool drover__option_valid(const drover_option_t *option, const char *value,
                          GString *reason);

/*!
 * \brief \p value when it is set and valid, else \p name's default
 *
 * \p name must be in the table (a programming error otherwise).
 */
const char *drover__option_or_default(const char *name, const char *value);

/*! \brief \p name's default (NULL: none); \p name must be in the table */
const char *drover__option_default(const char *name);

/*! \brief "on, off or auto", "a whole number of days, 0 to 3650", ... */
char *drover__option_values(const drover_option_t *option);

/*! \brief "cluster property", "node attribute (permanent)", ... */
const char *drover__option_scope_name(drover_option_scope_t scope);

/*!
 * \brief The part of \p name in the <> of \p pattern: "lm1" of
 *        "drover-net-lm1" for "drover-net-<network>"; NULL if it does not
 *        match or \p pattern has no <> (free it)
 */
char *drover__option_name_part(const char *pattern, const char *name);

#endif /* DROVER_OPTIONS__H */
