/*
 * ocf:drover:VirtualDomain — a libvirt domain as a Pacemaker resource.
 *
 * A drop-in for ocf:heartbeat:VirtualDomain (same parameter names and
 * meanings) on the libvirt API: every libvirt call is bounded by the
 * operation's deadline, migrations are watched, escalated when they stall
 * and aborted before Pacemaker's timeout, and a stop still stops when
 * libvirtd does not answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/config.h>
#include <drover/domxml.h>
#include <drover/file.h>
#include <drover/health.h>
#include <drover/migopts.h>
#include <drover/netsel.h>
#include <drover/ocf.h>
#include <drover/platform.h>
#include <drover/probe.h>
#include <drover/record.h>
#include <drover/slot_group.h>
#include <drover/slots.h>
#include <drover/spawn.h>
#include <drover/rc.h>
#include <drover/virt.h>

#include "drover_private.h"

#define QEMU_RUN_DIR "/run/libvirt/qemu"
/* libvirt's default first migration port (qemu.conf migration_port_min) */
#define MIGRATION_PORT_MIN 49152

/* ------------------------------------------------------------------ */
/* Parameter checks                                                   */
/* ------------------------------------------------------------------ */

/* Every comma- or space-separated word of \p value is one of \p valid */
static int
check_words(const drover_ocf_param_t *param, const char *value,
            const char *const *valid, GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set(value, ", ", -1);

    for (char **w = words; *w != NULL; w++) {
        if (**w != '\0' && !g_strv_contains(valid, *w)) {
            g_autofree char *list = g_strjoinv(", ", (char **) valid);

            g_string_printf(reason,
                            "Parameter '%s' has an unknown value '%s'; "
                            "valid: %s",
                            param->name, *w, list);
            return DROVER_RC_CONFIG;
        }
    }
    return 0;
}

static const char *const transports[] = { "tcp",    "tls",     "ssh",
                                          "libssh", "libssh2", NULL };
static const char *const shutdown_modes[] = { "acpi",   "agent",    "initctl",
                                              "signal", "paravirt", NULL };
static const char *const postcopy_modes[] = { "never", "after-stall", NULL };

static int
check_transport(const drover_ocf_param_t *param, const char *value,
                GString *reason)
{
    if (strpbrk(value, ", ") != NULL) {
        g_string_printf(reason, "Parameter '%s' takes one transport, not '%s'",
                        param->name, value);
        return DROVER_RC_CONFIG;
    }
    return check_words(param, value, transports, reason);
}

static int
check_shutdown_mode(const drover_ocf_param_t *param, const char *value,
                    GString *reason)
{
    return check_words(param, value, shutdown_modes, reason);
}

static int
check_compression(const drover_ocf_param_t *param, const char *value,
                  GString *reason)
{
    return check_words(param, value, drover_migopts_compression, reason);
}

static int
check_postcopy(const drover_ocf_param_t *param, const char *value,
               GString *reason)
{
    if (strpbrk(value, ", ") != NULL) {
        g_string_printf(reason, "Parameter '%s' takes one mode, not '%s'",
                        param->name, value);
        return DROVER_RC_CONFIG;
    }
    return check_words(param, value, postcopy_modes, reason);
}

static int
check_downtime_steps(const drover_ocf_param_t *param, const char *value,
                     GString *reason)
{
    (void) param;
    return drover_migopts_steps_parse(value, NULL, reason);
}

/*
 * migrateuri and remoteuri: a URI once "%n" is replaced by the target
 * node's name (as in drover_virt_expand_node(); a stand-in name here)
 */
static int
check_node_uri(const drover_ocf_param_t *param, const char *value,
               GString *reason)
{
    g_autoptr(GString) expanded = g_string_new(value);
    g_autofree char *problem = NULL;

    g_string_replace(expanded, "%n", "node", 0);
    problem = drover__uri_problem(expanded->str);
    if (problem != NULL) {
        g_autofree char *shown = drover__shown(value);

        g_string_printf(reason,
                        "Parameter '%s' must be a URI like %s (%%n: the "
                        "target node), not '%s': %s",
                        param->name,
                        (strcmp(param->name, "remoteuri") == 0)
                            ? "qemu+tls://%n/system"
                            : "tcp://%n-lm1",
                        shown, problem);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* migration_user: a plain user name, nothing ssh or a URI reads more in */
static int
check_user(const drover_ocf_param_t *param, const char *value, GString *reason)
{
    size_t len = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789._-");

    if (value[len] != '\0' || value[0] == '-') {
        g_autofree char *shown = drover__shown(value);

        g_string_printf(reason,
                        "Parameter '%s' must be a user name (letters, "
                        "digits, '.', '_', '-', not starting with '-'), "
                        "not '%s'",
                        param->name, shown);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* migration_network_suffix: what makes a host name of a node name */
static int
check_host_suffix(const drover_ocf_param_t *param, const char *value,
                  GString *reason)
{
    size_t len = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789.-");

    if (value[len] != '\0' || len > 253) {
        g_autofree char *shown = drover__shown(value);

        g_string_printf(reason,
                        "Parameter '%s' must be host name characters "
                        "(letters, digits, '.', '-'), like -lm1, not '%s'",
                        param->name, shown);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/* migration_networks: names as the cluster's list allows them; whether
 * the cluster has them is validate-all's part (validate_cluster_config) */
static int
check_network_order(const drover_ocf_param_t *param, const char *value,
                    GString *reason)
{
    int rc = drover_networks_order_check(value, reason);

    if (rc != 0) {
        g_string_prepend(reason, "': ");
        g_string_prepend(reason, param->name);
        g_string_prepend(reason, "Parameter '");
    }
    return rc;
}

static int
check_migrate_options(const drover_ocf_param_t *param, const char *value,
                      GString *reason)
{
    drover_migopts_t o;
    int rc = drover_migopts_parse(value, &o, reason);

    (void) param;
    drover_migopts_clear(&o);
    return rc;
}

/* monitor_scripts: programs, each an absolute path or a name to find in
 * PATH (a relative path would depend on the executor's directory) */
static int
check_programs(const drover_ocf_param_t *param, const char *value,
               GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set(value, " \t\n", -1);

    for (char **w = words; *w != NULL; w++) {
        if (**w != '\0' && !g_path_is_absolute(*w) && strchr(*w, '/') != NULL) {
            g_autofree char *shown = drover__shown(*w);

            g_string_printf(reason,
                            "Parameter '%s' takes absolute paths or program "
                            "names found in PATH, not '%s'",
                            param->name, shown);
            return DROVER_RC_CONFIG;
        }
    }
    return 0;
}

/* copyindirs: absolute paths */
static int
check_paths(const drover_ocf_param_t *param, const char *value, GString *reason)
{
    g_auto(GStrv) words = g_strsplit_set(value, " \t\n", -1);

    for (char **w = words; *w != NULL; w++) {
        if (**w != '\0' && !g_path_is_absolute(*w)) {
            g_autofree char *shown = drover__shown(*w);

            g_string_printf(reason,
                            "Parameter '%s' takes absolute paths, not '%s'",
                            param->name, shown);
            return DROVER_RC_CONFIG;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The parameter table (also the meta-data and the man page)          */
/* ------------------------------------------------------------------ */

static const drover_ocf_param_t params[] = {
    { .name = "config",
      .type = DROVER_PARAM_STRING,
      .required = true,
      .unique = true,
      .shortdesc = "Virtual domain configuration file",
      .longdesc = "Absolute path to the libvirt configuration file (domain "
                  "XML) for this virtual domain.",
      .check = drover_ocf_check_absolute_path },
    { .name = "hypervisor",
      .type = DROVER_PARAM_STRING,
      .default_value = DROVER_DEFAULT_HYPERVISOR,
      .shortdesc = "Hypervisor URI",
      .longdesc = "Hypervisor URI to connect to (see the libvirt "
                  "documentation).  Printable ASCII without blanks, quotes "
                  "or any of ;|$<>\\`^(){}, '&' only between query "
                  "parameters.",
      .check = drover_ocf_check_uri },
    { .name = "force_stop",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Always force shutdown on stop",
      .longdesc = "Always forcefully shut down (\"destroy\") the domain on "
                  "stop.  Otherwise a graceful shutdown is tried first and "
                  "the domain is destroyed when it has not stopped shortly "
                  "before the stop operation's timeout." },
    { .name = "migration_transport",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Remote hypervisor transport",
      .longdesc = "Transport used to connect to the target's libvirt when "
                  "migrating: tcp, tls, ssh, libssh or libssh2.  Unset: "
                  "libvirt's default (tls).",
      .check = check_transport },
    { .name = "migration_user",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Remote hypervisor user",
      .longdesc = "User to connect to the target's libvirt as, with the ssh "
                  "transports: letters, digits, '.', '_' and '-', not "
                  "starting with '-'.",
      .check = check_user },
    { .name = "migration_downtime",
      .type = DROVER_PARAM_INTEGER,
      .reloadable = true,
      .default_value = "0",
      .shortdesc = "Allowed migration downtime (ms)",
      .longdesc = "Maximum downtime in milliseconds allowed at the end of a "
                  "live migration; 0 leaves libvirt's default.  QEMU takes "
                  "no more (2000 s).",
      .min = 0,
      .max = 2000000 },
    { .name = "migration_speed",
      .type = DROVER_PARAM_INTEGER,
      .reloadable = true,
      .default_value = "0",
      .shortdesc = "Migration bandwidth limit (MiB/s)",
      .longdesc = "Bandwidth limit of a live migration in MiB/s; 0 means "
                  "no limit.",
      .min = 0,
      .max = 1048576 },
    { .name = "migration_network_suffix",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Migration network host name suffix",
      .longdesc = "Suffix appended to the target's node name to form the "
                  "host name the memory stream goes to, e.g. \"-lm1\" sends "
                  "it to tcp://n2-lm1.  Letters, digits, '.' and '-' only.  "
                  "Ignored when migrateuri is set.",
      .check = check_host_suffix },
    { .name = "migrateuri",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Custom migrateuri",
      .longdesc = "The URI the memory stream goes to, e.g. tcp://%n-lm1; %n "
                  "is replaced by the target node's name.  Checked as "
                  "hypervisor is.",
      .check = check_node_uri },
    { .name = "migration_networks",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "This VM's order of migration networks",
      .longdesc = "Names from the cluster property drover-migration-networks, "
                  "in this VM's order of preference, e.g. \"lm2 lm1\".  "
                  "Unset: the cluster's order.  When "
                  "drover-migration-networks is set, the network is chosen "
                  "from it (checked between source and target first, with "
                  "fallback to the next), and migrateuri and "
                  "migration_network_suffix are not used.",
      .check = check_network_order },
    { .name = "migrate_options",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Extra migration options",
      .longdesc = "virsh migrate options (libvirt 11), each turned into its "
                  "libvirt flag or typed parameter, never passed to a "
                  "shell: --persistent, --copy-storage-all, "
                  "--migrate-disks LIST, --disks-port N, --tls, "
                  "--tls-destination NAME, --comp-methods LIST, "
                  "--comp-zstd-level N, --auto-converge-initial N, "
                  "--postcopy-bandwidth MiB/s, --parallel-connections N, "
                  "--bandwidth MiB/s and the others; --live, --p2p and "
                  "--verbose are implied.  Refused, naming the parameter "
                  "to use instead, are those the agent decides itself: "
                  "--offline, --direct, --suspend, --postcopy-after-precopy, "
                  "--postcopy-resume, --domain, --desturi, --migrateuri, "
                  "--dname, --timeout, --timeout-suspend, "
                  "--timeout-postcopy, --xml and --persistent-xml.  An "
                  "option this node's libvirt or QEMU lacks is refused by "
                  "validate-all at depth 10 and left out of a migration "
                  "with a warning.",
      .check = check_migrate_options },
    { .name = "migrateport",
      .type = DROVER_PARAM_INTEGER,
      .reloadable = true,
      .shortdesc = "Port for the memory stream",
      .longdesc = "Port the target's QEMU listens on for the memory stream "
                  "(default: libvirt picks one from its range).",
      .min = 1,
      .max = 65535 },
    { .name = "remoteuri",
      .type = DROVER_PARAM_STRING,
      .shortdesc = "Custom remoteuri",
      .longdesc = "URI of the target's libvirt, e.g. qemu+tcp://%n/system; "
                  "%n is replaced by the target node's name.  Default: from "
                  "hypervisor, migration_transport and migration_user.  "
                  "Checked as hypervisor is.",
      .check = check_node_uri },
    { .name = "save_config_on_stop",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Save the domain's configuration on stop",
      .longdesc = "Write the running domain's configuration back to config "
                  "before stopping it: its inactive definition, with "
                  "secrets such as graphics passwords, so the file keeps "
                  "its owner and is readable by its owner at most (mode "
                  "0600 or narrower); it is replaced atomically." },
    { .name = "shutdown_mode",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "How to ask the guest to shut down",
      .longdesc = "Comma-separated shutdown methods for libvirt to try: "
                  "acpi, agent, initctl, signal, paravirt.  Unset: libvirt "
                  "chooses.",
      .check = check_shutdown_mode },
    /* What drover adds */
    { .name = "parallel_connections",
      .type = DROVER_PARAM_INTEGER,
      .reloadable = true,
      .default_value = "0",
      .shortdesc = "Parallel migration connections",
      .longdesc = "Send the memory over this many connections (libvirt's "
                  "parallel migration); 0 uses one.  QEMU opens at most 255.",
      .min = 0,
      .max = 255 },
    { .name = "compression",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Migration compression methods",
      .longdesc = "Comma-separated compression methods for the memory "
                  "stream: xbzrle, mt, zlib, zstd.  Unset: none.",
      .check = check_compression },
    { .name = "auto_converge",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Throttle the guest to converge",
      .longdesc = "Let QEMU slow the guest's vCPUs down when a migration "
                  "does not converge." },
    { .name = "tls",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Encrypt the memory stream",
      .longdesc = "Send the memory stream over TLS (libvirt's migration "
                  "TLS, set up in qemu.conf)." },
    { .name = "migration_stall_timeout",
      .type = DROVER_PARAM_INTEGER,
      .reloadable = true,
      .default_value = "10",
      .shortdesc = "Seconds without progress that make a stall",
      .longdesc = "A migration that has made no progress for this many "
                  "seconds has stalled: drover takes the next step of "
                  "migration_downtime_steps, then post-copy if allowed.  "
                  "Progress is judged per memory pass: from the second pass "
                  "on, a guest that dirties memory faster than half the "
                  "rate the network sends it (QEMU's measure) makes no "
                  "progress, however much is sent.  0 "
                  "disables the steps (the migration is still aborted before "
                  "the operation's timeout).",
      .min = 0,
      .max = 3600 },
    { .name = "migration_downtime_steps",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Allowed downtimes to step through on stalls (ms)",
      .longdesc = "Increasing downtimes in milliseconds, e.g. \"500,2000\": "
                  "on each stall the allowed downtime is raised to the next "
                  "one.",
      .check = check_downtime_steps },
    { .name = "postcopy",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .default_value = "never",
      .shortdesc = "When to switch to post-copy",
      .longdesc = "never, or after-stall: switch a migration that still "
                  "stalls after the downtime steps to post-copy, when what "
                  "is left can be sent before the operation's timeout (twice "
                  "the remaining bytes at the measured rate, plus 2 s).  "
                  "The guest then runs on the target while memory follows; "
                  "a post-copy cannot be aborted, and a network failure "
                  "during it loses the guest.  The source of a failed "
                  "post-copy is never resumed (its memory is stale).  "
                  "--postcopy in migrate_options only enables the "
                  "capability, as with virsh.",
      .check = check_postcopy },
    /* The stock agent's own, with its meaning */
    { .name = "autoset_utilization_cpu",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "true",
      .shortdesc = "Set the resource's cpu utilization",
      .longdesc = "Set the resource's cpu utilization to the domain's "
                  "number of vCPUs when a monitor finds it running (with "
                  "crm_resource, only when the value changed)." },
    { .name = "autoset_utilization_host_memory",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "true",
      .shortdesc = "Set the resource's host_memory utilization",
      .longdesc = "Set the resource's host_memory utilization to the "
                  "domain's maximum memory in MiB when a monitor finds it "
                  "running (only when the value changed)." },
    { .name = "autoset_utilization_hv_memory",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "true",
      .shortdesc = "Set the resource's hv_memory utilization",
      .longdesc = "Set the resource's hv_memory utilization to the "
                  "domain's maximum memory in MiB when a monitor finds it "
                  "running (only when the value changed)." },
    { .name = "unset_utilization_cpu",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Remove the resource's cpu utilization",
      .longdesc = "With autoset_utilization_cpu false: remove the "
                  "resource's cpu utilization when a monitor finds the "
                  "domain running." },
    { .name = "unset_utilization_host_memory",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Remove the resource's host_memory utilization",
      .longdesc = "With autoset_utilization_host_memory false: remove the "
                  "resource's host_memory utilization when a monitor finds "
                  "the domain running." },
    { .name = "unset_utilization_hv_memory",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Remove the resource's hv_memory utilization",
      .longdesc = "With autoset_utilization_hv_memory false: remove the "
                  "resource's hv_memory utilization when a monitor finds "
                  "the domain running." },
    { .name = "monitor_scripts",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Programs that check the guest's services",
      .longdesc = "Space-separated programs (absolute paths, or names "
                  "found in PATH), each run without arguments and without "
                  "a shell by every monitor of a running domain, within "
                  "the monitor's timeout; one that exits non-zero or does "
                  "not finish fails the monitor, its output in the exit "
                  "reason.  start and migrate_from return only once they "
                  "all pass (give those operations the time).",
      .check = check_programs },
    { .name = "sync_config_on_stop",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Save the configuration on stop and sync it with csync2",
      .longdesc = "Implies save_config_on_stop; after saving, run csync2 -x "
                  "on config (csync2 set up for it; validate-all refuses "
                  "the parameter where csync2 is not installed).  A failed "
                  "sync is logged, the stop goes on." },
    { .name = "snapshot",
      .type = DROVER_PARAM_STRING,
      .reloadable = true,
      .shortdesc = "Directory to save the memory state to on stop",
      .longdesc = "Absolute path of a directory: stop saves the running "
                  "domain's memory state there (NAME.state, libvirt's "
                  "save), start restores it and removes the file, so the "
                  "guest goes on where it stopped.  A state older than any "
                  "of the domain's disk files (the guest ran since, "
                  "elsewhere) or incomplete is not restored: it is renamed "
                  "NAME.state.stale and the domain boots.  Use a directory "
                  "every node sees.  Not with force_stop.",
      .check = drover_ocf_check_absolute_path },
    { .name = "backingfile",
      .type = DROVER_PARAM_STRING,
      .shortdesc = "Backing image of a copy-on-write disk",
      .longdesc = "Absolute path of an image that the domain's disk is a "
                  "qcow2 copy-on-write layer over: start creates the layer "
                  "with qemu-img when it is missing (or always, with "
                  "stateless), at config's path up to its first '.', plus "
                  ".qcow2 (the stock agent's place), then defines the "
                  "domain and starts it.  The backing image is never "
                  "written.",
      .check = drover_ocf_check_absolute_path },
    { .name = "stateless",
      .type = DROVER_PARAM_BOOLEAN,
      .default_value = "false",
      .shortdesc = "Create the copy-on-write layer afresh on each start",
      .longdesc = "With backingfile: every start discards the layer and "
                  "creates a new one over the backing image, so the VM "
                  "starts from the same disk each time." },
    { .name = "copyindirs",
      .type = DROVER_PARAM_STRING,
      .shortdesc = "Directories to copy into a new layer",
      .longdesc = "Space-separated absolute paths of directories that "
                  "virt-copy-in (libguestfs) copies into the root of a "
                  "newly created layer before the first boot "
                  "(backingfile).  validate-all refuses it where "
                  "virt-copy-in is not installed.",
      .check = check_paths },
    { .name = "start_resources",
      .type = DROVER_PARAM_BOOLEAN,
      .reloadable = true,
      .default_value = "false",
      .shortdesc = "Start the pools and networks the domain uses",
      .longdesc = "Before a start, and on the target before a migration, "
                  "start the libvirt storage pools (refresh those already "
                  "active) and networks that config names." },
    { 0 },
};

/* ------------------------------------------------------------------ */
/* The domain                                                         */
/* ------------------------------------------------------------------ */

/* Whether reading the config timed out once in this action: the file
 * system did not answer, and asking again would only spend the deadline */
static bool config_hung = false;

/*
 * The domain's name from its XML, or a result.  The config lives on shared
 * storage (NFS, GFS2) in real clusters: the read is bounded by a quarter
 * of what is left of the action, 10 s at most, so that a hung mount leaves
 * the action time to go on by the remembered name.
 */
static int
read_domain_config(drover_ocf_t *ocf, char **name, char **xml, GString *reason)
{
    const char *path = drover_ocf_param(ocf, "config");
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    gint64 allowed = MIN(left / 4, 10000);
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *text = NULL;
    xmlNode *root = NULL;
    gsize length = 0;
    int rc;

    if (path == NULL) {
        g_string_printf(reason, "Parameter 'config' is not set");
        return DROVER_RC_CONFIG;
    }
    if (config_hung) {
        g_string_printf(reason, "Config '%s' did not answer", path);
        return DROVER_RC_INSTALLED;
    }
    rc = drover_file_read(path, DROVER_DOMAIN_XML_MAX_BYTES,
                          drover_deadline_in_ms(allowed), &text, &length,
                          reason);
    if (rc == DROVER_RC_TIMEOUT) {
        config_hung = true;
        g_string_printf(reason,
                        "Config '%s' did not answer within %" G_GINT64_FORMAT
                        " ms (a hung file system?)",
                        path, allowed);
        return DROVER_RC_INSTALLED;
    }
    if (rc == EFBIG || rc == DROVER_RC_CONFIG) {
        g_string_prepend(reason, "Cannot read config: ");
        return DROVER_RC_INSTALLED;
    }
    if (rc != 0) {
        g_string_printf(reason, "Cannot read config '%s': %s", path,
                        drover_rc_str(rc));
        return DROVER_RC_INSTALLED;
    }
    doc = drover__xml_read(text, length, path);
    root = (doc != NULL) ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL || !xmlStrEqual(root->name, BAD_CAST "domain")) {
        g_string_printf(reason, "Config '%s' is not a libvirt domain XML",
                        path);
        return DROVER_RC_CONFIG;
    }
    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE
            && xmlStrEqual(c->name, BAD_CAST "name")) {
            g_autofree char *content = (char *) xmlNodeGetContent(c);

            g_strstrip(content);
            if (*content == '\0' || strchr(content, '/') != NULL) {
                break;
            }
            *name = g_strdup(content);
            if (xml != NULL) {
                *xml = g_steal_pointer(&text);
            }
            return 0;
        }
    }
    g_string_printf(reason, "Config '%s' names no valid domain <name>", path);
    return DROVER_RC_CONFIG;
}

/* The domain name is remembered per resource, for a stop without config */
static void
remember_name(drover_ocf_t *ocf, const char *name)
{
    g_autofree char *path = drover_ocf_state_path(ocf, "name");
    g_autofree char *dir = g_path_get_dirname(path);

    g_mkdir_with_parents(dir, 0755);
    if (!g_file_set_contents(path, name, -1, NULL)) {
        qb_log(LOG_WARNING, "Cannot write %s", path);
    }
}

/*
 * A VM found running that this node did not start (adopted by a probe after
 * a switch from another agent, a cleanup or a controller restart) is
 * remembered too: else its stop, with the config's storage gone or hung,
 * could not tell which domain is its own and would fail (and fence).
 */
static void
remember_name_if_new(drover_ocf_t *ocf, const char *name)
{
    g_autofree char *path = drover_ocf_state_path(ocf, "name");
    g_autofree char *known = NULL;

    if (g_file_get_contents(path, &known, NULL, NULL)
        && strcmp(g_strstrip(known), name) == 0) {
        return;
    }
    remember_name(ocf, name);
}

static void
forget_name(drover_ocf_t *ocf)
{
    g_autofree char *path = drover_ocf_state_path(ocf, "name");

    g_unlink(path);
}

/* Domain name: from config, else as remembered at start */
static char *
domain_name(drover_ocf_t *ocf)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *path = drover_ocf_state_path(ocf, "name");
    char *name = NULL;

    if (read_domain_config(ocf, &name, NULL, reason) == 0) {
        return name;
    }
    qb_log(LOG_INFO, "%s; using the remembered domain name", reason->str);
    if (g_file_get_contents(path, &name, NULL, NULL)) {
        g_strstrip(name);
        if (*name != '\0' && strchr(name, '/') == NULL) {
            return name;
        }
        g_free(name);
    }
    return NULL;
}

/*
 * validate-all: drover's cluster configuration as it concerns this VM —
 * the checks of `drover config check`, plus this VM's own order (which the
 * CIB may not hold yet when a tool validates before creating it).  Without
 * a cluster to ask, there is nothing to check.
 */
static int
validate_cluster_config(drover_ocf_t *ocf)
{
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    const char *order = drover_ocf_param(ocf, "migration_networks");
    const char *list = NULL;
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) networks = NULL;
    g_autoptr(GPtrArray) parsed_order = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *own =
        g_strdup_printf("resource %s", drover_ocf_resource(ocf));

    if (drover_cib_query(drover_deadline_in_ms(MIN(left / 2, 5000)), &cib)
        != 0) {
        qb_log(LOG_INFO, "No cluster to check drover's configuration in");
        return 0;
    }
    problems = drover_config_check(cib);
    if (drover_ocf_check_level(ocf) >= 10) {
        /* what only this node can see: an RDMA device where rdma is asked */
        drover_config_check_rdma_here(cib, own, problems);
    }
    for (guint i = 0; i < problems->len; i++) {
        drover_problem_t *p = g_ptr_array_index(problems, i);

        if (p->severity == DROVER_PROBLEM_ERROR
            && (strcmp(p->subject, "cluster") == 0
                || strcmp(p->subject, own) == 0)) {
            drover_ocf_exit_reason(ocf, "%s '%s': %s", p->name,
                                   (p->value != NULL) ? p->value : "",
                                   p->message);
            return DROVER_RC_CONFIG;
        }
    }
    list = drover_cib_property(cib, DROVER_NETWORKS_PROPERTY);
    if (order != NULL && list != NULL
        && (drover_networks_parse(list, &networks, reason) != 0
            || drover_networks_order(networks, order, &parsed_order, reason)
                   != 0)) {
        g_autofree char *shown = drover__shown(order);

        drover_ocf_exit_reason(ocf, "migration_networks '%s': %s", shown,
                               reason->str);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

static int not_running_unless_unknown(drover_ocf_t *ocf);
static int validate_qemu_features(drover_ocf_t *ocf, const char *name);
static int validate_stock_params(drover_ocf_t *ocf);

static int
validate(drover_ocf_t *ocf, int level)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *name = NULL;
    int rc = 0;

    /* the parameters' own checks (hypervisor's URI among them) have run */
    rc = validate_stock_params(ocf);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(drover_ocf_action(ocf), "validate-all") == 0) {
        rc = validate_cluster_config(ocf);
        if (rc != 0) {
            return rc;
        }
    }
    if (level < 10) {
        return 0;
    }
    rc = read_domain_config(ocf, &name, NULL, reason);
    if (rc == DROVER_RC_INSTALLED
        && strcmp(drover_ocf_action(ocf), "start") != 0
        && strcmp(drover_ocf_action(ocf), "validate-all") != 0) {
        g_autofree char *remembered = drover_ocf_state_path(ocf, "name");

        /* The config is gone or its storage hangs, but this node started
         * the VM: a monitor, a stop or a migration goes on by the name
         * (a failed monitor would make Pacemaker restart a VM that runs) */
        if (g_file_test(remembered, G_FILE_TEST_EXISTS)) {
            qb_log(LOG_WARNING, "%s; going on by the remembered name",
                   reason->str);
            return 0;
        }
        /* Not running here (OCF) only if nothing unknown runs here */
        if (drover_ocf_is_probe(ocf)
            && not_running_unless_unknown(ocf) != DROVER_RC_NOT_RUNNING) {
            return DROVER_RC_ERROR;
        }
    }
    if (rc != 0) {
        drover_ocf_exit_reason(ocf, "%s", reason->str);
        return rc;
    }
    /* asking libvirtd is for validate-all: an action's own validation
     * never fails a monitor or a stop on what a migration would want */
    if (strcmp(drover_ocf_action(ocf), "validate-all") == 0) {
        rc = validate_qemu_features(ocf, name);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Bounded libvirt work                                               */
/* ------------------------------------------------------------------ */

/* Everything a worker touches is owned by the job (it may outlive us) */
typedef struct {
    char *uri;
    char *name;
    char *xml;
    drover_vm_state_t state;
    char *detail;
    char *error;
    bool force;
    unsigned int shutdown_flags;
    bool save_config;
    char *config;
    drover_deadline_t deadline; /* inner steps finish by then */
    drover_migration_t migration;
    drover_migration_result_t result;
    GArray *downtime_steps;
    drover_migopts_t options;
    char *target;
    char *stream_address; /* numeric, where the memory goes (migration) */
    bool recovered;
    GPtrArray *active; /* names of the active domains (job_list_active) */
    /* the stock agent's parameters */
    bool want_info;             /* job_state: vCPUs and memory too */
    unsigned int vcpus;         /* ... when the domain runs */
    unsigned long long max_kib; /* ... its maximum memory */
    drover_domxml_refs_t refs;  /* start_resources, snapshot */
    bool start_resources;       /* start refs' pools and networks */
    char *state_file;           /* snapshot: the saved memory state */
    bool config_saved;          /* save_config wrote config */
    char *backing;              /* backingfile */
    char *overlay;              /* ... the copy-on-write layer over it */
    bool stateless;             /* ... made afresh on each start */
    bool overlay_created;       /* ... by this start */
} job_t;

static void
job_free(gpointer data)
{
    job_t *job = data;

    g_free(job->uri);
    g_free(job->name);
    g_free(job->xml);
    g_free(job->detail);
    g_free(job->error);
    g_free(job->config);
    g_free(job->target);
    g_free(job->stream_address);
    g_free((char *) job->migration.dest_uri);
    g_free((char *) job->migration.migrate_uri);
    drover_migration_result_clear(&job->result);
    if (job->downtime_steps != NULL) {
        g_array_unref(job->downtime_steps);
    }
    drover_migopts_clear(&job->options);
    if (job->active != NULL) {
        g_ptr_array_unref(job->active);
    }
    drover_domxml_refs_clear(&job->refs);
    g_free(job->state_file);
    g_free(job->backing);
    g_free(job->overlay);
    g_free(job);
}

static job_t *
job_new(drover_ocf_t *ocf, const char *name)
{
    job_t *job = g_new0(job_t, 1);

    job->uri = g_strdup(drover_ocf_param(ocf, "hypervisor"));
    job->name = g_strdup(name);
    /* The job's own steps end a second before the action's deadline, which
     * bounds run_job(): a job out of time then says so (ETIME) before
     * run_job() takes it for libvirtd not answering */
    job->deadline = drover_ocf_deadline(ocf) - G_USEC_PER_SEC;
    return job;
}

/*!
 * Run \p fn on \p job in a worker, bounded by \p deadline.
 *
 * DROVER_RC_TIMEOUT means libvirt did not answer in time: the worker still
 * owns \p job and will free it.  Jobs report their own time limits as
 * ETIME, so the two never mix.
 */
static int
run_job(int (*fn)(void *), job_t *job, drover_deadline_t deadline)
{
    return drover_deadline_run(deadline, fn, job, job_free);
}

static int
fail_job(job_t *job, int rc, const char *what)
{
    job->error = g_strdup_printf("%s: %s", what, drover_virt_error());
    return rc;
}

static int
job_state(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    rc = drover_virt_state(conn, job->name, &job->state, &job->detail);
    if (rc != 0) {
        return fail_job(job, rc, "Cannot read the domain state");
    }
    if (job->want_info
        && (job->state == DROVER_VM_RUNNING
            || job->state == DROVER_VM_PAUSED)) {
        g_autoptr(virDomain) dom = virDomainLookupByName(conn, job->name);
        virDomainInfo info;

        if (dom != NULL && virDomainGetInfo(dom, &info) == 0) {
            job->vcpus = info.nrVirtCpu;
            job->max_kib = info.maxMem;
        }
    }
    return 0;
}

static int
job_list_active(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    virDomainPtr *doms = NULL;
    int rc = drover_virt_open(job->uri, &conn);
    int n = 0;

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        return fail_job(job, drover_rc_from_virt(NULL),
                        "Cannot list the domains");
    }
    job->active = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n; i++) {
        g_ptr_array_add(job->active, g_strdup(virDomainGetName(doms[i])));
        virDomainFree(doms[i]);
    }
    free(doms);
    return 0;
}

/*!
 * Whether the hypervisor is this node's qemu:///system, whose QEMU
 * processes can be seen and killed without libvirt (its pidfiles are in
 * QEMU_RUN_DIR); of any other, nothing can be known without libvirtd.
 */
static bool
hypervisor_is_local_system(drover_ocf_t *ocf)
{
    g_autoptr(GUri) uri = g_uri_parse(drover_ocf_param(ocf, "hypervisor"),
                                      G_URI_FLAGS_NONE, NULL);
    const char *host = (uri != NULL) ? g_uri_get_host(uri) : NULL;

    return uri != NULL && g_strcmp0(g_uri_get_scheme(uri), "qemu") == 0
           && (host == NULL || *host == '\0')
           && g_strcmp0(g_uri_get_path(uri), "/system") == 0;
}

/*!
 * Whether libvirtd answers at all, within a short bound (a tenth of the
 * operation's time, 1-10 s): a healthy one answers in milliseconds, a
 * stopped one never.  Lets start and stop give up, or fall back, early.
 */
static int
libvirt_answers(drover_ocf_t *ocf, const char *name)
{
    gint64 budget_ms = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    drover_deadline_t quick =
        drover_deadline_in_ms(CLAMP(budget_ms / 10, 1000, 10000));
    job_t *job = job_new(ocf, name);
    int rc = run_job(job_state, job, quick);

    if (rc != DROVER_RC_TIMEOUT) {
        job_free(job);
    }
    return rc;
}

/* Wait for the domain to reach \p wanted (or leave: ABSENT) */
static int
wait_for_state(virConnectPtr conn, job_t *job, drover_vm_state_t wanted,
               drover_deadline_t until)
{
    for (;;) {
        int rc = drover_virt_state(conn, job->name, &job->state, NULL);

        if (rc != 0) {
            return fail_job(job, rc, "Cannot read the domain state");
        }
        if (job->state == wanted
            || (wanted == DROVER_VM_SHUTOFF
                && job->state == DROVER_VM_ABSENT)) {
            return 0;
        }
        if (drover_deadline_passed(until)) {
            return ETIME; /* the job's own limit, see run_job() */
        }
        g_usleep(G_USEC_PER_SEC / 5);
    }
}

/* ------------------------------------------------------------------ */
/* A domain whose name nothing tells                                  */
/* ------------------------------------------------------------------ */

/* The names that the other drover VirtualDomain resources remember running
 * here (see remember_name()) */
static GHashTable *
names_claimed_by_others(drover_ocf_t *ocf)
{
    g_autofree char *own = drover_ocf_state_path(ocf, "name");
    g_autofree char *dir = g_path_get_dirname(own);
    g_autofree char *own_base = g_path_get_basename(own);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GHashTable *claimed =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const char *entry = NULL;

    while (d != NULL && (entry = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = NULL;
        char *name = NULL;

        if (!g_str_has_prefix(entry, "drover-VirtualDomain-")
            || !g_str_has_suffix(entry, ".name")
            || strcmp(entry, own_base) == 0) {
            continue;
        }
        path = g_build_filename(dir, entry, NULL);
        if (g_file_get_contents(path, &name, NULL, NULL)) {
            g_hash_table_add(claimed, g_strstrip(name));
        }
    }
    return claimed;
}

/* Domains whose QEMU runs here, from libvirt's pidfiles (libvirtd hung) */
static GPtrArray *
qemu_pidfile_names(void)
{
    g_autoptr(GDir) d = g_dir_open(QEMU_RUN_DIR, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *entry = NULL;

    while (d != NULL && (entry = g_dir_read_name(d)) != NULL) {
        g_autofree char *name = NULL;

        if (!g_str_has_suffix(entry, ".pid")) {
            continue;
        }
        name = g_strndup(entry, strlen(entry) - strlen(".pid"));
        if (drover_virt_qemu_alive(QEMU_RUN_DIR, name, NULL)) {
            g_ptr_array_add(names, g_steal_pointer(&name));
        }
    }
    return names;
}

/*
 * Nothing tells which domain is this resource's (config unreadable, no
 * name remembered): the active domains here that no other resource claims
 * might be it.  Their names in \p unclaimed; a result when they could not
 * be listed (libvirtd not answering, and no local QEMU to look at).
 */
static int
unclaimed_domains(drover_ocf_t *ocf, GPtrArray **unclaimed)
{
    g_autoptr(GHashTable) claimed = names_claimed_by_others(ocf);
    g_autoptr(GPtrArray) active = NULL;
    gint64 budget_ms = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    job_t *job = job_new(ocf, NULL);
    int rc = run_job(job_list_active, job,
                     drover_deadline_in_ms(CLAMP(budget_ms / 3, 1000, 10000)));

    *unclaimed = NULL;
    if (rc == 0) {
        active = g_steal_pointer(&job->active);
    } else if (!hypervisor_is_local_system(ocf)) {
        qb_log(LOG_WARNING, "Cannot list the domains at %s: %s",
               drover_ocf_param(ocf, "hypervisor"), drover_rc_str(rc));
    } else {
        active = qemu_pidfile_names();
    }
    if (rc != DROVER_RC_TIMEOUT) { /* else the worker owns it */
        job_free(job);
    }
    if (active == NULL) {
        return rc;
    }
    *unclaimed = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < active->len; i++) {
        const char *name = g_ptr_array_index(active, i);

        if (!g_hash_table_contains(claimed, name)) {
            g_ptr_array_add(*unclaimed, g_strdup(name));
        }
    }
    return 0;
}

/*
 * Without a config and a remembered name, "not running" is said only when
 * every domain that runs here is another resource's: a stop or a probe
 * that said so while this VM may run here would let Pacemaker start it a
 * second time elsewhere.  Otherwise an error naming the candidates (a
 * failed stop gets the node fenced, which is then the right thing).
 */
static int
not_running_unless_unknown(drover_ocf_t *ocf)
{
    const char *config = drover_ocf_param(ocf, "config");
    g_autoptr(GPtrArray) unclaimed = NULL;
    g_autofree char *shown = drover__shown((config != NULL) ? config : "");
    int rc = unclaimed_domains(ocf, &unclaimed);

    if (rc != 0) {
        drover_ocf_exit_reason(ocf,
                               "Config '%s' unreadable, no domain name "
                               "remembered, and libvirtd at %s does not "
                               "answer: cannot tell whether the VM runs here",
                               shown, drover_ocf_param(ocf, "hypervisor"));
        return DROVER_RC_ERROR;
    }
    if (unclaimed->len > 0) {
        g_ptr_array_add(unclaimed, NULL);
        g_autofree char *list = g_strjoinv(", ", (char **) unclaimed->pdata);

        drover_ocf_exit_reason(ocf,
                               "Config '%s' unreadable and no domain name "
                               "remembered; running here and claimed by no "
                               "other resource: %s",
                               shown, list);
        return DROVER_RC_ERROR;
    }
    qb_log(LOG_NOTICE,
           "Config '%s' unreadable and no domain name remembered; every "
           "domain running here belongs to another resource",
           shown);
    return DROVER_RC_NOT_RUNNING;
}

/* ------------------------------------------------------------------ */
/* What the stock agent's parameters add                              */
/* ------------------------------------------------------------------ */

static const char *const utilization_kinds[] = { "cpu", "host_memory",
                                                 "hv_memory", NULL };

/* Whether any autoset_/unset_utilization_* is on */
static bool
utilization_wanted(drover_ocf_t *ocf)
{
    for (const char *const *k = utilization_kinds; *k != NULL; k++) {
        g_autofree char *autoset =
            g_strconcat("autoset_utilization_", *k, NULL);
        g_autofree char *unset = g_strconcat("unset_utilization_", *k, NULL);

        if (drover_ocf_param_bool(ocf, autoset)
            || drover_ocf_param_bool(ocf, unset)) {
            return true;
        }
    }
    return false;
}

/*
 * autoset_utilization_* / unset_utilization_*: the resource's utilization
 * from the running domain, written with crm_resource only when the CIB
 * holds another value.  What was last found in step is kept in a state
 * file, so that a monitor reads the CIB only when the domain changed (or
 * after a start, a stop or a migration, which forget it).  All of it
 * within a quarter of what is left of the action (5 s at most): a slow
 * CIB must not cost the monitor.  A failure is a warning: the VM is
 * healthy.
 */
static void
update_utilization(drover_ocf_t *ocf, const job_t *job)
{
    const char *rsc = drover_ocf_resource(ocf);
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    drover_deadline_t until = drover_deadline_in_ms(MIN(left / 4, 5000));
    g_autofree char *cache = drover_ocf_state_path(ocf, "utilization");
    g_autofree char *cached = NULL;
    g_autoptr(GString) summary = g_string_new(NULL);
    g_autoptr(drover_cib_t) cib = NULL;
    char value[3][32];
    /* per kind: the value to set, "" to remove it, NULL to leave it */
    const char *wanted[3] = { NULL, NULL, NULL };
    bool ok = true;

    if (rsc == NULL || job->vcpus == 0) {
        return;
    }
    g_snprintf(value[0], sizeof(value[0]), "%u", job->vcpus);
    g_snprintf(value[1], sizeof(value[1]), "%llu", job->max_kib / 1024);
    g_snprintf(value[2], sizeof(value[2]), "%llu", job->max_kib / 1024);
    for (int i = 0; utilization_kinds[i] != NULL; i++) {
        g_autofree char *autoset =
            g_strconcat("autoset_utilization_", utilization_kinds[i], NULL);
        g_autofree char *unset =
            g_strconcat("unset_utilization_", utilization_kinds[i], NULL);

        if (drover_ocf_param_bool(ocf, autoset)) {
            wanted[i] = value[i];
        } else if (drover_ocf_param_bool(ocf, unset)) {
            wanted[i] = "";
        }
        if (wanted[i] != NULL) {
            g_string_append_printf(summary, "%s=%s\n", utilization_kinds[i],
                                   wanted[i]);
        }
    }
    if (summary->len == 0
        || (g_file_get_contents(cache, &cached, NULL, NULL)
            && strcmp(cached, summary->str) == 0)) {
        return;
    }
    if (drover_cib_query(until, &cib) != 0) {
        qb_log(LOG_DEBUG, "Utilization of %s not updated: no CIB", rsc);
        return;
    }
    if (!drover_cib_has_resource(cib, rsc)) {
        qb_log(LOG_DEBUG, "Utilization not updated: %s is not in the CIB", rsc);
        return;
    }
    for (int i = 0; utilization_kinds[i] != NULL; i++) {
        const char *kind = utilization_kinds[i];
        const char *now = drover_cib_resource_utilization(cib, rsc, kind);
        int rc = 0;

        if (wanted[i] != NULL && *wanted[i] != '\0'
            && g_strcmp0(now, wanted[i]) != 0) {
            qb_log(LOG_INFO, "Setting utilization %s of %s to %s (was %s)",
                   kind, rsc, wanted[i], (now != NULL) ? now : "unset");
            rc = drover_cib_set_resource_utilization(rsc, kind, wanted[i],
                                                     until);
        } else if (wanted[i] != NULL && *wanted[i] == '\0' && now != NULL) {
            qb_log(LOG_INFO, "Removing utilization %s of %s (%s)", kind, rsc,
                   now);
            rc = drover_cib_set_resource_utilization(rsc, kind, NULL, until);
        }
        ok = ok && rc == 0;
    }
    if (ok) {
        g_autofree char *dir = g_path_get_dirname(cache);

        g_mkdir_with_parents(dir, 0755);
        (void) g_file_set_contents(cache, summary->str, -1, NULL);
    }
}

static void
forget_utilization(drover_ocf_t *ocf)
{
    g_autofree char *cache = drover_ocf_state_path(ocf, "utilization");

    g_unlink(cache);
}

/* What a monitor script said, on one line and not too long */
static char *
script_output(const char *out, const char *err)
{
    g_autofree char *both =
        g_strconcat((out != NULL) ? out : "", (err != NULL) ? err : "", NULL);
    g_autofree char *shown = NULL;

    g_strdelimit(g_strstrip(both), "\r\n\t", ' ');
    shown = drover__shown(both);
    return g_steal_pointer(&shown);
}

/*
 * monitor_scripts: each program, as argv of one word (no shell), by the
 * action's deadline.  0 when every one exited 0; else DROVER_RC_ERROR and
 * \p why names the first that did not, and what it said.
 */
static int
run_monitor_scripts(drover_ocf_t *ocf, const char *name, GString *why)
{
    const char *list = drover_ocf_param(ocf, "monitor_scripts");
    g_auto(GStrv) programs =
        g_strsplit_set((list != NULL) ? list : "", " \t\n", -1);

    for (char **p = programs; *p != NULL; p++) {
        const char *argv[] = { *p, NULL };
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;
        int status = -1;
        int rc;

        if (**p == '\0') {
            continue;
        }
        rc = drover_spawn(argv, drover_ocf_deadline(ocf), &out, &err, &status);
        if (rc == DROVER_RC_TIMEOUT) {
            g_string_printf(why,
                            "Monitor command \"%s\" for domain %s did not "
                            "finish within the operation's timeout",
                            *p, name);
            return DROVER_RC_ERROR;
        }
        if (rc != 0) {
            g_string_printf(why,
                            "Monitor command \"%s\" for domain %s could not "
                            "run: %s",
                            *p, name, drover_rc_str(rc));
            return DROVER_RC_ERROR;
        }
        if (status != 0) {
            g_autofree char *said = script_output(out, err);

            g_string_printf(why,
                            "Monitor command \"%s\" for domain %s returned "
                            "%d with output: %s",
                            *p, name, status, said);
            return DROVER_RC_ERROR;
        }
        qb_log(LOG_DEBUG, "Monitor command \"%s\" for domain %s passed", *p,
               name);
    }
    return 0;
}

/* start and migrate_from end once the monitor scripts pass (stock) */
static int
wait_for_monitor_scripts(drover_ocf_t *ocf, const char *name)
{
    g_autoptr(GString) why = g_string_new(NULL);
    bool said = false;

    if (drover_ocf_param(ocf, "monitor_scripts") == NULL) {
        return 0;
    }
    for (;;) {
        if (run_monitor_scripts(ocf, name, why) == 0) {
            return 0;
        }
        if (drover_deadline_remaining_ms(drover_ocf_deadline(ocf)) < 1500) {
            drover_ocf_exit_reason(ocf,
                                   "%s runs, but its monitor scripts did not "
                                   "pass in time: %s",
                                   name, why->str);
            return DROVER_RC_ERROR;
        }
        if (!said) {
            qb_log(LOG_INFO, "%s runs; waiting for its monitor scripts (%s)",
                   name, why->str);
            said = true;
        }
        g_usleep(G_USEC_PER_SEC);
    }
}

/* fail_job() for "WHAT NAME for the domain" (libvirt's error appended) */
static int
fail_for(job_t *job, const char *what, const char *name)
{
    g_autofree char *text =
        g_strdup_printf("%s %s for %s", what, name, job->name);

    return fail_job(job, drover_rc_from_virt(NULL), text);
}

/* start_resources: the pools and networks the domain names, started (an
 * active pool refreshed, as the stock agent does) */
static int
start_pools_and_networks(virConnectPtr conn, job_t *job)
{
    GPtrArray *pools = job->refs.pools;
    GPtrArray *networks = job->refs.networks;

    for (guint i = 0; pools != NULL && i < pools->len; i++) {
        const char *name = g_ptr_array_index(pools, i);
        virStoragePoolPtr pool = virStoragePoolLookupByName(conn, name);
        int rc = 0;

        if (pool == NULL) {
            return fail_for(job, "No storage pool", name);
        }
        if (virStoragePoolIsActive(pool) == 1) {
            if (virStoragePoolRefresh(pool, 0) < 0) {
                qb_log(LOG_WARNING, "Cannot refresh storage pool %s: %s", name,
                       drover_virt_error());
            }
        } else if (virStoragePoolCreate(pool, 0) < 0) {
            rc = fail_for(job, "Cannot start storage pool", name);
        } else {
            qb_log(LOG_NOTICE, "Started storage pool %s for %s", name,
                   job->name);
        }
        virStoragePoolFree(pool);
        if (rc != 0) {
            return rc;
        }
    }
    for (guint i = 0; networks != NULL && i < networks->len; i++) {
        const char *name = g_ptr_array_index(networks, i);
        virNetworkPtr net = virNetworkLookupByName(conn, name);
        int rc = 0;

        if (net == NULL) {
            return fail_for(job, "No network", name);
        }
        if (virNetworkIsActive(net) == 1) {
            /* running: nothing to do */
        } else if (virNetworkCreate(net) < 0) {
            rc = fail_for(job, "Cannot start network", name);
        } else {
            qb_log(LOG_NOTICE, "Started network %s for %s", name, job->name);
        }
        virNetworkFree(net);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
job_start_pools_and_networks(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    return start_pools_and_networks(conn, job);
}

/* snapshot: where NAME's memory state is saved */
static char *
state_file(drover_ocf_t *ocf, const char *name)
{
    const char *dir = drover_ocf_param(ocf, "snapshot");

    return (dir != NULL) ? g_strdup_printf("%s/%s.state", dir, name) : NULL;
}

/* Whether \p a was modified after \p b */
static bool
modified_after(const struct stat *a, const struct stat *b)
{
    return a->st_mtim.tv_sec > b->st_mtim.tv_sec
           || (a->st_mtim.tv_sec == b->st_mtim.tv_sec
               && a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/*
 * snapshot, at start: restore the saved memory state and remove it.  A
 * state that a disk file changed after (the guest ran since, elsewhere:
 * its memory no longer matches its disks, and resuming it would corrupt
 * them) or that libvirt cannot read (a save cut short) is set aside as
 * NAME.state.stale, and the domain boots.  0: restored; ENOENT: nothing
 * to restore.
 */
static int
restore_state(virConnectPtr conn, job_t *job)
{
    g_autofree char *why = NULL;
    g_autofree char *header = NULL;
    struct stat saved;

    if (g_stat(job->state_file, &saved) != 0) {
        return ENOENT;
    }
    for (guint i = 0; job->refs.files != NULL && i < job->refs.files->len;
         i++) {
        const char *disk = g_ptr_array_index(job->refs.files, i);
        struct stat st;

        if (g_stat(disk, &st) == 0 && modified_after(&st, &saved)) {
            why = g_strdup_printf("%s changed after it was saved", disk);
            break;
        }
    }
    if (why == NULL) {
        header = virDomainSaveImageGetXMLDesc(conn, job->state_file, 0);
        if (header == NULL) {
            why = g_strdup_printf("libvirt cannot read it (%s)",
                                  drover_virt_error());
        }
    }
    if (why != NULL) {
        g_autofree char *aside = g_strconcat(job->state_file, ".stale", NULL);

        qb_log(LOG_WARNING,
               "Not restoring %s from %s: %s; set aside as %s, %s boots",
               job->name, job->state_file, why, aside, job->name);
        if (g_rename(job->state_file, aside) != 0) {
            return fail_job(job, errno, "Cannot set the stale state aside");
        }
        return ENOENT;
    }
    if (virDomainRestore(conn, job->state_file) < 0) {
        g_autofree char *what = g_strdup_printf(
            "Failed to restore %s from %s (kept; move it away to boot %s "
            "afresh)",
            job->name, job->state_file, job->name);

        return fail_job(job, drover_rc_from_virt(NULL), what);
    }
    qb_log(LOG_NOTICE, "Restored %s from %s", job->name, job->state_file);
    if (g_unlink(job->state_file) != 0) {
        qb_log(LOG_WARNING, "Cannot remove %s: %s", job->state_file,
               g_strerror(errno));
    }
    return 0;
}

/* Aborts a save still running at its deadline */
typedef struct {
    virDomainPtr dom;
    drover_deadline_t until;
    GMutex lock;
    GCond cond;
    bool done;
} save_watch_t;

static gpointer
abort_save_at_deadline(gpointer data)
{
    save_watch_t *w = data;

    g_mutex_lock(&w->lock);
    while (!w->done) {
        if (!g_cond_wait_until(&w->cond, &w->lock, w->until)) {
            if (!w->done) {
                qb_log(LOG_WARNING, "Saving the memory state is taking too "
                                    "long: aborting it");
                (void) virDomainAbortJob(w->dom);
            }
            break;
        }
    }
    g_mutex_unlock(&w->lock);
    return NULL;
}

/*
 * snapshot, at stop: save the memory state (the domain is gone after it).
 * A save that has not ended 10 s before the stop's deadline is aborted and
 * the stop goes on as without snapshot.  0: saved.
 */
static int
save_state(virDomainPtr dom, job_t *job)
{
    save_watch_t w = { .dom = dom,
                       .until = job->deadline - 10 * G_USEC_PER_SEC };
    GThread *watcher = NULL;
    int rc;

    if (drover_deadline_passed(w.until)) {
        qb_log(LOG_WARNING, "No time left to save %s's memory state",
               job->name);
        return ETIME;
    }
    g_mutex_init(&w.lock);
    g_cond_init(&w.cond);
    watcher = g_thread_new("save-deadline", abort_save_at_deadline, &w);
    qb_log(LOG_INFO, "Saving %s's memory state to %s", job->name,
           job->state_file);
    rc = virDomainSave(dom, job->state_file);
    g_mutex_lock(&w.lock);
    w.done = true;
    g_cond_signal(&w.cond);
    g_mutex_unlock(&w.lock);
    g_thread_join(watcher);
    g_mutex_clear(&w.lock);
    g_cond_clear(&w.cond);
    if (rc < 0) {
        qb_log(LOG_ERR, "Failed to save snapshot state of %s on stop: %s",
               job->name, drover_virt_error());
        (void) g_unlink(job->state_file);
        return DROVER_RC_ERROR;
    }
    qb_log(LOG_NOTICE, "Saved %s's memory state to %s", job->name,
           job->state_file);
    return 0;
}

/*
 * backingfile: the copy-on-write layer (made when missing, or afresh when
 * stateless), then the domain defined.  Runs in a worker: the backing
 * image's storage may hang.  qemu-img is given the backing image's format
 * (QEMU refuses to guess since 6.1).
 */
static int
job_prepare_overlay(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    unsigned char head[4] = { 0 };
    ssize_t got = 0;
    struct stat st;
    int rc;

    if (job->stateless || g_stat(job->overlay, &st) != 0 || st.st_size == 0) {
        int fd = g_open(job->backing, O_RDONLY | O_CLOEXEC, 0);
        const char *format = NULL;
        g_autofree char *err = NULL;
        int status = -1;

        if (fd < 0) {
            g_autofree char *what =
                g_strdup_printf("Cannot open backingfile %s", job->backing);

            job->error = g_strdup_printf("%s: %s", what, g_strerror(errno));
            return DROVER_RC_INSTALLED;
        }
        got = read(fd, head, sizeof(head));
        close(fd);
        format = drover_domxml_image_format(head, (got > 0) ? (size_t) got : 0);
        {
            const char *argv[] = { "qemu-img", "create",     "-q",         "-f",
                                   "qcow2",    "-b",         job->backing, "-F",
                                   format,     job->overlay, NULL };

            rc = drover_spawn(argv, job->deadline, NULL, &err, &status);
        }
        if (rc != 0 || status != 0) {
            job->error = g_strdup_printf(
                "Failed qemu-img create %s with backing file %s: %s",
                job->overlay, job->backing,
                (rc != 0) ? drover_rc_str(rc) : g_strstrip(err));
            return DROVER_RC_ERROR;
        }
        qb_log(LOG_NOTICE, "Created %s over %s (%s)", job->overlay,
               job->backing, format);
        job->overlay_created = true;
    }
    rc = drover_virt_open(job->uri, &conn);
    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    dom = virDomainDefineXML(conn, job->xml);
    if (dom == NULL) {
        return fail_job(job, drover_rc_from_virt(NULL),
                        "Failed to define virtual domain");
    }
    return 0;
}

/* copyindirs: into a new layer, before its first boot */
static int
copy_in_dirs(drover_ocf_t *ocf, const char *name)
{
    const char *list = drover_ocf_param(ocf, "copyindirs");
    g_auto(GStrv) dirs =
        g_strsplit_set((list != NULL) ? list : "", " \t\n", -1);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *err = NULL;
    int status = -1;
    int rc;

    g_ptr_array_add(argv, (gpointer) "virt-copy-in");
    g_ptr_array_add(argv, (gpointer) "-d");
    g_ptr_array_add(argv, (gpointer) name);
    for (char **d = dirs; *d != NULL; d++) {
        if (**d != '\0') {
            g_ptr_array_add(argv, *d);
        }
    }
    if (argv->len == 3) {
        return 0;
    }
    g_ptr_array_add(argv, (gpointer) "/");
    g_ptr_array_add(argv, NULL);
    rc = drover_spawn((const char *const *) argv->pdata,
                      drover_ocf_deadline(ocf), NULL, &err, &status);
    if (rc != 0 || status != 0) {
        drover_ocf_exit_reason(ocf, "Failed on virt-copy-in command %s: %s",
                               name,
                               (rc != 0) ? drover_rc_str(rc) : g_strstrip(err));
        return DROVER_RC_ERROR;
    }
    return 0;
}

/* sync_config_on_stop: csync2 -x config, once it was saved */
static void
sync_config(drover_ocf_t *ocf)
{
    const char *config = drover_ocf_param(ocf, "config");
    const char *argv[] = { "csync2", "-x", config, NULL };
    g_autofree char *err = NULL;
    int status = -1;
    int rc;

    qb_log(LOG_INFO, "Syncing %s with csync2 -x", config);
    rc = drover_spawn(argv, drover_ocf_deadline(ocf), NULL, &err, &status);
    if (rc != 0 || status != 0) {
        qb_log(LOG_WARNING, "Syncing %s failed: %s", config,
               (rc != 0) ? drover_rc_str(rc) : g_strstrip(err));
    }
}

/*
 * What the stock agent's parameters need: refused together as the stock
 * agent refuses them, and the programs they run, at validate-all and
 * start (a stop or a monitor never fails on them).
 */
static int
validate_stock_params(drover_ocf_t *ocf)
{
    static const struct {
        const char *param;
        const char *program;
        const char *package;
    } needs[] = {
        { "sync_config_on_stop", "csync2", "csync2" },
        { "backingfile", "qemu-img", "qemu-utils" },
        { "copyindirs", "virt-copy-in", "guestfs-tools" },
    };
    const char *action = drover_ocf_action(ocf);

    if (strcmp(action, "validate-all") != 0 && strcmp(action, "start") != 0) {
        return 0;
    }
    if (drover_ocf_param_bool(ocf, "force_stop")
        && drover_ocf_param(ocf, "snapshot") != NULL) {
        drover_ocf_exit_reason(ocf, "The 'force_stop' and 'snapshot' options "
                                    "can not be used together");
        return DROVER_RC_CONFIG;
    }
    if (drover_ocf_param_bool(ocf, "stateless")
        && drover_ocf_param(ocf, "backingfile") == NULL) {
        drover_ocf_exit_reason(ocf, "Parameter 'stateless' needs "
                                    "'backingfile': the image to start from "
                                    "each time");
        return DROVER_RC_CONFIG;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(needs); i++) {
        const char *value = drover_ocf_param(ocf, needs[i].param);
        g_autofree char *found = NULL;

        if (value == NULL
            || (strcmp(needs[i].param, "sync_config_on_stop") == 0
                && !drover_ocf_param_bool(ocf, needs[i].param))) {
            continue;
        }
        found = g_find_program_in_path(needs[i].program);
        if (found == NULL) {
            drover_ocf_exit_reason(ocf,
                                   "Parameter '%s' needs %s, which is not "
                                   "installed on this node (package %s)",
                                   needs[i].param, needs[i].program,
                                   needs[i].package);
            return DROVER_RC_INSTALLED;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* monitor                                                            */
/* ------------------------------------------------------------------ */

/* libvirtd did not answer: say what we know without it */
static int
unreachable(drover_ocf_t *ocf, const char *name, int rc, const char *error)
{
    const char *uri = drover_ocf_param(ocf, "hypervisor");
    pid_t pid = 0;

    if (drover_ocf_is_probe(ocf) && hypervisor_is_local_system(ocf)) {
        /* Never invent a running VM: only its QEMU process says so */
        if (!drover_virt_qemu_alive(QEMU_RUN_DIR, name, &pid)) {
            qb_log(LOG_WARNING,
                   "libvirtd at %s does not answer; no QEMU runs %s here", uri,
                   name);
            return DROVER_RC_NOT_RUNNING;
        }
        drover_ocf_exit_reason(ocf,
                               "libvirtd at %s does not answer; QEMU of %s "
                               "runs here as pid %d",
                               uri, name, (int) pid);
        return DROVER_RC_ERROR;
    }
    if (rc == DROVER_RC_TIMEOUT) {
        drover_ocf_exit_reason(ocf,
                               "libvirtd at %s did not answer within the "
                               "monitor's deadline",
                               uri);
    } else {
        drover_ocf_exit_reason(
            ocf, "%s (%s)", (error != NULL) ? error : drover_rc_str(rc), uri);
    }
    return rc;
}

/* libvirtd refused or dropped the connection: stopped, or restarting */
static bool
libvirtd_went_away(int rc)
{
    return rc == ECONNREFUSED || rc == ENOENT || rc == ECONNRESET || rc == EPIPE
           || rc == DROVER_RC_UNREACHABLE;
}

/*
 * The domain's state for a monitor.  A libvirtd that refuses connections
 * while the domain's QEMU runs here is most likely restarting (a package
 * upgrade, `systemctl restart libvirtd`): it is asked again every second
 * while more than a fifth of the action's time (5 s at least) is left for
 * the last answer.  A monitor that failed at once would make Pacemaker
 * restart a VM that never stopped.  Returns run_job()'s result; *job is
 * NULL when the worker still owns it.
 */
static int
state_once_libvirtd_answers(drover_ocf_t *ocf, const char *name, job_t **job,
                            bool want_info)
{
    gint64 left_ms = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    drover_deadline_t retry_until =
        drover_deadline_in_ms(left_ms - MAX(left_ms / 5, 5000));
    bool said = false;

    for (;;) {
        int rc;

        *job = job_new(ocf, name);
        (*job)->want_info = want_info;
        rc = run_job(job_state, *job, drover_ocf_deadline(ocf));
        if (rc == DROVER_RC_TIMEOUT) {
            *job = NULL; /* the worker owns it */
            return rc;
        }
        if (rc == 0 || !libvirtd_went_away(rc)
            || !hypervisor_is_local_system(ocf)
            || !drover_virt_qemu_alive(QEMU_RUN_DIR, name, NULL)
            || drover_deadline_remaining_ms(retry_until) < 1000) {
            return rc;
        }
        if (!said) {
            qb_log(LOG_WARNING,
                   "libvirtd refuses the connection (%s) while QEMU of %s "
                   "runs here: asking again (restarting?)",
                   (*job)->error, name);
            said = true;
        }
        job_free(*job);
        g_usleep(G_USEC_PER_SEC);
    }
}

static int
vm_monitor(drover_ocf_t *ocf)
{
    g_autofree char *name = domain_name(ocf);
    job_t *job = NULL;
    int rc;

    if (name == NULL) {
        return DROVER_RC_NOT_RUNNING;
    }
    rc = state_once_libvirtd_answers(ocf, name, &job, utilization_wanted(ocf));
    if (rc == DROVER_RC_TIMEOUT) {
        return unreachable(ocf, name, rc, NULL); /* the worker owns job */
    }
    if (rc != 0) {
        rc = unreachable(ocf, name, rc, job->error);
        job_free(job);
        return rc;
    }

    switch (job->state) {
        case DROVER_VM_RUNNING:
            remember_name_if_new(ocf, name);
            rc = 0;
            break;
        case DROVER_VM_PAUSED:
            qb_log(LOG_INFO, "%s is paused on purpose (%s)", name, job->detail);
            remember_name_if_new(ocf, name);
            rc = 0;
            break;
        case DROVER_VM_PAUSED_BROKEN:
            drover_ocf_exit_reason(ocf,
                                   "%s is paused by a failure (%s), e.g. a "
                                   "failed migration: not healthy",
                                   name, job->detail);
            rc = DROVER_RC_ERROR;
            break;
        case DROVER_VM_INCOMING:
            /* Still the source's until migrate_from confirms it */
            qb_log(LOG_INFO, "%s is an incoming migration here", name);
            rc = DROVER_RC_NOT_RUNNING;
            break;
        case DROVER_VM_POSTCOPY_SOURCE:
            /* The guest runs on the target: counting it here too would
             * make Pacemaker stop it on both nodes */
            qb_log(LOG_NOTICE,
                   "%s is the source of a post-copy here; the guest runs on "
                   "the target",
                   name);
            rc = DROVER_RC_NOT_RUNNING;
            break;
        case DROVER_VM_POSTCOPY_FAILED:
            drover_ocf_exit_reason(ocf,
                                   "%s is paused by a failed post-copy (%s): "
                                   "its memory is split, it is never resumed",
                                   name, job->detail);
            rc = DROVER_RC_ERROR;
            break;
        default:
            qb_log(LOG_INFO, "%s is %s", name, drover_vm_state_str(job->state));
            rc = DROVER_RC_NOT_RUNNING;
            break;
    }
    if (rc == 0) {
        g_autoptr(GString) why = g_string_new(NULL);

        if (run_monitor_scripts(ocf, name, why) != 0) {
            drover_ocf_exit_reason(ocf, "%s", why->str);
            rc = DROVER_RC_ERROR;
        }
        update_utilization(ocf, job);
    }
    job_free(job);
    return rc;
}

/* ------------------------------------------------------------------ */
/* start                                                              */
/* ------------------------------------------------------------------ */

static int
job_start(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    rc = drover_virt_state(conn, job->name, &job->state, &job->detail);
    if (rc != 0) {
        return fail_job(job, rc, "Cannot read the domain state");
    }
    if (job->state == DROVER_VM_RUNNING || job->state == DROVER_VM_PAUSED) {
        return 0; /* already started */
    }
    if (job->start_resources) {
        rc = start_pools_and_networks(conn, job);
        if (rc != 0) {
            return rc;
        }
    }
    if (job->state_file != NULL
        && (job->state == DROVER_VM_ABSENT
            || job->state == DROVER_VM_SHUTOFF)) {
        rc = restore_state(conn, job);
        if (rc == 0) {
            return wait_for_state(conn, job, DROVER_VM_RUNNING, job->deadline);
        }
        if (rc != ENOENT) {
            return rc;
        }
    }
    switch (job->state) {
        case DROVER_VM_SHUTOFF:
            dom = virDomainLookupByName(conn, job->name);
            if (dom == NULL || virDomainCreate(dom) < 0) {
                return fail_job(job, drover_rc_from_virt(NULL),
                                "Cannot start the defined domain");
            }
            break;
        case DROVER_VM_ABSENT:
            dom = virDomainCreateXML(conn, job->xml, 0);
            if (dom == NULL) {
                return fail_job(job, drover_rc_from_virt(NULL),
                                "Cannot start the domain");
            }
            break;
        default:
            job->error =
                g_strdup_printf("%s is %s here; stop it first", job->name,
                                drover_vm_state_str(job->state));
            return DROVER_RC_STATE;
    }
    return wait_for_state(conn, job, DROVER_VM_RUNNING, job->deadline);
}

/*
 * backingfile: the layer and the definition, unless the domain runs here
 * already (a layer is never made afresh under a running domain); then
 * copyindirs into a new layer
 */
static int
prepare_overlay(drover_ocf_t *ocf, const char *name, const char *xml)
{
    job_t *job = job_new(ocf, name);
    bool created = false;
    int rc = run_job(job_state, job, drover_ocf_deadline(ocf));

    if (rc == 0 && job->state != DROVER_VM_ABSENT
        && job->state != DROVER_VM_SHUTOFF) {
        job_free(job);
        return 0; /* job_start() says what it is */
    }
    if (rc == 0) {
        job_free(job);
        job = job_new(ocf, name);
        job->xml = g_strdup(xml);
        job->backing = g_strdup(drover_ocf_param(ocf, "backingfile"));
        job->overlay =
            drover_domxml_overlay_path(drover_ocf_param(ocf, "config"));
        job->stateless = drover_ocf_param_bool(ocf, "stateless");
        rc = run_job(job_prepare_overlay, job, drover_ocf_deadline(ocf));
    }
    if (rc == DROVER_RC_TIMEOUT) { /* the worker still owns the job */
        drover_ocf_exit_reason(ocf,
                               "Preparing %s's disk over %s did not finish "
                               "in time",
                               name, drover_ocf_param(ocf, "backingfile"));
        return rc;
    }
    if (rc != 0) {
        drover_ocf_exit_reason(
            ocf, "%s", (job->error != NULL) ? job->error : drover_rc_str(rc));
    }
    created = job->overlay_created;
    job_free(job);
    return (rc == 0 && created) ? copy_in_dirs(ocf, name) : rc;
}

static int
vm_start(drover_ocf_t *ocf)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *name = NULL;
    job_t *job = job_new(ocf, NULL);
    int rc = read_domain_config(ocf, &job->name, &job->xml, reason);

    if (rc == 0) {
        rc = drover_domxml_refs(job->xml, &job->refs, reason);
    }
    if (rc != 0) {
        drover_ocf_exit_reason(ocf, "%s", reason->str);
        job_free(job);
        return rc;
    }
    name = g_strdup(job->name);
    remember_name(ocf, job->name);
    forget_utilization(ocf);
    rc = libvirt_answers(ocf, job->name);
    if (rc != 0) {
        drover_ocf_exit_reason(ocf, "libvirtd at %s does not answer (%s)",
                               drover_ocf_param(ocf, "hypervisor"),
                               drover_rc_str(rc));
        job_free(job);
        return rc;
    }
    job->start_resources = drover_ocf_param_bool(ocf, "start_resources");
    job->state_file = state_file(ocf, job->name);
    if (drover_ocf_param(ocf, "backingfile") != NULL) {
        rc = prepare_overlay(ocf, job->name, job->xml);
        if (rc != 0) {
            job_free(job);
            return rc;
        }
    }
    rc = run_job(job_start, job, drover_ocf_deadline(ocf));
    if (rc == DROVER_RC_TIMEOUT) { /* the worker still owns the job */
        drover_ocf_exit_reason(ocf,
                               "Start did not finish in time (libvirtd "
                               "at %s not answering?)",
                               drover_ocf_param(ocf, "hypervisor"));
        return rc;
    }
    if (rc == ETIME) {
        drover_ocf_exit_reason(ocf, "%s did not reach running in time (%s)",
                               job->name, drover_vm_state_str(job->state));
    } else if (rc != 0) {
        drover_ocf_exit_reason(
            ocf, "%s", (job->error != NULL) ? job->error : drover_rc_str(rc));
    }
    job_free(job);
    return (rc == 0) ? wait_for_monitor_scripts(ocf, name) : rc;
}

/* ------------------------------------------------------------------ */
/* stop                                                               */
/* ------------------------------------------------------------------ */

static unsigned int
shutdown_flags(const char *modes)
{
    static const struct {
        const char *name;
        unsigned int flag;
    } map[] = {
        { "acpi", VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN },
        { "agent", VIR_DOMAIN_SHUTDOWN_GUEST_AGENT },
        { "initctl", VIR_DOMAIN_SHUTDOWN_INITCTL },
        { "signal", VIR_DOMAIN_SHUTDOWN_SIGNAL },
        { "paravirt", VIR_DOMAIN_SHUTDOWN_PARAVIRT },
    };
    g_auto(GStrv) words =
        g_strsplit_set((modes != NULL) ? modes : "", ", ", -1);
    unsigned int flags = 0;

    for (char **w = words; *w != NULL; w++) {
        for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
            if (strcmp(*w, map[i].name) == 0) {
                flags |= map[i].flag;
            }
        }
    }
    return flags;
}

/* The most a saved configuration may be readable by: it holds secrets
 * (VIR_DOMAIN_XML_SECURE: graphics passwords and the like) */
#define CONFIG_MAX_MODE 0600

/*
 * save_config_on_stop: the domain's configuration to start from (inactive:
 * no live ids, ports or labels), with its secrets, replacing config
 * atomically with its owner and its mode at most 0600 (docs/design.md)
 */
static bool
save_config(virDomainPtr dom, const char *path)
{
    g_autofree char *xml = virDomainGetXMLDesc(
        dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *old = NULL;

    if (xml == NULL) {
        qb_log(LOG_WARNING, "Cannot read the domain's configuration: %s",
               drover_virt_error());
    } else if (g_file_get_contents(path, &old, NULL, NULL)
               && strcmp(old, xml) == 0) {
        qb_log(LOG_DEBUG, "%s is unchanged", path);
    } else if (drover__file_replace(path, xml, strlen(xml), CONFIG_MAX_MODE,
                                    reason)
               != 0) {
        qb_log(LOG_WARNING, "Cannot save the configuration to %s: %s", path,
               reason->str);
    } else {
        return true;
    }
    return false;
}

/*
 * The source of a post-copy: the guest runs on the target and this QEMU
 * serves it the pages it has not got yet.  Destroying it would kill the
 * guest there, so wait for the copy to end; when the stop's time is up,
 * leave it to finish (the guest does not run here: its vCPUs have moved).
 */
static int
finish_postcopy_source(virConnectPtr conn, job_t *job)
{
    qb_log(LOG_NOTICE,
           "%s is the source of a post-copy (the guest runs on the target): "
           "waiting for its memory to be copied, never destroying it",
           job->name);
    while (job->state == DROVER_VM_POSTCOPY_SOURCE) {
        if (drover_deadline_passed(job->deadline)) {
            qb_log(LOG_WARNING,
                   "%s is still copying its memory to the target: left to "
                   "finish (it does not run here)",
                   job->name);
            return 0;
        }
        g_usleep(G_USEC_PER_SEC / 5);
        if (drover_virt_state(conn, job->name, &job->state, NULL) != 0) {
            return fail_job(job, drover_rc_from_virt(NULL),
                            "Cannot read the domain state");
        }
    }
    qb_log(LOG_INFO, "%s's post-copy ended here (%s)", job->name,
           drover_vm_state_str(job->state));
    /* gone: copied; a failed post-copy's stale copy is stopped as usual */
    return (job->state == DROVER_VM_ABSENT || job->state == DROVER_VM_SHUTOFF)
               ? 0
               : EAGAIN;
}

static int
job_stop(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    dom = virDomainLookupByName(conn, job->name);
    if (dom == NULL) {
        rc = drover_rc_from_virt(NULL);
        return (rc == DROVER_RC_NO_SUCH)
                   ? DROVER_RC_NOT_RUNNING
                   : fail_job(job, rc, "Cannot look the domain up");
    }
    if (!virDomainIsActive(dom)) {
        return DROVER_RC_NOT_RUNNING;
    }
    rc = drover_virt_state(conn, job->name, &job->state, NULL);
    if (rc == 0 && job->state == DROVER_VM_POSTCOPY_SOURCE) {
        rc = finish_postcopy_source(conn, job);
        if (rc != EAGAIN) {
            return rc;
        }
    }
    if (job->save_config) {
        job->config_saved = save_config(dom, job->config);
    }
    if (job->state_file != NULL && !job->force && save_state(dom, job) == 0) {
        return 0;
    }
    if (!job->force) {
        /* Graceful first, destroyed shortly before the deadline */
        drover_deadline_t grace = job->deadline - 5 * G_USEC_PER_SEC;

        if (virDomainShutdownFlags(dom, job->shutdown_flags) < 0) {
            qb_log(LOG_INFO, "Graceful shutdown refused: %s",
                   drover_virt_error());
        } else if (wait_for_state(conn, job, DROVER_VM_SHUTOFF, grace) == 0) {
            return 0;
        } else {
            qb_log(LOG_NOTICE, "%s did not shut down in time: destroying",
                   job->name);
        }
    }
    if (virDomainDestroy(dom) < 0) {
        rc = drover_rc_from_virt(NULL);
        if (rc != DROVER_RC_STATE) { /* already gone */
            return fail_job(job, rc, "Cannot destroy the domain");
        }
    }
    return wait_for_state(conn, job, DROVER_VM_SHUTOFF, job->deadline);
}

/* libvirtd hung or failing: the VM must still stop */
static int
kill_without_libvirt(drover_ocf_t *ocf, const char *name,
                     drover_deadline_t deadline)
{
    int rc = 0;

    if (!hypervisor_is_local_system(ocf)) {
        /* Its QEMU is not this node's to look for */
        drover_ocf_exit_reason(ocf,
                               "libvirtd at %s does not answer: cannot tell "
                               "whether %s is stopped",
                               drover_ocf_param(ocf, "hypervisor"), name);
        return DROVER_RC_ERROR;
    }
    rc = drover_virt_kill_qemu(QEMU_RUN_DIR, name, deadline);

    if (rc == DROVER_RC_TIMEOUT) {
        drover_ocf_exit_reason(ocf, "QEMU of %s did not die", name);
        return rc;
    }
    forget_name(ocf);
    return 0;
}

static int
vm_stop(drover_ocf_t *ocf)
{
    g_autofree char *name = domain_name(ocf);
    drover_deadline_t deadline = drover_ocf_deadline(ocf);
    gint64 budget_ms = drover_deadline_remaining_ms(deadline);
    /* keep time for killing QEMU ourselves if libvirtd does not answer */
    drover_deadline_t libvirt_until =
        deadline - MIN(budget_ms / 3, 10000) * G_TIME_SPAN_MILLISECOND;
    job_t *job = NULL;
    int rc;

    if (drover_ocf_param(ocf, "hypervisor") == NULL) {
        /* Its value failed its check (a stop goes on regardless): which
         * libvirt runs the VM is unknown, and libvirt's default (a NULL
         * URI) need not be it.  A failed stop gets the node fenced. */
        drover_ocf_exit_reason(ocf,
                               "Parameter 'hypervisor' is not valid: cannot "
                               "tell whether %s is stopped",
                               (name != NULL) ? name : "the VM");
        return DROVER_RC_ERROR;
    }
    if (name == NULL) {
        return not_running_unless_unknown(ocf);
    }
    rc = libvirt_answers(ocf, name);
    if (rc != 0) {
        qb_log(LOG_WARNING, "libvirtd at %s does not answer (%s)",
               drover_ocf_param(ocf, "hypervisor"), drover_rc_str(rc));
        return kill_without_libvirt(ocf, name, deadline);
    }
    job = job_new(ocf, name);
    job->force = drover_ocf_param_bool(ocf, "force_stop");
    job->shutdown_flags =
        shutdown_flags(drover_ocf_param(ocf, "shutdown_mode"));
    job->save_config = drover_ocf_param_bool(ocf, "save_config_on_stop")
                       || drover_ocf_param_bool(ocf, "sync_config_on_stop");
    job->state_file = state_file(ocf, name);
    if (job->save_config && config_hung) {
        /* writing it would wait as long as reading it did */
        qb_log(LOG_WARNING,
               "Not saving %s's definition: its config did not "
               "answer",
               name);
        job->save_config = false;
    }
    job->config = g_strdup(drover_ocf_param(ocf, "config"));
    job->deadline = libvirt_until;
    rc = run_job(job_stop, job, libvirt_until);
    if (rc != 0 && rc != DROVER_RC_NOT_RUNNING) {
        if (rc != DROVER_RC_TIMEOUT) {
            qb_log(LOG_WARNING, "%s",
                   job->error ? job->error : drover_rc_str(rc));
            job_free(job);
        }
        return kill_without_libvirt(ocf, name, deadline);
    }
    if (job->config_saved
        && drover_ocf_param_bool(ocf, "sync_config_on_stop")) {
        sync_config(ocf);
    }
    job_free(job);
    forget_name(ocf);
    forget_utilization(ocf);
    return 0;
}

/* ------------------------------------------------------------------ */
/* migrate_to / migrate_from                                          */
/* ------------------------------------------------------------------ */

/* The target's libvirt URI */
static char *
dest_uri(drover_ocf_t *ocf, const char *target)
{
    return drover_virt_dest_uri(
        drover_ocf_param(ocf, "hypervisor"), drover_ocf_param(ocf, "remoteuri"),
        drover_ocf_param(ocf, "migration_transport"),
        drover_ocf_param(ocf, "migration_user"), target);
}

/* Where the memory stream goes; NULL: libvirt's choice.  The network
 * choice plugs in here. */
static char *
choose_migrate_uri(drover_ocf_t *ocf, const char *target)
{
    const char *uri = drover_ocf_param(ocf, "migrateuri");
    const char *suffix = drover_ocf_param(ocf, "migration_network_suffix");
    const char *port = drover_ocf_param(ocf, "migrateport");

    if (uri != NULL) {
        return drover_virt_expand_node(uri, target);
    }
    if (suffix == NULL && port == NULL) {
        return NULL;
    }
    return g_strdup_printf(
        "tcp://%s%s%s%s", target, (suffix != NULL) ? suffix : "",
        (port != NULL) ? ":" : "", (port != NULL) ? port : "");
}

/* After a failed migration the VM must run on the source: resume it if a
 * failure left it paused */
static bool
recover_source(virConnectPtr conn, job_t *job)
{
    g_autoptr(virDomain) dom = NULL;

    if (drover_virt_state(conn, job->name, &job->state, NULL) != 0) {
        return false;
    }
    if (job->result.postcopy) {
        /* Its vCPUs ran on the target: the memory here is stale, resuming
         * it would run an old copy of the guest */
        qb_log(LOG_ERR,
               "%s failed in post-copy (%s here): not resuming it here",
               job->name, drover_vm_state_str(job->state));
        return false;
    }
    if (job->state == DROVER_VM_PAUSED_BROKEN) {
        dom = virDomainLookupByName(conn, job->name);
        qb_log(LOG_NOTICE, "Resuming %s, paused by the failed migration",
               job->name);
        if (dom == NULL || virDomainResume(dom) < 0) {
            qb_log(LOG_ERR, "Cannot resume %s: %s", job->name,
                   drover_virt_error());
            return false;
        }
        drover_virt_state(conn, job->name, &job->state, NULL);
    }
    return job->state == DROVER_VM_RUNNING;
}

static int
job_migrate(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    rc = drover_virt_state(conn, job->name, &job->state, &job->detail);
    if (rc != 0) {
        return fail_job(job, rc, "Cannot read the domain state");
    }
    if (job->state != DROVER_VM_RUNNING && job->state != DROVER_VM_PAUSED) {
        job->error = g_strdup_printf("%s is %s here, not running", job->name,
                                     drover_vm_state_str(job->state));
        return DROVER_RC_STATE;
    }
    dom = virDomainLookupByName(conn, job->name);
    if (dom == NULL) {
        return fail_job(job, drover_rc_from_virt(NULL),
                        "Cannot look the domain up");
    }
    /* QEMU's pid, for the black-hole guard */
    if (job->migration.stream_address != NULL
        && !drover_virt_qemu_alive(QEMU_RUN_DIR, job->name,
                                   &job->migration.qemu_pid)) {
        job->migration.qemu_pid = 0;
    }
    rc = drover_virt_migrate(dom, &job->migration, &job->result);
    if (rc != 0
        && (job->result.connection_lost || virConnectIsAlive(conn) != 1)) {
        /* libvirtd dropped us (stopped past the keepalive, restarted): the
         * migration went on inside it; failing now would have Pacemaker
         * stop the VM on both nodes, wherever it ended */
        virConnectPtr again = NULL;
        int outcome;

        qb_log(LOG_WARNING,
               "libvirtd dropped the connection while migrating %s (%s); "
               "asking it how the migration ended",
               job->name,
               (job->result.error != NULL) ? job->result.error
                                           : drover_rc_str(rc));
        g_clear_pointer(&dom, virDomainFree);
        outcome = drover_virt_migration_outcome(job->uri, job->name,
                                                job->deadline, &again);
        if (outcome == 0) {
            qb_log(LOG_NOTICE, "%s left this node: the migration ended well",
                   job->name);
            g_clear_pointer(&job->result.error, g_free);
            return 0;
        }
        if (outcome != DROVER_RC_STATE) {
            return (rc == DROVER_RC_TIMEOUT) ? ETIME : rc;
        }
        virConnectClose(conn);
        conn = again;
    }
    if (rc != 0) {
        job->recovered = recover_source(conn, job);
    }
    return (rc == DROVER_RC_TIMEOUT) ? ETIME : rc;
}

/* Fill the job's migration from the parameters (it takes \p migrate_uri) */
static void
plan_migration(drover_ocf_t *ocf, job_t *job, const char *target,
               char *migrate_uri)
{
    drover_migration_t *m = &job->migration;
    drover_migopts_t *o = &job->options;
    g_autoptr(GString) ignored = g_string_new(NULL);
    const char *options = drover_ocf_param(ocf, "migrate_options");
    const char *compression = drover_ocf_param(ocf, "compression");
    const char *steps = drover_ocf_param(ocf, "migration_downtime_steps");
    gint64 budget_ms = drover_deadline_remaining_ms(job->deadline);

    /* already validated: these parse */
    drover_migopts_parse((options != NULL) ? options : "", o, ignored);
    job->downtime_steps = g_array_new(FALSE, FALSE, sizeof(guint64));
    if (steps != NULL) {
        drover_migopts_steps_parse(steps, job->downtime_steps, ignored);
    }
    if (compression != NULL && o->compression == NULL) {
        g_auto(GStrv) methods = g_strsplit_set(compression, ", ", -1);

        o->compression = g_ptr_array_new_with_free_func(g_free);
        for (char **c = methods; *c != NULL; c++) {
            if (**c != '\0') {
                g_ptr_array_add(o->compression, g_strdup(*c));
            }
        }
        g_ptr_array_add(o->compression, NULL);
    }

    m->dest_uri = dest_uri(ocf, target);
    m->migrate_uri = migrate_uri;
    m->listen_address = o->listen_address;
    m->flags = o->flags;
    if (drover_ocf_param_bool(ocf, "auto_converge")) {
        m->flags |= VIR_MIGRATE_AUTO_CONVERGE;
    }
    if (drover_ocf_param_bool(ocf, "tls")) {
        m->flags |= VIR_MIGRATE_TLS;
    }
    m->bandwidth_mib =
        (o->bandwidth_mib > 0)
            ? o->bandwidth_mib
            : (unsigned long) drover_ocf_param_int(ocf, "migration_speed");
    m->parallel_connections =
        (o->parallel_connections > 0)
            ? o->parallel_connections
            : (int) drover_ocf_param_int(ocf, "parallel_connections");
    m->compression = (o->compression != NULL)
                         ? (const char *const *) o->compression->pdata
                         : NULL;
    if (o->params != NULL) {
        m->params = (const drover_migparam_t *) o->params->data;
        m->n_params = o->params->len;
    }
    m->downtime_ms = (guint64) drover_ocf_param_int(ocf, "migration_downtime");
    m->downtime_steps = (const guint64 *) job->downtime_steps->data;
    m->n_downtime_steps = job->downtime_steps->len;
    m->postcopy_after_stall =
        g_strcmp0(drover_ocf_param(ocf, "postcopy"), "after-stall") == 0;
    m->stall_s =
        (unsigned int) drover_ocf_param_int(ocf, "migration_stall_timeout");
    /* Abort early enough to confirm the VM still runs on the source */
    m->abort_at = job->deadline
                  - MIN(MAX(budget_ms / 10, 3000), budget_ms / 2)
                        * G_TIME_SPAN_MILLISECOND;
    /* A post-copy cannot be aborted: it starts only when it can end by
     * then, and is left to libvirtd (the guest runs on the target) if it
     * has not */
    m->finish_by = job->deadline;
}

/* ------------------------------------------------------------------ */
/* The migration network (drover-migration-networks)                  */
/* ------------------------------------------------------------------ */

/*!
 * Read the networks, this VM's order, the target's policy and facts.
 * \p plan stays NULL when no networks are configured (then migrateuri and
 * friends decide, as in ocf:heartbeat:VirtualDomain).
 */
static int
load_net_plan(drover_ocf_t *ocf, const char *source, const char *target,
              drover_netplan_t **plan, drover_cib_t **cib_out)
{
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    g_autoptr(drover_cib_t) cib = NULL;
    g_autoptr(GString) reason = g_string_new(NULL);
    int rc =
        drover_cib_query(drover_deadline_in_ms(MIN(left / 4, 10000)), &cib);

    if (cib_out != NULL) {
        *cib_out = NULL;
    }

    *plan = NULL;
    if (rc != 0) {
        drover_ocf_exit_reason(ocf,
                               "Cannot read the CIB for the migration "
                               "networks: %s",
                               drover_rc_str(rc));
        return rc;
    }
    rc = drover_netplan_load(cib, drover_ocf_param(ocf, "migration_networks"),
                             source, target, true, plan, reason);
    if (rc == DROVER_RC_CONFIG) {
        /* A bad network list, transport, order or incoming policy: failing
         * migrate_to as not configured would have Pacemaker stop the VM on
         * every node.  It moves as without networks (migrateuri or
         * libvirt's default), said loudly; drover config check names the
         * value. */
        qb_log(LOG_WARNING,
               "Migrating without the migration networks: %s (see drover "
               "config check)",
               reason->str);
        *plan = NULL;
        rc = 0;
    }
    if (rc != 0) {
        drover_ocf_exit_reason(ocf, "%s", reason->str);
    } else if (cib_out != NULL) {
        *cib_out = g_steal_pointer(&cib);
    }
    return rc;
}

/* A network of transport rdma needs an RDMA device on its interface here
 * (QEMU's rdma:// fails at once without one): one that has none is
 * skipped, and counted as failed so that it is said once */
static bool
rdma_here(const drover_netplan_t *plan, const drover_network_t *network,
          GHashTable *failed, GString *skipped)
{
    const drover_net_facts_t *mine = NULL;
    g_autofree char *device = NULL;

    if (network->transport != DROVER_TRANSPORT_RDMA) {
        return true;
    }
    mine = g_hash_table_lookup(plan->source_facts, network->name);
    if (mine == NULL || mine->interface == NULL) {
        return true; /* not on it here: the choice says so */
    }
    device = drover_net_rdma_device("/sys", mine->interface);
    if (device != NULL) {
        return true;
    }
    qb_log(LOG_NOTICE,
           "Network %s skipped: transport rdma, but no RDMA "
           "device on %s here",
           network->name, mine->interface);
    g_string_append_printf(skipped,
                           "%s%s: transport rdma, but no RDMA device "
                           "on %s here",
                           (skipped->len > 0) ? "; " : "", network->name,
                           mine->interface);
    g_hash_table_add(failed, network->name);
    return false;
}

/*!
 * Choose the first usable network not failed yet; log every verdict and
 * add the skipped ones to \p skipped.  \p address is the target's there.
 */
static int
choose_network(drover_ocf_t *ocf, const drover_netplan_t *plan,
               GHashTable *failed, const char *source, const char *target,
               GPtrArray **usable, GString *skipped)
{
    /* The target's QEMU listens on migrateport, else on the first free
     * port from libvirt's migration_port_min (49152 unless changed): a
     * firewall that drops it is found before the migration hangs on it */
    guint16 port = (drover_ocf_param(ocf, "migrateport") != NULL)
                       ? (guint16) drover_ocf_param_int(ocf, "migrateport")
                       : MIGRATION_PORT_MIN;
    /* the groups placed before networks are left out: the rest of a
     * group keeps the place of its first network */
    g_autoptr(GPtrArray) tiered = drover_netsel_tiered(plan->order);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    g_autoptr(GPtrArray) choices = NULL;
    drover_netsel_t sel = {
        .policy = plan->policy,
        .source_node = source,
        .target_node = target,
        .source_facts = plan->source_facts,
        .target_facts = plan->target_facts,
        .probe = drover_probe_migration_path,
        .probe_data = &port,
    };
    drover_net_choice_t *c;
    int chosen;

    for (guint i = 0; i < tiered->len; i++) {
        drover_network_t *n = g_ptr_array_index(tiered, i);

        if (!g_hash_table_contains(failed, n->name)
            && rdma_here(plan, n, failed, skipped)) {
            g_ptr_array_add(order, n);
        }
    }
    sel.order = order;
    chosen = drover_netsel_choose(&sel, &choices);
    for (guint i = 0; i < choices->len; i++) {
        c = g_ptr_array_index(choices, i);
        if (c->verdict == DROVER_NET_SKIPPED) {
            qb_log(LOG_NOTICE, "Network %s skipped: %s", c->network->name,
                   c->reason);
            g_string_append_printf(skipped, "%s%s: %s",
                                   (skipped->len > 0) ? "; " : "",
                                   c->network->name, c->reason);
        }
    }
    if (chosen < 0) {
        drover_ocf_exit_reason(
            ocf, "No usable migration network to %s: %s", target,
            (skipped->len > 0) ? skipped->str : "all failed");
        return DROVER_RC_ERROR;
    }
    c = g_ptr_array_index(choices, chosen);
    qb_log(LOG_INFO, "Network %s chosen for the migration to %s (%s)%s%s",
           c->network->name, target, c->reason,
           (skipped->len > 0) ? "; skipped " : "", skipped->str);
    *usable = g_ptr_array_new_with_free_func(drover_net_choice_free);
    g_ptr_array_add(*usable, g_ptr_array_steal_index(choices, chosen));
    for (guint i = 0; i < choices->len; i++) {
        c = g_ptr_array_index(choices, i);
        if (c->verdict == DROVER_NET_EQUAL) {
            qb_log(LOG_INFO, "Network %s: %s", c->network->name, c->reason);
            g_ptr_array_add(*usable, g_ptr_array_steal_index(choices, i--));
        }
    }
    return 0;
}

/* Keep what this migration did for `drover status` (best effort) */
static void
record_migration(drover_ocf_t *ocf, drover_record_t *record)
{
    const char *rsc = drover_ocf_resource(ocf);
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));

    record->at_ms = g_get_real_time() / 1000;
    if (rsc != NULL && left > 500) {
        drover_record_publish(rsc, record,
                              drover_deadline_in_ms(MIN(left - 500, 3000)));
    }
}

/* Time for one more try on the next network after a failure */
#define RETRY_MIN_MS 10000

/* Whether libvirtd at \p uri answers within \p ms */
static bool
remote_libvirt_answers(drover_ocf_t *ocf, const char *name, const char *uri,
                       gint64 ms)
{
    job_t *job = job_new(ocf, name);
    int rc;

    g_free(job->uri);
    job->uri = g_strdup(uri);
    rc = run_job(job_state, job, drover_deadline_in_ms(ms));
    if (rc != DROVER_RC_TIMEOUT) {
        job_free(job);
    }
    return rc == 0;
}

/* Attempts after the target's libvirtd failed one (restarting, say) */
#define TARGET_RETRIES_MAX 3

/*
 * After an attempt that failed on the target's libvirtd rather than on the
 * network (its connection broke, or it does not answer now): wait for it
 * while time is left for another attempt.  True when it answers: the same
 * network is tried again.  Giving up would have Pacemaker restart the VM,
 * and the next network would fail the same way.
 */
static bool
wait_for_target_libvirt(drover_ocf_t *ocf, const char *name, const char *uri,
                        const char *target)
{
    drover_deadline_t deadline = drover_ocf_deadline(ocf);
    bool waited = false;

    while (drover_deadline_remaining_ms(deadline) >= 2 * RETRY_MIN_MS) {
        if (remote_libvirt_answers(ocf, name, uri, 2000)) {
            if (waited) {
                qb_log(LOG_NOTICE, "libvirtd on %s answers again", target);
            }
            return true;
        }
        if (!waited) {
            qb_log(LOG_WARNING,
                   "libvirtd on %s does not answer at %s; waiting for it",
                   target, uri);
            waited = true;
        }
        g_usleep(G_USEC_PER_SEC);
    }
    return false;
}

/* Time a migration keeps for itself after waiting for its slot */
#define SLOT_RESERVE_MIN_MS 30000

/* "vm3 n1->n2 lm1, vm4 n1->n3 lm1 (waits), ..." */
static char *
describe_slots(const drover_slots_t *table)
{
    g_autoptr(GPtrArray) list = drover_slots_list(table);
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < list->len; i++) {
        const drover_slot_req_t *r = g_ptr_array_index(list, i);

        if (r->silent) {
            g_string_append_printf(text,
                                   "%s%u/%u (silent: one slot of "
                                   "every limit)",
                                   (text->len > 0) ? ", " : "", r->nodeid,
                                   r->pid);
            continue;
        }
        g_string_append_printf(text, "%s%s %s->%s%s%s%s",
                               (text->len > 0) ? ", " : "", r->vm, r->source,
                               r->target, (r->network != NULL) ? " " : "",
                               (r->network != NULL) ? r->network : "",
                               r->granted ? "" : " (waits)");
    }
    return g_string_free(text, FALSE);
}

/* drover drain shows how far each migration is: the slot group tells */
static void
report_progress(void *slot, guint64 bytes_done, guint64 bytes_left,
                guint64 bytes_per_s)
{
    drover_slot_group_progress(slot, bytes_done, bytes_left, bytes_per_s);
}

/*
 * Take this migration's slot in the cluster-wide limits (docs/slots.md),
 * waiting in line while leaving the migration its time.  Without
 * Corosync's CPG the migration goes ahead unlimited, with a warning.
 */
static int
take_slot(drover_ocf_t *ocf, const drover_cib_t *cib, const char *name,
          const char *source, const char *target, const GPtrArray *usable,
          bool fallback, drover_slot_group_t **slot)
{
    drover_deadline_t deadline = drover_ocf_deadline(ocf);
    gint64 budget = drover_deadline_remaining_ms(deadline);
    /* a third of the time, 30 s if it can, half of it at most */
    gint64 reserve = MAX(budget / 3, MIN(SLOT_RESERVE_MIN_MS, budget / 2));
    gint64 started = g_get_monotonic_time();
    /* after a fallback it goes over the route's network even if its turn
     * does not come: the slot must be for that one */
    guint n = (usable != NULL && !fallback) ? usable->len : 1;
    g_autofree drover_slot_req_t *reqs = g_new0(drover_slot_req_t, n);
    g_autofree const drover_slot_req_t **candidates =
        g_new0(const drover_slot_req_t *, n);
    g_autofree char *network = NULL;
    int rc;

    *slot = NULL;
    if (cib == NULL) {
        return 0;
    }
    /* one request per usable network of the group: the spread picks */
    for (guint i = 0; i < n; i++) {
        const drover_net_choice_t *c =
            (usable != NULL) ? g_ptr_array_index(usable, i) : NULL;

        drover_slot_req_from_cib(cib, name, source, target,
                                 (c != NULL) ? c->network->name : NULL,
                                 &reqs[i]);
        candidates[i] = &reqs[i];
    }
    rc = drover_slot_group_join_spread(
        candidates, n, drover_deadline_in_ms(MIN(budget / 4, 5000)), slot);
    for (guint i = 0; i < n; i++) {
        drover_slot_req_clear(&reqs[i]);
    }
    if (rc != 0) {
        qb_log(LOG_WARNING,
               "Migrating %s without a slot (limits not enforced): Corosync "
               "CPG: %s",
               name, drover_rc_str(rc));
        *slot = NULL;
        return 0;
    }
    rc = drover_slot_group_wait_granted(
        *slot, drover_deadline_in_ms(MAX(budget - reserve, 0)));
    network = drover_slot_group_network(*slot);
    if (rc == DROVER_RC_TIMEOUT && fallback) {
        /* The VM is half-way through a move: failing now would make
         * Pacemaker restart it.  It goes on, in line for the slot, which
         * it holds (and its bandwidth share) once its turn comes. */
        qb_log(LOG_WARNING,
               "No slot on %s for %s in %" G_GINT64_FORMAT " s: migrating "
               "over it now, still in line (a failed migrate_to would "
               "restart the VM)",
               (network != NULL) ? network : "its network", name,
               (g_get_monotonic_time() - started) / G_USEC_PER_SEC);
        return 0;
    }
    if (rc != 0) {
        g_autoptr(drover_slots_t) table = drover_slot_group_table(*slot);
        g_autofree char *others =
            (table != NULL) ? describe_slots(table)
                            : g_strdup("not known (members did not answer: "
                                       "see the log)");

        drover_ocf_exit_reason(
            ocf,
            "No migration slot for %s to %s in %" G_GINT64_FORMAT " s "
            "(%s); it still runs here. Slots: %s",
            name, target, (g_get_monotonic_time() - started) / G_USEC_PER_SEC,
            drover_rc_str(rc), others);
        return (rc == DROVER_RC_TIMEOUT) ? DROVER_RC_BUSY : rc;
    }
    qb_log(LOG_INFO,
           "Slot granted: %s %s->%s%s%s after %" G_GINT64_FORMAT " ms", name,
           source, target, (network != NULL) ? " over " : "",
           (network != NULL) ? network : "",
           (g_get_monotonic_time() - started) / 1000);
    return 0;
}

/*
 * Whether a NodeHealth is configured that publishes network facts.  A
 * target without any then has not run its start yet: its stop withdrew
 * them (standby), and #health-drover cannot tell, as a stop keeps it.
 */
static bool
nodehealth_publishes_networks(const drover_cib_t *cib)
{
    g_autoptr(GPtrArray) ids =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "NodeHealth");
    const char *publishes = NULL;

    if (ids->len == 0) {
        return false;
    }
    publishes = drover_cib_resource_param(cib, g_ptr_array_index(ids, 0),
                                          "publish_networks");
    return publishes == NULL || drover_cib_is_true(publishes);
}

/* Longest wait for a target's first network facts */
#define FACTS_WAIT_MAX_MS 30000

/*
 * A target that has published no facts on any network has not run its
 * NodeHealth monitor yet (it just left standby, or the cluster just
 * started).  Give it a moment, a quarter of the budget at most: without
 * facts no network is usable, and a failed migrate_to is recovered by
 * Pacemaker with a stop and a start.
 */
static int
wait_for_target_facts(drover_ocf_t *ocf, const char *source, const char *target,
                      drover_netplan_t **plan, drover_cib_t **cib)
{
    drover_deadline_t until = drover_deadline_in_ms(
        MIN(FACTS_WAIT_MAX_MS,
            drover_deadline_remaining_ms(drover_ocf_deadline(ocf)) / 4));
    gint64 started = g_get_monotonic_time();

    if (*plan == NULL || (*plan)->policy->mode == DROVER_INCOMING_NONE
        || g_hash_table_size((*plan)->target_facts) > 0
        || !nodehealth_publishes_networks(*cib)) {
        return 0;
    }
    qb_log(LOG_NOTICE,
           "%s has published no migration network facts yet (its NodeHealth "
           "has not run): waiting up to %" G_GINT64_FORMAT " ms",
           target, drover_deadline_remaining_ms(until));
    while (g_hash_table_size((*plan)->target_facts) == 0
           && drover_deadline_remaining_ms(until) > 0) {
        int rc;

        g_usleep(G_USEC_PER_SEC / 2);
        g_clear_pointer(plan, drover_netplan_free);
        g_clear_pointer(cib, drover_cib_free);
        rc = load_net_plan(ocf, source, target, plan, cib);
        if (rc != 0 || *plan == NULL) {
            return rc;
        }
    }
    qb_log(LOG_INFO, "%s's facts %s after %" G_GINT64_FORMAT " ms", target,
           (g_hash_table_size((*plan)->target_facts) > 0) ? "arrived"
                                                          : "still missing",
           (g_get_monotonic_time() - started) / 1000);
    return 0;
}

/* ------------------------------------------------------------------ */
/* What the nodes' QEMU can do                                        */
/* ------------------------------------------------------------------ */

/* What a planned migration asks of QEMU */
static drover_migration_wish_t
migration_wish(const drover_migration_t *m)
{
    return (drover_migration_wish_t){
        .compression = m->compression,
        .postcopy =
            m->postcopy_after_stall || (m->flags & VIR_MIGRATE_POSTCOPY) != 0,
        .parallel = m->parallel_connections > 0
                    || (m->flags & VIR_MIGRATE_PARALLEL) != 0,
    };
}

/* This node's libvirt and QEMU, within a small part of what is left */
static int
local_platform(drover_ocf_t *ocf, drover_platform_t *platform)
{
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    g_autofree char *error = NULL;
    int rc = drover_platform_local(drover_ocf_param(ocf, "hypervisor"),
                                   drover_deadline_in_ms(MIN(left / 4, 5000)),
                                   false, platform, &error);

    if (rc != 0) {
        qb_log(LOG_INFO, "Cannot ask libvirt for its versions (%s)", error);
    }
    return rc;
}

/*
 * validate-all at level 10: the migration options against what this
 * node's QEMU has (a method it no longer has, a pair it refuses).  No
 * libvirtd to ask: nothing to check.
 */
static int
validate_qemu_features(drover_ocf_t *ocf, const char *name)
{
    drover_platform_t here;
    drover_migration_wish_t wish;
    job_t *job = NULL;
    g_autoptr(GString) lacks = g_string_new(NULL);
    const char *node = drover_ocf_meta(ocf, "on_node");

    if (local_platform(ocf, &here) != 0) {
        return 0;
    }
    job = job_new(ocf, name);
    plan_migration(ocf, job, "any", NULL);
    wish = migration_wish(&job->migration);
    if (node == NULL) {
        node = g_get_host_name();
    }
    drover_platform_lacks(here.qemu, node, &wish, lacks);
    for (size_t i = 0; i < job->migration.n_params; i++) {
        drover_platform_lacks_param(&here, node, &job->migration.params[i],
                                    lacks);
    }
    job_free(job);
    drover_platform_clear(&here);
    if (lacks->len > 0) {
        drover_ocf_exit_reason(ocf, "%s", lacks->str);
        return DROVER_RC_CONFIG;
    }
    return 0;
}

/*
 * Before a migration: what either node's QEMU lacks of the options is left
 * out, with a warning, rather than refused: a failed migrate_to would make
 * Pacemaker restart the VM (validate-all refuses it; docs/design.md).
 */
/* The job's compression methods without \p names (none left: none) */
static void
drop_compression(job_t *job, const char *const *names)
{
    GPtrArray *methods = job->options.compression; /* NULL-terminated */

    if (methods == NULL) {
        return;
    }
    for (guint i = methods->len - 1; i-- > 0;) {
        if (g_strv_contains(names, g_ptr_array_index(methods, i))) {
            g_ptr_array_remove_index(methods, i);
        }
    }
    job->migration.compression =
        (methods->len > 1) ? (const char *const *) methods->pdata : NULL;
}

static void
fit_to_qemu(job_t *job, const char *source, const drover_platform_t *from,
            const char *target, const drover_platform_t *to)
{
    drover_migration_t *m = &job->migration;
    g_autoptr(GString) lacks = g_string_new(NULL);
    drover_migration_wish_t wish = migration_wish(m);
    unsigned int lacked =
        drover_platform_lacks(from->qemu, source, &wish, lacks)
        | drover_platform_lacks(to->qemu, target, &wish, lacks);
    GArray *typed = job->options.params;

    /* a typed parameter either node's libvirt or QEMU lacks */
    for (guint i = (typed != NULL) ? typed->len : 0; i-- > 0;) {
        const drover_migparam_t *p =
            &g_array_index(typed, drover_migparam_t, i);

        bool lacked_here = drover_platform_lacks_param(from, source, p, lacks);
        bool lacked_there = drover_platform_lacks_param(to, target, p, lacks);

        if (lacked_here || lacked_there) {
            g_array_remove_index(typed, i);
        }
    }
    if (typed != NULL) {
        m->params = (const drover_migparam_t *) typed->data;
        m->n_params = typed->len;
    }
    if (lacks->len == 0) {
        return;
    }
    qb_log(LOG_WARNING, "Migrating %s without what libvirt or QEMU lacks: %s",
           job->name, lacks->str);
    if (lacked & DROVER_LACKS_MT) {
        drop_compression(job, (const char *const[]){ "mt", NULL });
    }
    if (lacked & DROVER_LACKS_POSTCOPY_PARALLEL) {
        /* one connection, and so no zlib or zstd: libvirt has them only
         * with parallel connections */
        m->parallel_connections = 0;
        m->flags &= ~VIR_MIGRATE_PARALLEL;
        drop_compression(job, (const char *const[]){ "zlib", "zstd", NULL });
    }
}

/*
 * The gate of versions: a VM never moves to an older QEMU, nor to one
 * without the machine type it runs with (as \p live_xml names it).  The
 * target's versions and machine types are what its NodeHealth published
 * (\p published: node -> drover-platform, NULL: not known), as drover
 * drain reads them; unknown refuses nothing.
 */
static int
check_target_platform(drover_ocf_t *ocf, const char *name, const char *source,
                      const drover_platform_t *from, const char *target,
                      drover_platform_t *to, GHashTable *published,
                      const char *live_xml)
{
    g_autofree char *arch = NULL;
    g_autofree char *machine = NULL;
    g_autofree char *why = NULL;
    const char *text = NULL;

    *to = (drover_platform_t){ 0 };
    if (published != NULL
        && (text = g_hash_table_lookup(published, target)) != NULL) {
        (void) drover_platform_parse(text, to);
    }
    if (live_xml != NULL) {
        drover_domxml_machine(live_xml, &arch, &machine);
    }
    why = drover_platform_refuses(source, from, target, to, arch, machine);
    if (why == NULL) {
        return 0;
    }
    drover_ocf_exit_reason(ocf, "Not migrating %s: %s", name, why);
    return DROVER_RC_ERROR;
}

/*
 * The target's libvirt on the domain's CPU (\p live_xml): one it cannot
 * provide is refused before anything moves, in libvirt's words.  A
 * libvirtd that does not answer in time refuses nothing: the migration
 * will tell.
 */
static int
check_target_cpu(drover_ocf_t *ocf, const char *name, const char *target,
                 const char *live_xml)
{
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    g_autofree char *uri = dest_uri(ocf, target);
    g_autofree char *unknown = NULL;
    g_autofree char *why = NULL;

    if (live_xml == NULL) {
        return 0;
    }
    why = drover_platform_cpu_refuses(
        uri, target, live_xml, drover_deadline_in_ms(MIN(left / 10, 5000)),
        &unknown);
    if (unknown != NULL) {
        qb_log(LOG_INFO, "Not checking %s's CPU on %s: %s", name, target,
               unknown);
    }
    if (why == NULL) {
        return 0;
    }
    drover_ocf_exit_reason(ocf, "Not migrating %s: %s", name, why);
    return DROVER_RC_ERROR;
}

/*
 * The gate before a migration: a target that Pacemaker's node health calls
 * red (drover's NodeHealth, #health-drover, or any other #health-*
 * attribute) is refused before anything is done, with the reason naming
 * the node and the failed check.  The VM still runs here; Pacemaker
 * recovers the failed migrate_to by a stop and a start, so with
 * node-health-strategy set it does not choose a red node to begin with
 * (docs/health.md).
 */
static int
check_target_health(drover_ocf_t *ocf, const drover_cib_t *cib,
                    const char *name, const char *target)
{
    g_autofree char *why = NULL;

    if (drover_node_health(cib, target, &why) < 2) {
        return 0;
    }
    /* Pacemaker keeps 128 characters: the check's own words go last */
    drover_ocf_exit_reason(ocf, "Not migrating %s: %s is red: %s", name, target,
                           why);
    return DROVER_RC_ERROR;
}

/*
 * The target accepts no live migration (drover-incoming=none): a quick
 * migration instead of a failed operation — stop the VM here, and
 * migrate_from starts it there (docs/networks.md).
 */
static int
migrate_offline(drover_ocf_t *ocf, const char *name, const char *source,
                const char *target)
{
    drover_record_t record = {
        .source = (char *) source,
        .target = (char *) target,
        .mode = (char *) "offline",
        .error = (char *) "stop failed",
    };
    gint64 started = g_get_monotonic_time();
    int rc;

    qb_log(LOG_NOTICE,
           "%s accepts no live migration (drover-incoming=none): stopping %s "
           "here for a start there",
           target, name);
    rc = vm_stop(ocf);
    record.ok = (rc == 0);
    record.error = record.ok ? NULL : record.error;
    record.duration_ms = (g_get_monotonic_time() - started) / 1000;
    record_migration(ocf, &record);
    if (rc == 0) {
        qb_log(LOG_INFO, "%s stopped here for the start on %s", name, target);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* migrate_to: the plan, each usable network in turn, the record      */
/* ------------------------------------------------------------------ */

/* The platforms the nodes' NodeHealth published (drover-platform), read
 * by a thread of its own while migrate_to reads the CIB and asks libvirt:
 * attrd_updater is the slowest of those steps */
typedef struct {
    drover_deadline_t deadline;
    GHashTable *published; /* node -> text; NULL: not known */
} published_read_t;

static gpointer
read_published(gpointer data)
{
    published_read_t *r = data;

    (void) drover_private_attr_read(DROVER_PLATFORM_ATTR, r->deadline,
                                    &r->published);
    return NULL;
}

/* One migrate_to: what holds across its attempts */
typedef struct {
    drover_ocf_t *ocf;
    char *name;
    const char *source;
    const char *target;
    drover_netplan_t *plan; /* NULL: no networks (migrateuri decides) */
    drover_cib_t *cib;
    drover_platform_t here;
    drover_platform_t there;
    char *live_xml;     /* the running domain's, NULL: not known */
    GHashTable *failed; /* networks failed or skipped this time */
    GString *skipped;   /* and why, for the log and the record */
    drover_slot_group_t *slot;
    char *slot_network; /* the network the slot is for */
    bool slot_asked;
    unsigned int target_retries;
    drover_record_t record;
    GThread *platform_reader; /* reads platforms, NULL once joined */
    published_read_t platforms;
} move_t;

/* What the nodes published of their platforms (NULL: not known) */
static GHashTable *
published_platforms(move_t *move)
{
    if (move->platform_reader != NULL) {
        g_thread_join(g_steal_pointer(&move->platform_reader));
    }
    return move->platforms.published;
}

static void
move_clear(move_t *move)
{
    (void) published_platforms(move); /* bounded by its deadline */
    g_clear_pointer(&move->platforms.published, g_hash_table_unref);
    g_free(move->name);
    g_clear_pointer(&move->plan, drover_netplan_free);
    g_clear_pointer(&move->cib, drover_cib_free);
    drover_platform_clear(&move->here);
    drover_platform_clear(&move->there);
    g_free(move->live_xml);
    g_hash_table_unref(move->failed);
    g_string_free(move->skipped, TRUE);
    g_clear_pointer(&move->slot, drover_slot_group_leave);
    g_free(move->slot_network);
    drover_record_clear(&move->record);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(move_t, move_clear)

/* Where one attempt sends the memory */
typedef struct {
    const drover_network_t *network; /* NULL without networks */
    GInetAddress *address;           /* the target's on that network */
    char *uri;                       /* QEMU's migrateuri, or NULL */
    /* drover_net_choice_t *: the usable networks of the first usable
     * one's group, it first (the slot decides which carries it) */
    GPtrArray *usable;
} route_t;

static void
route_clear(route_t *route)
{
    g_clear_object(&route->address);
    g_clear_pointer(&route->uri, g_free);
    g_clear_pointer(&route->usable, g_ptr_array_unref);
    route->network = NULL;
}

/* \p network among \p route's usable ones, or NULL */
static const drover_net_choice_t *
usable_choice(const route_t *route, const char *network)
{
    for (guint i = 0; route->usable != NULL && i < route->usable->len; i++) {
        const drover_net_choice_t *c = g_ptr_array_index(route->usable, i);

        if (g_strcmp0(c->network->name, network) == 0) {
            return c;
        }
    }
    return NULL;
}

/* The route over \p network if it is one of route->usable, else over the
 * first of them */
static void
route_over(drover_ocf_t *ocf, route_t *route, const char *network)
{
    const drover_net_choice_t *c = usable_choice(route, network);

    if (c == NULL) {
        c = g_ptr_array_index(route->usable, 0);
    }
    route->network = c->network;
    g_clear_object(&route->address);
    route->address = g_object_ref(c->target);
    g_free(route->uri);
    route->uri = drover_net_migrate_uri(route->network, route->address,
                                        drover_ocf_param(ocf, "migrateport"));
}

/* What follows an attempt */
typedef enum {
    AFTER_DONE,         /* migrated, or failed for good: the rc says */
    AFTER_SAME_NETWORK, /* the target's libvirtd failed it and answers now */
    AFTER_NEXT_NETWORK, /* the network failed it: the next usable one */
} after_t;

/*
 * start_resources: the target's pools and networks, before the migration
 * (as the stock agent does).  What fails is a warning: the migration
 * itself says whether the target lacks it, and failing migrate_to here
 * would restart the VM.
 */
static void
start_target_pools_and_networks(drover_ocf_t *ocf, const char *name,
                                const char *target)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    job_t *job = job_new(ocf, name);
    g_autofree char *xml = NULL;
    g_autofree char *ignored = NULL;
    int rc = read_domain_config(ocf, &ignored, &xml, reason);

    if (rc == 0) {
        rc = drover_domxml_refs(xml, &job->refs, reason);
    }
    if (rc != 0) {
        qb_log(LOG_WARNING, "Not starting %s's pools and networks on %s: %s",
               name, target, reason->str);
        job_free(job);
        return;
    }
    g_free(job->uri);
    job->uri = dest_uri(ocf, target);
    rc = run_job(job_start_pools_and_networks, job,
                 drover_deadline_in_ms(MIN(left / 4, 30000)));
    if (rc == DROVER_RC_TIMEOUT) {
        qb_log(LOG_WARNING,
               "Starting %s's pools and networks on %s did not "
               "finish in time",
               name, target);
        return; /* the worker owns the job */
    }
    if (rc != 0) {
        qb_log(LOG_WARNING, "%s", job->error);
    }
    job_free(job);
}

static int
job_live_xml(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    dom = virDomainLookupByName(conn, job->name);
    job->xml = (dom != NULL) ? virDomainGetXMLDesc(dom, 0) : NULL;
    return (job->xml != NULL) ? 0
                              : fail_job(job, drover_rc_from_virt(NULL),
                                         "Cannot read the domain's XML");
}

/*
 * What keeps the running domain from moving live, before anything moves:
 * a host device (drover_domxml_blocker()), or a disk on a file system
 * only this host sees, unless migrate_options copies the disks.  libvirt
 * refuses the first kind itself, late; the second it migrates when the
 * disk's cache is none, and the target then runs the guest on its own
 * file of that name, or fails.  Unknown (libvirtd slow) blocks nothing.
 * \p live_xml gets the domain's XML, for the checks on the target.
 */
static int
check_movable(drover_ocf_t *ocf, const char *name, const char *target,
              char **live_xml)
{
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));
    job_t *job = job_new(ocf, name);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *blocker = NULL;
    const char *options = drover_ocf_param(ocf, "migrate_options");
    int rc =
        run_job(job_live_xml, job, drover_deadline_in_ms(MIN(left / 10, 5000)));

    if (rc == DROVER_RC_TIMEOUT) {
        return 0; /* the worker owns the job; the migration will tell */
    }
    if (rc != 0) {
        qb_log(LOG_INFO, "Not checking what blocks %s's move: %s", name,
               job->error);
        job_free(job);
        return 0;
    }
    *live_xml = g_strdup(job->xml);
    blocker = drover_domxml_blocker(job->xml);
    if (blocker == NULL && !drover_migopts_copy_storage(options)
        && drover_domxml_refs(job->xml, &job->refs, reason) == 0) {
        g_autofree char *disk = drover_domxml_local_file(
            job->refs.files, drover_deadline_in_ms(MIN(left / 10, 2000)));

        if (disk != NULL) {
            blocker = g_strdup_printf("disk %s here, which %s does not see "
                                      "(migrate_options --copy-storage-all "
                                      "copies it)",
                                      disk, target);
        }
    }
    job_free(job);
    if (blocker != NULL) {
        drover_ocf_exit_reason(
            ocf,
            "Not migrating %s to %s: %s; it can only be "
            "stopped and started there (allow-migrate=false)",
            name, target, blocker);
        return DROVER_RC_ERROR;
    }
    return 0;
}

/*
 * Before anything moves: the target, the networks and the target's
 * policy, its health and its first facts.  The VM still runs here after
 * any refusal.
 */
static int
plan_move(drover_ocf_t *ocf, move_t *move)
{
    int rc;

    if (move->target == NULL) {
        drover_ocf_exit_reason(ocf, "migrate_to needs a target node "
                                    "(OCF_RESKEY_CRM_meta_migrate_target)");
        return DROVER_RC_CONFIG;
    }
    if (move->name == NULL) {
        drover_ocf_exit_reason(ocf, "No domain name: config unreadable");
        return DROVER_RC_INSTALLED;
    }
    rc =
        load_net_plan(ocf, move->source, move->target, &move->plan, &move->cib);
    if (rc == 0) {
        rc = check_target_health(ocf, move->cib, move->name, move->target);
    }
    if (rc == 0) {
        rc = wait_for_target_facts(ocf, move->source, move->target, &move->plan,
                                   &move->cib);
    }
    if (rc == 0 && drover_ocf_param_bool(ocf, "start_resources")) {
        start_target_pools_and_networks(ocf, move->name, move->target);
    }
    return rc;
}

/* The next network not failed yet (or, without networks, migrateuri's) */
static int
next_route(move_t *move, route_t *route)
{
    drover_ocf_t *ocf = move->ocf;
    int rc;

    if (move->plan == NULL) {
        route->uri = choose_migrate_uri(ocf, move->target);
        return 0;
    }
    rc = choose_network(ocf, move->plan, move->failed, move->source,
                        move->target, &route->usable, move->skipped);
    if (rc == 0) {
        route_over(ocf, route, NULL);
    }
    return rc;
}

/*
 * The slot is for the network that carries the migration: of a group's
 * usable networks, the one the slot group's spread gives it.  After a
 * fallback, the next network's limit and bandwidth budget hold it and
 * the last one's are free (it waits in line again, but goes on if its
 * turn does not come in time).
 */
static int
slot_for_route(move_t *move, route_t *route)
{
    bool fallback = false;
    int rc;

    if (move->slot != NULL && route->network != NULL
        && usable_choice(route, move->slot_network) == NULL) {
        qb_log(LOG_INFO, "%s: giving back the slot on %s for one on %s",
               move->name, move->slot_network, route->network->name);
        g_clear_pointer(&move->slot, drover_slot_group_leave);
        move->slot_asked = false;
        fallback = true;
    }
    if (!move->slot_asked) {
        move->slot_asked = true;
        g_clear_pointer(&move->slot_network, g_free);
        rc = take_slot(move->ocf, move->cib, move->name, move->source,
                       move->target, route->usable, fallback, &move->slot);
        if (rc != 0) {
            return rc;
        }
        move->slot_network =
            (move->slot != NULL) ? drover_slot_group_network(move->slot) : NULL;
        if (move->slot_network == NULL && route->network != NULL) {
            move->slot_network = g_strdup(route->network->name);
        }
    }
    if (route->usable != NULL && route->usable->len > 1) {
        route_over(move->ocf, route, move->slot_network);
    }
    return 0;
}

/* The libvirt job of one attempt over \p route */
static job_t *
migration_job(move_t *move, const route_t *route)
{
    drover_ocf_t *ocf = move->ocf;
    job_t *job = job_new(ocf, move->name);

    job->target = g_strdup(move->target);
    plan_migration(ocf, job, move->target, g_strdup(route->uri));
    fit_to_qemu(job, move->source, &move->here, move->target, &move->there);
    if (move->slot != NULL) {
        job->migration.bandwidth_share =
            drover_slot_group_bandwidth(move->slot);
        job->migration.on_progress = report_progress;
        job->migration.progress_data = move->slot;
    }
    if (route->network != NULL) {
        /* QEMU on the target listens on the chosen network only */
        if (job->options.listen_address == NULL) {
            job->options.listen_address =
                g_inet_address_to_string(route->address);
            job->migration.listen_address = job->options.listen_address;
        }
        if (route->network->transport == DROVER_TRANSPORT_TLS) {
            job->migration.flags |= VIR_MIGRATE_TLS;
        }
        /* This node's QEMU is seen without libvirt: a black hole on the
         * network can be cut (drover_virt_migrate) */
        if (hypervisor_is_local_system(ocf)) {
            job->stream_address = g_inet_address_to_string(route->address);
            job->migration.stream_address = job->stream_address;
        }
    }
    return job;
}

/*
 * After a failed attempt that left the VM running here: was it the
 * target's libvirtd (its connection broke, or it does not answer now)?
 * Then the same network again once it answers, a few times.  Else the
 * next network, while time is left for one more try.
 */
static after_t
after_failure(move_t *move, const route_t *route, const job_t *job)
{
    drover_ocf_t *ocf = move->ocf;
    const char *dest = job->migration.dest_uri;
    gint64 left = drover_deadline_remaining_ms(drover_ocf_deadline(ocf));

    if (!job->recovered || left < RETRY_MIN_MS) {
        return AFTER_DONE;
    }
    if (dest != NULL && !job->result.black_hole
        && move->target_retries < TARGET_RETRIES_MAX
        && (job->result.target_rpc
            || !remote_libvirt_answers(ocf, move->name, dest, 2000))
        && wait_for_target_libvirt(ocf, move->name, dest, move->target)) {
        return AFTER_SAME_NETWORK;
    }
    if (route->network == NULL
        || drover_deadline_remaining_ms(drover_ocf_deadline(ocf))
               < RETRY_MIN_MS) {
        return AFTER_DONE;
    }
    return AFTER_NEXT_NETWORK;
}

/* One attempt over \p route, its outcome in the record and the log */
static after_t
attempt(move_t *move, const route_t *route, int *rc_out)
{
    drover_ocf_t *ocf = move->ocf;
    const char *name = move->name;
    const char *target = move->target;
    const char *network =
        (route->network != NULL) ? route->network->name : NULL;
    drover_record_t *record = &move->record;
    job_t *job = migration_job(move, route);
    const char *why = NULL;
    after_t after = AFTER_DONE;
    int rc;

    qb_log(LOG_INFO, "%s: migrating to %s via %s, memory to %s", name, target,
           job->migration.dest_uri,
           (route->uri != NULL) ? route->uri : "libvirt's default");
    record->attempts++;
    rc = run_job(job_migrate, job, drover_ocf_deadline(ocf));
    *rc_out = rc;
    if (rc == DROVER_RC_TIMEOUT) { /* the worker still owns the job */
        drover_ocf_exit_reason(ocf,
                               "Migration of %s to %s: libvirtd on %s did "
                               "not answer in time",
                               name, target, move->source);
        return AFTER_DONE;
    }
    g_free(record->network);
    g_free(record->uri);
    g_free(record->error);
    record->network = g_strdup(network);
    record->uri = g_strdup(route->uri);
    record->error = NULL;
    record->duration_ms += job->result.duration_ms;
    record->bytes += job->result.bytes;
    why = (job->result.error != NULL) ? job->result.error : drover_rc_str(rc);

    if (rc == 0) {
        qb_log(LOG_INFO,
               "%s migrated to %s%s%s in %" G_GINT64_FORMAT " ms, %u "
               "escalation(s)%s",
               name, target, (network != NULL) ? " over " : "",
               (network != NULL) ? network : "", job->result.duration_ms,
               job->result.escalations,
               job->result.postcopy_running
                   ? ", runs there in post-copy (memory still copying)"
               : job->result.postcopy ? ", post-copy"
                                      : "");
    } else if (rc == ETIME) {
        drover_ocf_exit_reason(
            ocf,
            "Aborted migration of %s to %s: not done in time; %s %s (%.0f "
            "MiB sent, %u step(s))",
            name, target, name,
            job->recovered ? "still runs here" : "state here unknown",
            job->result.bytes / (1024.0 * 1024.0), job->result.escalations);
    } else {
        after = after_failure(move, route, job);
    }
    switch (after) {
        case AFTER_SAME_NETWORK:
            move->target_retries++;
            qb_log(LOG_WARNING,
                   "Migration of %s to %s failed on libvirtd there (%s); %s "
                   "still runs here, trying again (%u of %u)",
                   name, target, why, name, move->target_retries,
                   TARGET_RETRIES_MAX);
            break;
        case AFTER_NEXT_NETWORK:
            qb_log(LOG_WARNING,
                   "Migration of %s to %s over %s failed (%s); %s still runs "
                   "here, trying the next network",
                   name, target, network, why, name);
            g_string_append_printf(move->skipped, "%s%s: failed: %s",
                                   (move->skipped->len > 0) ? "; " : "",
                                   network, why);
            g_hash_table_add(move->failed, route->network->name);
            break;
        case AFTER_DONE:
            if (rc != 0 && rc != ETIME) {
                /* Pacemaker keeps 128 characters: libvirt's message goes last */
                drover_ocf_exit_reason(
                    ocf, "Migration of %s to %s failed; %s %s: %s", name,
                    target, name,
                    job->recovered ? "still runs here" : "state here unknown",
                    (job->result.error != NULL) ? job->result.error
                    : (job->error != NULL)      ? job->error
                                                : drover_rc_str(rc));
            }
            if (rc != 0) {
                record->error = g_strdup(why);
            }
            break;
    }
    job_free(job);
    return after;
}

/* Milliseconds since \p mark, which becomes now */
static gint64
lap_ms(gint64 *mark)
{
    gint64 now = g_get_monotonic_time();
    gint64 ms = (now - *mark) / 1000;

    *mark = now;
    return ms;
}

/*
 * migrate_to: plan, then for each usable network in turn its slot and an
 * attempt, then the record `drover status` shows.
 */
static int
vm_migrate_to(drover_ocf_t *ocf)
{
    g_auto(move_t) move = {
        .ocf = ocf,
        .name = domain_name(ocf),
        .source = drover_ocf_meta(ocf, "migrate_source"),
        .target = drover_ocf_meta(ocf, "migrate_target"),
        .failed = g_hash_table_new(g_str_hash, g_str_equal),
        .skipped = g_string_new(NULL),
    };
    after_t after = AFTER_DONE;
    /* what each step before the first attempt took (ms), for the log */
    gint64 took[6] = { 0 };
    gint64 mark = g_get_monotonic_time();
    int rc;

    if (move.source == NULL) {
        move.source = g_get_host_name();
    }
    move.platforms.deadline = drover_deadline_in_ms(
        MIN(drover_deadline_remaining_ms(drover_ocf_deadline(ocf)) / 10, 5000));
    move.platform_reader =
        g_thread_new("drover-platforms", read_published, &move.platforms);
    rc = plan_move(ocf, &move);
    took[0] = lap_ms(&mark);
    if (rc != 0) {
        return rc;
    }
    if (move.plan != NULL && move.plan->policy->mode == DROVER_INCOMING_NONE) {
        /* a start there reads the config: any QEMU will do */
        return migrate_offline(ocf, move.name, move.source, move.target);
    }
    rc = check_movable(ocf, move.name, move.target, &move.live_xml);
    took[1] = lap_ms(&mark);
    if (rc != 0) {
        return rc;
    }
    (void) local_platform(ocf, &move.here);
    rc = check_target_platform(ocf, move.name, move.source, &move.here,
                               move.target, &move.there,
                               published_platforms(&move), move.live_xml);
    took[2] = lap_ms(&mark);
    if (rc == 0) {
        rc = check_target_cpu(ocf, move.name, move.target, move.live_xml);
        took[3] = lap_ms(&mark);
    }
    if (rc != 0) {
        return rc;
    }

    do {
        route_t route = { 0 };
        bool first = move.record.attempts == 0 && !move.slot_asked;

        after = AFTER_DONE;
        rc = next_route(&move, &route);
        if (first) {
            took[4] = lap_ms(&mark);
        }
        if (rc == 0) {
            rc = slot_for_route(&move, &route);
        }
        if (first && rc == 0) {
            took[5] = lap_ms(&mark);
            qb_log(LOG_INFO,
                   "%s: ready to migrate: cluster %" G_GINT64_FORMAT
                   " ms, domain %" G_GINT64_FORMAT
                   " ms, versions %" G_GINT64_FORMAT
                   " ms, CPU %" G_GINT64_FORMAT
                   " ms, networks %" G_GINT64_FORMAT
                   " ms, slot %" G_GINT64_FORMAT " ms",
                   move.name, took[0], took[1], took[2], took[3], took[4],
                   took[5]);
        }
        if (rc == 0) {
            after = attempt(&move, &route, &rc);
        }
        route_clear(&route);
    } while (rc != 0 && after != AFTER_DONE);

    if (rc == DROVER_RC_TIMEOUT) {
        /* libvirtd did not answer: the worker still owns the job, which
         * reports its progress to the slot.  Kept to the end: Corosync
         * drops this process's membership when it exits. */
        (void) g_steal_pointer(&move.slot);
    }
    /* the network and the limits are free for the next one now, not
     * once the record is written */
    g_clear_pointer(&move.slot, drover_slot_group_leave);
    move.record.source = g_strdup(move.source);
    move.record.target = g_strdup(move.target);
    move.record.mode = g_strdup("live");
    move.record.ok = (rc == 0);
    move.record.skipped =
        (move.skipped->len > 0) ? g_strdup(move.skipped->str) : NULL;
    if (move.record.error == NULL && rc != 0) {
        move.record.error = g_strdup(drover_ocf_exit_reason_text(ocf));
    }
    record_migration(ocf, &move.record);
    return rc;
}

static int
job_arrived(void *data)
{
    job_t *job = data;
    g_autoptr(virConnect) conn = NULL;
    int rc = drover_virt_open(job->uri, &conn);

    if (rc != 0) {
        return fail_job(job, rc, "Cannot connect to libvirt");
    }
    /* migrate_to returns after the switchover: an absent domain is not
     * coming any more */
    rc = drover_virt_state(conn, job->name, &job->state, NULL);
    if (rc != 0) {
        return fail_job(job, rc, "Cannot read the domain state");
    }
    if (job->state == DROVER_VM_ABSENT) {
        job->error = g_strdup_printf("%s did not arrive: no such domain here",
                                     job->name);
        return DROVER_RC_NO_SUCH;
    }
    return wait_for_state(conn, job, DROVER_VM_RUNNING, job->deadline);
}

/* Whether this node's drover-incoming is none (the target of migrate_to
 * then stops the VM on the source instead of migrating it) */
static bool
accepts_no_live_migration(drover_ocf_t *ocf, const char *source)
{
    const char *self = drover_ocf_meta(ocf, "migrate_target");
    g_autoptr(drover_netplan_t) plan = NULL;

    if (self == NULL) {
        self = g_get_host_name();
    }
    return source != NULL && load_net_plan(ocf, source, self, &plan, NULL) == 0
           && plan != NULL && plan->policy->mode == DROVER_INCOMING_NONE;
}

/* On the target: the domain must now run here, not paused, not incoming */
static int
vm_migrate_from(drover_ocf_t *ocf)
{
    const char *source = drover_ocf_meta(ocf, "migrate_source");
    g_autofree char *name = domain_name(ocf);
    job_t *job = NULL;
    int rc;

    if (name == NULL) {
        drover_ocf_exit_reason(ocf, "No domain name: config unreadable");
        return DROVER_RC_INSTALLED;
    }
    /* Before waiting: a stop after a failed or timed-out migrate_from must
     * find the domain here even without its config */
    remember_name(ocf, name);
    job = job_new(ocf, name);
    rc = run_job(job_arrived, job, drover_ocf_deadline(ocf));
    if (rc == DROVER_RC_NO_SUCH && accepts_no_live_migration(ocf, source)) {
        /* migrate_to stopped it on the source: start it here */
        job_free(job);
        qb_log(LOG_NOTICE,
               "%s arrives by a quick migration from %s: starting "
               "it here",
               name, (source != NULL) ? source : "its source");
        return vm_start(ocf);
    }
    if (rc == DROVER_RC_TIMEOUT) {
        drover_ocf_exit_reason(ocf, "libvirtd at %s did not answer in time",
                               drover_ocf_param(ocf, "hypervisor"));
        return rc;
    }
    if (rc == 0) {
        qb_log(LOG_INFO, "%s arrived from %s and runs here", name,
               (source != NULL) ? source : "its source");
        forget_utilization(ocf);
    } else if (rc == ETIME) {
        drover_ocf_exit_reason(ocf, "%s from %s is %s here, not running", name,
                               (source != NULL) ? source : "its source",
                               drover_vm_state_str(job->state));
    } else {
        drover_ocf_exit_reason(
            ocf, "%s", (job->error != NULL) ? job->error : drover_rc_str(rc));
    }
    job_free(job);
    return (rc == 0) ? wait_for_monitor_scripts(ocf, name) : rc;
}

/*
 * reload-agent (OCF 1.1): only reloadable parameters changed.  Each
 * operation reads its parameters afresh, so once they validate (done
 * before every action) the next migration, stop or monitor uses them:
 * nothing of the running VM changes, and Pacemaker does not restart it.
 */
static int
vm_reload_agent(drover_ocf_t *ocf)
{
    g_autofree char *name = domain_name(ocf);

    qb_log(LOG_INFO,
           "Parameters of %s reloaded: the next migration, stop and monitor "
           "use them",
           (name != NULL) ? name : drover_ocf_resource(ocf));
    return 0;
}

static const drover_ocf_action_t actions[] = {
    { .name = "start", .fn = vm_start, .timeout_s = 90 },
    { .name = "stop", .fn = vm_stop, .timeout_s = 90 },
    { .name = "monitor", .fn = vm_monitor, .timeout_s = 30, .interval_s = 10 },
    { .name = "migrate_to", .fn = vm_migrate_to, .timeout_s = 120 },
    { .name = "migrate_from", .fn = vm_migrate_from, .timeout_s = 60 },
    { .name = "reload-agent", .fn = vm_reload_agent, .timeout_s = 20 },
    { .name = "validate-all", .timeout_s = 5 },
    { .name = "meta-data", .timeout_s = 5 },
    { 0 },
};

static const drover_ocf_agent_t agent = {
    .name = "VirtualDomain",
    .version = DROVER_VERSION,
    .shortdesc = "Manages a libvirt virtual domain, with bounded calls and "
                 "watched migrations",
    .longdesc =
        "Manages a virtual machine through the libvirt API.  A drop-in for "
        "ocf:heartbeat:VirtualDomain (same parameters), in which every "
        "libvirt call has a deadline taken from the operation's timeout, a "
        "live migration is watched, stepped up when it stalls and aborted "
        "before Pacemaker's timeout (the VM then keeps running on the "
        "source), and stop still stops the VM when libvirtd does not answer.",
    .params = params,
    .actions = actions,
    .validate = validate,
};

int
main(int argc, char **argv)
{
    return drover_ocf_main(&agent, argc, argv);
}
