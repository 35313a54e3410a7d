/*
 * Checking drover's configuration as a whole.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <drover/config.h>
#include <drover/drain.h>
#include <drover/health.h>
#include <drover/netsel.h>
#include <drover/slot_group.h>

#include "drover_private.h"
#include "config_private.h"
#include "options.h"

/* The VirtualDomain parameter naming a VM's own order of networks */
#define DROVER_VM_NETWORKS_PARAM "migration_networks"

void
drover_problem_free(gpointer data)
{
    drover_problem_t *p = data;

    g_free(p->subject);
    g_free(p->name);
    g_free(p->value);
    g_free(p->message);
    g_free(p);
}

void
drover__problem_add(GPtrArray *problems, drover_problem_severity_t severity,
                    const char *subject, const char *name, const char *value,
                    const char *message)
{
    drover_problem_t *p = g_new0(drover_problem_t, 1);

    p->severity = severity;
    p->subject = g_strdup(subject);
    p->name = g_strdup(name);
    p->value = (value != NULL) ? drover__shown(value) : NULL;
    p->message = g_strdup(message);
    g_ptr_array_add(problems, p);
}

void
drover__problem_addf(GPtrArray *problems, drover_problem_severity_t severity,
                     const char *subject, const char *name, const char *value,
                     const char *format, ...)
{
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    drover__problem_add(problems, severity, subject, name, value, message);
}

/* "lm1 10.20.1.0/24, lm2 10.20.2.0/24,fd00::/64" */
static char *
describe_networks(const GPtrArray *networks)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);

        g_string_append_printf(text, "%s%s ", (i > 0) ? ", " : "", n->name);
        for (guint j = 0; j < n->subnets->len; j++) {
            GInetAddressMask *mask = g_ptr_array_index(n->subnets, j);
            g_autofree char *subnet =
                g_inet_address_to_string(g_inet_address_mask_get_address(mask));

            g_string_append_printf(text, "%s%s/%u", (j > 0) ? "," : "", subnet,
                                   g_inet_address_mask_get_length(mask));
        }
    }
    return g_string_free(text, FALSE);
}

/* Why \p address, listed in \p node's policy, can never let a migration
 * in (NULL: it can): it must be on a migration network and, where the node
 * published its address on that network, be that address */
static char *
address_unfit(const GPtrArray *networks, GHashTable *facts, const char *node,
              GInetAddress *address)
{
    const drover_network_t *network =
        drover_networks_find_address(networks, address);
    const drover_net_facts_t *own = NULL;
    g_autofree char *shown = g_inet_address_to_string(address);

    if (network == NULL) {
        g_autofree char *valid = describe_networks(networks);

        return g_strdup_printf("%s is on none of the migration networks (%s); "
                               "list %s's own address on one of them",
                               shown, valid, node);
    }
    own = g_hash_table_lookup(facts, network->name);
    if (own != NULL && own->address != NULL
        && !g_inet_address_equal(own->address, address)) {
        g_autofree char *has = g_inet_address_to_string(own->address);

        return g_strdup_printf("%s is not %s's address on %s (it has %s)",
                               shown, node, network->name, has);
    }
    return NULL;
}

/* Whether \p policy names \p network or lists an address on it */
static bool
policy_names(const drover_incoming_t *policy, const GPtrArray *networks,
             const drover_network_t *network)
{
    if (drover_incoming_allows(policy, network, NULL)) {
        return true;
    }
    for (guint i = 0; i < policy->addresses->len; i++) {
        if (drover_networks_find_address(
                networks, g_ptr_array_index(policy->addresses, i))
            == network) {
            return true;
        }
    }
    return false;
}

/* Why no live migration can reach \p node (NULL: one can).  Only for a
 * node that published facts: without NodeHealth there, nothing is known. */
static char *
node_unreachable(const GPtrArray *networks, const drover_incoming_t *policy,
                 const char *text, GHashTable *facts, const char *node)
{
    g_autoptr(GString) where = g_string_new(NULL);
    g_autoptr(GString) has = g_string_new(NULL);
    g_autofree char *shown = (text != NULL) ? drover__shown(text) : NULL;
    bool any = (policy->mode == DROVER_INCOMING_ANY);

    if (g_hash_table_size(facts) == 0 || policy->mode == DROVER_INCOMING_NONE) {
        return NULL;
    }
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);
        const drover_net_facts_t *f = g_hash_table_lookup(facts, n->name);

        if (f != NULL && f->link_up
            && drover_incoming_allows(policy, n, f->address)) {
            return NULL;
        }
        if (policy_names(policy, networks, n)) {
            g_string_append_printf(where, "%s%s", (where->len > 0) ? ", " : "",
                                   n->name);
        }
        if (f != NULL) {
            g_autofree char *facts_text = drover_net_facts_format(f);

            g_string_append_printf(has, "%s%s %s", (has->len > 0) ? "; " : "",
                                   n->name, facts_text);
        }
    }
    return g_strdup_printf("%s accepts %s%s but has published no address "
                           "with link up on %s: no live migration can reach "
                           "it (it has published %s)",
                           node, any ? "any network" : g_strstrip(shown),
                           any ? "" : " only", where->str, has->str);
}

/* A node's valid policy against what it published */
static void
check_node_networks(const drover_cib_t *cib, const GPtrArray *networks,
                    const char *node, const drover_incoming_t *policy,
                    const char *text, GPtrArray *problems)
{
    g_autofree char *subject = g_strdup_printf("node %s", node);
    g_autoptr(GHashTable) facts =
        drover_net_facts_published(cib, networks, node);
    g_autofree char *why = NULL;
    bool bad_address = false;

    for (guint i = 0; i < policy->addresses->len; i++) {
        g_autofree char *message = address_unfit(
            networks, facts, node, g_ptr_array_index(policy->addresses, i));

        if (message != NULL) {
            drover__problem_add(problems, DROVER_PROBLEM_ERROR, subject,
                                DROVER_INCOMING_ATTR, text, message);
            bad_address = true;
        }
    }
    why = bad_address ? NULL
                      : node_unreachable(networks, policy, text, facts, node);
    if (why != NULL) {
        drover__problem_add(problems, DROVER_PROBLEM_WARNING, subject,
                            DROVER_INCOMING_ATTR, text, why);
    }
}

/* Each node's incoming policy, against the cluster's networks and what the
 * node published on them */
static void
check_nodes(const drover_cib_t *cib, const GPtrArray *networks,
            bool networks_valid, GPtrArray *problems)
{
    g_autoptr(GPtrArray) nodes = drover_cib_nodes(cib);
    g_autoptr(GPtrArray) none = g_ptr_array_new();

    if (!networks_valid) {
        return; /* a bad network list is reported once, above */
    }
    for (guint i = 0; i < nodes->len; i++) {
        drover_cib_node_t *node = g_ptr_array_index(nodes, i);
        const char *policy = drover_cib_node_attr(
            cib, node->name, DROVER_INCOMING_ATTR, DROVER_ATTR_PERMANENT);
        g_autofree char *subject = g_strdup_printf("node %s", node->name);
        g_autoptr(GString) reason = g_string_new(NULL);
        g_autoptr(drover_incoming_t) parsed = NULL;

        if (drover_incoming_parse((networks != NULL) ? networks : none, policy,
                                  &parsed, reason)
            != 0) {
            drover__problem_add(problems, DROVER_PROBLEM_ERROR, subject,
                                DROVER_INCOMING_ATTR, policy, reason->str);
        } else if (networks == NULL && parsed->mode != DROVER_INCOMING_ANY) {
            drover__problem_add(
                problems, DROVER_PROBLEM_WARNING, subject, DROVER_INCOMING_ATTR,
                policy,
                "There are no migration networks (" DROVER_NETWORKS_PROPERTY
                " is not set): this policy "
                "has nothing to choose from");
        } else if (networks != NULL) {
            check_node_networks(cib, networks, node->name, parsed, policy,
                                problems);
        }
    }
}

/* Each drover VM's own network order */
static void
check_resources(const drover_cib_t *cib, const GPtrArray *networks,
                bool networks_valid, GPtrArray *problems)
{
    g_autoptr(GPtrArray) ids =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "VirtualDomain");

    if (!networks_valid) {
        return;
    }
    for (guint i = 0; i < ids->len; i++) {
        const char *id = g_ptr_array_index(ids, i);
        const char *order =
            drover_cib_resource_param(cib, id, DROVER_VM_NETWORKS_PARAM);
        g_autofree char *subject = g_strdup_printf("resource %s", id);
        g_autoptr(GString) reason = g_string_new(NULL);
        g_autoptr(GPtrArray) parsed = NULL;

        if (order == NULL || order[0] == '\0') {
            continue; /* unset, as the agent sees an empty value */
        }
        if (networks == NULL) {
            drover__problem_add(problems, DROVER_PROBLEM_WARNING, subject,
                                DROVER_VM_NETWORKS_PARAM, order,
                                "There are no migration networks "
                                "(" DROVER_NETWORKS_PROPERTY
                                " is not set): this "
                                "order is ignored, and migrateuri and "
                                "migration_network_suffix decide");
        } else if (drover_networks_order(networks, order, &parsed, reason)
                   != 0) {
            drover__problem_add(problems, DROVER_PROBLEM_ERROR, subject,
                                DROVER_VM_NETWORKS_PARAM, order, reason->str);
        }
    }
}

/* A NodeHealth that Pacemaker stops on a red node would withdraw the
 * colour, start again, turn red again: without allow-unhealthy-nodes it
 * flaps while every VM there is moved and moved back (Pacemaker Explained,
 * "Tracking Node Health": health agents need it) */
static void
check_health_agents(const drover_cib_t *cib, GPtrArray *problems)
{
    g_autoptr(GPtrArray) ids =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "NodeHealth");

    for (guint i = 0; i < ids->len; i++) {
        const char *id = g_ptr_array_index(ids, i);
        const char *allow =
            drover_cib_resource_meta(cib, id, "allow-unhealthy-nodes");
        g_autofree char *subject = g_strdup_printf("resource %s", id);

        if (!drover_cib_is_true(allow)) {
            drover__problem_add(
                problems, DROVER_PROBLEM_ERROR, subject,
                "allow-unhealthy-nodes", allow,
                "A health agent must keep running on a red node: "
                "set meta allow-unhealthy-nodes=true (on the clone "
                "or the primitive), or Pacemaker stops it there, "
                "the colour goes, it starts again and turns red "
                "again");
        }
    }
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The keys of \p table (strings), sorted: problems come in a stable order */
static gpointer *
sorted_keys(GHashTable *table, guint *n)
{
    gpointer *keys = g_hash_table_get_keys_as_array(table, n);

    qsort(keys, *n, sizeof(*keys), compare_names);
    return keys;
}

/* A node's limit (a node attribute), its default when unset or invalid */
static int
node_limit(const drover_cib_t *cib, const char *node, const char *attr,
           int fallback)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    const char *value =
        drover_cib_node_attr(cib, node, attr, DROVER_ATTR_PERMANENT);
    int limit = 0;

    if (value == NULL || drover_limit_parse(value, &limit, reason) != 0) {
        return fallback;
    }
    return limit;
}

/*
 * Pacemaker starts every migrate_to of a transition at once (a standby
 * moves all of a node's VMs); drover holds those beyond its limits inside
 * their operation, and one that waits past its timeout fails, which
 * Pacemaker recovers with a restart.  Its migration-limit (per node, both
 * directions) keeps them in Pacemaker's own queue, where no timeout runs:
 * it must be at most the lowest per-node limit (docs/slots.md).
 */
static void
check_migration_limit(const drover_cib_t *cib, GPtrArray *problems)
{
    g_autoptr(GPtrArray) vms =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "VirtualDomain");
    g_autoptr(GPtrArray) nodes = drover_cib_nodes(cib);
    const char *value = drover_cib_property(cib, "migration-limit");
    gint64 current = -1;
    int lowest = G_MAXINT;

    if (vms->len == 0 || nodes->len == 0) {
        return;
    }
    for (guint i = 0; i < nodes->len; i++) {
        drover_cib_node_t *node = g_ptr_array_index(nodes, i);
        int out = node_limit(cib, node->name, DROVER_MAX_OUTGOING_ATTR,
                             DROVER_DEFAULT_MAX_OUTGOING);
        int in = node_limit(cib, node->name, DROVER_MAX_INCOMING_ATTR,
                            DROVER_DEFAULT_MAX_INCOMING);

        /* 0: no limit */
        lowest = MIN(lowest, (out > 0) ? out : G_MAXINT);
        lowest = MIN(lowest, (in > 0) ? in : G_MAXINT);
    }
    if (lowest == G_MAXINT) {
        return;
    }
    if (value != NULL
        && !g_ascii_string_to_signed(value, 10, G_MININT, G_MAXINT, &current,
                                     NULL)) {
        current = -1;
    }
    if (current < 0 || current > lowest) {
        g_autofree char *message = g_strdup_printf(
            "A standby starts every migrate_to at once; those beyond "
            "drover's per-node limits wait inside their operation and are "
            "restarted if that outlasts its timeout: set migration-limit to "
            "%d (the lowest drover-max-outgoing/-incoming)",
            lowest);

        drover__problem_add(problems, DROVER_PROBLEM_WARNING, "cluster",
                            "migration-limit",
                            (value != NULL) ? value : "unset", message);
    }
}

/* Levenshtein distance of \p a and \p b (short names only) */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    g_autofree size_t *row = g_new(size_t, lb + 1);

    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];

        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;

            row[j] = MIN(MIN(above + 1, row[j - 1] + 1), diagonal + cost);
            diagonal = above;
        }
    }
    return row[lb];
}

/* "; did you mean X?" for the nearest of \p names (NULL-terminated) when
 * one is near, else "" */
static char *
nearest(const char *name, const char *const *names)
{
    const char *best = NULL;
    size_t best_distance = 4; /* a few typos, no more */

    for (size_t i = 0; names[i] != NULL; i++) {
        size_t d = edit_distance(name, names[i]);

        if (d < best_distance) {
            best = names[i];
            best_distance = d;
        }
    }
    return (best != NULL) ? g_strdup_printf("; did you mean %s?", best)
                          : g_strdup("");
}

/* The names of the table's rows of \p scope, for nearest() */
static GPtrArray *
option_names(drover_option_scope_t scope)
{
    GPtrArray *names = g_ptr_array_new();

    for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
        if (o->scope == scope) {
            g_ptr_array_add(names, (gpointer) o->name);
        }
    }
    g_ptr_array_add(names, NULL);
    return names;
}

/* Whether \p name is an option of a network in \p networks */
static bool
of_listed_network(const drover_option_t *option, const char *name,
                  const GPtrArray *networks)
{
    g_autofree char *network = drover__option_name_part(option->name, name);

    for (guint i = 0; networks != NULL && i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);

        if (g_strcmp0(n->name, network) == 0) {
            return true;
        }
    }
    return false;
}

/* One drover-* cluster property against the option table: one drover
 * reads, as a cluster property, with a valid value */
static void
check_property(const GPtrArray *networks, const char *name, const char *value,
               GPtrArray *problems)
{
    const drover_option_t *o = drover__option_find(name);
    g_autoptr(GString) reason = g_string_new(NULL);

    if (g_str_has_prefix(name, "drover-network-")
        && (o == NULL || o->scope != DROVER_OPTION_NETWORK
            || !of_listed_network(o, name, networks))) {
        drover__problem_add(problems, DROVER_PROBLEM_ERROR, "cluster", name,
                            value,
                            "Not an option of any migration network "
                            "(" DROVER_NETWORKS_PROPERTY
                            "): drover-network-NAME-max-migrations, "
                            "-bandwidth or -transport of a listed NAME");
    } else if (o != NULL && o->scope == DROVER_OPTION_NODE) {
        drover__problem_add(problems, DROVER_PROBLEM_ERROR, "cluster", name,
                            value,
                            "A node attribute, not a cluster property: set it "
                            "with crm_attribute --node NODE --name NAME "
                            "(this property is ignored)");
    } else if (o == NULL
               || (o->scope != DROVER_OPTION_CLUSTER
                   && o->scope != DROVER_OPTION_NETWORK)) {
        g_autoptr(GPtrArray) names = option_names(DROVER_OPTION_CLUSTER);
        g_autofree char *guess =
            nearest(name, (const char *const *) names->pdata);

        drover__problem_addf(problems, DROVER_PROBLEM_ERROR, "cluster", name,
                             value,
                             "Not a drover cluster property (this one is "
                             "ignored)%s",
                             guess);
    } else if (!drover__option_valid(o, value, reason)) {
        drover__problem_add(problems, DROVER_PROBLEM_ERROR, "cluster", name,
                            value, reason->str);
    }
}

/* One drover-* permanent node attribute against the option table */
static void
check_node_attr(const char *subject, const char *name, const char *value,
                GPtrArray *problems)
{
    const drover_option_t *o = drover__option_find(name);
    g_autoptr(GString) reason = g_string_new(NULL);

    if (o == NULL) {
        g_autoptr(GPtrArray) names = option_names(DROVER_OPTION_NODE);
        g_autofree char *guess =
            nearest(name, (const char *const *) names->pdata);

        drover__problem_addf(
            problems, DROVER_PROBLEM_ERROR, subject, name, value,
            "Not a drover node attribute (this one is ignored)%s", guess);
    } else if (o->scope == DROVER_OPTION_CLUSTER
               || o->scope == DROVER_OPTION_NETWORK) {
        drover__problem_add(
            problems, DROVER_PROBLEM_ERROR, subject, name, value,
            "A cluster property, not a node attribute: set it with "
            "crm_attribute --type crm_config --name NAME (this "
            "attribute is ignored)");
    } else if (o->scope == DROVER_OPTION_STATUS) {
        drover__problem_add(
            problems, DROVER_PROBLEM_ERROR, subject, name, value,
            "drover's agents publish this one as a transient or "
            "private attribute; a permanent one is ignored: delete "
            "it");
    } else if (!drover__option_valid(o, value, reason)) {
        drover__problem_add(problems, DROVER_PROBLEM_ERROR, subject, name,
                            value, reason->str);
    }
}

/* Every drover-* cluster property and permanent node attribute against the
 * option table (lib/options.c).  The network list and the incoming
 * policies are checked against each other (drover_config_check(),
 * check_nodes()).  Admin-set node attributes are permanent: a transient one
 * is ignored and gone at the next reboot (a warning, as the permanent one,
 * or the default, still holds). */
static void
check_options(const drover_cib_t *cib, const GPtrArray *networks,
              GPtrArray *problems)
{
    g_autoptr(GHashTable) properties = drover_cib_properties(cib, "drover-");
    g_autoptr(GPtrArray) nodes = drover_cib_nodes(cib);
    guint n_names = 0;
    g_autofree gpointer *names = sorted_keys(properties, &n_names);

    for (guint k = 0; k < n_names; k++) {
        check_property(networks, names[k],
                       g_hash_table_lookup(properties, names[k]), problems);
    }
    for (guint i = 0; i < nodes->len; i++) {
        drover_cib_node_t *node = g_ptr_array_index(nodes, i);
        g_autofree char *subject = g_strdup_printf("node %s", node->name);
        g_autoptr(GHashTable) permanent = drover_cib_node_attrs(
            cib, node->name, "drover-", DROVER_ATTR_PERMANENT);
        guint n = 0;
        g_autofree gpointer *attrs = sorted_keys(permanent, &n);

        for (guint k = 0; k < n; k++) {
            check_node_attr(subject, attrs[k],
                            g_hash_table_lookup(permanent, attrs[k]), problems);
        }
        for (const drover_option_t *o = drover__options; o->name != NULL; o++) {
            const char *value =
                (o->scope == DROVER_OPTION_NODE) ? drover_cib_node_attr(
                    cib, node->name, o->name, DROVER_ATTR_TRANSIENT)
                                                 : NULL;

            if (value != NULL) {
                drover__problem_add(
                    problems, DROVER_PROBLEM_WARNING, subject, o->name, value,
                    "Transient (--lifetime reboot): drover reads "
                    "only the permanent one; set it without "
                    "--lifetime and delete this one");
            }
        }
    }
}

/* The directory check runs with a URI and a base, and only then: a setting
 * of it without them checks nothing, which an admin would not guess */
static void
check_ldap_needs(const drover_cib_t *cib, const char *uri, GPtrArray *problems)
{
    static const char *const settings[] = {
        DROVER_HEALTH_LDAP_BASE_PROPERTY,   DROVER_HEALTH_LDAP_FILTER_PROPERTY,
        DROVER_HEALTH_LDAP_EXPECT_PROPERTY, DROVER_HEALTH_LDAP_BIND_PROPERTY,
        DROVER_HEALTH_LDAP_SECRET_PROPERTY,
    };

    if (uri == NULL) {
        for (guint i = 0; i < G_N_ELEMENTS(settings); i++) {
            const char *value = drover_cib_property(cib, settings[i]);

            if (value != NULL) {
                drover__problem_add(
                    problems, DROVER_PROBLEM_ERROR, "cluster", settings[i],
                    value,
                    "Set without " DROVER_HEALTH_LDAP_URI_PROPERTY
                    ": no directory is checked; set the URI "
                    "(ldap:// or ldaps://) or delete this");
            }
        }
    } else if (drover_cib_property(cib, DROVER_HEALTH_LDAP_BASE_PROPERTY)
               == NULL) {
        drover__problem_add(problems, DROVER_PROBLEM_ERROR, "cluster",
                            DROVER_HEALTH_LDAP_URI_PROPERTY, uri,
                            "Needs " DROVER_HEALTH_LDAP_BASE_PROPERTY
                            ": where the node entries are, e.g. "
                            "ou=hosts,dc=example,dc=org");
    }
}

char *
drover_ldap_uri_in_clear(const char *uris)
{
    g_auto(GStrv) list = g_strsplit_set(uris, " \t,", -1);

    for (char **u = list; *u != NULL; u++) {
        if (**u == '\0') {
            continue;
        }
        /* lower case, interned; NULL for what is no URI (no ldaps://) */
        if (g_strcmp0(g_uri_peek_scheme(*u), "ldaps") != 0) {
            return g_strdup(*u);
        }
    }
    return NULL;
}

/* What the table cannot see: settings that need each other */
static void
check_ldap(const drover_cib_t *cib, GPtrArray *problems)
{
    const char *uri = drover_cib_property(cib, DROVER_HEALTH_LDAP_URI_PROPERTY);
    g_autofree char *clear = NULL;

    check_ldap_needs(cib, uri, problems);
    if (uri != NULL
        && drover_cib_property(cib, DROVER_HEALTH_LDAP_SECRET_PROPERTY) != NULL
        && (clear = drover_ldap_uri_in_clear(uri)) != NULL) {
        drover__problem_addf(
            problems, DROVER_PROBLEM_ERROR, "cluster",
            DROVER_HEALTH_LDAP_URI_PROPERTY, uri,
            "With " DROVER_HEALTH_LDAP_SECRET_PROPERTY
            " the password would go in clear to %s: give "
            "ldaps:// URIs only (StartTLS is not supported), or "
            "no password file to bind anonymously",
            clear);
    }
}

GPtrArray *
drover_config_check(const drover_cib_t *cib)
{
    GPtrArray *problems = g_ptr_array_new_with_free_func(drover_problem_free);
    const char *list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    bool valid = true;

    if (list != NULL && drover_networks_parse(list, &networks, reason) != 0) {
        drover__problem_add(problems, DROVER_PROBLEM_ERROR, "cluster",
                            DROVER_NETWORKS_PROPERTY, list, reason->str);
        valid = false;
    }
    check_nodes(cib, networks, valid, problems);
    check_resources(cib, networks, valid, problems);
    check_health_agents(cib, problems);
    check_options(cib, networks, problems);
    check_ldap(cib, problems);
    check_migration_limit(cib, problems);
    return problems;
}

/* A network whose transport is rdma needs an RDMA device on the interface
 * that carries it on this node (QEMU's rdma:// listens and connects there) */
void
drover_config_check_rdma_here(const drover_cib_t *cib, const char *subject,
                              GPtrArray *problems)
{
    const char *list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GHashTable) here = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);

    if (list == NULL || drover_networks_parse(list, &networks, reason) != 0) {
        return; /* reported by drover_config_check() */
    }
    for (guint i = 0; i < networks->len; i++) {
        const drover_network_t *n = g_ptr_array_index(networks, i);
        g_autofree char *property = drover_transport_property(n->name);
        const char *value = drover_cib_property(cib, property);
        const drover_net_facts_t *mine = NULL;
        g_autofree char *device = NULL;

        if (g_strcmp0(value, "rdma") != 0) {
            continue;
        }
        if (here == NULL) {
            here = drover_net_facts_local(networks);
        }
        mine = g_hash_table_lookup(here, n->name);
        if (mine == NULL) {
            continue; /* not on this network: the node checks report it */
        }
        device = drover_net_rdma_device("/sys", mine->interface);
        if (device == NULL) {
            drover__problem_addf(
                problems, DROVER_PROBLEM_ERROR, subject, property, value,
                "No RDMA device on %s, which carries %s here: "
                "QEMU's rdma:// migration needs one on it (an "
                "InfiniBand or RoCE adapter, or rdma_rxe over %s); "
                "else set the transport to tcp or tls",
                mine->interface, n->name, mine->interface);
        }
    }
}
