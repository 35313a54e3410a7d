/*
 * Everything drover reads from or writes to Pacemaker.
 *
 * Reading works on a snapshot: one query of the whole CIB (through libcib,
 * so CIB_file=... and CIB_shadow=... work as with every Pacemaker tool),
 * then plain lookups.  Values are taken as written: rules and multiple
 * attribute sets are not evaluated, the first matching nvpair wins.
 */
#ifndef DROVER_CIB__H
#define DROVER_CIB__H

#include <stdbool.h>

#include <glib.h>
#include <libxml/tree.h>

#include <drover/deadline.h>

typedef struct drover_cib_s drover_cib_t;

typedef enum {
    DROVER_ATTR_PERMANENT, /* configuration/nodes, crm_attribute */
    DROVER_ATTR_TRANSIENT, /* status section, attrd (lifetime reboot) */
} drover_attr_lifetime_t;

typedef struct {
    char *name; /* uname */
    char *id;
    bool remote; /* a Pacemaker Remote node */
    /* member of the cluster and its controller up, per the status section */
    bool online;
    bool standby;
} drover_cib_node_t;

/*!
 * \brief Set up libxml2 and Pacemaker's XML handling once (drover_cib_query
 *        does it too); call it before threads that parse XML start
 */
void drover_cib_init(void);

/*!
 * \brief Query the CIB once, within \p deadline
 *
 * \return 0, DROVER_RC_UNREACHABLE when the CIB manager does not answer,
 *         DROVER_RC_TIMEOUT, or another result
 */
int drover_cib_query(drover_deadline_t deadline, drover_cib_t **cib);

/*!
 * \brief A snapshot from XML text (tests, files)
 */
int drover_cib_from_xml(const char *xml, drover_cib_t **cib);

void drover_cib_free(drover_cib_t *cib);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_cib_t, drover_cib_free)

/*!
 * \brief The snapshot's <cib> element, for what has no accessor yet
 */
xmlNode *drover_cib_root(const drover_cib_t *cib);

/*!
 * \brief A cluster property (crm_config), or NULL
 */
const char *drover_cib_property(const drover_cib_t *cib, const char *name);

/*!
 * \brief Every cluster property whose name starts with \p prefix
 *
 * \return name -> value; free with g_hash_table_destroy()
 */
GHashTable *drover_cib_properties(const drover_cib_t *cib, const char *prefix);

/*!
 * \brief A node attribute, or NULL
 */
const char *drover_cib_node_attr(const drover_cib_t *cib, const char *node,
                                 const char *name,
                                 drover_attr_lifetime_t lifetime);

/*!
 * \brief Every attribute of \p node whose name starts with \p prefix
 *
 * \return name -> value; free with g_hash_table_destroy()
 */
GHashTable *drover_cib_node_attrs(const drover_cib_t *cib, const char *node,
                                  const char *prefix,
                                  drover_attr_lifetime_t lifetime);

/*!
 * \brief The cluster's nodes in configuration order
 *
 * \return array of drover_cib_node_t *; free with g_ptr_array_unref()
 */
GPtrArray *drover_cib_nodes(const drover_cib_t *cib);

/* The names of drover_cib_nodes(): char *, in configuration order */
GPtrArray *drover_cib_node_names(const drover_cib_t *cib);

/*!
 * \brief Whether a primitive with id \p resource is configured
 */
bool drover_cib_has_resource(const drover_cib_t *cib, const char *resource);

/*!
 * \brief The ids of every primitive of agent \p standard:\p provider:\p type
 *        (\p provider NULL for classes without one), including those inside
 *        groups, clones and bundles, in configuration order
 *
 * Primitives that take their agent from a template are not included.
 *
 * \return array of char *; free with g_ptr_array_unref()
 */
GPtrArray *drover_cib_resources_by_agent(const drover_cib_t *cib,
                                         const char *standard,
                                         const char *provider,
                                         const char *type);

/*!
 * \brief A primitive's instance attribute (parameter), or NULL
 */
const char *drover_cib_resource_param(const drover_cib_t *cib,
                                      const char *resource, const char *name);

/*!
 * \brief A primitive's meta attribute, or NULL
 */
const char *drover_cib_resource_meta(const drover_cib_t *cib,
                                     const char *resource, const char *name);

/*!
 * \brief Whether a CIB value is a true boolean as Pacemaker reads one
 *        ("true", "on", "yes", "y", "1", any case); NULL and anything
 *        else is false
 */
bool drover_cib_is_true(const char *value);

/*!
 * \brief Whether \p value is a boolean as Pacemaker reads one ("true",
 *        "on", "yes", "y", "1" and their opposites, any case), and which
 */
bool drover_cib_boolean(const char *value, bool *result);

/* Pacemaker's INFINITY score */
#define DROVER_SCORE_INFINITY 1000000

/*!
 * \brief A score as Pacemaker reads one: "INFINITY", "+INFINITY",
 *        "-INFINITY" (any case) or an integer clipped to
 *        +/-DROVER_SCORE_INFINITY; NULL and anything else is 0
 */
int drover_cib_score(const char *value);

/*!
 * \brief A node's or a primitive's utilization attribute (e.g. "memory"),
 *        or NULL
 */
const char *drover_cib_node_utilization(const drover_cib_t *cib,
                                        const char *node, const char *name);
const char *drover_cib_resource_utilization(const drover_cib_t *cib,
                                            const char *resource,
                                            const char *name);

/*!
 * \brief The nodes a plain location constraint bans \p resource from
 *        (score -INFINITY; rules are not evaluated)
 *
 * \return array of char *; free with g_ptr_array_unref()
 */
GPtrArray *drover_cib_banned_nodes(const drover_cib_t *cib,
                                   const char *resource);

/*!
 * \brief The resources a plain colocation ties to \p resource, either way:
 *        with score INFINITY (\p apart false) or -INFINITY (true).
 *        Resource sets are not read.
 *
 * \return array of char *; free with g_ptr_array_unref()
 */
GPtrArray *drover_cib_colocated(const drover_cib_t *cib, const char *resource,
                                bool apart);

/*!
 * \brief The resources a mandatory ordering starts before \p resource
 *        (drover's own constraints, "drover-*", are not counted)
 *
 * \return array of char *; free with g_ptr_array_unref()
 */
GPtrArray *drover_cib_ordered_after(const drover_cib_t *cib,
                                    const char *resource);

/*!
 * \brief Whether \p name can be a Pacemaker node name as drover writes it
 *        into the CIB (constraints, XPath): not empty, valid UTF-8, no
 *        blanks, control characters, quotes, '<', '>' or '&'
 *
 * \return 0, or DROVER_RC_USAGE with \p reason naming the value
 */
int drover_cib_node_name_check(const char *name, GString *reason);

/*!
 * \brief Set (or with \p value NULL, delete) a node attribute
 *
 * Pacemaker 2.1 has no public client API for the attribute manager, so this
 * runs crm_attribute (argv vector, deadline): it goes through attrd for
 * transient attributes on a live cluster and edits the file under CIB_file.
 */
int drover_cib_set_node_attr(const char *node, const char *name,
                             const char *value, drover_attr_lifetime_t lifetime,
                             drover_deadline_t deadline);

/*!
 * \brief Set (\p value) or delete (NULL) utilization \p name of primitive
 *        \p resource, with crm_resource, by \p deadline
 */
int drover_cib_set_resource_utilization(const char *resource, const char *name,
                                        const char *value,
                                        drover_deadline_t deadline);

#endif /* DROVER_CIB__H */
