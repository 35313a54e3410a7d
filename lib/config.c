/*
 * Checking drover's configuration as a whole.
 */
#include <string.h>

#include <drover/config.h>
#include <drover/netsel.h>

#include "drover_private.h"

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

static void
add_problem(GPtrArray *problems, drover_problem_severity_t severity,
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

/* Each node's incoming policy, against the cluster's networks */
static void
check_nodes(const drover_cib_t *cib, const GPtrArray *networks,
            bool networks_valid, GPtrArray *problems)
{
    g_autoptr(GPtrArray) nodes = drover_cib_nodes(cib);
    g_autoptr(GPtrArray) none = g_ptr_array_new();

    for (guint i = 0; i < nodes->len; i++) {
        drover_cib_node_t *node = g_ptr_array_index(nodes, i);
        const char *policy = drover_cib_node_attr(
            cib, node->name, DROVER_INCOMING_ATTR, DROVER_ATTR_PERMANENT);
        g_autofree char *subject = g_strdup_printf("node %s", node->name);
        g_autoptr(GString) reason = g_string_new(NULL);
        g_autoptr(drover_incoming_t) parsed = NULL;

        if (policy == NULL || !networks_valid) {
            continue; /* a bad network list is reported once, above */
        }
        if (drover_incoming_parse((networks != NULL) ? networks : none, policy,
                                  &parsed, reason)
            != 0) {
            add_problem(problems, DROVER_PROBLEM_ERROR, subject,
                        DROVER_INCOMING_ATTR, policy, reason->str);
        } else if (networks == NULL && parsed->mode != DROVER_INCOMING_ANY) {
            add_problem(
                problems, DROVER_PROBLEM_WARNING, subject, DROVER_INCOMING_ATTR,
                policy,
                "There are no migration networks (" DROVER_NETWORKS_PROPERTY
                " is not set): this policy "
                "has nothing to choose from");
        }
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
        add_problem(problems, DROVER_PROBLEM_ERROR, "cluster",
                    DROVER_NETWORKS_PROPERTY, list, reason->str);
        valid = false;
    }
    check_nodes(cib, networks, valid, problems);
    return problems;
}
