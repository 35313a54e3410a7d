/*
 * The frame of every drover command (tools/cli.h): the global options,
 * parsing a command's options (or writing its section of drover(8)),
 * the cluster connection, and how a command ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <drover/cib.h>
#include <drover/domxml.h>
#include <drover/file.h>
#include <drover/log.h>
#include <drover/migopts.h>
#include <drover/platform.h>
#include <drover/rc.h>
#include <drover/spawn.h>
#include <drover/virt.h>

#include "cli.h"
#include "drover_private.h"

#define DEFAULT_TIMEOUT_S 30

static char *output_as = NULL;
static int verbose = 0;
static int timeout_s = DEFAULT_TIMEOUT_S;

static gboolean
count_verbose(const char *name, const char *value, gpointer data,
              GError **error)
{
    (void) name;
    (void) value;
    (void) data;
    (void) error;
    verbose++;
    return TRUE;
}

GOptionEntry cli_global_entries[] = {
    { "output-as", 0, 0, G_OPTION_ARG_STRING, &output_as,
      "Output format: text (default), xml or json", "FORMAT" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s,
      "Longest wait for the cluster, in seconds (default 30)", "SECONDS" },
    { "verbose", 'V', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
      count_verbose, "Log more (repeat for even more)", NULL },
    { 0 },
};

crm_exit_t
cli_apply_globals(cli_t *cli)
{
    if (output_as != NULL
        && drover_output_format_parse(output_as, &cli->format) != 0) {
        fprintf(stderr,
                "drover: Invalid --output-as value '%s': "
                "use text, xml or json\n",
                output_as);
        return CRM_EX_USAGE;
    }
    if (timeout_s <= 0) {
        fprintf(stderr,
                "drover: Invalid --timeout value %d: "
                "use a positive number of seconds\n",
                timeout_s);
        return CRM_EX_USAGE;
    }
    cli->timeout_s = timeout_s;
    drover_log_more_verbose(verbose);
    verbose = 0;
    return CRM_EX_OK;
}

GOptionContext *
cli_new_context(const char *parameter_string, const char *summary,
                GOptionEntry *entries)
{
    GOptionContext *context = g_option_context_new(parameter_string);

    g_option_context_add_main_entries(context, cli_global_entries, NULL);
    if (entries != NULL) {
        g_option_context_add_main_entries(context, entries, NULL);
    }
    g_option_context_set_summary(context, summary);
    return context;
}

void
cli_man_options(GString *man, const GOptionEntry *entries)
{
    for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL;
         e++) {
        g_string_append(man, ".TP\n");
        if (e->short_name != 0) {
            g_string_append_printf(man, "\\fB\\-%c\\fR, ", e->short_name);
        }
        g_string_append(man, "\\fB\\-\\-");
        drover__roff_text(man, e->long_name);
        g_string_append(man, "\\fR");
        if (e->arg_description != NULL) {
            g_string_append(man, "=\\fI");
            drover__roff_text(man, e->arg_description);
            g_string_append(man, "\\fR");
        }
        g_string_append_c(man, '\n');
        drover__roff_text(man, e->description);
        g_string_append_c(man, '\n');
    }
}

/* One command's section of drover(8) */
static void
man_command(GString *man, const char *command, const char *parameter_string,
            const char *summary, const GOptionEntry *entries)
{
    g_string_append_printf(man, ".SS \"%s", command);
    if (*parameter_string != '\0') {
        g_string_append_c(man, ' ');
        drover__roff_text(man, parameter_string);
    }
    g_string_append(man, "\"\n");
    drover__roff_text(man, summary);
    g_string_append_c(man, '\n');
    cli_man_options(man, entries);
}

crm_exit_t
cli_parse(cli_t *cli, const char *command, const char *parameter_string,
          const char *summary, GOptionEntry *entries, int *argc, char ***argv)
{
    g_autofree char *params = g_strdup_printf(
        "%s%s%s", command, *parameter_string ? " " : "", parameter_string);
    g_autoptr(GOptionContext) context = NULL;
    g_autoptr(GError) error = NULL;

    if (cli->man != NULL) {
        man_command(cli->man, command, parameter_string, summary, entries);
        return CLI_MAN_DONE;
    }
    context = cli_new_context(params, summary, entries);
    if (!g_option_context_parse(context, argc, argv, &error)) {
        fprintf(stderr, "drover %s: %s\nTry 'drover %s --help'.\n", command,
                error->message, command);
        return CRM_EX_USAGE;
    }
    return cli_apply_globals(cli);
}

/* This node's name as Pacemaker knows it (crm_node --name), else the
 * host's: the checks leave it out of its own peers by that name */
char *
cli_local_node_name(void)
{
    g_autofree char *out = NULL;
    const char *argv[] = { "crm_node", "--name", NULL };
    int status = -1;
    struct utsname host;

    if (drover_spawn(argv, drover_deadline_in_ms(2000), &out, NULL, &status)
            == 0
        && status == 0 && out != NULL && *g_strstrip(out) != '\0') {
        return g_steal_pointer(&out);
    }
    uname(&host);
    return g_strdup(host.nodename);
}

drover_deadline_t
cli_deadline(const cli_t *cli)
{
    return drover_deadline_in_ms((gint64) cli->timeout_s * 1000);
}

crm_exit_t
cli_fail(cli_t *cli, drover_output_t *out, crm_exit_t code, const char *format,
         ...)
{
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, format);
    message = g_strdup_vprintf(format, ap);
    va_end(ap);
    fprintf(stderr, "drover: %s\n", message);
    if (out != NULL && cli->format != DROVER_OUTPUT_TEXT) {
        drover_output_status(out, code, message);
        drover_output_print(out, cli->format, NULL, stdout);
    }
    return code;
}

crm_exit_t
cli_cib(cli_t *cli, drover_output_t *out, drover_cib_t **cib)
{
    int rc = drover_cib_query(cli_deadline(cli), cib);

    if (rc != 0) {
        return cli_fail(cli, out, drover_rc_to_exit(rc),
                        "Cannot read the cluster configuration: %s "
                        "(is Pacemaker running here? For a file, set "
                        "CIB_file=PATH)",
                        drover_rc_str(rc));
    }
    return CRM_EX_OK;
}

crm_exit_t
cli_finish(cli_t *cli, drover_output_t *out, drover_output_text_fn text)
{
    int rc;

    drover_output_status(out, CRM_EX_OK, "OK");
    rc = drover_output_print(out, cli->format, text, stdout);
    if (rc != 0) {
        fprintf(stderr, "drover: Cannot write the output: %s\n",
                drover_rc_str(rc));
        return CRM_EX_IOERR;
    }
    return CRM_EX_OK;
}

char *
cli_vm_blocked(const drover_cib_t *cib, const char *vm, char **unknown,
               char **config_xml)
{
    const char *config = drover_cib_resource_param(cib, vm, "config");
    const char *options = drover_cib_resource_param(cib, vm, "migrate_options");
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *xml = NULL;
    g_autofree char *disk = NULL;
    drover_domxml_refs_t refs = { 0 };
    char *blocked = NULL;

    if (config == NULL) {
        if (unknown != NULL) {
            *unknown = g_strdup("it has no config parameter");
        }
        return NULL;
    }
    if (drover_file_read(config, DROVER_DOMAIN_XML_MAX_BYTES,
                         drover_deadline_in_ms(1000), &xml, NULL, reason)
        != 0) {
        if (unknown != NULL) {
            *unknown = g_strdup(reason->str);
        }
        return NULL;
    }
    if (config_xml != NULL) {
        *config_xml = g_strdup(xml);
    }
    blocked = drover_domxml_blocker(xml);
    if (blocked != NULL) {
        return blocked;
    }
    if (!drover_migopts_copy_storage(options)
        && drover_domxml_refs(xml, &refs, reason) == 0) {
        disk =
            drover_domxml_local_file(refs.files, drover_deadline_in_ms(1000));
    }
    drover_domxml_refs_clear(&refs);
    return (disk != NULL) ? g_strdup_printf("disk %s, a file system only its "
                                            "host sees (migrate_options "
                                            "--copy-storage-all copies it)",
                                            disk)
                          : NULL;
}

char *
cli_cpu_refuses(cli_t *cli, const drover_cib_t *cib, const char *vm,
                const char *config, const char *node)
{
    g_autofree char *uri = NULL;

    if (g_getenv("CIB_file") != NULL) {
        return NULL;
    }
    uri = drover_virt_dest_uri(
        drover_cib_resource_param(cib, vm, "hypervisor"),
        drover_cib_resource_param(cib, vm, "remoteuri"),
        drover_cib_resource_param(cib, vm, "migration_transport"),
        drover_cib_resource_param(cib, vm, "migration_user"), node);
    return (uri != NULL) ? drover_platform_cpu_refuses(
               uri, node, config,
               MIN(cli_deadline(cli), drover_deadline_in_ms(2000)), NULL)
                         : NULL;
}
