/*
 * Pacemaker access: a CIB snapshot through libcib, lookups in it, and node
 * attribute updates through crm_attribute.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crm/cib.h>
#include <libxml/parser.h>
#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/log.h>
#include <drover/rc.h>
#include <drover/spawn.h>

#include "drover_private.h"

struct drover_cib_s {
    xmlDoc *doc;
};

/* ------------------------------------------------------------------ */
/* Getting a snapshot                                                 */
/* ------------------------------------------------------------------ */

typedef struct {
    unsigned int timeout_s;
    xmlDoc *doc;
} query_t;

static void
query_free(gpointer data)
{
    query_t *q = data;

    if (q->doc != NULL) {
        xmlFreeDoc(q->doc);
    }
    g_free(q);
}

/* Runs in a worker thread: signing on to a stopped CIB manager can block */
static int
query_thread(void *data)
{
    query_t *q = data;
    cib_t *cib = cib_new();
    xmlNode *out = NULL;
    int rc;

    if (cib == NULL) {
        return ENOMEM;
    }
    cib->call_timeout = (int) q->timeout_s;
    rc = cib->cmds->signon(cib, "drover", cib_query);
    if (rc != pcmk_ok) {
        qb_log(LOG_DEBUG, "Cannot connect to the CIB: %s", pcmk_strerror(rc));
        cib_delete(cib);
        return (getenv("CIB_file") != NULL) ? drover_rc_from_pcmk_legacy(rc)
                                            : DROVER_RC_UNREACHABLE;
    }
    rc = cib->cmds->query(cib, NULL, &out, cib_sync_call);
    if (rc == pcmk_ok && out != NULL) {
        q->doc = xmlNewDoc(BAD_CAST "1.0");
        xmlDocSetRootElement(q->doc, xmlDocCopyNode(out, q->doc, 1));
    } else {
        qb_log(LOG_DEBUG, "CIB query failed: %s", pcmk_strerror(rc));
    }
    if (out != NULL) {
        xmlFreeDoc(out->doc); /* the query's copy is its document's root */
    }
    cib->cmds->signoff(cib);
    cib_delete(cib);
    return (rc == pcmk_ok) ? 0 : drover_rc_from_pcmk_legacy(rc);
}

void
drover_cib_init(void)
{
    drover_pacemaker_init("drover");
}

int
drover_cib_query(drover_deadline_t deadline, drover_cib_t **cib)
{
    gint64 left_ms = drover_deadline_remaining_ms(deadline);
    query_t *q = NULL;
    int rc;

    *cib = NULL;
    if (getenv("CIB_file") != NULL && access(getenv("CIB_file"), R_OK) != 0) {
        return errno; /* libcib would say ENXIO */
    }
    drover_cib_init();
    q = g_new0(query_t, 1);
    q->timeout_s = (unsigned int) CLAMP((left_ms + 999) / 1000, 1, 3600);
    rc = drover_deadline_run(deadline, query_thread, q, query_free);
    if (rc == DROVER_RC_TIMEOUT) {
        return rc; /* the thread owns q now */
    }
    if (rc == 0) {
        *cib = g_new0(drover_cib_t, 1);
        (*cib)->doc = g_steal_pointer(&q->doc);
    }
    query_free(q);
    return rc;
}

int
drover_cib_from_xml(const char *xml, drover_cib_t **cib)
{
    xmlDoc *doc = xmlReadMemory(xml, (int) strlen(xml), "cib.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    xmlNode *root = (doc != NULL) ? xmlDocGetRootElement(doc) : NULL;

    *cib = NULL;
    if (root == NULL || !xmlStrEqual(root->name, BAD_CAST "cib")) {
        if (doc != NULL) {
            xmlFreeDoc(doc);
        }
        return DROVER_RC_PROTOCOL;
    }
    *cib = g_new0(drover_cib_t, 1);
    (*cib)->doc = doc;
    return 0;
}

void
drover_cib_free(drover_cib_t *cib)
{
    if (cib != NULL) {
        xmlFreeDoc(cib->doc);
        g_free(cib);
    }
}

xmlNode *
drover_cib_root(const drover_cib_t *cib)
{
    return xmlDocGetRootElement(cib->doc);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                            */
/* ------------------------------------------------------------------ */

static bool
is_element(const xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE
           && xmlStrEqual(node->name, BAD_CAST name);
}

/* First child element named \p name, with \p key = \p value if key given */
static xmlNode *
child(const xmlNode *parent, const char *name, const char *key,
      const char *value)
{
    if (parent == NULL) {
        return NULL;
    }
    for (xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (is_element(c, name)
            && (key == NULL
                || g_strcmp0(drover__xml_attr(c, key), value) == 0)) {
            return c;
        }
    }
    return NULL;
}

static xmlNode *
section(const drover_cib_t *cib, const char *name)
{
    xmlNode *root = drover_cib_root(cib);

    if (strcmp(name, "status") == 0) {
        return child(root, "status", NULL, NULL);
    }
    return child(child(root, "configuration", NULL, NULL), name, NULL, NULL);
}

/* Look through every <set_element> under \p parent for nvpairs: the first
 * named \p name wins (lookup), or all starting with \p prefix (collect) */
static const char *
nvpairs(const xmlNode *parent, const char *set_element, const char *name,
        const char *prefix, GHashTable *collect)
{
    if (parent == NULL) {
        return NULL;
    }
    for (xmlNode *set = parent->children; set != NULL; set = set->next) {
        if (!is_element(set, set_element)) {
            continue;
        }
        for (xmlNode *nv = set->children; nv != NULL; nv = nv->next) {
            const char *nv_name = NULL;

            if (!is_element(nv, "nvpair")) {
                continue;
            }
            nv_name = drover__xml_attr(nv, "name");
            if (nv_name == NULL) {
                continue;
            }
            if (name != NULL && strcmp(nv_name, name) == 0) {
                return drover__xml_attr(nv, "value");
            }
            if (collect != NULL && g_str_has_prefix(nv_name, prefix)
                && !g_hash_table_contains(collect, nv_name)) {
                g_hash_table_insert(collect, g_strdup(nv_name),
                                    g_strdup(drover__xml_attr(nv, "value")));
            }
        }
    }
    return NULL;
}

const char *
drover_cib_property(const drover_cib_t *cib, const char *name)
{
    return nvpairs(section(cib, "crm_config"), "cluster_property_set", name,
                   NULL, NULL);
}

GHashTable *
drover_cib_properties(const drover_cib_t *cib, const char *prefix)
{
    GHashTable *result =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    nvpairs(section(cib, "crm_config"), "cluster_property_set", NULL, prefix,
            result);
    return result;
}

/* Where a node's attributes of the given lifetime live */
static xmlNode *
node_attr_parent(const drover_cib_t *cib, const char *node,
                 drover_attr_lifetime_t lifetime)
{
    if (lifetime == DROVER_ATTR_PERMANENT) {
        return child(section(cib, "nodes"), "node", "uname", node);
    }
    return child(child(section(cib, "status"), "node_state", "uname", node),
                 "transient_attributes", NULL, NULL);
}

const char *
drover_cib_node_attr(const drover_cib_t *cib, const char *node,
                     const char *name, drover_attr_lifetime_t lifetime)
{
    return nvpairs(node_attr_parent(cib, node, lifetime), "instance_attributes",
                   name, NULL, NULL);
}

GHashTable *
drover_cib_node_attrs(const drover_cib_t *cib, const char *node,
                      const char *prefix, drover_attr_lifetime_t lifetime)
{
    GHashTable *result =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    nvpairs(node_attr_parent(cib, node, lifetime), "instance_attributes", NULL,
            prefix, result);
    return result;
}

static void
node_free(gpointer data)
{
    drover_cib_node_t *node = data;

    g_free(node->name);
    g_free(node->id);
    g_free(node);
}

/* Pacemaker 2.1.5 writes "true"/"online"; later releases write timestamps
 * for the same facts and "false"/"offline"/0 for their absence. */
static bool
state_is_up(const char *value)
{
    return value != NULL && strcmp(value, "false") != 0
           && strcmp(value, "offline") != 0 && strcmp(value, "0") != 0
           && value[0] != '\0';
}

GPtrArray *
drover_cib_nodes(const drover_cib_t *cib)
{
    GPtrArray *nodes = g_ptr_array_new_with_free_func(node_free);
    xmlNode *status = section(cib, "status");
    xmlNode *config = section(cib, "nodes");

    for (xmlNode *n = (config != NULL) ? config->children : NULL; n != NULL;
         n = n->next) {
        drover_cib_node_t *node = NULL;
        xmlNode *state = NULL;
        const char *standby = NULL;

        if (!is_element(n, "node") || drover__xml_attr(n, "uname") == NULL) {
            continue;
        }
        node = g_new0(drover_cib_node_t, 1);
        node->name = g_strdup(drover__xml_attr(n, "uname"));
        node->id = g_strdup(drover__xml_attr(n, "id"));
        node->remote = (g_strcmp0(drover__xml_attr(n, "type"), "remote") == 0);
        state = child(status, "node_state", "uname", node->name);
        node->online = (state != NULL)
                       && state_is_up(drover__xml_attr(state, "in_ccm"))
                       && state_is_up(drover__xml_attr(state, "crmd"));
        standby = drover_cib_node_attr(cib, node->name, "standby",
                                       DROVER_ATTR_TRANSIENT);
        if (standby == NULL) {
            standby = drover_cib_node_attr(cib, node->name, "standby",
                                           DROVER_ATTR_PERMANENT);
        }
        node->standby = drover_cib_is_true(standby);
        g_ptr_array_add(nodes, node);
    }
    return nodes;
}

GPtrArray *
drover_cib_node_names(const drover_cib_t *cib)
{
    g_autoptr(GPtrArray) nodes = drover_cib_nodes(cib);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < nodes->len; i++) {
        const drover_cib_node_t *n = g_ptr_array_index(nodes, i);

        g_ptr_array_add(names, g_strdup(n->name));
    }
    return names;
}

/* A primitive anywhere under resources (inside groups, clones, bundles) */
static xmlNode *
find_primitive(xmlNode *parent, const char *id)
{
    for (xmlNode *c = (parent != NULL) ? parent->children : NULL; c != NULL;
         c = c->next) {
        xmlNode *found = NULL;

        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (is_element(c, "primitive")
            && g_strcmp0(drover__xml_attr(c, "id"), id) == 0) {
            return c;
        }
        found = find_primitive(c, id);
        if (found != NULL) {
            return found;
        }
    }
    return NULL;
}

bool
drover_cib_has_resource(const drover_cib_t *cib, const char *resource)
{
    return find_primitive(section(cib, "resources"), resource) != NULL;
}

/* Every primitive of the given agent under \p parent, in document order */
static void
collect_primitives(const xmlNode *parent, const char *standard,
                   const char *provider, const char *type, GPtrArray *ids)
{
    for (xmlNode *c = (parent != NULL) ? parent->children : NULL; c != NULL;
         c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (is_element(c, "primitive")) {
            if (drover__xml_attr(c, "id") != NULL
                && g_strcmp0(drover__xml_attr(c, "class"), standard) == 0
                && g_strcmp0(drover__xml_attr(c, "provider"), provider) == 0
                && g_strcmp0(drover__xml_attr(c, "type"), type) == 0) {
                g_ptr_array_add(ids, g_strdup(drover__xml_attr(c, "id")));
            }
            continue;
        }
        collect_primitives(c, standard, provider, type, ids);
    }
}

GPtrArray *
drover_cib_resources_by_agent(const drover_cib_t *cib, const char *standard,
                              const char *provider, const char *type)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

    collect_primitives(section(cib, "resources"), standard, provider, type,
                       ids);
    return ids;
}

const char *
drover_cib_resource_param(const drover_cib_t *cib, const char *resource,
                          const char *name)
{
    return nvpairs(find_primitive(section(cib, "resources"), resource),
                   "instance_attributes", name, NULL, NULL);
}

const char *
drover_cib_resource_meta(const drover_cib_t *cib, const char *resource,
                         const char *name)
{
    xmlNode *resources = section(cib, "resources");

    /* Meta attributes are inherited from enclosing groups and clones */
    for (xmlNode *r = find_primitive(resources, resource);
         r != NULL && r != resources; r = r->parent) {
        const char *value = nvpairs(r, "meta_attributes", name, NULL, NULL);

        if (value != NULL) {
            return value;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Updates                                                            */
/* ------------------------------------------------------------------ */

static int
rc_from_exit(int status)
{
    switch (status) {
        case CRM_EX_OK: return 0;
        case CRM_EX_USAGE: return DROVER_RC_USAGE;
        case CRM_EX_NOSUCH:
        case CRM_EX_NOHOST: return DROVER_RC_NO_SUCH;
        case CRM_EX_UNAVAILABLE:
        case CRM_EX_DISCONNECT: return DROVER_RC_UNREACHABLE;
        case CRM_EX_QUORUM: return DROVER_RC_NO_QUORUM;
        case CRM_EX_TIMEOUT: return DROVER_RC_TIMEOUT;
        case CRM_EX_INSUFFICIENT_PRIV:
        case CRM_EX_NOPERM: return EACCES;
        default: return DROVER_RC_ERROR;
    }
}

int
drover_cib_node_name_check(const char *name, GString *reason)
{
    g_autofree char *shown = NULL;
    const char *why = NULL;

    if (name == NULL || *name == '\0') {
        g_string_printf(reason, "A node name cannot be empty");
        return DROVER_RC_USAGE;
    }
    if (!g_utf8_validate(name, -1, NULL)) {
        why = "bytes that are not UTF-8";
    }
    for (const char *c = name; why == NULL && *c != '\0';
         c = g_utf8_next_char(c)) {
        gunichar u = g_utf8_get_char(c);

        if (g_unichar_isspace(u)) {
            why = "a blank";
        } else if (g_unichar_iscntrl(u)) {
            why = "a control character";
        } else if (*c == '\'' || *c == '"') {
            why = "a quote";
        } else if (strchr("<>&", *c) != NULL) {
            why = (*c == '<') ? "'<'" : (*c == '>') ? "'>'" : "'&'";
        }
    }
    if (why == NULL) {
        return 0;
    }
    shown = drover__shown(name);
    g_string_printf(reason,
                    "'%s' is not a valid node name (it has %s; a node name "
                    "has no blanks, control characters, quotes, '<', '>' or "
                    "'&')",
                    shown, why);
    return DROVER_RC_USAGE;
}

int
drover_cib_set_node_attr(const char *node, const char *name, const char *value,
                         drover_attr_lifetime_t lifetime,
                         drover_deadline_t deadline)
{
    g_autofree char *node_arg = g_strconcat("--node=", node, NULL);
    g_autofree char *name_arg = g_strconcat("--name=", name, NULL);
    g_autofree char *value_arg = NULL;
    g_autofree char *err = NULL;
    const char *argv[7] = { "crm_attribute",
                            node_arg,
                            name_arg,
                            (lifetime == DROVER_ATTR_TRANSIENT)
                                ? "--lifetime=reboot"
                                : "--lifetime=forever",
                            NULL,
                            NULL,
                            NULL };
    int status = -1;
    int rc;

    if (value != NULL) {
        value_arg = g_strconcat("--update=", value, NULL);
        argv[4] = value_arg;
    } else {
        argv[4] = "--delete";
    }
    rc = drover_spawn(argv, deadline, NULL, &err, &status);
    if (rc != 0) {
        return rc;
    }
    if (status != 0) {
        g_strstrip(err);
        qb_log(LOG_ERR, "Cannot %s attribute %s of node %s: %s",
               (value != NULL) ? "set" : "delete", name, node, err);
        return rc_from_exit(status);
    }
    return 0;
}

int
drover_cib_set_resource_utilization(const char *resource, const char *name,
                                    const char *value,
                                    drover_deadline_t deadline)
{
    g_autofree char *rsc_arg = g_strconcat("--resource=", resource, NULL);
    g_autofree char *name_arg = g_strconcat(
        (value != NULL) ? "--set-parameter=" : "--delete-parameter=", name,
        NULL);
    g_autofree char *value_arg =
        (value != NULL) ? g_strconcat("--parameter-value=", value, NULL) : NULL;
    g_autofree char *err = NULL;
    const char *argv[] = { "crm_resource", rsc_arg,   "--utilization",
                           name_arg,       value_arg, NULL };
    int status = -1;
    int rc = drover_spawn(argv, deadline, NULL, &err, &status);

    if (rc != 0) {
        return rc;
    }
    if (status != 0) {
        g_strstrip(err);
        qb_log(LOG_WARNING, "Cannot %s utilization %s of %s: %s",
               (value != NULL) ? "set" : "delete", name, resource, err);
        return rc_from_exit(status);
    }
    return 0;
}

bool
drover_cib_boolean(const char *value, bool *result)
{
    /* Pacemaker's words (as its boolean parser, deprecated in 3.0, reads them) */
    static const char *const yes[] = { "true", "on", "yes", "y", "1", NULL };
    static const char *const no[] = { "false", "off", "no", "n", "0", NULL };

    for (size_t i = 0; value != NULL && yes[i] != NULL; i++) {
        if (g_ascii_strcasecmp(value, yes[i]) == 0) {
            *result = true;
            return true;
        }
        if (g_ascii_strcasecmp(value, no[i]) == 0) {
            *result = false;
            return true;
        }
    }
    return false;
}

bool
drover_cib_is_true(const char *value)
{
    bool b = false;

    return drover_cib_boolean(value, &b) && b;
}

int
drover_cib_score(const char *value)
{
    gint64 score = 0;
    char *end = NULL;

    if (value == NULL) {
        return 0;
    }
    if (g_ascii_strcasecmp(value, "INFINITY") == 0
        || g_ascii_strcasecmp(value, "+INFINITY") == 0) {
        return DROVER_SCORE_INFINITY;
    }
    if (g_ascii_strcasecmp(value, "-INFINITY") == 0) {
        return -DROVER_SCORE_INFINITY;
    }
    score = g_ascii_strtoll(value, &end, 10);
    if (end == value || *end != '\0') {
        return 0;
    }
    return (int) CLAMP(score, -DROVER_SCORE_INFINITY, DROVER_SCORE_INFINITY);
}

const char *
drover_cib_node_utilization(const drover_cib_t *cib, const char *node,
                            const char *name)
{
    return nvpairs(child(section(cib, "nodes"), "node", "uname", node),
                   "utilization", name, NULL, NULL);
}

const char *
drover_cib_resource_utilization(const drover_cib_t *cib, const char *resource,
                                const char *name)
{
    return nvpairs(find_primitive(section(cib, "resources"), resource),
                   "utilization", name, NULL, NULL);
}

GPtrArray *
drover_cib_banned_nodes(const drover_cib_t *cib, const char *resource)
{
    GPtrArray *nodes = g_ptr_array_new_with_free_func(g_free);
    xmlNode *constraints = section(cib, "constraints");

    for (xmlNode *c = (constraints != NULL) ? constraints->children : NULL;
         c != NULL; c = c->next) {
        if (is_element(c, "rsc_location")
            && g_strcmp0(drover__xml_attr(c, "rsc"), resource) == 0
            && drover__xml_attr(c, "node") != NULL
            && g_strcmp0(drover__xml_attr(c, "score"), "-INFINITY") == 0) {
            g_ptr_array_add(nodes, g_strdup(drover__xml_attr(c, "node")));
        }
    }
    return nodes;
}

GPtrArray *
drover_cib_colocated(const drover_cib_t *cib, const char *resource, bool apart)
{
    GPtrArray *others = g_ptr_array_new_with_free_func(g_free);
    xmlNode *constraints = section(cib, "constraints");

    for (xmlNode *c = (constraints != NULL) ? constraints->children : NULL;
         c != NULL; c = c->next) {
        const char *rsc = NULL;
        const char *with = NULL;
        int score = 0;

        if (!is_element(c, "rsc_colocation")) {
            continue;
        }
        rsc = drover__xml_attr(c, "rsc");
        with = drover__xml_attr(c, "with-rsc");
        score = drover_cib_score(drover__xml_attr(c, "score"));
        if (rsc == NULL || with == NULL
            || (apart ? score > -DROVER_SCORE_INFINITY
                      : score < DROVER_SCORE_INFINITY)) {
            continue;
        }
        if (strcmp(rsc, resource) == 0) {
            g_ptr_array_add(others, g_strdup(with));
        } else if (strcmp(with, resource) == 0) {
            g_ptr_array_add(others, g_strdup(rsc));
        }
    }
    return others;
}

GPtrArray *
drover_cib_ordered_after(const drover_cib_t *cib, const char *resource)
{
    GPtrArray *firsts = g_ptr_array_new_with_free_func(g_free);
    xmlNode *constraints = section(cib, "constraints");

    for (xmlNode *c = (constraints != NULL) ? constraints->children : NULL;
         c != NULL; c = c->next) {
        const char *kind = NULL;
        const char *score = NULL;

        if (!is_element(c, "rsc_order")
            || g_strcmp0(drover__xml_attr(c, "then"), resource) != 0
            || drover__xml_attr(c, "first") == NULL
            || g_str_has_prefix(
                drover__xml_attr(c, "id") ? drover__xml_attr(c, "id") : "",
                "drover-")) {
            continue;
        }
        kind = drover__xml_attr(c, "kind");
        score = drover__xml_attr(c, "score"); /* deprecated: 0 is optional */
        if ((kind != NULL && strcmp(kind, "Mandatory") != 0)
            || (kind == NULL && score != NULL
                && drover_cib_score(score) <= 0)) {
            continue;
        }
        g_ptr_array_add(firsts, g_strdup(drover__xml_attr(c, "first")));
    }
    return firsts;
}
