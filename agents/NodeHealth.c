/*
 * ocf:drover:NodeHealth — what this node offers migrations, for the others
 * to read.  Run as a clone: its monitor publishes, for every migration
 * network of the cluster (drover-migration-networks), this node's address,
 * MTU and link state as the transient attribute drover-net-<name>
 * ("address=10.20.1.12 mtu=9000 link=up"); a network where the node has no
 * address gets no attribute.  Only changes are written.  Also the host's
 * available memory and load, as the private attribute drover-host; its
 * libvirt and QEMU versions and machine types, as the private attribute
 * drover-platform; and
 * the result of drover's health checks (drover/health.h) as Pacemaker's
 * node health attribute #health-drover, why in drover-health-reason, and
 * the whole report as the private attribute drover-health.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/health.h>
#include <drover/netsel.h>
#include <drover/ocf.h>
#include <drover/platform.h>
#include <drover/rc.h>
#include <drover/record.h>
#include <drover/drain.h>

#define NET_ATTR_PREFIX "drover-net-"

static const drover_ocf_param_t params[] = {
    { .name = "publish_networks",
      .type = DROVER_PARAM_BOOLEAN,
      .default_value = "true",
      .shortdesc = "Publish this node's migration network facts",
      .longdesc = "Publish, for every network in the cluster property "
                  "drover-migration-networks, this node's address, MTU and "
                  "link state as the transient node attribute "
                  "drover-net-<network>, which the VM agents read to choose "
                  "a migration network." },
    { .name = "check_health",
      .type = DROVER_PARAM_BOOLEAN,
      .default_value = "true",
      .shortdesc = "Run drover's health checks and publish the result",
      .longdesc = "Every monitor, check that libvirt, Corosync and "
                  "Pacemaker's CIB, controller and attribute manager answer, "
                  "that the node's name resolves to an address of this host "
                  "(not loopback) and back, and that every peer on each "
                  "migration network has the same MTU and is reached by a "
                  "full-size don't-fragment packet.  The result is the node "
                  "health attribute #health-drover (green, yellow or red: "
                  "set node-health-strategy, e.g. migrate-on-red, for "
                  "Pacemaker to act on it), the reason drover-health-reason, "
                  "and the whole report as the private attribute "
                  "drover-health (drover health --node/--all).  The VM "
                  "agent refuses to migrate to a red node and drover drain "
                  "never chooses one.  Red needs a cause of this node's "
                  "own: a check no other node passes (a shared cause, such "
                  "as the cluster's configuration) is a warning.  A stopped "
                  "NodeHealth leaves the colour as it was.  Run it as a "
                  "clone with meta allow-unhealthy-nodes=true, so that it "
                  "keeps running on a red node." },
    { .name = "libvirt_uri",
      .type = DROVER_PARAM_STRING,
      .default_value = "qemu:///system",
      .shortdesc = "The libvirt URI the health check calls",
      .longdesc = "The libvirt connection whose daemon must answer a real "
                  "call (a listing of domains) for the node to be healthy, "
                  "and whose libvirt and QEMU versions and QEMU machine "
                  "types the node publishes as the private attribute "
                  "drover-platform: the VM agent and drover drain never "
                  "move a VM to an older QEMU, nor to one without the "
                  "VM's machine type.",
      .check = drover_ocf_check_uri },
    { .name = "health_timeout",
      .type = DROVER_PARAM_INTEGER,
      .default_value = "10",
      .shortdesc = "Seconds one health run may take",
      .longdesc = "The checks run at once, each within this time (and "
                  "within half of what is left of the monitor's timeout); a "
                  "check that has not answered by then is critical.",
      .min = 1,
      .max = 3600 },
    { 0 },
};

static const char *
node_name(drover_ocf_t *ocf)
{
    const char *node = drover_ocf_meta(ocf, "on_node");

    return (node != NULL) ? node : g_get_host_name();
}

/* Write what changed: the facts of each network, and no attribute where
 * this node has no address (or the network is no longer listed) */
static int
publish(drover_ocf_t *ocf, bool withdraw)
{
    drover_deadline_t deadline = drover_ocf_deadline(ocf);
    const char *node = node_name(ocf);
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GHashTable) facts = NULL;
    g_autoptr(GHashTable) published = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    GHashTableIter iter;
    gpointer key = NULL;
    const char *list = NULL;
    int rc = drover_cib_query(deadline, &cib);

    if (rc != 0) {
        drover_ocf_exit_reason(ocf, "Cannot read the CIB: %s",
                               drover_rc_str(rc));
        return rc;
    }
    list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    if (!withdraw && list != NULL
        && drover_networks_parse(list, &networks, reason) != 0) {
        drover_ocf_exit_reason(ocf, "%s: %s", DROVER_NETWORKS_PROPERTY,
                               reason->str);
        return DROVER_RC_CONFIG;
    }
    facts = (networks != NULL) ? drover_net_facts_local(networks)
                               : g_hash_table_new(g_str_hash, g_str_equal);
    published = drover_cib_node_attrs(cib, node, NET_ATTR_PREFIX,
                                      DROVER_ATTR_TRANSIENT);

    /* new and changed facts */
    for (guint i = 0; networks != NULL && i < networks->len; i++) {
        drover_network_t *n = g_ptr_array_index(networks, i);
        drover_net_facts_t *f = g_hash_table_lookup(facts, n->name);
        g_autofree char *attr = g_strconcat(NET_ATTR_PREFIX, n->name, NULL);
        g_autofree char *value = NULL;

        if (f == NULL) {
            continue;
        }
        value = drover_net_facts_format(f);
        if (g_strcmp0(g_hash_table_lookup(published, attr), value) != 0) {
            qb_log(LOG_INFO, "%s: %s on %s", attr, value, node);
            rc = drover_cib_set_node_attr(node, attr, value,
                                          DROVER_ATTR_TRANSIENT, deadline);
            if (rc != 0) {
                drover_ocf_exit_reason(ocf, "Cannot publish %s: %s", attr,
                                       drover_rc_str(rc));
                return rc;
            }
        }
        g_hash_table_remove(published, attr);
    }
    /* facts no longer true */
    g_hash_table_iter_init(&iter, published);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        qb_log(LOG_INFO, "%s: withdrawn on %s", (const char *) key, node);
        rc = drover_cib_set_node_attr(node, key, NULL, DROVER_ATTR_TRANSIENT,
                                      deadline);
        if (rc != 0) {
            drover_ocf_exit_reason(ocf, "Cannot withdraw %s: %s",
                                   (const char *) key, drover_rc_str(rc));
            return rc;
        }
    }
    return 0;
}

/* Set a public node attribute when its value changes (each change is a
 * CIB write and a new transition); NULL deletes it */
static void
set_if_changed(const drover_cib_t *cib, const char *node, const char *name,
               const char *value, drover_deadline_t deadline)
{
    const char *now =
        (cib != NULL)
            ? drover_cib_node_attr(cib, node, name, DROVER_ATTR_TRANSIENT)
            : NULL;

    if (cib != NULL && g_strcmp0(now, value) == 0) {
        return; /* without the CIB, set it: a stale reason must not stay */
    }
    qb_log(LOG_INFO, "%s: %s on %s", name,
           (value != NULL) ? value : "(deleted)", node);
    if (drover_cib_set_node_attr(node, name, value, DROVER_ATTR_TRANSIENT,
                                 deadline)
        != 0) {
        qb_log(LOG_WARNING, "Could not set %s", name);
    }
}

/*
 * Run the health checks and publish what they found.  A bad result is what
 * this monitor is for: it never fails the monitor (Pacemaker would only
 * restart this clone); the node health attribute carries it.
 */
static void
publish_health(drover_ocf_t *ocf)
{
    drover_deadline_t deadline = drover_ocf_deadline(ocf);
    const char *node = node_name(ocf);
    gint64 budget = MIN(drover_ocf_param_int(ocf, "health_timeout") * 1000,
                        drover_deadline_remaining_ms(deadline) / 2);
    g_autoptr(GPtrArray) results =
        drover_health_local(node, drover_ocf_param(ocf, "libvirt_uri"),
                            drover_deadline_in_ms(budget));
    drover_health_t worst = drover_health_worst(results);
    g_autofree char *problems = NULL;
    g_autofree char *report = NULL;
    g_autoptr(drover_cib_t) cib = NULL;

    /* red needs a cause of this node's own (docs/design.md): without the
     * other nodes' reports no critical check passes elsewhere */
    if (worst == DROVER_HEALTH_CRITICAL) {
        g_autoptr(GHashTable) reports = NULL;

        (void) drover_private_attr_read(DROVER_HEALTH_REPORT_ATTR, deadline,
                                        &reports);
        if (drover_health_demote_shared(results, node, reports,
                                        g_get_real_time() / G_USEC_PER_SEC)
            > 0) {
            worst = drover_health_worst(results);
        }
    }
    problems = drover_health_problems(results);
    report = drover_health_report_format(results, node,
                                         g_get_real_time() / G_USEC_PER_SEC);

    if (worst != DROVER_HEALTH_OK) {
        qb_log(LOG_WARNING, "%s is %s: %s", node, drover_health_str(worst),
               problems);
    }
    if (drover_private_attr_set(DROVER_HEALTH_REPORT_ATTR, report, deadline)
        != 0) {
        qb_log(LOG_WARNING, "Could not publish %s", DROVER_HEALTH_REPORT_ATTR);
    }
    /* the CIB as it is now: another node may have changed nothing of ours,
     * but a restarted attrd may have lost what we set */
    (void) drover_cib_query(deadline, &cib);
    set_if_changed(cib, node, DROVER_HEALTH_REASON_ATTR,
                   (*problems != '\0') ? problems : NULL, deadline);
    set_if_changed(cib, node, DROVER_HEALTH_ATTR, drover_health_color(worst),
                   deadline);
}

/*
 * A stopped NodeHealth checks nothing: its report goes, but the colour
 * and its reason stay as the last monitor left them.  Withdrawing a red
 * would make the node green to Pacemaker the moment the clone stops
 * (standby, a stopped clone), and VMs could be placed on it before it was
 * checked again; the next monitor after a start replaces them
 * (docs/health.md)
 */
static void
withdraw_report(drover_ocf_t *ocf)
{
    (void) drover_private_attr_set(DROVER_HEALTH_REPORT_ATTR, "",
                                   drover_ocf_deadline(ocf));
}

static int
health_start(drover_ocf_t *ocf)
{
    g_autofree char *state = drover_ocf_state_path(ocf, "state");
    g_autofree char *dir = g_path_get_dirname(state);
    int rc = drover_ocf_param_bool(ocf, "publish_networks")
                 ? publish(ocf, false)
                 : 0;

    if (rc != 0) {
        return rc;
    }
    if (!drover_ocf_param_bool(ocf, "check_health")) {
        /* checks off: a colour kept from before would never change */
        drover_deadline_t deadline = drover_ocf_deadline(ocf);

        (void) drover_cib_set_node_attr(node_name(ocf), DROVER_HEALTH_ATTR,
                                        NULL, DROVER_ATTR_TRANSIENT, deadline);
        (void) drover_cib_set_node_attr(node_name(ocf),
                                        DROVER_HEALTH_REASON_ATTR, NULL,
                                        DROVER_ATTR_TRANSIENT, deadline);
    }
    g_mkdir_with_parents(dir, 0755);
    return g_file_set_contents(state, "", 0, NULL) ? 0 : EIO;
}

static int
health_stop(drover_ocf_t *ocf)
{
    g_autofree char *state = drover_ocf_state_path(ocf, "state");

    /* a stopped node offers nothing: withdraw, but never fail a stop */
    if (drover_ocf_param_bool(ocf, "publish_networks")
        && publish(ocf, true) != 0) {
        qb_log(LOG_WARNING, "Could not withdraw the published facts");
    }
    if (drover_ocf_param_bool(ocf, "check_health")) {
        withdraw_report(ocf);
    }
    g_unlink(state);
    return 0;
}

/* The host's available memory and load, for drover drain's choice of
 * targets: a private attribute (attrd only, so no transition is
 * interrupted every monitor); a failure to write it fails nothing */
static void
publish_host(drover_ocf_t *ocf)
{
    drover_host_facts_t facts = drover_host_facts_local();
    g_autofree char *value = drover_host_facts_format(&facts);

    if (drover_private_attr_set(DROVER_HOST_ATTR, value,
                                drover_ocf_deadline(ocf))
        != 0) {
        qb_log(LOG_WARNING, "Could not publish %s=%s", DROVER_HOST_ATTR, value);
    }
}

/* This node's libvirt and QEMU and its QEMU's machine types, for the VM
 * agents' and drover drain's rule that a VM never moves to an older QEMU
 * nor to one without its machine type: a private attribute, left as it
 * was when libvirtd does not answer */
static void
publish_platform(drover_ocf_t *ocf)
{
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    drover_platform_t platform;
    g_autofree char *error = NULL;
    g_autofree char *value = NULL;

    if (drover_platform_local(drover_ocf_param(ocf, "libvirt_uri"),
                              drover_deadline_in_ms(MIN(left / 4, 5000)), true,
                              &platform, &error)
        != 0) {
        qb_log(LOG_INFO, "Cannot ask libvirt for its versions (%s)", error);
        return;
    }
    value = drover_platform_format(&platform);
    drover_platform_clear(&platform);
    if (drover_private_attr_set(DROVER_PLATFORM_ATTR, value,
                                drover_ocf_deadline(ocf))
        != 0) {
        qb_log(LOG_WARNING, "Could not publish %s=%s", DROVER_PLATFORM_ATTR,
               value);
    }
}

static int
health_monitor(drover_ocf_t *ocf)
{
    g_autofree char *state = drover_ocf_state_path(ocf, "state");

    if (!g_file_test(state, G_FILE_TEST_EXISTS)) {
        return DROVER_RC_NOT_RUNNING;
    }
    if (drover_ocf_is_probe(ocf)) {
        return 0;
    }
    publish_host(ocf);
    publish_platform(ocf);
    if (drover_ocf_param_bool(ocf, "publish_networks")) {
        int rc = publish(ocf, false);

        if (rc != 0) {
            return rc;
        }
    }
    if (drover_ocf_param_bool(ocf, "check_health")) {
        publish_health(ocf);
    }
    return 0;
}

static const drover_ocf_action_t actions[] = {
    { .name = "start", .fn = health_start, .timeout_s = 30 },
    { .name = "stop", .fn = health_stop, .timeout_s = 30 },
    { .name = "monitor",
      .fn = health_monitor,
      .timeout_s = 30,
      .interval_s = 10 },
    { .name = "validate-all", .timeout_s = 10 },
    { .name = "meta-data", .timeout_s = 5 },
    { 0 },
};

static const drover_ocf_agent_t agent = {
    .name = "NodeHealth",
    .version = DROVER_VERSION,
    .shortdesc = "Publishes this node's migration facts and health",
    .longdesc = "Run as a clone on every node.  Its monitor publishes this "
                "node's address, MTU and link state on each migration "
                "network (cluster property drover-migration-networks) as "
                "the transient node attributes drover-net-<network>, so "
                "that a migration's source can tell whether a network is "
                "usable towards this node before using it; and the host's "
                "available memory and load as the private attribute "
                "drover-host (attrd_updater --private), which drover drain "
                "weighs when it chooses targets; and the result of drover's "
                "health checks as the node health attribute #health-drover "
                "(green, yellow, red) with the reason in "
                "drover-health-reason.",
    .params = params,
    .actions = actions,
};

int
main(int argc, char **argv)
{
    return drover_ocf_main(&agent, argc, argv);
}
