/*
 * drover health: this node's health checks (drover/health.h) for people,
 * for monitoring (Nagios/Icinga plugin output, Prometheus text
 * exposition) and for tools (XML, JSON).  Exit status as a monitoring
 * plugin's, in every format: 0 ok, 1 warning, 2 critical, 3 unknown.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <drover/health.h>

#include "cli.h"
#include "drover_private.h"

static char *format = NULL;
static char *libvirt_uri = NULL;

static GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      "nagios (plugin output) or prometheus (text exposition); otherwise "
      "--output-as decides",
      "nagios|prometheus" },
    { "connect", 0, 0, G_OPTION_ARG_STRING, &libvirt_uri,
      "The libvirt URI to check (default qemu:///system)", "URI" },
    { 0 },
};

static void
health_text(const xmlNode *result, GString *text)
{
    xmlNode *list = xmlFirstElementChild((xmlNode *) result);

    if (list == NULL) {
        return;
    }
    g_string_append_printf(text, "%s: %s\n", drover_output_get(list, "node"),
                           drover_output_get(list, "status"));
    for (xmlNode *c = xmlFirstElementChild(list); c != NULL;
         c = xmlNextElementSibling(c)) {
        g_string_append_printf(
            text, "  %-9s %-8s %-16s %s (%s ms)\n",
            drover_output_get(c, "status"), drover_output_get(c, "name"),
            drover_output_get(c, "subject"), drover_output_get(c, "reason"),
            drover_output_get(c, "ms"));
    }
}

crm_exit_t
cmd_health(cli_t *cli, int argc, char **argv)
{
    g_autoptr(drover_output_t) out = drover_output_new("health");
    g_autoptr(GPtrArray) results = NULL;
    struct utsname host;
    xmlNode *list = NULL;
    crm_exit_t rc = cli_parse(
        cli, "health", "[--format nagios|prometheus]",
        "Run this node's health checks, each within its share of --timeout: "
        "libvirt answers a real call, Corosync runs in a quorate partition, "
        "Pacemaker's CIB answers, the node's name resolves to an address of "
        "this host (not loopback) and back.  Exit status as a monitoring "
        "plugin's: 0 ok, 1 warning, 2 critical, 3 unknown.",
        entries, &argc, &argv);

    if (rc != CRM_EX_OK) {
        return rc;
    }
    if (argc != 1) {
        g_autofree char *shown = drover__shown(argv[1]);

        fprintf(stderr, "drover health: Unexpected argument '%s'\n", shown);
        return CRM_EX_USAGE;
    }
    if (format != NULL && strcmp(format, "nagios") != 0
        && strcmp(format, "prometheus") != 0) {
        g_autofree char *shown = drover__shown(format);

        fprintf(stderr,
                "drover health: --format must be nagios or prometheus, not "
                "'%s' (--output-as=text|xml|json for the others)\n",
                shown);
        return CRM_EX_USAGE;
    }
    uname(&host);
    results = drover_health_local(
        host.nodename, (libvirt_uri != NULL) ? libvirt_uri : "qemu:///system",
        cli_deadline(cli));
    if (g_strcmp0(format, "nagios") == 0) {
        g_autofree char *text = drover_health_nagios(results);

        fputs(text, stdout);
    } else if (g_strcmp0(format, "prometheus") == 0) {
        g_autofree char *text =
            drover_health_prometheus(results, host.nodename);

        fputs(text, stdout);
    } else {
        list = drover_output_add(drover_output_root(out), "health");
        drover_output_set(list, "node", host.nodename);
        drover_output_set(list, "status",
                          drover_health_str(drover_health_worst(results)));
        for (guint i = 0; i < results->len; i++) {
            const drover_health_result_t *r = g_ptr_array_index(results, i);
            xmlNode *c = drover_output_add(list, "check");

            drover_output_set(c, "name", r->check);
            drover_output_set(c, "subject", r->subject);
            drover_output_set(c, "status", drover_health_str(r->status));
            drover_output_set(c, "reason", r->reason);
            drover_output_set_int(out, c, "ms", r->ms);
        }
        cli_finish(cli, out, health_text);
    }
    return (crm_exit_t) drover_health_worst(results);
}
